"""The notice periods the provider owes operators before a change (docs/operations.md, "Telling operators in time").

| change | notice |
|---|---|
| portal maintenance | 24 hours |
| e-SAV interruption for planned works | two business days |
| portal's address, authentication or encryption mode | 15 business days |
| e-SAV's address, authentication or encryption mode | 15 calendar days |
| minor web-service evolution | two months |
| major web-service evolution | six months |
| change of these conditions (e-SAV's or the portal's), the new document attached | one month |
| change of e-SAV's annex 1 (scope) or annex 2 (documentation) | 15 calendar days |
| change of e-SAV's annex 3 (order form) | none: as it changes |

A rate limit is announced the day before it applies (``earliest_rate_limit``).

Business days follow the French calendar (``calendar``); days and months keep the Paris wall-clock
time of the announcement; a month that lacks the day ends on its last day (31 August + 6 months
→ 28 or 29 February).
"""

from __future__ import annotations

import calendar as _calendar
from datetime import date, datetime, timedelta
from enum import StrEnum

from gateway.domain.calendar import add_business_days, aware_utc
from gateway.domain.clock import PARIS, to_paris
from gateway.domain.mail_lists import Topic
from gateway.errors import InvalidRequestError

__all__ = ["NoticeKind", "add_months", "check_notice", "earliest_rate_limit", "earliest_start"]


class NoticeKind(StrEnum):
    MAINTENANCE_PORTAIL = "MAINTENANCE_PORTAIL"
    INTERRUPTION_ESAV = "INTERRUPTION_ESAV"
    CHANGEMENT_ACCES_PORTAIL = "CHANGEMENT_ACCES_PORTAIL"
    CHANGEMENT_ACCES_ESAV = "CHANGEMENT_ACCES_ESAV"
    EVOLUTION_MINEURE = "EVOLUTION_MINEURE"
    EVOLUTION_MAJEURE = "EVOLUTION_MAJEURE"
    CHANGEMENT_CONDITIONS = "CHANGEMENT_CONDITIONS"
    CHANGEMENT_CONDITIONS_ESPACE = "CHANGEMENT_CONDITIONS_ESPACE"
    CHANGEMENT_ANNEXES_ESAV = "CHANGEMENT_ANNEXES_ESAV"
    CHANGEMENT_BON_DE_COMMANDE = "CHANGEMENT_BON_DE_COMMANDE"

    @property
    def libelle(self) -> str:
        return _LABELS[self]

    @property
    def notice(self) -> str:
        """The notice owed, in words."""
        return _NOTICE_WORDS[self]

    @property
    def topic(self) -> Topic:
        """The e-mail topic (``mail_lists``) that carries the announcement."""
        if self in (NoticeKind.MAINTENANCE_PORTAIL, NoticeKind.INTERRUPTION_ESAV):
            return Topic.MAINTENANCE
        if self in _DOCUMENT_KINDS:
            return Topic.CONDITIONS
        return Topic.EVOLUTIONS

    @property
    def needs_window(self) -> bool:
        """An interruption: announced with its start, end and so its duration."""
        return self in (NoticeKind.MAINTENANCE_PORTAIL, NoticeKind.INTERRUPTION_ESAV)

    @property
    def needs_document(self) -> bool:
        """A change of conditions or annexes: sent with the new version of the document."""
        return self in _DOCUMENT_KINDS

    @property
    def sends_doc_pack(self) -> bool:
        """A web-service evolution: sent with the updated documentation pack (annex 2)."""
        return self in (NoticeKind.EVOLUTION_MINEURE, NoticeKind.EVOLUTION_MAJEURE)

    @property
    def esav(self) -> bool:
        """About e-SAV (for its subscribers) rather than the portal (for every operator)."""
        return self not in (
            NoticeKind.MAINTENANCE_PORTAIL, NoticeKind.CHANGEMENT_ACCES_PORTAIL, NoticeKind.CHANGEMENT_CONDITIONS_ESPACE
        )  # fmt: skip


_LABELS = {
    NoticeKind.MAINTENANCE_PORTAIL: "Maintenance du portail",
    NoticeKind.INTERRUPTION_ESAV: "Interruption d'e-SAV pour travaux programmés",
    NoticeKind.CHANGEMENT_ACCES_PORTAIL: "Changement d'adresse, d'authentification ou de chiffrement du portail",
    NoticeKind.CHANGEMENT_ACCES_ESAV: "Changement d'adresse (URL ou IP), d'identification, d'authentification ou de "
    "chiffrement d'e-SAV",
    NoticeKind.EVOLUTION_MINEURE: "Évolution mineure des web services",
    NoticeKind.EVOLUTION_MAJEURE: "Évolution majeure des web services",
    NoticeKind.CHANGEMENT_CONDITIONS: "Changement des conditions d'e-SAV",
    NoticeKind.CHANGEMENT_CONDITIONS_ESPACE: "Changement des conditions de l'Espace Opérateurs",
    NoticeKind.CHANGEMENT_ANNEXES_ESAV: "Changement des annexes 1 (périmètre) ou 2 (documentation) d'e-SAV",
    NoticeKind.CHANGEMENT_BON_DE_COMMANDE: "Évolution de l'annexe 3 d'e-SAV (bon de commande)",
}
_NOTICE_WORDS = {
    NoticeKind.MAINTENANCE_PORTAIL: "24 heures",
    NoticeKind.INTERRUPTION_ESAV: "deux jours ouvrés",
    NoticeKind.CHANGEMENT_ACCES_PORTAIL: "15 jours ouvrés",
    NoticeKind.CHANGEMENT_ACCES_ESAV: "15 jours calendaires",
    NoticeKind.EVOLUTION_MINEURE: "deux mois",
    NoticeKind.EVOLUTION_MAJEURE: "six mois",
    NoticeKind.CHANGEMENT_CONDITIONS: "un mois",
    NoticeKind.CHANGEMENT_CONDITIONS_ESPACE: "un mois",
    NoticeKind.CHANGEMENT_ANNEXES_ESAV: "15 jours calendaires",
    NoticeKind.CHANGEMENT_BON_DE_COMMANDE: "aucun : notifiée au fil des évolutions",
}
_DOCUMENT_KINDS = frozenset({
    NoticeKind.CHANGEMENT_CONDITIONS, NoticeKind.CHANGEMENT_CONDITIONS_ESPACE, NoticeKind.CHANGEMENT_ANNEXES_ESAV,
    NoticeKind.CHANGEMENT_BON_DE_COMMANDE,
})  # fmt: skip
_BUSINESS_DAYS = {NoticeKind.INTERRUPTION_ESAV: 2, NoticeKind.CHANGEMENT_ACCES_PORTAIL: 15}
_MONTHS = {
    NoticeKind.EVOLUTION_MINEURE: 2, NoticeKind.EVOLUTION_MAJEURE: 6, NoticeKind.CHANGEMENT_CONDITIONS: 1,
    NoticeKind.CHANGEMENT_CONDITIONS_ESPACE: 1,
}  # fmt: skip
_CALENDAR_DAYS = {NoticeKind.CHANGEMENT_ACCES_ESAV: 15, NoticeKind.CHANGEMENT_ANNEXES_ESAV: 15}


def add_months(day: date, months: int) -> date:
    """``day`` plus calendar months, on the month's last day when it lacks ``day.day``."""
    year, month = divmod(day.year * 12 + day.month - 1 + months, 12)
    last = _calendar.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(day.day, last))


def earliest_start(kind: NoticeKind, announced_at: datetime) -> datetime:
    """The earliest instant (UTC) a change of ``kind`` announced at ``announced_at`` may take effect."""
    announced_at = aware_utc(announced_at)
    if kind is NoticeKind.MAINTENANCE_PORTAIL:
        return announced_at + timedelta(hours=24)
    if kind is NoticeKind.CHANGEMENT_BON_DE_COMMANDE:
        return announced_at
    local = to_paris(announced_at)
    if kind in _BUSINESS_DAYS:
        day = add_business_days(local.date(), _BUSINESS_DAYS[kind])
    elif kind in _MONTHS:
        day = add_months(local.date(), _MONTHS[kind])
    else:
        day = local.date() + timedelta(days=_CALENDAR_DAYS[kind])
    return aware_utc(datetime.combine(day, local.time(), tzinfo=PARIS))


def earliest_rate_limit(announced_at: datetime) -> datetime:
    """The earliest instant (UTC) a rate limit announced at ``announced_at`` may apply: the operator is
    told the day before, so 00:00 Paris on the next day."""
    day = to_paris(aware_utc(announced_at)).date() + timedelta(days=1)
    return aware_utc(datetime.combine(day, datetime.min.time(), tzinfo=PARIS))


def check_notice(kind: NoticeKind, announced_at: datetime, starts_at: datetime) -> None:
    """InvalidRequestError naming the earliest allowed date when ``starts_at`` comes too soon."""
    earliest = earliest_start(kind, announced_at)
    if aware_utc(starts_at) < earliest:
        raise InvalidRequestError(
            f"Préavis insuffisant pour « {kind.libelle} » : {kind.notice} au moins ; date la plus proche "
            f"autorisée : le {to_paris(earliest):%d/%m/%Y à %H:%M} (heure de Paris).",
            chemin="dateEffet",
            valeur=to_paris(earliest).isoformat(timespec="minutes"),
        )
