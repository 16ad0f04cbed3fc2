"""The loaded catalogue: forms and their versions, code lists, and the deposit check."""

from __future__ import annotations

import dataclasses
from datetime import date, datetime
from pathlib import Path

from lxml import etree

from gateway.domain.clock import to_paris
from gateway.errors import FormInvalidError, FormVersionRetiredError, UnknownCodeError, quote

from ._manifest import read_manifest
from ._nomenclature import CodeList, LoadedList, load_nomenclature
from ._validation import SchemaPool, schema_errors
from ._versions import Form, FormVersion, VersionStatus, require_aware
from ._xml import catalogue_error, check_form_xsd, parse_bytes, read_bytes

FORMS_DIR = "forms"
NOMENCLATURE_DIR = "nomenclature"


def _fr(day: date | datetime) -> str:
    """A day as operators read it: JJ/MM/AAAA."""
    return day.strftime("%d/%m/%Y")


class Catalogue:
    """Forms, versions and code lists read from one catalogue folder; immutable once loaded.

    Thread-safe: validation uses one compiled schema per thread (see ``_validation``).
    """

    def __init__(
        self,
        root: Path,
        forms: tuple[Form, ...],
        lists: dict[str, LoadedList],
        xsd_texts: dict[tuple[str, str], str],
        schemas: SchemaPool,
    ) -> None:
        """Use :meth:`load`; this only assembles already checked parts."""
        self.root = root
        self._forms = {f.code: f for f in forms}
        self._by_offer = {offre: f for f in forms for offre in f.offres}
        self._lists = lists
        self._xsd_texts = xsd_texts
        self._schemas = schemas

    @classmethod
    def load(cls, root: Path) -> Catalogue:
        """Read the manifest, code lists and form XSDs under ``root`` and compile every XSD.

        Raises CatalogueError naming the file (and line) of any bad or missing file, a form XSD
        whose target namespace is not ``urn:esav:formulaire:{CODE}`` or that has not exactly one
        global element (the same in every version), and a manifest where three versions of one
        form would be accepted at the same instant.
        """
        root = Path(root)
        lists = load_nomenclature(root / NOMENCLATURE_DIR)
        schemas = SchemaPool()
        xsd_texts: dict[tuple[str, str], str] = {}
        forms = []
        for form in read_manifest(root):
            racines = set()
            for version in form.versions:
                path = root / FORMS_DIR / form.code / f"{version.version}.xsd"
                data = read_bytes(path)
                racines.add(_root_element(form.code, parse_bytes(data, path), path))
                schemas.add((form.code, version.version), data, path)
                xsd_texts[form.code, version.version] = data.decode("utf-8")
            if len(racines) != 1:
                raise catalogue_error(
                    root / FORMS_DIR / form.code,
                    None,
                    f"toutes les versions du formulaire {form.code} doivent avoir le même élément racine "
                    f"(trouvés : {', '.join(sorted(racines))})",
                )
            forms.append(dataclasses.replace(form, racine=racines.pop()))
        return cls(root, tuple(forms), lists, xsd_texts, schemas)

    # -- forms and versions ------------------------------------------------------------------

    def offers(self) -> list[str]:
        """The offers some form serves, sorted."""
        return sorted(self._by_offer)

    def forms(self) -> tuple[Form, ...]:
        """Every form, in manifest order."""
        return tuple(self._forms.values())

    def form(self, code: str) -> Form:
        """The form ``code``; UnknownCodeError if there is none."""
        try:
            return self._forms[code]
        except KeyError:
            raise UnknownCodeError(f"Formulaire inconnu : {quote(code)}", valeur=code) from None

    def form_for_offer(self, code_offre: str) -> Form:
        """The form used to deposit tickets on offer ``code_offre``; UnknownCodeError if none."""
        try:
            return self._by_offer[code_offre]
        except KeyError:
            raise UnknownCodeError(f"Aucun formulaire pour l'offre {quote(code_offre)}", valeur=code_offre) from None

    def status(self, code: str, version: str, at: datetime) -> VersionStatus:
        """The status of form ``code`` version ``version`` at the aware instant ``at``.

        UnknownCodeError for an unknown form or version.
        """
        form = self.form(code)
        if form.get_version(version) is None:
            raise UnknownCodeError(
                f"Version {quote(version)} inconnue pour le formulaire {quote(code)}", valeur=version
            )
        return form.status(version, at)

    def version_in_force(self, code: str, at: datetime) -> str | None:
        """The number of the newest version of ``code`` in production at ``at`` (None before any)."""
        found = self.form(code).version_in_force(at)
        return found.version if found else None

    def accepted_versions(self, code: str, at: datetime) -> tuple[str, ...]:
        """The version numbers of ``code`` a deposit may use at ``at``, oldest first."""
        return tuple(v.version for v in self.form(code).accepted_versions(at))

    # -- deposits ----------------------------------------------------------------------------

    def check_deposit(
        self, code_offre: str, code: str, version: str, payload: etree._Element | None, at: datetime
    ) -> None:
        """Check a deposit's form: right form for the offer, version accepted at ``at``, valid content.

        Raises FormInvalidError (unknown form or version, form not for this offer, version not yet in
        production, wrong root element, schema errors: every one in ``details``) or
        FormVersionRetiredError (naming the version in force, also in ``valeur``).
        """
        at = require_aware(at)
        form = self._forms.get(code)
        if form is None:
            raise FormInvalidError(f"Formulaire inconnu : {quote(code)}", valeur=code)
        if code_offre not in form.offres:
            expected = self._by_offer.get(code_offre)
            hint = f" ; pour cette offre, utilisez le formulaire {expected.code}" if expected else ""
            raise FormInvalidError(
                f"Le formulaire {quote(code)} ne sert pas l'offre {quote(code_offre)}{hint}", valeur=code
            )
        found = form.get_version(version)
        if found is None:
            known = ", ".join(v.version for v in form.versions)
            raise FormInvalidError(
                f"Version {quote(version)} inconnue pour le formulaire {quote(code)} (versions : {known})",
                valeur=version,
            )
        self._check_status(form, found, at)
        self.validate(code, version, payload)

    @staticmethod
    def _check_status(form: Form, version: FormVersion, at: datetime) -> None:
        status = form.status(version.version, at)
        in_force = form.version_in_force(at)
        if status is VersionStatus.RETIRE:
            # A retired version has a successor in production, hence a version in force and an end.
            assert in_force is not None and version.date_fin_cohabitation is not None
            raise FormVersionRetiredError(
                f"La version {version.version} du formulaire {form.code} est retirée (acceptée jusqu'au "
                f"{_fr(version.date_fin_cohabitation)} inclus) ; utilisez la version en vigueur "
                f"{in_force.version}",
                valeur=in_force.version,
            )
        if status is VersionStatus.A_VENIR:
            hint = f" ; version en vigueur : {in_force.version}" if in_force else ""
            raise FormInvalidError(
                f"La version {version.version} du formulaire {form.code} n'est pas encore en production : "
                f"elle le sera le {_fr(version.date_production)} (nous sommes le {_fr(to_paris(at))}, "
                f"heure de Paris){hint}",
                valeur=version.version,
            )

    def validate(self, code: str, version: str, payload: etree._Element | None) -> None:
        """Check that ``payload`` is the form's root element and valid against that version's XSD.

        Raises FormInvalidError; schema errors are all listed in ``details`` (readable paths, French
        labels) and the first one's path is the error's ``chemin``. No check of the version's status.
        """
        form = self.form(code)
        if (code, version) not in self._xsd_texts:
            raise UnknownCodeError(
                f"Version {quote(version)} inconnue pour le formulaire {quote(code)}", valeur=version
            )
        expected = f"{{{form.namespace}}}{form.racine}"
        if payload is None or not isinstance(payload.tag, str):
            raise FormInvalidError(f"Le formulaire est vide : élément {form.racine} attendu")
        if payload.tag != expected:
            qname = etree.QName(payload)
            received = f"{qname.localname} (espace de noms {qname.namespace or 'aucun'})"
            raise FormInvalidError(
                f"Élément racine inattendu : {received} ; attendu {form.racine} dans l'espace de noms {form.namespace}",
                chemin="/" + qname.localname,
            )
        errors = schema_errors(self._schemas.get((code, version)), payload)
        if errors:
            plural = "s" if len(errors) > 1 else ""
            raise FormInvalidError(
                f"Formulaire {quote(code)} version {quote(version)} invalide : {len(errors)} erreur{plural}",
                chemin=errors[0].chemin,
                details=errors,
            )

    # -- files -------------------------------------------------------------------------------

    def xsd_path(self, code: str, version: str) -> Path:
        """The XSD file of a form version."""
        self._require_version(code, version)
        return self.root / FORMS_DIR / code / f"{version}.xsd"

    def xsd_text(self, code: str, version: str) -> str:
        """The exact text of a form version's XSD (what ``obtenirFormulaire`` returns)."""
        self._require_version(code, version)
        return self._xsd_texts[code, version]

    def example(self, code: str, version: str) -> bytes:
        """The bytes of the version's example instance ``forms/{CODE}/{version}.example.xml``."""
        self._require_version(code, version)
        return read_bytes(self.root / FORMS_DIR / code / f"{version}.example.xml")

    def _require_version(self, code: str, version: str) -> None:
        if (code, version) not in self._xsd_texts:
            self.form(code)
            raise UnknownCodeError(
                f"Version {quote(version)} inconnue pour le formulaire {quote(code)}", valeur=version
            )

    # -- code lists --------------------------------------------------------------------------

    def nomenclatures(self) -> tuple[CodeList, ...]:
        """Every code list, by code."""
        return tuple(loaded.codes for loaded in self._lists.values())

    def nomenclature(self, code: str) -> CodeList:
        """The code list ``code``; UnknownCodeError if there is none."""
        return self._loaded(code).codes

    def nomenclature_xml(self, code: str) -> str:
        """The exact text of code list ``code``'s file."""
        return self._loaded(code).text

    def has_value(self, list_code: str, value: str) -> bool:
        """Whether code list ``list_code`` (which must exist) has the value ``value``."""
        return value in self._loaded(list_code).codes.codes()

    def _loaded(self, code: str) -> LoadedList:
        try:
            return self._lists[code]
        except KeyError:
            raise UnknownCodeError(f"Nomenclature inconnue : {quote(code)}", valeur=code) from None


def _root_element(code: str, tree: etree._ElementTree, path: Path) -> str:
    """The single global element of a form XSD, after checking its target namespace."""
    problem, racine = check_form_xsd(code, tree)
    if problem is not None:
        raise catalogue_error(path, tree.getroot().sourceline, problem)
    return racine
