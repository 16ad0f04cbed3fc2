"""E-mail to operators: their notification addresses, the outbox, and its delivery with retries.

A use case that must tell operators something (a notice published, an interruption declared, a rate
limit, a renewed certificate) calls ``queue`` inside its own write transaction: the message is in the
outbox if and only if the change is committed. Recipients are the operator's addresses on the
topic's lists (``domain.mail_lists``), read at that moment.

``deliver`` (the server's mail worker, or ``esav courriel envoyer``) sends the due messages one by one: a
message is claimed (committed) before the relay is called, then marked sent; a temporary failure
waits ``MAIL_RETRY_DELAYS``, a permanent one (the relay refuses the message or every recipient) or
the ``MAIL_MAX_ATTEMPTS``-th failure sets it aside (``ABANDONNE``) until ``retry``. How a message
travels (SMTP) is the caller's ``MailSender``; this module has no network.
"""

from __future__ import annotations

import html
import logging
import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from gateway.domain.clock import Clock, to_paris
from gateway.domain.mail_lists import MailList, Topic, check_address, lists_for
from gateway.errors import InvalidRequestError
from gateway.store import (
    MAIL_ABANDONED,
    MAIL_NO_RECIPIENT,
    MailAddressRecord,
    MailAttachment,
    MailRecord,
    Store,
    WriteTransaction,
)

__all__ = [
    "MAIL_MAX_ATTEMPTS",
    "MAIL_RETRY_DELAYS",
    "Letter",
    "MailDeliveryError",
    "MailRun",
    "MailSender",
    "MailService",
    "paris_date",
    "paris_day_time",
    "spoken_duration",
]

log = logging.getLogger("gateway.mail")

#: Waits after the 1st, 2nd... temporary failure; the message is set aside at the ``MAIL_MAX_ATTEMPTS``-th.
MAIL_RETRY_DELAYS = tuple(timedelta(minutes=m) for m in (1, 5, 15, 30, 60, 120, 240))
MAIL_MAX_ATTEMPTS = len(MAIL_RETRY_DELAYS) + 1
#: A claim older than this was left by a sender that stopped mid-way.
CLAIM_TIMEOUT = timedelta(minutes=10)


class MailDeliveryError(Exception):
    """A message not taken by the relay; ``permanent`` when sending it again cannot help."""

    def __init__(self, message: str, *, permanent: bool = False) -> None:
        super().__init__(message)
        self.permanent = permanent


#: Hands one message and its attachments to the relay; returns a note (recipients refused) or None;
#: raises MailDeliveryError (or any exception, counted as temporary) when the relay did not take it.
MailSender = Callable[[MailRecord, list[MailAttachment]], "str | None"]


@dataclass(frozen=True)
class Letter:
    """A message's words: rendered as the plain-text part and the HTML part alike."""

    subject: str
    paragraphs: tuple[str, ...]
    facts: tuple[tuple[str, str], ...] = ()  # label → value, shown as a table (dates, hours, durations)
    closing: tuple[str, ...] = ()

    def text(self) -> str:
        lines = ["Madame, Monsieur,", ""]
        for paragraph in self.paragraphs:
            lines += [paragraph, ""]
        if self.facts:
            width = max(len(label) for label, _ in self.facts)
            lines += [f"  {label.ljust(width)} : {value}" for label, value in self.facts]
            lines.append("")
        for paragraph in self.closing:
            lines += [paragraph, ""]
        lines += [_SIGNATURE, "", _AUTOMATIC]
        return "\n".join(lines) + "\n"

    def html(self) -> str:
        e = html.escape
        parts = [
            '<!DOCTYPE html><html lang="fr"><head><meta charset="utf-8">',
            f"<title>{e(self.subject)}</title></head><body>",
            "<p>Madame, Monsieur,</p>",
            *(f"<p>{e(p)}</p>" for p in self.paragraphs),
        ]
        if self.facts:
            rows = "".join(f'<tr><th scope="row" align="left">{e(k)}</th><td>{e(v)}</td></tr>' for k, v in self.facts)
            parts.append(f'<table cellpadding="4">{rows}</table>')
        parts += [f"<p>{e(p)}</p>" for p in self.closing]
        parts += [f"<p>{e(_SIGNATURE)}</p>", f"<p><small>{e(_AUTOMATIC)}</small></p>", "</body></html>"]
        return "\n".join(parts) + "\n"


_SIGNATURE = "Le service e-SAV du fournisseur"
_AUTOMATIC = "Message automatique : merci de ne pas y répondre. Vos interlocuteurs habituels restent à votre écoute."


def paris_day_time(instant: datetime, *, article: bool = True) -> str:
    """« le 19/11/2026 à 22:00 (heure de Paris) » (without « le » when ``article`` is false)."""
    return f"{'le ' if article else ''}{to_paris(instant):%d/%m/%Y à %H:%M} (heure de Paris)"


def paris_date(instant: datetime) -> str:
    """« 19/11/2026 », the Paris day."""
    return f"{to_paris(instant):%d/%m/%Y}"


def spoken_duration(delta: timedelta) -> str:
    """A duration in French words: « 1 h 30 min », « 2 jours 3 h », « 45 min »."""
    minutes = int(delta.total_seconds() // 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    parts = []
    if days:
        parts.append(f"{days} jour{'s' if days > 1 else ''}")
    if hours:
        parts.append(f"{hours} h")
    if minutes or not parts:
        parts.append(f"{minutes:02d} min" if hours else f"{minutes} min")
    return " ".join(parts)


@dataclass
class MailRun:
    """What one ``deliver`` call did."""

    sent: list[int] = field(default_factory=list)
    retried: list[int] = field(default_factory=list)
    abandoned: list[int] = field(default_factory=list)


class MailService:
    """Operators' notification addresses, the outbox and its delivery, and the provider's controls."""

    def __init__(self, store: Store, clock: Clock) -> None:
        self._store = store
        self._clock = clock

    # Addresses (the operator's administrator on the portal, the provider with ``esav courriel``) --------

    def addresses(self, operator_code: str | None = None) -> list[MailAddressRecord]:
        if operator_code is not None:
            self._operator(operator_code)
        return self._store.mail_addresses(operator_code)

    def add_address(self, operator_code: str, list_name: str, address: str, *, author: str) -> bool:
        """Add an address to one of the operator's lists (audited); False when it was already there."""
        self._operator(operator_code)
        mail_list = self._list(list_name)
        address = check_address(address)
        now = self._clock.now()
        with self._store.write() as tx:
            added = tx.mail.add_address(operator_code, mail_list.value, address, at=now, by=author)
            if added:
                tx.audit.add(
                    at=now, actor=author, action="mail.adresse.ajout", target=operator_code,
                    details={"liste": mail_list.value, "adresse": address},
                )  # fmt: skip
        return added

    def remove_address(self, operator_code: str, list_name: str, address: str, *, author: str) -> bool:
        """Remove an address from one of the operator's lists (audited); False when it was not there."""
        self._operator(operator_code)
        mail_list = self._list(list_name)
        now = self._clock.now()
        with self._store.write() as tx:
            removed = tx.mail.remove_address(operator_code, mail_list.value, address.strip())
            if removed:
                tx.audit.add(
                    at=now, actor=author, action="mail.adresse.retrait", target=operator_code,
                    details={"liste": mail_list.value, "adresse": address.strip()},
                )  # fmt: skip
        return removed

    def recipients(self, operator_code: str, topic: Topic) -> tuple[str, ...]:
        """The operator's addresses on the topic's lists, each once, in list order."""
        wanted = [mail_list.value for mail_list in lists_for(topic)]
        found: dict[str, None] = {}
        for record in sorted(self._store.mail_addresses(operator_code), key=lambda r: wanted.index(r.list)
                             if r.list in wanted else len(wanted)):  # fmt: skip
            if record.list in wanted:
                found.setdefault(record.address, None)
        return tuple(found)

    # Queueing (inside the caller's transaction) ----------------------------------------------------

    def queue(
        self,
        tx: WriteTransaction,
        operator_code: str,
        topic: Topic,
        cause: str,
        letter: Letter,
        attachments: Iterable[MailAttachment] = (),
        *,
        at: datetime | None = None,
    ) -> int | None:
        """Put a message for the operator in the outbox, in the caller's write transaction; None when this
        cause was already queued for the operator (queueing is idempotent)."""
        now = at or self._clock.now()
        slug = cause.replace("/", "-")
        return tx.mail.queue(
            message_id=f"<esav.{slug}.{operator_code}.{secrets.token_hex(8)}@esav.fournisseur>",
            cause=cause,
            operator_code=operator_code,
            topic=topic.value,
            subject=" ".join(letter.subject.split())[:250],  # one line: a header never takes a line break
            recipients=self.recipients(operator_code, topic),
            text_body=letter.text(),
            html_body=letter.html(),
            attachments=tuple(attachments),
            at=now,
        )

    # The outbox -------------------------------------------------------------------------------------

    def outbox(self, *, status: str | None = None, operator_code: str | None = None) -> list[MailRecord]:
        return self._store.outbox(status=status, operator_code=operator_code)

    def status_counts(self) -> dict[str, int]:
        """How many messages of the outbox are in each state (the backlog at a glance, for /metrics)."""
        return self._store.mail_status_counts()

    def for_cause(self, cause: str) -> list[MailRecord]:
        """The messages queued for one change (``actualite/12``, ``quota/3``...), one per operator."""
        return self._store.mail_by_cause(cause)

    def message(self, mail_id: int) -> MailRecord:
        return self._found(mail_id, self._store.get_mail(mail_id))

    @staticmethod
    def _found(mail_id: int, found: MailRecord | None) -> MailRecord:
        if found is None:
            raise InvalidRequestError(f"Message {mail_id} inconnu.", chemin="message", valeur=str(mail_id))
        return found

    def attachments(self, mail_id: int) -> list[MailAttachment]:
        return self._store.mail_attachments(mail_id)

    def retry(self, mail_ids: Iterable[int] | None = None, *, author: str) -> list[int]:
        """Send again set-aside or recipient-less messages (all of them when ``mail_ids`` is None), from
        now, to the operator's current addresses; audited. Refuses a message in another state."""
        now = self._clock.now()
        requeued = []
        with self._store.write() as tx:  # the states checked are the states changed
            if mail_ids is None:
                targets = [m for s in (MAIL_ABANDONED, MAIL_NO_RECIPIENT) for m in tx.mail.in_status(s, 10_000)]
            else:
                targets = [self._found(i, tx.mail.get(i)) for i in mail_ids]
            for mail in targets:
                if mail.status not in (MAIL_ABANDONED, MAIL_NO_RECIPIENT):
                    raise InvalidRequestError(
                        f"Message {mail.id} : état {mail.status} ; seuls les messages ABANDONNE ou SANS_DESTINATAIRE "
                        "se relancent.",
                        chemin="message",
                        valeur=str(mail.id),
                    )
            for mail in targets:
                recipients = self.recipients(mail.operator_code, Topic(mail.topic))
                if not recipients:
                    continue  # still nobody to write to: stays as it is
                tx.mail.requeue(mail.id, at=now, recipients=recipients)
                tx.audit.add(
                    at=now, actor=author, action="mail.relance", target=str(mail.id),
                    details={"operateur": mail.operator_code, "message_id": mail.message_id},
                )  # fmt: skip
                requeued.append(mail.id)
        return requeued

    # Delivery ---------------------------------------------------------------------------------------

    def set_aside_interrupted(self) -> int:
        """Messages a stopped sender had claimed: set aside (the relay may have taken them; never twice)."""
        now = self._clock.now()
        with self._store.write() as tx:
            count = tx.mail.set_aside_interrupted(
                now - CLAIM_TIMEOUT, now, "envoi interrompu : vérifiez la réception avant « esav courriel relancer »"
            )
        if count:
            log.warning("mail: %d message(s) interrupted while being sent, set aside (esav courriel file)", count)
        return count

    def deliver(self, send: MailSender, *, max_messages: int = 50) -> MailRun:
        """Send the due messages, oldest first (call off the reactor thread)."""
        run = MailRun()
        for mail_id in self._store.due_mail(self._clock.now(), max_messages):
            with self._store.write() as tx:  # committed before the relay is called
                claimed = tx.mail.claim(mail_id, self._clock.now())
            if not claimed:
                continue  # taken by another sender meanwhile
            mail = self._store.get_mail(mail_id)
            assert mail is not None
            try:
                note = send(mail, self._store.mail_attachments(mail_id))
            except Exception as error:  # whatever went wrong, the message waits or is set aside
                permanent = isinstance(error, MailDeliveryError) and error.permanent
                message = f"{type(error).__name__}: {error}"[:1000]
                now = self._clock.now()
                if permanent or mail.attempts >= MAIL_MAX_ATTEMPTS:
                    with self._store.write() as tx:
                        tx.mail.failed(mail_id, now, message, None)
                    run.abandoned.append(mail_id)
                    log.warning("mail %s to %s set aside: %s", mail_id, mail.operator_code, message)
                else:
                    retry_at = now + MAIL_RETRY_DELAYS[min(mail.attempts, len(MAIL_RETRY_DELAYS)) - 1]
                    with self._store.write() as tx:
                        tx.mail.failed(mail_id, now, message, retry_at)
                    run.retried.append(mail_id)
                    log.info("mail %s to %s not sent (%s); next attempt %s", mail_id, mail.operator_code, message,
                             retry_at)  # fmt: skip
                continue
            with self._store.write() as tx:
                tx.mail.sent(mail_id, self._clock.now(), note)
            run.sent.append(mail_id)
        return run

    # Helpers ----------------------------------------------------------------------------------------

    def _operator(self, operator_code: str) -> None:
        if self._store.get_operator(operator_code) is None:
            raise InvalidRequestError(f"Opérateur {operator_code} inconnu.", chemin="operateur", valeur=operator_code)

    @staticmethod
    def _list(name: str) -> MailList:
        try:
            return MailList(name.strip().lower())
        except ValueError:
            raise InvalidRequestError(
                f"Liste « {name} » inconnue (listes : {', '.join(m.value for m in MailList)}).",
                chemin="liste",
                valeur=name,
            ) from None
