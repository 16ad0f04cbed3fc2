"""Before a new form version goes live, each operator sees which of its own deposits it would refuse.

Every deposit keeps its form; every form version's schema is in the catalogue. A *preview* replays an
operator's deposits of one form over the last N days (30 by default) against a version, with the
rules of a deposit (``gateway.catalogue.check_stored_form``), and counts those that would pass and
fail, the distinct errors (path, French label, deposits hit, one sample reference each) and, from
the operator's most frequent kind of refused deposit, a valid example with the changes marked.

Deposits are read one row at a time from a cursor on the index ``(form_code, operator_code,
deposited_at)``; what is kept per operator is bounded by the number of distinct errors.

Doors: ``esav catalogue apercu`` and ``publish`` (the maintainer, every operator), the portal's
"Évolutions" page (one operator: its own deposits only, cached for the day), the provider's page
``/fournisseur/evolutions``, the notice of a form evolution and the reminder a week before the
previous version is retired (e-mail and portal).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from gateway.catalogue import (
    Catalogue,
    ExampleMark,
    Form,
    RepairedExample,
    VersionStatus,
    check_stored_form,
    diff,
    repaired_example,
)
from gateway.domain.clock import Clock, to_paris
from gateway.domain.notices import NoticeKind, check_notice
from gateway.errors import InvalidRequestError, NotEntitledError, UnknownCodeError, quote
from gateway.store import Store

from ._accounts import PortalUser
from ._mail import Letter, MailService, paris_day_time
from ._notices_mail import NoticeMailer

__all__ = [
    "DEFAULT_PREVIEW_DAYS",
    "REMINDER_DAYS",
    "Announcement",
    "ErrorCount",
    "FormPreview",
    "FormPreviewService",
    "OperatorPreview",
    "spaced",
]

#: The window of deposits a preview replays, by default (days).
DEFAULT_PREVIEW_DAYS = 30
MAX_PREVIEW_DAYS = 366
#: The reminder goes out this many days before the previous version is retired, on the last week of deposits.
REMINDER_DAYS = 7
#: Kinds of refused deposits whose form is kept while counting (for the example): bounded memory.
_MAX_KINDS_KEPT = 64


def spaced(number: int) -> str:
    """1240 → « 1 240 » (French thousands separator, a no-break space)."""
    return f"{number:,}".replace(",", "\u00a0")


@dataclass(frozen=True)
class ErrorCount:
    """One distinct error of a preview: where, what, how many deposits it hits, one of them."""

    chemin: str
    libelle: str
    deposits: int
    sample: str


@dataclass(frozen=True)
class OperatorPreview:
    """One operator's deposits of a form over a window, replayed against a version."""

    operator_code: str
    form_code: str
    version: str
    days: int
    since: datetime
    until: datetime
    deposits: int
    refused: int
    errors: tuple[ErrorCount, ...]
    example: RepairedExample | None = None
    example_reference: str | None = None

    @property
    def passed(self) -> int:
        return self.deposits - self.refused

    def sentence(self) -> str:
        """« sur vos 1 240 dépôts des 30 derniers jours, 37 seraient refusés »."""
        if not self.deposits:
            return f"aucun dépôt du formulaire {self.form_code} ces {self.days} derniers jours"
        plural = "s" if self.refused > 1 else ""
        return (
            f"sur vos {spaced(self.deposits)} dépôt{'s' if self.deposits > 1 else ''} des {self.days} derniers "
            f"jours, {spaced(self.refused)} serai{'en' if self.refused > 1 else ''}t refusé{plural} par la "
            f"version {self.version}"
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "operator": self.operator_code,
            "form": self.form_code,
            "version": self.version,
            "days": self.days,
            "since": self.since.isoformat(),
            "until": self.until.isoformat(),
            "deposits": self.deposits,
            "passed": self.passed,
            "refused": self.refused,
            "errors": [
                {"path": e.chemin, "label": e.libelle, "deposits": e.deposits, "sample": e.sample} for e in self.errors
            ],
            "example": None
            if self.example is None
            else {
                "from": self.example_reference,
                "valid": self.example.valid,
                "xml": self.example.xml,
                "marks": [{"path": m.path, "label": m.label, "change": m.change} for m in self.example.marks],
            },
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> OperatorPreview:
        example = data.get("example")
        return cls(
            operator_code=data["operator"],
            form_code=data["form"],
            version=data["version"],
            days=data["days"],
            since=datetime.fromisoformat(data["since"]),
            until=datetime.fromisoformat(data["until"]),
            deposits=data["deposits"],
            refused=data["refused"],
            errors=tuple(ErrorCount(e["path"], e["label"], e["deposits"], e["sample"]) for e in data["errors"]),
            example=None
            if example is None
            else RepairedExample(
                example["xml"],
                tuple(ExampleMark(m["path"], m["label"], m["change"]) for m in example["marks"]),
                example["valid"],
            ),
            example_reference=None if example is None else example["from"],
        )


@dataclass(frozen=True)
class FormPreview:
    """Every operator's preview of one form version (operators with no deposit included)."""

    form_code: str
    version: str
    days: int
    since: datetime
    until: datetime
    operators: tuple[OperatorPreview, ...]

    @property
    def deposits(self) -> int:
        return sum(o.deposits for o in self.operators)

    @property
    def refused(self) -> int:
        return sum(o.refused for o in self.operators)

    def not_ready(self) -> tuple[OperatorPreview, ...]:
        """Operators some of whose deposits would be refused."""
        return tuple(o for o in self.operators if o.refused)

    def to_json(self) -> dict[str, Any]:
        return {
            "form": self.form_code,
            "version": self.version,
            "days": self.days,
            "since": self.since.isoformat(),
            "until": self.until.isoformat(),
            "deposits": self.deposits,
            "refused": self.refused,
            "operators": [o.to_json() for o in self.operators],
        }


@dataclass(frozen=True)
class Announcement:
    """A form version announced to operators: not yet in production, or in production while the
    previous one is still accepted (cohabitation)."""

    form_code: str
    titre: str
    offres: tuple[str, ...]
    version: str
    status: VersionStatus
    date_production: date
    previous: str | None
    date_fin_cohabitation: date | None  # the previous version's last accepted day
    retired_at: datetime | None  # when the previous version is refused (00:00 Paris the day after)


@dataclass
class _Tally:
    """Counting one operator's deposits as they stream by."""

    deposits: int = 0
    refused: int = 0
    errors: dict[tuple[str, str], list[Any]] = field(default_factory=dict)  # → [count, sample]
    kinds: dict[tuple[tuple[str, str], ...], list[Any]] = field(default_factory=dict)  # → [count, ref, xml]

    def add(self, reference: str, form_xml: str, errors: Iterable[Any]) -> None:
        self.deposits += 1
        distinct = tuple(sorted({(e.chemin, e.libelle) for e in errors}))
        if not distinct:
            return
        self.refused += 1
        for key in distinct:
            seen = self.errors.get(key)
            if seen is None:
                self.errors[key] = [1, reference]
            else:
                seen[0] += 1
        kind = self.kinds.get(distinct)
        if kind is not None:
            kind[0] += 1
        elif len(self.kinds) < _MAX_KINDS_KEPT:
            self.kinds[distinct] = [1, reference, form_xml]

    def most_frequent_refused(self) -> tuple[str, str] | None:
        """(reference, form) of the operator's most frequent kind of refused deposit (same errors)."""
        if not self.kinds:
            return None
        _, reference, form_xml = max(self.kinds.values(), key=lambda k: k[0])
        return reference, form_xml


class FormPreviewService:
    """Previews of form versions against stored deposits, and who is ready for them."""

    def __init__(
        self, store: Store, catalogue: Catalogue, clock: Clock, mail: MailService, notices: NoticeMailer
    ) -> None:
        self._store = store
        self._catalogue = catalogue
        self._clock = clock
        self._mail = mail
        self._notices = notices

    # Computing ---------------------------------------------------------------------------------------

    def preview(
        self,
        code: str,
        version: str,
        *,
        days: int = DEFAULT_PREVIEW_DAYS,
        operator: str | None = None,
        at: datetime | None = None,
        catalogue: Catalogue | None = None,
        examples: bool = True,
    ) -> FormPreview:
        """Every operator's (or ``operator``'s) deposits of form ``code`` over the ``days`` days before ``at``
        (default now), against ``version`` of ``catalogue`` (default: the one served)."""
        catalogue = catalogue or self._catalogue
        _check_days(days)
        catalogue.status(code, version, at or self._clock.now())  # UnknownCodeError for an unknown one
        until = at or self._clock.now()
        since = until - timedelta(days=days)
        if operator is not None:
            if self._store.get_operator(operator) is None:
                raise InvalidRequestError(f"Opérateur {quote(operator)} inconnu.", chemin="operateur", valeur=operator)
            codes = [operator]
        else:
            codes = [o.code for o in self._store.list_operators()]
        previews = tuple(
            self._operator_preview(catalogue, code, version, c, days, since, until, examples) for c in codes
        )
        return FormPreview(code, version, days, since, until, previews)

    def _operator_preview(
        self,
        catalogue: Catalogue,
        code: str,
        version: str,
        operator: str,
        days: int,
        since: datetime,
        until: datetime,
        examples: bool,
    ) -> OperatorPreview:
        tally = _Tally()
        for deposit in self._store.form_deposits(code, operator, since, until):
            errors = check_stored_form(catalogue, code, version, deposit.code_offre, deposit.form_xml)
            tally.add(deposit.reference, deposit.form_xml, errors)
        counted = sorted(tally.errors.items(), key=lambda item: (-item[1][0], item[0]))
        example, example_reference = None, None
        base = tally.most_frequent_refused() if examples else None
        if base is not None:
            example_reference = base[0]
            example = repaired_example(catalogue, code, version, base[1])
        return OperatorPreview(
            operator_code=operator,
            form_code=code,
            version=version,
            days=days,
            since=since,
            until=until,
            deposits=tally.deposits,
            refused=tally.refused,
            errors=tuple(ErrorCount(chemin, libelle, n, sample) for (chemin, libelle), (n, sample) in counted),
            example=example,
            example_reference=example_reference,
        )

    # Announced versions ------------------------------------------------------------------------------

    def announced(self, at: datetime | None = None, catalogue: Catalogue | None = None) -> list[Announcement]:
        """Form versions not yet in production, or in production while the previous one is accepted."""
        catalogue = catalogue or self._catalogue
        at = at or self._clock.now()
        found = []
        for form in catalogue.forms():
            for index, version in enumerate(form.versions):
                previous = form.versions[index - 1] if index else None
                status = form.status(version.version, at)
                cohabiting = previous is not None and form.status(previous.version, at) is VersionStatus.EN_COHABITATION
                if status is VersionStatus.A_VENIR or (status is VersionStatus.EN_VIGUEUR and cohabiting):
                    found.append(_announcement(form, index, status))
        return found

    # The operator's "Évolutions" page ----------------------------------------------------------------

    @staticmethod
    def may_see(user: PortalUser) -> bool:
        """Whether the user's portal shows "Évolutions": its profile opens e-SAV en ligne, or its operator
        deposits through the web services (e-SAV intégré)."""
        return "ESAV" in user.eservices or user.caller.esav_integre

    def for_operator(self, user: PortalUser, *, refresh: bool = False) -> list[tuple[Announcement, OperatorPreview]]:
        """The announced versions of the forms of the user's offers, each with its operator's own
        preview: the one of the day (Paris) when kept (the server computes them in the background, see
        ``refresh_day``), otherwise, or when ``refresh``, computed now and kept."""
        if not self.may_see(user):
            raise NotEntitledError("Évolutions des formulaires : réservé aux abonnés e-SAV.", chemin="eservice")
        now = self._clock.now()
        return [
            (announcement, self._of_the_day(user.caller.operator_code, announcement, now, refresh=refresh))
            for announcement in self.announced(now)
            if any(user.can_read(offer) for offer in announcement.offres)
        ]

    def refresh_day(self) -> int:
        """Compute the day's preview of every announced version for every operator that has none yet (the
        server's leader runs it every hour, off the reactor thread); the number computed."""
        now = self._clock.now()
        computed = 0
        for announcement in self.announced(now):
            for operator in self._store.list_operators():
                if self._kept(operator.code, announcement, now) is None:
                    self._of_the_day(operator.code, announcement, now, refresh=True)
                    computed += 1
        return computed

    def _kept(self, operator: str, announcement: Announcement, now: datetime) -> OperatorPreview | None:
        """The preview kept for today and for the version's current schema, if any."""
        cached = self._store.cached_preview(operator, announcement.form_code, announcement.version)
        if cached is None or cached.day != to_paris(now).date().isoformat():
            return None
        if cached.content.get("schema") != self._schema_key(announcement.form_code, announcement.version):
            return None  # the version's schema changed since (a new publication)
        return OperatorPreview.from_json(cached.content["preview"])

    def _of_the_day(
        self, operator: str, announcement: Announcement, now: datetime, *, refresh: bool
    ) -> OperatorPreview:
        kept = None if refresh else self._kept(operator, announcement, now)
        if kept is not None:
            return kept
        [preview] = self.preview(announcement.form_code, announcement.version, operator=operator, at=now).operators
        with self._store.write() as tx:
            tx.previews.keep(
                operator, announcement.form_code, announcement.version, day=to_paris(now).date().isoformat(), at=now,
                content={"schema": self._schema_key(announcement.form_code, announcement.version),
                         "preview": preview.to_json()},
            )  # fmt: skip
        return preview

    def _schema_key(self, code: str, version: str) -> str:
        return hashlib.sha256(self._catalogue.xsd_text(code, version).encode("utf-8")).hexdigest()[:16]

    # The provider's view ------------------------------------------------------------------------------

    def readiness(self) -> list[tuple[Announcement, FormPreview]]:
        """Every announced version with every operator's preview of the day (those kept, as the portal
        shows them; computed now for an operator that has none yet)."""
        now = self._clock.now()
        out = []
        for a in self.announced(now):
            operators = tuple(self._of_the_day(o.code, a, now, refresh=False) for o in self._store.list_operators())
            since = min((o.since for o in operators), default=now - timedelta(days=DEFAULT_PREVIEW_DAYS))
            until = max((o.until for o in operators), default=now)
            out.append((a, FormPreview(a.form_code, a.version, DEFAULT_PREVIEW_DAYS, since, until, operators)))
        return out

    # Notices ------------------------------------------------------------------------------------------

    def announce(self, code: str, version: str, *, title: str | None = None, text: str = "", author: str) -> list[int]:
        """Publish the notice of form ``code`` ``version``: to each operator concerned, by e-mail (with the
        documentation pack) and on its portal (Actualités, its own), carrying its own preview. A major
        evolution (``diff`` says some valid deposit may be refused) needs six months' notice before the
        production date, a minor one two. Returns the queued messages' ids."""
        form = self._catalogue.form(code)
        found = form.get_version(version)
        index = next((i for i, v in enumerate(form.versions) if v.version == version), None)
        if found is None or index is None:
            raise UnknownCodeError(
                f"Version {quote(version)} inconnue pour le formulaire {quote(code)}", valeur=version
            )
        if index == 0:
            raise InvalidRequestError(
                f"{code} {version} est la première version du formulaire : aucune évolution à annoncer.",
                chemin="version",
                valeur=version,
            )
        previous = form.versions[index - 1].version
        breaking = diff(self._catalogue, code, previous, version).breaking
        kind = NoticeKind.EVOLUTION_MAJEURE if breaking else NoticeKind.EVOLUTION_MINEURE
        now = self._clock.now()
        starts_at = found.debut
        check_notice(kind, now, starts_at)
        title = title or f"Formulaire {code} : version {version} le {found.date_production:%d/%m/%Y}"
        operators = sorted({c for offer in form.offres for c in self._notices.concerned(kind, offer)})
        previews = {p.operator_code: p for p in self.preview(code, version, at=now, examples=False).operators}
        pack = self._notices.doc_pack()
        announcement = _announcement(form, index, form.status(version, now))
        ids = []
        with self._store.write() as tx:
            for operator in operators:
                preview = previews[operator]
                body = _notice_body(announcement, preview, text)
                news_id = tx.portal.add_news(
                    kind=kind.value, title=title, body=body, offer=form.offres[0] if len(form.offres) == 1 else None,
                    published_at=now, starts_at=starts_at, operator_code=operator,
                )  # fmt: skip
                letter = Letter(
                    subject=f"[e-SAV] {kind.libelle} : {title}",
                    paragraphs=(
                        f"Une {'évolution majeure' if breaking else 'évolution mineure'} du formulaire {code} "
                        f"({form.titre}) entrera en vigueur : version {version}.",
                        *([p for p in text.split("\n\n") if p.strip()]),
                        _figures_paragraph(preview),
                        *_error_lines(preview),
                    ),
                    facts=_notice_facts(announcement, preview, now, kind),
                    closing=(
                        "Votre aperçu détaillé (erreurs, références, exemple corrigé) est sur l'Espace Opérateurs, "
                        "rubrique Évolutions ; il est recalculé chaque jour.",
                        "La documentation technique et fonctionnelle mise à jour est jointe (documentation-esav.zip).",
                    ),
                )
                queued = self._mail.queue(tx, operator, kind.topic, f"actualite/{news_id}", letter, [pack], at=now)
                if queued is not None:
                    ids.append(queued)
            tx.audit.add(
                at=now, actor=author, action="catalogue.annonce", target=f"{code}/{version}",
                details={"type": kind.value, "operateurs": operators,
                         "refus": {o: previews[o].refused for o in operators}},
            )  # fmt: skip
        return ids

    def remind(self, at: datetime | None = None) -> list[int]:
        """From one week before a previous version is retired, tell each operator whose last week of
        deposits would still be refused by the version in force (e-mail and its portal), once per
        operator and version. Returns the queued messages' ids."""
        now = at or self._clock.now()
        ids = []
        for announcement in self.announced(now):
            retired_at = announcement.retired_at
            if retired_at is None or announcement.status is not VersionStatus.EN_VIGUEUR:
                continue
            if not retired_at - timedelta(days=REMINDER_DAYS) <= now < retired_at:
                continue
            preview = self.preview(announcement.form_code, announcement.version, days=REMINDER_DAYS, at=now,
                                   examples=False)  # fmt: skip
            for operator in preview.not_ready():
                ids += self._remind_one(announcement, operator, now)
        return ids

    def _remind_one(self, announcement: Announcement, preview: OperatorPreview, now: datetime) -> list[int]:
        code, old = announcement.form_code, announcement.previous
        cause = f"rappel-formulaire/{code}/{old}"
        if any(m.operator_code == preview.operator_code for m in self._mail.for_cause(cause)):
            return []
        assert announcement.retired_at is not None and announcement.date_fin_cohabitation is not None
        title = (
            f"Formulaire {code} : la version {old} est refusée à partir du "
            f"{announcement.date_fin_cohabitation + timedelta(days=1):%d/%m/%Y}"
        )
        body = (
            f"Rappel : {preview.sentence()}. La version {old} du formulaire {code} est acceptée jusqu'au "
            f"{announcement.date_fin_cohabitation:%d/%m/%Y} inclus ; ensuite, seule la version "
            f"{announcement.version} l'est.\n\n" + "\n".join(_error_lines(preview))
        )
        with self._store.write() as tx:
            tx.portal.add_news(
                kind=NoticeKind.EVOLUTION_MAJEURE.value, title=title, body=body, offer=None, published_at=now,
                starts_at=announcement.retired_at, operator_code=preview.operator_code,
            )  # fmt: skip
            letter = Letter(
                subject=f"[e-SAV] Rappel : {title}",
                paragraphs=(
                    f"Dans moins d'une semaine, la version {old} du formulaire {code} ne sera plus acceptée.",
                    _figures_paragraph(preview, reminder=True),
                    *_error_lines(preview),
                ),
                facts=(
                    ("Formulaire", f"{code} ({announcement.titre})"),
                    (
                        "Version retirée",
                        f"{old} : acceptée jusqu'au {announcement.date_fin_cohabitation:%d/%m/%Y} inclus, refusée "
                        f"à partir du {paris_day_time(announcement.retired_at, article=False)}",
                    ),
                    ("Version à utiliser", announcement.version),
                    ("Dépôts examinés", f"{spaced(preview.deposits)} (7 derniers jours)"),
                    ("Seraient refusés", spaced(preview.refused)),
                ),
                closing=(
                    "Le détail (erreurs, références, exemple corrigé) est sur l'Espace Opérateurs, rubrique "
                    "Évolutions.",
                ),
            )
            queued = self._mail.queue(tx, preview.operator_code, NoticeKind.EVOLUTION_MAJEURE.topic, cause, letter,
                                      at=now)  # fmt: skip
        return [queued] if queued is not None else []


def _check_days(days: int) -> None:
    if not 1 <= days <= MAX_PREVIEW_DAYS:
        raise InvalidRequestError(
            f"Nombre de jours {days} hors bornes : entre 1 et {MAX_PREVIEW_DAYS}.", chemin="jours", valeur=str(days)
        )


def _announcement(form: Form, index: int, status: VersionStatus) -> Announcement:
    version = form.versions[index]
    previous = form.versions[index - 1] if index else None
    return Announcement(
        form_code=form.code,
        titre=form.titre,
        offres=form.offres,
        version=version.version,
        status=status,
        date_production=version.date_production,
        previous=previous.version if previous else None,
        date_fin_cohabitation=previous.date_fin_cohabitation if previous else None,
        retired_at=previous.fin if previous else None,
    )


def _figures_paragraph(preview: OperatorPreview, *, reminder: bool = False) -> str:
    text = preview.sentence()
    text = text[0].upper() + text[1:] + "."
    if preview.refused:
        text += " Voici les erreurs, chacune avec le nombre de dépôts touchés et une référence en exemple :"
    elif preview.deposits and not reminder:
        text += " Votre système semble prêt pour cette version."
    return text


def _error_lines(preview: OperatorPreview, limit: int = 10) -> list[str]:
    lines = [
        f"- {e.chemin} : {e.libelle} ({spaced(e.deposits)} dépôt{'s' if e.deposits > 1 else ''}, par exemple "
        f"{e.sample})"
        for e in preview.errors[:limit]
    ]
    if len(preview.errors) > limit:
        lines.append(f"- et {len(preview.errors) - limit} autre(s) erreur(s) : voir l'Espace Opérateurs.")
    return lines


def _notice_facts(
    announcement: Announcement, preview: OperatorPreview, now: datetime, kind: NoticeKind
) -> tuple[tuple[str, str], ...]:
    facts = [
        ("Formulaire", f"{announcement.form_code} ({announcement.titre})"),
        ("Nouvelle version", announcement.version),
        ("Date d'effet", f"{announcement.date_production:%d/%m/%Y} à 00:00 (heure de Paris)"),
    ]
    if announcement.previous and announcement.date_fin_cohabitation:
        facts.append(("Version précédente", f"{announcement.previous}, acceptée jusqu'au "
                                            f"{announcement.date_fin_cohabitation:%d/%m/%Y} inclus"))  # fmt: skip
    facts += [
        ("Publiée", paris_day_time(now)),
        ("Préavis", kind.notice),
        (f"Vos dépôts ({preview.days} derniers jours)", spaced(preview.deposits)),
        ("Seraient refusés", spaced(preview.refused)),
    ]
    return tuple(facts)


def _notice_body(announcement: Announcement, preview: OperatorPreview, text: str) -> str:
    parts = [
        f"La version {announcement.version} du formulaire {announcement.form_code} ({announcement.titre}) entre en "
        f"production le {announcement.date_production:%d/%m/%Y}.",
        *([text] if text.strip() else []),
        _figures_paragraph(preview),
        *_error_lines(preview),
        "Détail et exemple corrigé : rubrique Évolutions.",
    ]
    return "\n\n".join(parts)
