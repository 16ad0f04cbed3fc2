"""The provider's PKI: issued certificates' contents, fingerprints, chain and validity checks."""

from __future__ import annotations

import base64
import hashlib
import ipaddress
import os
import re
import shutil
import stat
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TypeVar

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from gateway.errors import AuthenticationError, ConfigError
from gateway.security.pki import (
    CertificateInfo,
    IssuedCertificate,
    certificate_info,
    create_ca,
    fingerprint,
    issue_client_certificate,
    issue_server_certificate,
    load_issued,
    verify_issued_by,
    write_pem_files,
)

NOW = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def ca() -> IssuedCertificate:
    return create_ca(now=NOW)


@pytest.fixture(scope="module")
def other_ca() -> IssuedCertificate:
    return create_ca("Autre AC", now=NOW)


@pytest.fixture(scope="module")
def server(ca: IssuedCertificate) -> IssuedCertificate:
    return issue_server_certificate(ca, ("localhost", "esav.example"), now=NOW)


@pytest.fixture(scope="module")
def client(ca: IssuedCertificate) -> IssuedCertificate:
    return issue_client_certificate(ca, "OP042", "Opérateur Exemple", now=NOW)


E = TypeVar("E", bound=x509.ExtensionType)


def _ext(cert: x509.Certificate, cls: type[E]) -> x509.Extension[E]:
    return cert.extensions.get_extension_for_class(cls)


def _der_of_pem(pem: bytes) -> bytes:
    """DER decoded by hand from the PEM armour, independently of the code under test."""
    body = re.search(rb"-----BEGIN CERTIFICATE-----(.+?)-----END CERTIFICATE-----", pem, re.S)
    assert body is not None
    return base64.b64decode(b"".join(body.group(1).split()))


def _intermediate(root: IssuedCertificate) -> IssuedCertificate:
    """An intermediate CA signed by ``root`` (the module has no public API for one)."""
    key = ec.generate_private_key(ec.SECP256R1())
    root_cert = root.certificate
    root_key = serialization.load_pem_private_key(root.key_pem or b"", password=None)
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "AC intermédiaire")]))
        .issuer_name(root_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(NOW - timedelta(days=1))
        .not_valid_after(NOW + timedelta(days=365))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(root_key, hashes.SHA256())  # type: ignore[arg-type]
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return IssuedCertificate(cert.public_bytes(serialization.Encoding.PEM), key_pem)


# --- issued certificates -------------------------------------------------------------------------


def test_ca_is_self_signed_ca_with_strict_extensions(ca: IssuedCertificate) -> None:
    """The CA is self-signed, critical CA:TRUE, signs certificates and CRLs, and has SKI and AKI."""
    cert = ca.certificate
    assert cert.subject == cert.issuer
    assert ca.info.subject_cn == "e-SAV Demo Provider CA"
    basic = _ext(cert, x509.BasicConstraints)
    assert basic.critical and basic.value.ca
    usage = _ext(cert, x509.KeyUsage)
    assert usage.critical
    assert usage.value.key_cert_sign and usage.value.crl_sign and usage.value.digital_signature
    ski = _ext(cert, x509.SubjectKeyIdentifier).value
    assert ski == x509.SubjectKeyIdentifier.from_public_key(cert.public_key())
    assert _ext(cert, x509.AuthorityKeyIdentifier).value.key_identifier == ski.digest
    cert.verify_directly_issued_by(cert)


def test_ca_validity_follows_now_and_valid_days(ca: IssuedCertificate) -> None:
    """The CA starts five minutes before ``now`` (clock skew) and lasts ``valid_days`` from ``now``."""
    assert ca.info.not_before == NOW - timedelta(minutes=5)
    assert ca.info.not_after == NOW + timedelta(days=3650)
    assert ca.info.not_before.tzinfo is not None


def test_server_certificate_names_usage_and_issuer(ca: IssuedCertificate, server: IssuedCertificate) -> None:
    """The server certificate has the hostnames and loopback IPs in its SAN and is for serverAuth."""
    cert = server.certificate
    san = _ext(cert, x509.SubjectAlternativeName).value
    assert san.get_values_for_type(x509.DNSName) == ["localhost", "esav.example"]
    assert san.get_values_for_type(x509.IPAddress) == [
        ipaddress.ip_address("127.0.0.1"),
        ipaddress.ip_address("::1"),
    ]
    assert list(_ext(cert, x509.ExtendedKeyUsage).value) == [ExtendedKeyUsageOID.SERVER_AUTH]
    assert _ext(cert, x509.KeyUsage).value.digital_signature
    assert not _ext(cert, x509.BasicConstraints).value.ca
    ca_ski = _ext(ca.certificate, x509.SubjectKeyIdentifier).value.digest
    assert _ext(cert, x509.AuthorityKeyIdentifier).value.key_identifier == ca_ski
    assert _ext(cert, x509.SubjectKeyIdentifier).value.digest != ca_ski
    assert server.info.subject_cn == "localhost"
    assert server.info.issuer_cn == "e-SAV Demo Provider CA"
    assert server.info.not_after == NOW + timedelta(days=825)
    cert.verify_directly_issued_by(ca.certificate)


def test_client_certificate_carries_operator_identity(ca: IssuedCertificate, client: IssuedCertificate) -> None:
    """The client certificate's CN is the operator code, O its name, and it is for clientAuth."""
    info = client.info
    assert (info.subject_cn, info.organisation, info.issuer_cn) == (
        "OP042",
        "Opérateur Exemple",
        "e-SAV Demo Provider CA",
    )
    assert info.not_before == NOW - timedelta(minutes=5)
    assert info.not_after == NOW + timedelta(days=730)
    cert = client.certificate
    assert list(_ext(cert, x509.ExtendedKeyUsage).value) == [ExtendedKeyUsageOID.CLIENT_AUTH]
    assert _ext(cert, x509.SubjectKeyIdentifier).value
    ca_ski = _ext(ca.certificate, x509.SubjectKeyIdentifier).value.digest
    assert _ext(cert, x509.AuthorityKeyIdentifier).value.key_identifier == ca_ski
    assert client.key_pem is not None and b"BEGIN PRIVATE KEY" in client.key_pem


def test_client_certificate_validity_overrides(ca: IssuedCertificate) -> None:
    """Explicit not_before/not_after replace the validity computed from now and valid_days."""
    start, end = NOW - timedelta(days=10), NOW - timedelta(days=1)
    info = issue_client_certificate(ca, "OP1", "Op", not_before=start, not_after=end).info
    assert (info.not_before, info.not_after) == (start, end)


def test_serials_are_unique(ca: IssuedCertificate, server: IssuedCertificate, client: IssuedCertificate) -> None:
    """Every issued certificate has its own positive random serial number."""
    serials = {ca.info.serial, server.info.serial, client.info.serial}
    assert len(serials) == 3 and all(s > 0 for s in serials)


def test_bad_issuance_parameters_raise_config_error(ca: IssuedCertificate) -> None:
    """A naive datetime, an empty validity period or a CA without its key is a ConfigError."""
    with pytest.raises(ConfigError, match="fuseau"):
        create_ca(now=datetime(2026, 1, 1))  # naive on purpose
    with pytest.raises(ConfigError, match="Période de validité vide"):
        issue_client_certificate(ca, "OP1", "Op", not_before=NOW, not_after=NOW - timedelta(days=1))
    with pytest.raises(ConfigError, match="Clé privée absente"):
        issue_client_certificate(IssuedCertificate(ca.cert_pem, None), "OP1", "Op")
    with pytest.raises(ConfigError, match="adresse IP invalide"):
        issue_server_certificate(ca, ip_addresses=("localhost",))


# --- fingerprints and info -----------------------------------------------------------------------


def test_fingerprint_is_sha256_of_der(client: IssuedCertificate) -> None:
    """The fingerprint is the lowercase hex SHA-256 of the DER, whatever form the certificate has."""
    der = _der_of_pem(client.cert_pem)
    expected = hashlib.sha256(der).hexdigest()
    assert re.fullmatch(r"[0-9a-f]{64}", expected)
    assert fingerprint(client.cert_pem) == expected
    assert fingerprint(der) == expected
    assert fingerprint(client.certificate) == expected
    assert fingerprint(client.cert_pem) == expected  # stable across calls
    assert client.info.fingerprint == expected


@pytest.mark.skipif(shutil.which("openssl") is None, reason="openssl command not installed")
def test_fingerprint_matches_openssl_command(client: IssuedCertificate) -> None:
    """The fingerprint equals `openssl x509 -fingerprint -sha256`, without colons, lowercased."""
    out = subprocess.run(
        ["openssl", "x509", "-noout", "-fingerprint", "-sha256"],
        input=client.cert_pem,
        capture_output=True,
        check=True,
    ).stdout.decode()
    assert out.split("=", 1)[1].strip().replace(":", "").lower() == fingerprint(client.cert_pem)


def test_certificate_info_reads_pem_der_and_chain(client: IssuedCertificate, ca: IssuedCertificate) -> None:
    """certificate_info gives the same result for PEM, DER, and a PEM chain (its first certificate)."""
    info = certificate_info(client.cert_pem)
    assert isinstance(info, CertificateInfo)
    assert certificate_info(_der_of_pem(client.cert_pem)) == info
    assert certificate_info(client.cert_pem + ca.cert_pem) == info
    assert info == client.info


def test_unreadable_certificate_is_an_authentication_error() -> None:
    """Bytes that are not a certificate raise AuthenticationError, not a library exception."""
    with pytest.raises(AuthenticationError, match="Certificat illisible"):
        certificate_info(b"not a certificate")
    with pytest.raises(AuthenticationError, match="Certificat illisible"):
        certificate_info(b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n")


# --- verify_issued_by ----------------------------------------------------------------------------


def test_verify_accepts_certificate_of_own_ca(
    ca: IssuedCertificate, other_ca: IssuedCertificate, client: IssuedCertificate
) -> None:
    """A certificate issued by one of the trusted CAs is accepted and its info returned."""
    info = verify_issued_by(client.cert_pem, [other_ca.cert_pem, ca.cert_pem], now=NOW)
    assert info == client.info


def test_verify_refuses_certificate_of_another_ca(other_ca: IssuedCertificate, client: IssuedCertificate) -> None:
    """A certificate not issued by a trusted CA is refused with a French message naming its issuer."""
    with pytest.raises(AuthenticationError, match=r"non reconnu.*e-SAV Demo Provider CA") as caught:
        verify_issued_by(client.cert_pem, [other_ca.cert_pem], now=NOW)
    assert caught.value.code == "AUTHENTIFICATION"


def test_verify_refuses_same_name_forged_ca(client: IssuedCertificate) -> None:
    """A CA with the same name but another key does not make the certificate trusted."""
    impostor = create_ca(now=NOW)  # same default CN, different key
    with pytest.raises(AuthenticationError, match="non reconnu"):
        verify_issued_by(client.cert_pem, [impostor.cert_pem], now=NOW)


def test_verify_refuses_expired_and_not_yet_valid(ca: IssuedCertificate, client: IssuedCertificate) -> None:
    """A certificate outside its validity period at ``now`` is refused, expired or not yet valid."""
    expired = issue_client_certificate(
        ca, "OP1", "Op", not_before=NOW - timedelta(days=30), not_after=NOW - timedelta(days=1)
    )
    with pytest.raises(AuthenticationError, match="Certificat expiré"):
        verify_issued_by(expired.cert_pem, [ca.cert_pem], now=NOW)
    with pytest.raises(AuthenticationError, match="pas encore valide"):
        verify_issued_by(client.cert_pem, [ca.cert_pem], now=NOW - timedelta(days=1))
    with pytest.raises(AuthenticationError, match="Certificat expiré"):
        verify_issued_by(client.cert_pem, [ca.cert_pem], now=NOW + timedelta(days=731))


def test_verify_uses_current_time_by_default(ca: IssuedCertificate) -> None:
    """Without ``now`` the check uses the current time."""
    fresh = issue_client_certificate(ca, "OP1", "Op")
    assert verify_issued_by(fresh.cert_pem, [ca.cert_pem]).subject_cn == "OP1"


def test_verify_follows_intermediates_given_after_the_leaf(ca: IssuedCertificate) -> None:
    """A leaf followed by its intermediate CA chains to the trusted root; the leaf alone does not."""
    intermediate = _intermediate(ca)
    leaf = issue_client_certificate(intermediate, "OP7", "Op sept", now=NOW)
    info = verify_issued_by(leaf.cert_pem + intermediate.cert_pem, [ca.cert_pem], now=NOW)
    assert (info.subject_cn, info.issuer_cn) == ("OP7", "AC intermédiaire")
    with pytest.raises(AuthenticationError, match="non reconnu"):
        verify_issued_by(leaf.cert_pem, [ca.cert_pem], now=NOW)
    with pytest.raises(AuthenticationError, match="Certificat expiré"):
        verify_issued_by(leaf.cert_pem + intermediate.cert_pem, [ca.cert_pem], now=NOW + timedelta(days=366))


def test_verify_without_trusted_ca_refuses(client: IssuedCertificate) -> None:
    """With no trusted CA configured every certificate is refused."""
    with pytest.raises(AuthenticationError, match="Aucune autorité"):
        verify_issued_by(client.cert_pem, [], now=NOW)


# --- files ---------------------------------------------------------------------------------------


def test_write_and_load_round_trip_with_private_key_mode(client: IssuedCertificate, tmp_path: Path) -> None:
    """Written PEM files load back identical, and the key file is readable by its owner only."""
    cert_path, key_path = tmp_path / "client.pem", tmp_path / "client.key"
    key_path.write_bytes(b"old")
    os.chmod(key_path, 0o644)  # an existing, too open file is tightened too
    write_pem_files(client, cert_path, key_path)
    assert stat.S_IMODE(key_path.stat().st_mode) == 0o600
    assert load_issued(cert_path, key_path) == client
    assert load_issued(cert_path) == IssuedCertificate(client.cert_pem, None)


def test_load_issued_reports_missing_or_bad_files(tmp_path: Path) -> None:
    """A missing or corrupt certificate file is a ConfigError naming the problem."""
    with pytest.raises(ConfigError, match="illisible"):
        load_issued(tmp_path / "absent.pem")
    bad = tmp_path / "bad.pem"
    bad.write_bytes(b"garbage")
    with pytest.raises(ConfigError, match="invalide"):
        load_issued(bad)
