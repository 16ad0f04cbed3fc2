"""What the use cases hand to the doors (wire, web, CLI): plain, transport-agnostic records."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from lxml import etree

from gateway.store import (
    AppointmentRecord,
    AttachmentRecord,
    CommentRecord,
    PrestationRecord,
    TicketRecord,
    TransitionRow,
)

__all__ = [
    "AttachmentIn",
    "Caller",
    "DepositReceipt",
    "DepositRequest",
    "GtrView",
    "HistoryQuery",
    "SearchQuery",
    "StateView",
    "TicketDetail",
]


@dataclass(frozen=True)
class Caller:
    """An authenticated operator, and through which door and as whom it acts."""

    operator_code: str
    operator_name: str
    domains: frozenset[str]
    channel: str = "WS"  # WS (web services) or WEB (portal)
    author: str = ""  # the user or certificate behind the call, for the record
    esav_integre: bool = False  # subscribed to the web services (read with the operator at authentication)

    @property
    def who(self) -> str:
        return self.author or self.operator_code


@dataclass(frozen=True)
class AttachmentIn:
    """A file attached by the operator (``piecesJointes``)."""

    name: str
    mime_type: str
    content: bytes


@dataclass(frozen=True)
class DepositRequest:
    identifiant_prestation: str
    code_offre: str
    gravite: str
    form_code: str
    form_version: str
    form: etree._Element
    commentaire: str | None = None
    reference_operateur: str | None = None
    attachments: tuple[AttachmentIn, ...] = ()
    api_version: str = "v2"


@dataclass(frozen=True)
class DepositReceipt:
    reference: str
    deposited_at: datetime
    state: str
    reference_operateur: str | None = None


@dataclass(frozen=True)
class StateView:
    reference: str
    state: str
    state_at: datetime
    libelle: str


@dataclass(frozen=True)
class GtrView:
    option: str
    libelle: str
    deadline: datetime
    met: bool | None  # None while the ticket is not restored


@dataclass(frozen=True)
class TicketDetail:
    ticket: TicketRecord
    state_libelle: str
    prestation: PrestationRecord
    transitions: list[TransitionRow]
    comments: list[CommentRecord]
    attachments: list[AttachmentRecord]
    gtr: GtrView
    rejection_libelle: str | None = None
    closure_libelle: str | None = None
    freeze_libelle: str | None = None
    appointments: list[AppointmentRecord] = field(default_factory=list)


@dataclass(frozen=True)
class HistoryQuery:
    start: datetime
    end: datetime | None = None
    state: str | None = None
    prestation: str | None = None
    page: int = 1
    size: int = 50
    offers: tuple[str, ...] | None = None  # only these offers (a portal user's), applied before paging


@dataclass(frozen=True)
class SearchQuery:
    states: tuple[str, ...] = ()
    prestation: str | None = None
    deposited_from: datetime | None = None
    deposited_to: datetime | None = None
    page: int = 1
    size: int = 50
    offers: tuple[str, ...] | None = None  # only these offers (a portal user's), applied before paging
