"""What changed between two versions of a form, and whether old instances stay valid."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ._model import FormField, form_model

if TYPE_CHECKING:
    from ._catalogue import Catalogue


@dataclass(frozen=True)
class FormDiff:
    """Differences from version ``old`` to version ``new`` of form ``code``; paths like
    ``/signalisationFtth/segmentMarche``.

    ``breaking`` is true when an instance valid against ``old`` may be invalid against ``new``:
    a field removed, added as mandatory or made mandatory, a code value removed, or any other
    constraint changed (we do not try to prove that a changed pattern or length accepts every old value).
    """

    code: str
    old: str
    new: str
    added: tuple[str, ...] = ()
    added_mandatory: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()
    made_mandatory: tuple[str, ...] = ()
    made_optional: tuple[str, ...] = ()
    values_added: tuple[tuple[str, str], ...] = ()
    values_removed: tuple[tuple[str, str], ...] = ()
    constraints_changed: tuple[tuple[str, str], ...] = ()

    @property
    def breaking(self) -> bool:
        """Whether some instance valid against ``old`` may be refused by ``new``."""
        return bool(
            self.added_mandatory
            or self.removed
            or self.made_mandatory
            or self.values_removed
            or self.constraints_changed
        )

    @property
    def verdict(self) -> str:
        """``"breaking"`` or ``"compatible"``."""
        return "breaking" if self.breaking else "compatible"

    def lines(self) -> list[str]:
        """The differences in French, one per line, for a terminal."""
        out = [f"{self.code} {self.old} → {self.new} : {'INCOMPATIBLE' if self.breaking else 'compatible'}"]
        out += [f"+ champ obligatoire ajouté : {p}" for p in self.added_mandatory]
        out += [f"+ champ facultatif ajouté : {p}" for p in self.added if p not in self.added_mandatory]
        out += [f"- champ supprimé : {p}" for p in self.removed]
        out += [f"! champ devenu obligatoire : {p}" for p in self.made_mandatory]
        out += [f"~ champ devenu facultatif : {p}" for p in self.made_optional]
        out += [f"+ valeur ajoutée : {p} = {v}" for p, v in self.values_added]
        out += [f"- valeur supprimée : {p} = {v}" for p, v in self.values_removed]
        out += [f"! contrainte modifiée : {p} ({what})" for p, what in self.constraints_changed]
        return out


def diff(source: Catalogue | Path, code: str, old: str, new: str) -> FormDiff:
    """Compare versions ``old`` and ``new`` of form ``code`` of a loaded catalogue or of a catalogue
    folder (which need not load: useful on a work in progress)."""
    if isinstance(source, Path):
        folder = source / "forms" / code
        old_path, new_path = folder / f"{old}.xsd", folder / f"{new}.xsd"
    else:
        old_path, new_path = source.xsd_path(code, old), source.xsd_path(code, new)
    return diff_models(code, old, new, form_model(old_path), form_model(new_path))


def diff_models(code: str, old: str, new: str, before: FormField, after: FormField) -> FormDiff:
    """Compare two field trees (see :func:`diff`)."""
    old_fields = {f.path: f for f in before.walk()}
    new_fields = {f.path: f for f in after.walk()}
    added = [p for p in new_fields if p not in old_fields]
    # A field under an added parent is new, but only the top of the new subtree matters.
    added_tops = [p for p in added if _parent(p) not in added]
    common = [p for p in new_fields if p in old_fields]
    values_added, values_removed, constraints = [], [], []
    for path in common:
        was, now = old_fields[path], new_fields[path]
        if was.enumeration or now.enumeration:
            values_added += [(path, v) for v in now.enumeration if v not in was.enumeration]
            values_removed += [(path, v) for v in was.enumeration if v not in now.enumeration]
        constraints += [(path, what) for what in _constraint_changes(was, now)]
    return FormDiff(
        code=code,
        old=old,
        new=new,
        added=tuple(added_tops),
        added_mandatory=tuple(p for p in added_tops if _required_in(new_fields, p, old_fields)),
        removed=tuple(p for p in old_fields if p not in new_fields and _parent(p) in new_fields),
        made_mandatory=tuple(p for p in common if new_fields[p].mandatory and not old_fields[p].mandatory),
        made_optional=tuple(p for p in common if old_fields[p].mandatory and not new_fields[p].mandatory),
        values_added=tuple(values_added),
        values_removed=tuple(values_removed),
        constraints_changed=tuple(constraints),
    )


def _parent(path: str) -> str:
    return path.rsplit("/", 1)[0]


def _required_in(fields: dict[str, FormField], path: str, old_fields: dict[str, FormField]) -> bool:
    """Whether an added field must appear in every instance whose existing parent appears."""
    return fields[path].mandatory and _parent(path) in old_fields


def _constraint_changes(was: FormField, now: FormField) -> list[str]:
    changes = []
    checks = (
        ("type", was.primitive, now.primitive),
        ("motif", was.patterns, now.patterns),
        ("longueur minimale", was.min_length, now.min_length),
        ("longueur maximale", was.max_length, now.max_length),
        ("valeur minimale", was.min_value, now.min_value),
        ("valeur maximale", was.max_value, now.max_value),
    )
    for what, before, after in checks:
        if before != after:
            changes.append(f"{what} : {_show(before)} → {_show(after)}")
    if (now.max_occurs is not None) and (was.max_occurs is None or now.max_occurs < was.max_occurs):
        changes.append(f"occurrences maximales : {_show(was.max_occurs)} → {now.max_occurs}")
    if was.simple != now.simple:
        changes.append("contenu simple ↔ composé")
    return changes


def _show(value: object) -> str:
    if value is None:
        return "aucune"
    if isinstance(value, tuple):
        return ", ".join(map(str, value)) or "aucun"
    return str(value)
