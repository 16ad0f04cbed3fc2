"""The e-soutien desk: operators open requests and follow them; the provider's staff answer and close.

Every message is timestamped and kept; files may go with a request, a reply or an answer. A request
is ``NOUVELLE`` until an agent takes it (``EN_COURS``) or answers it (``REPONDUE``); the operator's
reply to an answer puts it back ``EN_COURS``; an agent closes it (``CLOSE``), after which nothing is
added. The inbox shows each open request's response deadline in its topic's handling hours
(``domain.support_hours``). Staff actions are audited.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime

from gateway.domain.clock import Clock
from gateway.domain.support_hours import SupportTopic, response_deadline
from gateway.errors import InvalidRequestError, NotEntitledError, TransitionForbiddenError
from gateway.store import FileRecord, Store, SupportCase, SupportFile, SupportMessage, WriteTransaction

from ._accounts import PortalUser
from ._portal import PortalService
from ._text import check_text
from ._tickets import ATTACHMENT_TYPES, MAX_ATTACHMENT_BYTES
from ._views import AttachmentIn

__all__ = ["SUPPORT_STATUSES", "InboxItem", "SupportDesk", "SupportThread"]

NEW, IN_PROGRESS, ANSWERED, CLOSED = "NOUVELLE", "EN_COURS", "REPONDUE", "CLOSE"
SUPPORT_STATUSES = {NEW: "Nouvelle", IN_PROGRESS: "En cours", ANSWERED: "Répondue", CLOSED: "Close"}
OPERATOR, PROVIDER = "OPERATEUR", "FOURNISSEUR"
MAX_FILES_PER_MESSAGE = 5
MAX_MESSAGE = 5000


@dataclass(frozen=True)
class SupportThread:
    """A request with everything written on it, oldest first, and its response deadline while open."""

    case: SupportCase
    messages: list[SupportMessage]
    files: list[SupportFile]
    deadline: datetime | None  # None once answered or closed
    overdue: bool
    file: FileRecord | None = None  # the "Mes fichiers" file the request is about

    @property
    def topic(self) -> SupportTopic:
        return SupportTopic(self.case.topic)

    @property
    def status_libelle(self) -> str:
        return SUPPORT_STATUSES[self.case.status]


@dataclass(frozen=True)
class InboxItem:
    case: SupportCase
    deadline: datetime | None
    overdue: bool

    @property
    def topic(self) -> SupportTopic:
        return SupportTopic(self.case.topic)

    @property
    def status_libelle(self) -> str:
        return SUPPORT_STATUSES[self.case.status]


class SupportDesk:
    """Both sides of e-soutien."""

    def __init__(self, store: Store, clock: Clock, portal: PortalService) -> None:
        self._store = store
        self._clock = clock
        self._portal = portal

    # The operator's side -------------------------------------------------------------------------

    def open_request(
        self,
        user: PortalUser,
        topic: str,
        subject: str,
        description: str,
        *,
        file_id: int | None = None,
        attachments: tuple[AttachmentIn, ...] = (),
    ) -> SupportCase:
        """A new request of the user's operator; ``file_id`` names one of its "Mes fichiers" files."""
        chosen = _topic(topic)
        _check_files(attachments)
        if file_id is not None:
            found = self._store.file(file_id)
            if found is None or found.operator_code != user.caller.operator_code:
                raise InvalidRequestError("Fichier inconnu.", chemin="fichier", valeur=str(file_id))
        now = self._clock.now()
        with self._store.write() as tx:
            # The portal's own checks of subject and description apply (one rule for both pages).
            record = self._portal.support_request(user, subject, description)
            tx.support.set_case(record.id, topic=chosen.value, status=NEW, file_id=file_id, at=now)
            self._add_files(tx, record.id, None, OPERATOR, user.user.login, attachments, now)
        found_case = self._store.support_case(record.reference)
        assert found_case is not None
        return found_case

    def my_requests(self, user: PortalUser) -> list[InboxItem]:
        """The operator's requests, newest first, with their status."""
        return [self._item(c) for c in self._store.support_cases(operator_code=user.caller.operator_code)]

    def my_request(self, user: PortalUser, reference: str) -> SupportThread:
        return self._thread(self._own(user, reference))

    def reply(self, user: PortalUser, reference: str, text: str, attachments: tuple[AttachmentIn, ...] = ()) -> None:
        """The operator writes on its request; an answered one goes back to the provider (``EN_COURS``)."""
        self._write(self._own(user, reference), OPERATOR, user.user.login, text, attachments, None, reopen=True)

    def my_file(self, user: PortalUser, reference: str, file_id: int) -> SupportFile:
        return self._file(self._own(user, reference), file_id)

    # The provider's side -------------------------------------------------------------------------

    def inbox(self, status: str | None = None) -> list[InboxItem]:
        """Every operator's requests (of ``status``, or the open ones), soonest response deadline first."""
        if status and status not in SUPPORT_STATUSES:
            raise InvalidRequestError(f"Statut « {status} » inconnu.", chemin="statut", valeur=status)
        statuses = (status,) if status else (NEW, IN_PROGRESS, ANSWERED)
        items = [self._item(c) for c in self._store.support_cases(statuses=statuses)]
        far = datetime.max.replace(tzinfo=self._clock.now().tzinfo)
        return sorted(items, key=lambda i: (i.deadline or far, i.case.id))

    def counts(self) -> dict[str, int]:
        return self._store.support_status_counts()

    def thread(self, reference: str) -> SupportThread:
        return self._thread(self._case(reference))

    def take(self, reference: str, *, author: str) -> None:
        """An agent takes a new request in hand (``EN_COURS``)."""
        now = self._clock.now()
        with self._store.write() as tx:
            case = self._in(tx, self._case(reference))
            if case.status != NEW:
                raise TransitionForbiddenError(
                    f"La demande {reference} est « {SUPPORT_STATUSES[case.status]} » : seule une nouvelle demande se "
                    "prend en charge.",
                    valeur=case.status,
                )
            tx.support.set_case(case.id, topic=case.topic, status=IN_PROGRESS, file_id=case.file_id, at=now)
            tx.audit.add(at=now, actor=author, action="esoutien.prise_en_charge", target=reference)

    def answer(self, reference: str, *, author: str, text: str, attachments: tuple[AttachmentIn, ...] = ()) -> None:
        """An agent's answer (``REPONDUE``), which the operator reads on its request."""
        self._write(self._case(reference), PROVIDER, author, text, attachments, ANSWERED, audit="esoutien.reponse")

    def close(self, reference: str, *, author: str, text: str = "") -> None:
        """An agent closes the request (with a last word, optionally); nothing is added afterwards."""
        now = self._clock.now()
        with self._store.write() as tx:
            case = self._in(tx, self._case(reference))
            if case.status == CLOSED:
                raise TransitionForbiddenError(f"La demande {reference} est déjà close.", valeur=case.status)
            if text.strip():
                _check_text(text)
                tx.support.add_message(case.id, side=PROVIDER, author=author, at=now, text=text.strip())
            tx.support.set_case(case.id, topic=case.topic, status=CLOSED, file_id=case.file_id, at=now)
            tx.audit.add(at=now, actor=author, action="esoutien.cloture", target=reference)

    def file(self, reference: str, file_id: int, *, author: str) -> SupportFile:
        """A file of the request for an agent; the download is audited."""
        found = self._file(self._case(reference), file_id)
        with self._store.write() as tx:
            tx.audit.add(
                at=self._clock.now(), actor=author, action="esoutien.piece_jointe.telechargement",
                target=reference, details={"id": found.id, "nom": found.name},
            )  # fmt: skip
        return found

    # Helpers ------------------------------------------------------------------------------------

    def _write(
        self,
        case: SupportCase,
        side: str,
        author: str,
        text: str,
        attachments: tuple[AttachmentIn, ...],
        new_status: str | None,
        *,
        audit: str | None = None,
        reopen: bool = False,
    ) -> None:
        """A message on the request; its status becomes ``new_status`` (None: unchanged, or back to the
        provider when ``reopen`` and it was answered)."""
        now = self._clock.now()
        with self._store.write() as tx:
            case = self._in(tx, case)
            if case.status == CLOSED:
                raise TransitionForbiddenError(
                    f"La demande {case.reference} est close : ouvrez une nouvelle demande.", valeur=case.status
                )
            _check_text(text)
            _check_files(attachments)
            message_id = tx.support.add_message(case.id, side=side, author=author, at=now, text=text.strip())
            self._add_files(tx, case.id, message_id, side, author, attachments, now)
            status = new_status or (IN_PROGRESS if reopen and case.status == ANSWERED else case.status)
            tx.support.set_case(case.id, topic=case.topic, status=status, file_id=case.file_id, at=now)
            if audit:
                tx.audit.add(
                    at=now, actor=author, action=audit, target=case.reference,
                    details={"pieces": [a.name for a in attachments]},
                )  # fmt: skip

    def _add_files(
        self,
        tx: WriteTransaction,
        request_id: int,
        message_id: int | None,
        side: str,
        author: str,
        attachments: tuple[AttachmentIn, ...],
        at: datetime,
    ) -> None:
        for a in attachments:
            tx.support.add_file(
                request_id,
                message_id=message_id,
                side=side,
                author=author,
                name=a.name,
                mime_type=a.mime_type,
                content=a.content,
                sha256=hashlib.sha256(a.content).hexdigest(),
                at=at,
            )

    def _awaiting_since(self, case: SupportCase) -> datetime | None:
        """When the operator last wrote on an open request still awaiting the provider; None otherwise."""
        if case.status not in (NEW, IN_PROGRESS):
            return None
        mine = [m.at for m in self._store.support_messages(case.id) if m.side == OPERATOR]
        return max([case.at, *mine])

    def _item(self, case: SupportCase) -> InboxItem:
        since = self._awaiting_since(case)
        deadline = response_deadline(SupportTopic(case.topic), since) if since else None
        return InboxItem(case, deadline, deadline is not None and deadline < self._clock.now())

    def _thread(self, case: SupportCase) -> SupportThread:
        item = self._item(case)
        return SupportThread(
            case=case,
            messages=self._store.support_messages(case.id),
            files=self._store.support_files(case.id),
            deadline=item.deadline,
            overdue=item.overdue,
            file=self._store.file(case.file_id) if case.file_id else None,
        )

    def _own(self, user: PortalUser, reference: str) -> SupportCase:
        case = self._store.support_case(reference.strip())
        if case is None or case.operator_code != user.caller.operator_code:
            raise NotEntitledError("Demande e-soutien inconnue.")
        return case

    @staticmethod
    def _in(tx: WriteTransaction, case: SupportCase) -> SupportCase:
        """``case`` read again inside the write transaction: the status checked is the status changed."""
        current = tx.support.case(case.reference)
        assert current is not None  # a request is never deleted
        return current

    def _case(self, reference: str) -> SupportCase:
        case = self._store.support_case(reference.strip())
        if case is None:
            raise InvalidRequestError(f"Demande e-soutien {reference} inconnue.", chemin="reference", valeur=reference)
        return case

    def _file(self, case: SupportCase, file_id: int) -> SupportFile:
        found = self._store.support_file(case.id, file_id)
        if found is None:
            raise InvalidRequestError(f"Pièce jointe {file_id} inconnue.", chemin="piece", valeur=str(file_id))
        return found


def _topic(value: str) -> SupportTopic:
    try:
        return SupportTopic(value)
    except ValueError:
        raise InvalidRequestError(
            "Choisissez l'objet de la demande : e-SAV ou le portail.", chemin="sujet", valeur=value
        ) from None


def _check_text(text: str) -> None:
    if not text.strip():
        raise InvalidRequestError("Le message est vide.", chemin="message")
    check_text(text, chemin="message", label="Message")
    if len(text) > MAX_MESSAGE:
        raise InvalidRequestError("Le message dépasse 5 000 caractères.", chemin="message")


def _check_files(attachments: tuple[AttachmentIn, ...]) -> None:
    if len(attachments) > MAX_FILES_PER_MESSAGE:
        raise InvalidRequestError(f"Au plus {MAX_FILES_PER_MESSAGE} fichiers par message.", chemin="pieces")
    for a in attachments:
        if a.mime_type not in ATTACHMENT_TYPES:
            raise InvalidRequestError(
                f"Type « {a.mime_type} » refusé pour {a.name} : acceptés PDF, PNG, JPEG, texte et CSV.",
                chemin="pieces",
                valeur=a.mime_type,
            )
        if len(a.content) > MAX_ATTACHMENT_BYTES:
            raise InvalidRequestError(f"{a.name} dépasse 5 Mo.", chemin="pieces", valeur=a.name)
        if not a.name.strip():
            raise InvalidRequestError("Un fichier doit avoir un nom.", chemin="pieces")
        check_text(a.name, chemin="pieces", label="Nom du fichier")
