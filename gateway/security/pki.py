"""The provider's small PKI: its own CA, server and operator client certificates, and their checks.

contract §8: operators call the web services over mutual TLS; their certificate must chain to a
trusted CA (the provider's own, or a recognised one) and be unexpired. This module issues the
provider's certificates (demo, tests, integration platform, and the CA the provider really runs)
and checks a presented certificate against a set of trusted CAs. The TLS stack checks the chain
again at handshake time (`gateway.server.tls`); the check here serves registration of a certificate
and the back office.

Keys are EC P-256 with ECDSA-SHA256 signatures: fast to generate (tests make many), accepted by
OpenSSL, Java, .NET and PHP clients alike.
"""

from __future__ import annotations

import hashlib
import ipaddress
import os
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.asymmetric.types import CertificateIssuerPrivateKeyTypes
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from gateway.errors import AuthenticationError, ConfigError

__all__ = [
    "CertificateInfo",
    "IssuedCertificate",
    "certificate_info",
    "create_ca",
    "fingerprint",
    "issue_client_certificate",
    "issue_server_certificate",
    "load_certificates",
    "load_issued",
    "verify_issued_by",
    "write_pem_files",
]

# Issued certificates start a little in the past so that a peer whose clock runs slightly behind
# ours does not see a "not yet valid" certificate right after issuance.
CLOCK_SKEW = timedelta(minutes=5)

StrPath = str | os.PathLike[str]

_PEM_BEGIN = b"-----BEGIN CERTIFICATE-----"


@dataclass(frozen=True)
class CertificateInfo:
    """What the gateway needs to know about one certificate (all datetimes aware, UTC)."""

    fingerprint: str
    serial: int
    subject_cn: str | None
    organisation: str | None
    issuer_cn: str | None
    not_before: datetime
    not_after: datetime

    def is_valid_at(self, when: datetime) -> bool:
        """Whether ``when`` lies within the certificate's validity period (bounds included)."""
        return self.not_before <= when <= self.not_after


@dataclass(frozen=True)
class IssuedCertificate:
    """A certificate in PEM, with its private key in unencrypted PKCS#8 PEM when we hold it."""

    cert_pem: bytes
    key_pem: bytes | None

    @property
    def certificate(self) -> x509.Certificate:
        """The certificate as a ``cryptography`` object."""
        return x509.load_pem_x509_certificate(self.cert_pem)

    @property
    def info(self) -> CertificateInfo:
        """Fingerprint, serial, names and validity of the certificate."""
        return _info(self.certificate)

    def private_key(self) -> CertificateIssuerPrivateKeyTypes:
        """The private key as a ``cryptography`` object; ConfigError if we do not hold it."""
        if self.key_pem is None:
            raise ConfigError("Clé privée absente : ce certificat ne peut rien signer")
        key = serialization.load_pem_private_key(self.key_pem, password=None)
        if not isinstance(key, ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey):
            raise ConfigError(f"Type de clé privée non pris en charge : {type(key).__name__}")
        return key


# --- reading certificates ----------------------------------------------------------------------


def load_certificates(data: bytes) -> list[x509.Certificate]:
    """Every certificate in ``data``: one DER certificate, or one or more concatenated PEM blocks."""
    try:
        if _PEM_BEGIN in data:
            return x509.load_pem_x509_certificates(data)
        return [x509.load_der_x509_certificate(data)]
    except ValueError as exc:
        raise AuthenticationError(f"Certificat illisible : {exc}") from exc


def fingerprint(cert: x509.Certificate | bytes) -> str:
    """SHA-256 of the certificate's DER encoding, lowercase hex without colons.

    ``cert`` may be a ``cryptography`` certificate, DER bytes, or PEM bytes (first certificate).
    """
    if isinstance(cert, bytes):
        if _PEM_BEGIN not in cert:
            # Hash DER as given, without a decode/re-encode round trip that could normalise it.
            return hashlib.sha256(cert).hexdigest()
        cert = load_certificates(cert)[0]
    return hashlib.sha256(cert.public_bytes(serialization.Encoding.DER)).hexdigest()


def certificate_info(cert_pem_or_der: bytes) -> CertificateInfo:
    """The CertificateInfo of a PEM or DER certificate (the first one of a PEM chain)."""
    return _info(load_certificates(cert_pem_or_der)[0])


def _info(cert: x509.Certificate) -> CertificateInfo:
    return CertificateInfo(
        fingerprint=fingerprint(cert),
        serial=cert.serial_number,
        subject_cn=_name_attribute(cert.subject, NameOID.COMMON_NAME),
        organisation=_name_attribute(cert.subject, NameOID.ORGANIZATION_NAME),
        issuer_cn=_name_attribute(cert.issuer, NameOID.COMMON_NAME),
        not_before=cert.not_valid_before_utc,
        not_after=cert.not_valid_after_utc,
    )


def _name_attribute(name: x509.Name, oid: x509.ObjectIdentifier) -> str | None:
    attributes = name.get_attributes_for_oid(oid)
    if not attributes:
        return None
    value = attributes[0].value
    return value if isinstance(value, str) else value.decode("utf-8", "replace")


# --- issuing -----------------------------------------------------------------------------------


def create_ca(
    common_name: str = "e-SAV Demo Provider CA",
    *,
    valid_days: int = 3650,
    now: datetime | None = None,
) -> IssuedCertificate:
    """A self-signed root CA: BasicConstraints CA (critical), KeyUsage keyCertSign/cRLSign/
    digitalSignature (critical), SubjectKeyIdentifier and AuthorityKeyIdentifier."""
    now = _utc(now)
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    builder = (
        _base_builder(name, name, key.public_key(), _valid_from(now), now + timedelta(days=valid_days))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(_key_usage(digital_signature=True, key_cert_sign=True, crl_sign=True), critical=True)
        # urllib3 2's strict verification (VERIFY_X509_STRICT) wants an AKI even on the root.
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(key.public_key()), critical=False)
    )
    cert = builder.sign(key, hashes.SHA256())
    return IssuedCertificate(_cert_pem(cert), _key_pem(key))


def issue_server_certificate(
    ca: IssuedCertificate,
    hostnames: Sequence[str] = ("localhost",),
    ip_addresses: Sequence[str] = ("127.0.0.1", "::1"),
    *,
    valid_days: int = 825,
    now: datetime | None = None,
) -> IssuedCertificate:
    """A TLS server certificate signed by ``ca``: CN = first hostname, SAN = hostnames and IP
    addresses, ExtendedKeyUsage serverAuth, KeyUsage digitalSignature, SKI and AKI."""
    if not hostnames and not ip_addresses:
        raise ConfigError("Certificat serveur : au moins un nom d'hôte ou une adresse IP est requis")
    now = _utc(now)
    try:
        ips = [ipaddress.ip_address(address) for address in ip_addresses]
    except ValueError as exc:
        raise ConfigError(f"Certificat serveur : adresse IP invalide ({exc})") from exc
    alt_names: list[x509.GeneralName] = [x509.DNSName(h) for h in hostnames]
    alt_names += [x509.IPAddress(ip) for ip in ips]
    common_name = hostnames[0] if hostnames else str(ips[0])
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    return _issue(
        ca,
        subject,
        not_before=_valid_from(now),
        not_after=now + timedelta(days=valid_days),
        usage=ExtendedKeyUsageOID.SERVER_AUTH,
        # Hostname checking uses the SAN only (the CN is ignored by modern clients).
        extra=[x509.SubjectAlternativeName(alt_names)],
    )


def issue_client_certificate(
    ca: IssuedCertificate,
    operator_code: str,
    operator_name: str,
    *,
    valid_days: int = 730,
    not_before: datetime | None = None,
    not_after: datetime | None = None,
    now: datetime | None = None,
) -> IssuedCertificate:
    """An operator's client certificate signed by ``ca``: subject CN = operator code,
    O = operator name, ExtendedKeyUsage clientAuth, KeyUsage digitalSignature, SKI and AKI.

    ``not_before``/``not_after`` override the validity computed from ``now`` and ``valid_days``
    (tests use them to make an already expired certificate)."""
    if not operator_code:
        raise ConfigError("Certificat client : le code opérateur est requis")
    now = _utc(now)
    start = _utc(not_before) if not_before is not None else _valid_from(now)
    end = _utc(not_after) if not_after is not None else now + timedelta(days=valid_days)
    subject = x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, operator_code),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, operator_name),
        ]
    )
    return _issue(ca, subject, not_before=start, not_after=end, usage=ExtendedKeyUsageOID.CLIENT_AUTH)


def _issue(
    ca: IssuedCertificate,
    subject: x509.Name,
    *,
    not_before: datetime,
    not_after: datetime,
    usage: x509.ObjectIdentifier,
    extra: Sequence[x509.ExtensionType] = (),
) -> IssuedCertificate:
    if not_after <= not_before:
        raise ConfigError(f"Période de validité vide : du {not_before.isoformat()} au {not_after.isoformat()}")
    ca_cert = ca.certificate
    ca_key = ca.private_key()
    key = ec.generate_private_key(ec.SECP256R1())
    builder = (
        _base_builder(subject, ca_cert.subject, key.public_key(), not_before, not_after)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_key_usage(digital_signature=True), critical=True)
        .add_extension(x509.ExtendedKeyUsage([usage]), critical=False)
        .add_extension(_authority_key_identifier(ca_cert), critical=False)
    )
    for extension in extra:
        builder = builder.add_extension(extension, critical=False)
    cert = builder.sign(ca_key, hashes.SHA256())
    return IssuedCertificate(_cert_pem(cert), _key_pem(key))


def _base_builder(
    subject: x509.Name,
    issuer: x509.Name,
    public_key: ec.EllipticCurvePublicKey,
    not_before: datetime,
    not_after: datetime,
) -> x509.CertificateBuilder:
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
    )


def _authority_key_identifier(ca_cert: x509.Certificate) -> x509.AuthorityKeyIdentifier:
    # Reuse the CA's own SKI when it has one (a recognised CA may compute it differently from us).
    try:
        ski = ca_cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
    except x509.ExtensionNotFound:
        return x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_cert.public_key())  # type: ignore[arg-type]
    return x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ski)


def _key_usage(
    *, digital_signature: bool = False, key_cert_sign: bool = False, crl_sign: bool = False
) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=digital_signature,
        content_commitment=False,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=key_cert_sign,
        crl_sign=crl_sign,
        encipher_only=False,
        decipher_only=False,
    )


def _cert_pem(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


def _key_pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def _valid_from(now: datetime) -> datetime:
    """A new certificate's start: ``now`` is the gateway's clock, which a rehearsal may shift
    (``clock_offset_s``), while peers check certificates in TLS on the real time; it is valid from the
    earlier of the two, less ``CLOCK_SKEW``."""
    return min(now, datetime.now(UTC)) - CLOCK_SKEW


def _utc(when: datetime | None) -> datetime:
    if when is None:
        return datetime.now(UTC)
    if when.tzinfo is None:
        # A naive datetime is ambiguous; the project stores and computes in UTC, so refuse it.
        raise ConfigError(f"Date sans fuseau horaire : {when.isoformat()} (attendu : UTC)")
    return when.astimezone(UTC)


# --- checking ----------------------------------------------------------------------------------


def verify_issued_by(cert_pem: bytes, ca_pems: Sequence[bytes], *, now: datetime | None = None) -> CertificateInfo:
    """Check that a certificate chains to one of the trusted CAs and is valid at ``now``.

    ``cert_pem`` is the leaf, optionally followed by intermediate CA certificates (concatenated
    PEM). Each link is checked by signature; every certificate on the path (leaf, intermediates
    and the trusted CA reached) must be within its validity period. Returns the leaf's
    CertificateInfo; raises AuthenticationError, with a French message, otherwise. Revocation is
    not checked here.
    """
    now = _utc(now)
    chain = load_certificates(cert_pem)
    leaf, intermediates = chain[0], chain[1:]
    trusted = [ca for pem in ca_pems for ca in load_certificates(pem)]
    if not trusted:
        raise AuthenticationError("Aucune autorité de certification de confiance n'est configurée")

    path = [leaf]
    current = leaf
    # Bounded walk: each step must use a new intermediate, so a loop in the chain cannot spin.
    for _ in range(len(intermediates) + 1):
        anchor = next((ca for ca in trusted if _directly_issued(current, ca)), None)
        if anchor is not None:
            path.append(anchor)
            break
        parent = next(
            (c for c in intermediates if c not in path and _is_ca(c) and _directly_issued(current, c)),
            None,
        )
        if parent is None:
            raise AuthenticationError(
                "Certificat non reconnu : il n'est pas émis par une autorité de certification de "
                f"confiance (émetteur : {current.issuer.rfc4514_string()})"
            )
        path.append(parent)
        current = parent
    else:
        raise AuthenticationError("Certificat non reconnu : chaîne de certification incomplète")

    for cert in path:
        if now < cert.not_valid_before_utc:
            raise AuthenticationError(
                f"Certificat pas encore valide : « {cert.subject.rfc4514_string()} » est valide "
                f"à partir du {cert.not_valid_before_utc.isoformat()}"
            )
        if now > cert.not_valid_after_utc:
            raise AuthenticationError(
                f"Certificat expiré : « {cert.subject.rfc4514_string()} » a expiré le "
                f"{cert.not_valid_after_utc.isoformat()}"
            )
    return _info(leaf)


def _directly_issued(cert: x509.Certificate, issuer: x509.Certificate) -> bool:
    # verify_directly_issued_by checks the issuer name and the signature; any mismatch is "no".
    try:
        cert.verify_directly_issued_by(issuer)
    except (ValueError, TypeError, InvalidSignature):
        return False
    return True


def _is_ca(cert: x509.Certificate) -> bool:
    try:
        return cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    except x509.ExtensionNotFound:
        return False


# --- files -------------------------------------------------------------------------------------


def write_pem_files(issued: IssuedCertificate, cert_path: StrPath, key_path: StrPath | None = None) -> None:
    """Write the certificate to ``cert_path`` and, if given, the private key to ``key_path``
    (mode 0o600, created so from the start: the key is never readable by others, even briefly)."""
    Path(cert_path).write_bytes(issued.cert_pem)
    if key_path is None:
        return
    if issued.key_pem is None:
        raise ConfigError(f"Clé privée absente : rien à écrire dans {key_path}")
    fd = os.open(key_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        # The mode of os.open applies only on creation; tighten an existing file too.
        os.fchmod(handle.fileno(), 0o600)
        handle.write(issued.key_pem)


def load_issued(cert_path: StrPath, key_path: StrPath | None = None) -> IssuedCertificate:
    """Read a certificate (and its private key, if a path is given) written by write_pem_files.

    Raises ConfigError naming the file when it is missing or not a certificate/key."""
    try:
        cert_pem = Path(cert_path).read_bytes()
        key_pem = Path(key_path).read_bytes() if key_path is not None else None
    except OSError as exc:
        raise ConfigError(f"Fichier de certificat illisible : {exc}") from exc
    issued = IssuedCertificate(cert_pem, key_pem)
    try:
        issued.certificate  # noqa: B018 - parse now so a bad file fails at start-up, not later
        if key_pem is not None:
            issued.private_key()
    except ValueError as exc:
        raise ConfigError(f"Certificat ou clé invalide ({cert_path}, {key_path}) : {exc}") from exc
    return issued
