"""Certificate lifecycle (contract §8): the 15-business-day expiry reminder, renewal with an overlap."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

import pytest
import requests
import zeep
from support import PARIS, PKI_EPOCH

from gateway.domain.certificates import expires_within, reminder_date
from gateway.security import pki as pki_mod

#: Friday 15/01/2027 noon: counting back 15 business days skips 01/01 and 25/12 (both Fridays).
EXPIRY = datetime(2027, 1, 15, 12, 0, tzinfo=PARIS)


def test_reminder_date_skips_the_holidays():
    """15 business days before Friday 15/01/2027 is Wednesday 23/12/2026 (25/12 and 01/01 are holidays)."""
    assert reminder_date(EXPIRY).isoformat() == "2026-12-23"


@pytest.mark.parametrize(
    ("now", "within"),
    [
        (datetime(2026, 12, 22, 23, 59, tzinfo=PARIS), False),
        (datetime(2026, 12, 23, 0, 0, tzinfo=PARIS), True),
        (datetime(2027, 1, 15, 11, 59, tzinfo=PARIS), True),
        (datetime(2027, 1, 15, 12, 0, tzinfo=PARIS), False),  # expired: no longer "expiring"
    ],
)
def test_expiry_window_opens_exactly_fifteen_business_days_before(now, within):
    """The window opens at 00:00 Paris on the reminder day and closes when the certificate expires."""
    assert expires_within(EXPIRY, now) is within


def _register(live, not_after: datetime) -> pki_mod.IssuedCertificate:
    issued = pki_mod.issue_client_certificate(
        live.pki.ca, "OPE001", "Opérateur Alpha", not_before=PKI_EPOCH, not_after=not_after
    )
    live.gateway.admin.register_certificate("OPE001", issued.cert_pem, [live.pki.ca.cert_pem])
    return issued


def test_listing_and_single_reminder_follow_the_rule(live, caplog):
    """The certificate is listed (and reminded, once) from 23/12, not on 22/12."""
    issued = _register(live, EXPIRY)
    fingerprint = pki_mod.certificate_info(issued.cert_pem).fingerprint
    watch = live.gateway.certificate_watch
    live.clock.set(datetime(2026, 12, 22, 18, 0, tzinfo=PARIS))
    assert fingerprint not in {c.fingerprint for c in watch.expiring()}
    assert watch.remind() == []
    live.clock.set(datetime(2026, 12, 23, 0, 0, tzinfo=PARIS))
    assert fingerprint in {c.fingerprint for c in watch.expiring()}
    with caplog.at_level(logging.WARNING, logger="gateway.exploitation"):
        assert [c.fingerprint for c in watch.remind()] == [fingerprint]
        live.clock.advance(timedelta(days=1))
        assert watch.remind() == []
    assert sum("à renouveler" in r.getMessage() for r in caplog.records) == 1


def test_renewed_pair_both_work_during_the_overlap(live, tmp_path):
    """A second certificate registered while the first is valid: calls succeed with either one."""
    renewed = _register(live, datetime.now(PARIS) + timedelta(days=400))
    cert, key = tmp_path / "renewed.pem", tmp_path / "renewed.key"
    pki_mod.write_pem_files(renewed, cert, key)
    for files in (live.cert_files("OPE001"), (str(cert), str(key))):
        session = requests.Session()
        session.trust_env = False
        session.verify, session.cert = str(live.pki.directory / "ca.pem"), files
        client = zeep.Client(live.url("catalogue") + "?wsdl", transport=zeep.Transport(session=session))
        assert client.service.listerFormulaires()
