"""Renewing an operator's certificate before it expires, as the conditions promise.

The provider delivers the renewed certificate 15 business days before the current one expires
(``domain.certificates.reminder_date``): ``renew`` issues it from the provider's CA (or registers the
operator's new one, from a recognised CA), mails the operator its delivery notice with the certificate,
all in one transaction, and leaves the current certificate valid: both authenticate until the old
one expires (or is revoked).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from cryptography.hazmat.primitives.serialization import Encoding

from gateway.domain.certificates import reminder_date
from gateway.domain.clock import Clock, to_paris
from gateway.errors import InvalidRequestError
from gateway.security import pki
from gateway.store import CertificateRecord, Store

from ._admin import AdminService
from ._exploitation import CertificateWatch
from ._notices_mail import NoticeMailer

__all__ = ["CertificateRenewal", "Renewal"]


@dataclass(frozen=True)
class Renewal:
    """A renewed certificate and what it renews."""

    certificate: CertificateRecord
    issued: pki.IssuedCertificate | None  # with its key, when the provider issued it
    previous: CertificateRecord | None  # the operator's current certificate, still valid
    due_on: date | None  # the day the renewal was owed (15 business days before the previous expires)
    late: bool
    mail_id: int | None


class CertificateRenewal:
    """``esav certificats renouveler``: issue or record the successor of an operator's certificate and mail it."""

    def __init__(
        self, store: Store, clock: Clock, admin: AdminService, watch: CertificateWatch, notices: NoticeMailer
    ) -> None:
        self._store = store
        self._clock = clock
        self._admin = admin
        self._watch = watch
        self._notices = notices

    def current(self, operator_code: str) -> CertificateRecord | None:
        """The operator's certificate a renewal replaces: of its unrevoked, unexpired certificates not renewed
        yet (``CertificateWatch.successor``), the first to expire."""
        now = self._clock.now()
        valid = [c for c in self._store.list_certificates(operator_code) if c.revoked_at is None and c.not_after > now]
        pending = [c for c in valid if self._watch.successor(c) is None]
        return min(pending, key=lambda c: c.not_after, default=None)

    def renew(
        self,
        operator_code: str,
        *,
        ca: pki.IssuedCertificate | None = None,
        cert_pem: bytes | None = None,
        trusted_ca_pems: Sequence[bytes] = (),
        valid_days: int = 730,
        author: str,
    ) -> Renewal:
        """Issue a new certificate from ``ca`` or register the operator's ``cert_pem`` (one of them), and
        queue its delivery notice to the operator; the current certificate stays valid."""
        if (ca is None) == (cert_pem is None):
            raise InvalidRequestError("Émettez le certificat (AC du fournisseur) ou enregistrez celui de l'opérateur.")
        self._admin.operator(operator_code)
        previous = self.current(operator_code)
        now = self._clock.now()
        issued = None
        with self._store.write() as tx:
            if ca is not None:
                issued = self._admin.issue_certificate(operator_code, ca, valid_days=valid_days, author=author)
                pem = issued.cert_pem.decode()
                fingerprint = issued.info.fingerprint
            else:
                assert cert_pem is not None
                fingerprint = self._admin.register_certificate(
                    operator_code, cert_pem, trusted_ca_pems, author=author
                ).fingerprint
                pem = pki.load_certificates(cert_pem)[0].public_bytes(Encoding.PEM).decode()
            record = tx.certificates.get(fingerprint)
            assert record is not None
            if previous is not None and record.not_after <= previous.not_after:
                raise InvalidRequestError(
                    f"Le nouveau certificat expire le {to_paris(record.not_after):%d/%m/%Y}, pas après le certificat "
                    f"en cours ({to_paris(previous.not_after):%d/%m/%Y}) : ce n'est pas un renouvellement.",
                    chemin="certificat",
                )
            due_on = reminder_date(previous.not_after) if previous is not None else None
            late = due_on is not None and to_paris(now).date() > due_on
            tx.audit.add(
                at=now, actor=author, action="certificat.renouvellement", target=fingerprint,
                details={"operateur": operator_code, "remplace": previous.fingerprint if previous else None,
                         "du_le": due_on.isoformat() if due_on else None, "en_retard": late},
            )  # fmt: skip
            mail_id = self._notices.announce_certificate(
                tx, record, pem, previous, provider_issued=issued is not None, at=now
            )
        return Renewal(record, issued, previous, due_on, late, mail_id)
