"""Only a registered, unexpired, unrevoked certificate of a trusted CA reaches the web services."""

from __future__ import annotations

import pytest
import requests
import zeep
from support import REPO, fault_code


def _get_wsdl(live, cert, service="signalisation", version="v2"):
    session = live.session(None)
    session.cert = cert
    return session.get(live.url(service, version) + "?wsdl", timeout=10)


def _client_from_contract(live, who):
    """A zeep client built from the frozen WSDL (a refused certificate cannot download it)."""
    transport = zeep.Transport(session=live.session(who))
    client = zeep.Client(str(REPO / "wsdl" / "v2" / "signalisation.wsdl"), transport=transport)
    return client.create_service("{urn:esav:signalisation:v2}signalisation", live.url())


@pytest.mark.parametrize("who", [None, "foreign", "expired"])
def test_tls_handshake_refuses_missing_foreign_or_expired_certificates(live, who):
    """No certificate, one from another CA, or an expired one: the TLS handshake fails."""
    with pytest.raises(requests.exceptions.ConnectionError):
        _get_wsdl(live, live.cert_files(who) if who else None)
    assert _get_wsdl(live, live.cert_files("OPE001")).status_code == 200  # still serving


def test_unregistered_certificate_of_our_ca_is_authentification(live):
    """A certificate of the provider's CA that is registered to nobody gets AUTHENTIFICATION."""
    with pytest.raises(zeep.exceptions.Fault) as caught:
        _client_from_contract(live, "unregistered").consulterEtatSignalisation("SIG00000001")
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


ENDPOINTS = [
    ("v1", "signalisation"),
    ("v2", "signalisation"),
    ("v2", "catalogue"),
    ("v2", "rendezvous"),
    ("v2", "test"),
]


@pytest.mark.parametrize(("version", "service"), ENDPOINTS)
def test_wsdl_is_refused_to_a_certificate_of_our_ca_registered_to_nobody(live, version, service):
    """A certificate that passes TLS but is registered to nobody gets 403 and the reason, not the WSDL."""
    refused = _get_wsdl(live, live.cert_files("unregistered"), service, version)
    assert refused.status_code == 403
    assert refused.headers["Content-Type"].startswith("text/plain")
    assert refused.text.startswith("AUTHENTIFICATION : ") and "wsdl:definitions" not in refused.text
    served = _get_wsdl(live, live.cert_files("OPE001"), service, version)
    assert served.status_code == 200 and b"wsdl:definitions" in served.content


def test_wsdl_is_refused_to_a_revoked_certificate_at_once(live):
    """Once revoked, a certificate gets 403 for the WSDL on its open connection; another operator's still works."""
    session = live.session("OPE001")
    assert session.get(live.url() + "?wsdl", timeout=10).status_code == 200
    [cert] = live.gateway.admin.list_certificates("OPE001")
    live.gateway.admin.revoke_certificate(cert.fingerprint)
    refused = session.get(live.url() + "?wsdl", timeout=10)
    assert refused.status_code == 403 and "révoqué" in refused.text
    assert live.session("OPE002").get(live.url() + "?wsdl", timeout=10).status_code == 200
