"""Sending the outbox's e-mail through the configured SMTP relay, off the request path.

``SmtpSender`` turns one outbox message into a MIME message (French plain-text and HTML parts, the
attachments) and hands it to the relay with ``smtplib``: STARTTLS (the relay's certificate checked
against ``mail_ca`` or the system's CAs) and authentication when configured. A refusal with a 5xx code
(the message, the sender or every recipient) is permanent; anything else is temporary.

``MailDispatcher`` looks for due messages every ``mail_poll_s`` (a ``LoopingCall``) and sends them
in its own thread, one batch at a time, so a slow relay never holds up the reactor or another pool. Only the leader
process sends. Without a relay (``mail_relay_host`` empty) nothing is started: messages stay in the
outbox, where ``esav courriel file`` shows them.
"""

from __future__ import annotations

import logging
import smtplib
import ssl
import time
from email.message import EmailMessage
from email.utils import format_datetime, getaddresses
from typing import Any

from twisted.internet.threads import deferToThreadPool
from twisted.python.failure import Failure

from gateway.config import Settings
from gateway.services import MailDeliveryError, MailRun, MailService
from gateway.services.records import MailAttachment, MailRecord

from ._pooled_loop import PooledLoop

__all__ = ["MailDispatcher", "SmtpSender", "build_message", "start_mail"]

log = logging.getLogger("gateway.mail")


def build_message(mail: MailRecord, attachments: list[MailAttachment], sender: str) -> EmailMessage:
    """The MIME message of an outbox entry: multipart/alternative (text, HTML), then the attachments."""
    message = EmailMessage()
    message["From"] = sender
    message["To"] = ", ".join(mail.recipients)
    message["Subject"] = mail.subject
    message["Date"] = format_datetime(mail.created_at)
    message["Message-ID"] = mail.message_id
    message["Auto-Submitted"] = "auto-generated"
    message["Content-Language"] = "fr"
    message.set_content(mail.text_body, charset="utf-8")
    message.add_alternative(mail.html_body, subtype="html", charset="utf-8")
    for attachment in attachments:
        maintype, _, subtype = attachment.mime_type.partition("/")
        message.add_attachment(
            attachment.content, maintype=maintype, subtype=subtype or "octet-stream", filename=attachment.name
        )
    return message


class SmtpSender:
    """Hands one message to the relay; raises MailDeliveryError when it is not taken."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._envelope_from = getaddresses([settings.mail_from])[0][1]

    def _tls(self) -> ssl.SSLContext:
        ca = self._settings.mail_ca
        return ssl.create_default_context(cafile=str(ca) if ca is not None else None)

    def __call__(self, mail: MailRecord, attachments: list[MailAttachment]) -> str | None:
        settings = self._settings
        message = build_message(mail, attachments, settings.mail_from)
        try:
            with smtplib.SMTP(
                settings.mail_relay_host, settings.mail_relay_port, timeout=settings.mail_timeout_s
            ) as smtp:
                smtp.ehlo()
                if settings.mail_starttls:
                    smtp.starttls(context=self._tls())
                    smtp.ehlo()
                if settings.mail_username:
                    smtp.login(settings.mail_username, settings.mail_password)
                refused = smtp.send_message(message, from_addr=self._envelope_from, to_addrs=list(mail.recipients))
        except smtplib.SMTPRecipientsRefused as error:
            codes = [code for code, _ in error.recipients.values()]
            raise MailDeliveryError(
                f"destinataires refusés : {', '.join(f'{a} ({c})' for a, (c, _) in error.recipients.items())}",
                permanent=all(code >= 500 for code in codes),
            ) from None
        except smtplib.SMTPAuthenticationError as error:  # the configuration, not the message: try again later
            raise MailDeliveryError(f"authentification refusée par le relais ({error.smtp_code})") from None
        except smtplib.SMTPResponseException as error:
            text = (
                error.smtp_error.decode("utf-8", "replace") if isinstance(error.smtp_error, bytes) else error.smtp_error
            )
            raise MailDeliveryError(
                f"refus du relais {error.smtp_code} {text}", permanent=error.smtp_code >= 500
            ) from None
        except smtplib.SMTPNotSupportedError as error:
            raise MailDeliveryError(f"relais : {error}") from None
        if refused:
            return "refusés : " + ", ".join(f"{address} ({code})" for address, (code, _) in refused.items())
        return None


class MailDispatcher(PooledLoop):
    """Sends the due messages in a background thread, driven by a reactor loop (one batch at a time)."""

    def __init__(self, service: MailService, send: Any, reactor: Any, *, poll_s: float) -> None:
        super().__init__(reactor, poll_s=poll_s, threads=1, name="esav-mail")
        self._service = service
        self._send = send
        self._busy = False
        self._last_check = float("-inf")

    def tick(self) -> None:
        if self._busy or not self._loop.running:
            return
        self._busy = True
        d = deferToThreadPool(self._reactor, self._pool, self._run)
        d.addBoth(self._done)

    def _run(self) -> MailRun:
        # A claim older than the claim timeout was left by a process that died mid-send (this one never
        # holds a claim that long): set it aside, about once a minute.
        now = time.monotonic()
        if now - self._last_check >= 60.0:
            self._last_check = now
            self._service.set_aside_interrupted()
        return self._service.deliver(self._send)

    def _done(self, result: MailRun | Failure) -> None:
        self._busy = False
        if isinstance(result, Failure):
            log.error("mail: %s", result.getErrorMessage())
        elif result.sent:
            log.info("mail: sent %s", ", ".join(map(str, result.sent)))


def start_mail(service: MailService, settings: Settings, reactor: Any) -> MailDispatcher | None:
    """Start sending (None, with a note in the log, when no relay is configured: mail stays in the outbox)."""
    if not settings.mail_relay_host:
        log.info("mail: no relay configured (mail_relay_host): messages stay in the outbox (esav courriel file)")
        return None
    dispatcher = MailDispatcher(service, SmtpSender(settings), reactor, poll_s=settings.mail_poll_s)
    dispatcher.start()
    return dispatcher
