"""Only a registered, unexpired, unrevoked certificate of a trusted CA reaches the web services."""

from __future__ import annotations

import pytest
import requests
import zeep
from support import fault_code


def _get_wsdl(live, cert):
    session = live.session(None)
    session.cert = cert
    return session.get(live.url() + "?wsdl", timeout=10)


@pytest.mark.parametrize("who", [None, "foreign", "expired"])
def test_tls_handshake_refuses_missing_foreign_or_expired_certificates(live, who):
    """No certificate, one from another CA, or an expired one: the TLS handshake fails."""
    with pytest.raises(requests.exceptions.ConnectionError):
        _get_wsdl(live, live.cert_files(who) if who else None)
    assert _get_wsdl(live, live.cert_files("OPE001")).status_code == 200  # still serving


def test_unregistered_certificate_of_our_ca_is_authentification(live):
    """A certificate of the provider's CA that is registered to nobody gets AUTHENTIFICATION."""
    with pytest.raises(zeep.exceptions.Fault) as caught:
        live.client("unregistered").service.consulterEtatSignalisation("SIG00000001")
    assert fault_code(caught.value) == "AUTHENTIFICATION"


def test_revoked_certificate_is_refused_on_next_request(live):
    """Revocation takes effect at once, on the same keep-alive connection."""
    client = live.client("OPE001")
    with pytest.raises(zeep.exceptions.Fault) as before:
        client.service.consulterEtatSignalisation("SIG00000001")
    assert fault_code(before.value) == "SIGNALISATION_INCONNUE"
    [cert] = live.gateway.admin.list_certificates("OPE001")
    live.gateway.admin.revoke_certificate(cert.fingerprint)
    with pytest.raises(zeep.exceptions.Fault) as after:
        client.service.consulterEtatSignalisation("SIG00000001")
    assert fault_code(after.value) == "AUTHENTIFICATION"


def test_identity_comes_from_the_certificate_not_from_headers(live):
    """A header claiming another identity changes nothing: OPE002's certificate stays OPE002."""
    from support import deposit

    reference = deposit(live.client("OPE001")).referenceSignalisation
    session = live.session("OPE002")
    session.headers.update({"esav.client_fingerprint": "x", "X-Operateur": "OPE001", "X-SSL-Client-Cert": "OPE001"})
    client = zeep.Client(live.url() + "?wsdl", transport=zeep.Transport(session=session))
    with pytest.raises(zeep.exceptions.Fault) as caught:
        client.service.consulterEtatSignalisation(reference)
    assert fault_code(caught.value) == "SIGNALISATION_INCONNUE"
