"""Mutual TLS for the Twisted server: context options and the verified peer certificate.

contract §8: an operator's information system must present a client certificate that chains to a
trusted CA and is unexpired. OpenSSL checks both during the handshake (chain, signatures, validity
dates), so a caller without such a certificate never reaches HTTP. Which operator the certificate
belongs to (registration, revocation) is decided above, from `peer_certificate_der`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from OpenSSL import SSL, crypto
from twisted.internet._sslverify import IOpenSSLTrustRoot
from twisted.internet.ssl import CertificateOptions, TLSVersion
from zope.interface import implementer

from gateway.errors import AuthenticationError, ConfigError
from gateway.security.pki import load_certificates

__all__ = ["peer_certificate_der", "server_tls_options"]


def server_tls_options(
    server_cert_pem: bytes,
    server_key_pem: bytes,
    trusted_ca_pems: Sequence[bytes],
    *,
    require_client_certificate: bool = True,
) -> CertificateOptions:
    """Twisted TLS options for the server: TLS 1.2 minimum, client certificates verified against
    ``trusted_ca_pems`` and, unless ``require_client_certificate`` is false, required.

    ``server_cert_pem`` may hold the server certificate followed by intermediates; they are sent
    to clients with it. Each entry of ``trusted_ca_pems`` may hold several PEM certificates.
    Raises ConfigError when a certificate or the key cannot be read or do not match.
    """
    try:
        chain = load_certificates(server_cert_pem)
        key = serialization.load_pem_private_key(server_key_pem, password=None)
        cas = [ca for pem in trusted_ca_pems for ca in load_certificates(pem)]
    except (AuthenticationError, ValueError, TypeError, UnsupportedAlgorithm) as exc:
        # At start-up an unreadable certificate is the configuration's fault, not a caller's.
        raise ConfigError(f"TLS : certificat ou clé du serveur illisible ({exc})") from exc
    if not cas:
        # With verify on and no CA, OpenSSL would refuse every client: say so at start-up instead.
        raise ConfigError("TLS : aucune autorité de certification de confiance pour les clients")
    if _spki(chain[0].public_key()) != _spki(key.public_key()):
        raise ConfigError("TLS : la clé privée ne correspond pas au certificat du serveur")

    # pyOpenSSL 26 warns (DeprecationWarning) when the server certificate, key or chain are given
    # as its own X509/PKey objects, so hand it `cryptography` objects; its X509Store.add_cert, used
    # for the trusted CAs, still accepts only pyOpenSSL X509 objects. (Twisted's own
    # PrivateCertificate.options() passes pyOpenSSL objects and so triggers the warnings.)
    options = CertificateOptions(
        privateKey=key,  # type: ignore[arg-type]
        certificate=chain[0],  # type: ignore[arg-type]
        extraCertChain=chain[1:],  # type: ignore[arg-type]
        verify=True,
        caCerts=[crypto.X509.from_cryptography(ca) for ca in cas],
        requireCertificate=require_client_certificate,
        raiseMinimumTo=TLSVersion.TLSv1_2,
        # Twisted gives every context a random session-id context (needed for client certificates,
        # see SSL_CTX_set_session_id_context) and disables the session cache and TLS 1.2 tickets by
        # default: no resumption, so a resumed session can never skip the client-certificate check.
        enableSessions=False,
        enableSessionTickets=False,
    )
    # Same trust, but also name the CAs in the server's CertificateRequest: clients holding several
    # certificates (Java key stores, browsers) pick the one issued by a listed CA.
    options.trustRoot = IOpenSSLTrustRoot(_TrustedClientCAs(cas))
    return options


# IOpenSSLTrustRoot is the documented type of CertificateOptions' trustRoot, but Twisted exports it
# only from the private _sslverify module. Should its method change, no CA gets trusted and every
# client is refused: it fails closed, and tests/test_tls.py would show it at once.
@implementer(IOpenSSLTrustRoot)
class _TrustedClientCAs:
    """Trust exactly these CAs for client certificates and announce them to clients."""

    def __init__(self, cas: Sequence[x509.Certificate]) -> None:
        self._cas = list(cas)

    def _addCACertsToContext(self, context: SSL.Context) -> None:  # noqa: N802 - Twisted's interface
        store = context.get_cert_store()
        assert store is not None  # a fresh SSL.Context always has a store
        for ca in self._cas:
            store.add_cert(crypto.X509.from_cryptography(ca))
            context.add_client_ca(ca)


def _spki(public_key: Any) -> bytes:
    return public_key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)


def peer_certificate_der(transport: Any) -> bytes | None:
    """The client certificate OpenSSL verified on this TLS transport, as DER; None without one.

    ``transport`` is what a Twisted protocol on a TLS port sees (``request.channel.transport`` in
    twisted.web): a TLSMemoryBIOProtocol providing ``getPeerCertificate``. A transport that is not
    TLS at all (plain TCP, a test's fake) also gives None. With verify on, OpenSSL aborts the
    handshake on a bad certificate, so any certificate present here has passed the chain check.
    """
    get_peer_certificate = getattr(transport, "getPeerCertificate", None)
    if get_peer_certificate is None:
        return None
    try:
        peer = get_peer_certificate()
    except Exception:  # no TLS connection yet, or already torn down
        return None
    if peer is None:
        return None
    if isinstance(peer, x509.Certificate):
        return peer.public_bytes(serialization.Encoding.DER)
    return crypto.dump_certificate(crypto.FILETYPE_ASN1, peer)
