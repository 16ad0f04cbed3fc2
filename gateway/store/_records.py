"""What the store hands back: plain frozen records, no database handles attached."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Generic, TypeVar

T = TypeVar("T")

__all__ = [
    "AttachmentRecord",
    "CataloguePublicationRecord",
    "CertificateRecord",
    "CommentRecord",
    "OperatorRecord",
    "Page",
    "PrestationRecord",
    "TicketRecord",
    "TransitionRow",
]


@dataclass(frozen=True)
class OperatorRecord:
    code: str
    name: str
    esav_en_ligne: bool
    esav_integre: bool
    domains: frozenset[str]
    esav_ends_on: str | None = None  # ISO day e-SAV accesses close (subscription terminated)


@dataclass(frozen=True)
class CertificateRecord:
    fingerprint: str
    operator_code: str
    subject_cn: str
    issuer_cn: str
    serial: str
    not_before: datetime
    not_after: datetime
    registered_at: datetime
    revoked_at: datetime | None


@dataclass(frozen=True)
class PrestationRecord:
    identifiant: str
    operator_code: str
    code_offre: str
    gtr: str
    extremite_a: str
    extremite_b: str
    code_commune: str | None
    informations: str | None


@dataclass(frozen=True)
class TicketRecord:
    id: int
    reference: str
    operator_code: str
    reference_operateur: str | None
    content_hash: str
    prestation: str
    code_offre: str
    gravite: str
    form_code: str
    form_version: str
    form_xml: str
    commentaire: str | None
    gtr: str
    state: str
    state_at: datetime
    deposited_at: datetime
    closed_at: datetime | None
    rejection_code: str | None
    closure_code: str | None
    freeze_code: str | None
    api_version: str


@dataclass(frozen=True)
class TransitionRow:
    id: int
    action: str
    from_state: str | None
    to_state: str
    actor: str
    author: str
    at: datetime
    reason: str | None
    code: str | None


@dataclass(frozen=True)
class CommentRecord:
    id: int
    side: str
    author: str
    at: datetime
    text: str


@dataclass(frozen=True)
class AttachmentRecord:
    id: int
    side: str
    name: str
    mime_type: str
    size: int
    sha256: str
    at: datetime
    content: bytes | None = field(default=None, repr=False)


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    total: int
    number: int
    size: int


@dataclass(frozen=True)
class CataloguePublicationRecord:
    """A catalogue publication and the files published (relative POSIX path → content); ``files`` is
    empty for a publication recorded before the content was kept."""

    id: int
    published_at: datetime
    author: str
    fingerprint: str
    files: dict[str, bytes]
