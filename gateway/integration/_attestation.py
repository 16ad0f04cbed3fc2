"""Validation attestations: issued and signed by the integration platform, checked by production.

The document is JSON, its signature detached inside it::

    {"attestation": {"type": "attestation-validation-esav", "operateur": "OPE003", "domaines": [...],
                     "version": "v2", "date": "2026-11-18T10:00:00+01:00", "numero": 1, ...},
     "signature": {"algorithme": "Ed25519", "cle": "<SHA-256 of the public key>", "valeur": "<base64>"}}

What is signed is the canonical JSON of ``attestation`` (keys sorted, no spaces, UTF-8). The
platform's key is Ed25519 (``pki/attestation.key``); production trusts the public key configured as
``integration_platform_key``.
"""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from gateway.domain.clock import to_paris
from gateway.errors import InvalidRequestError

__all__ = [
    "ATTESTATION_TYPE",
    "Attestation",
    "AttestationError",
    "ensure_platform_key",
    "load_public_key",
    "sign_attestation",
    "verify_attestation",
]

ATTESTATION_TYPE = "attestation-validation-esav"
KNOWN_DOMAINS = ("signalisation", "test")


class AttestationError(InvalidRequestError):
    """An attestation that cannot be trusted (forged, altered, malformed, signed by another key)."""


@dataclass(frozen=True)
class Attestation:
    operator_code: str
    domains: tuple[str, ...]
    version: str
    date: str
    sha256: str  # of the whole document as given


def _canonical(payload: dict[str, Any]) -> bytes:
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def _key_id(public: Ed25519PublicKey) -> str:
    der = public.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return hashlib.sha256(der).hexdigest()


def ensure_platform_key(pki_dir: Path) -> tuple[Ed25519PrivateKey, Path]:
    """The platform's signing key (created once), and the path of its public key to give production."""
    pki_dir.mkdir(parents=True, exist_ok=True)
    key_path, public_path = pki_dir / "attestation.key", pki_dir / "attestation.pub.pem"
    if key_path.exists():
        key = serialization.load_pem_private_key(key_path.read_bytes(), password=None)
        if not isinstance(key, Ed25519PrivateKey):
            raise AttestationError(f"{key_path} n'est pas une clé Ed25519.")
    else:
        key = Ed25519PrivateKey.generate()
        key_path.write_bytes(
            key.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            )
        )
        key_path.chmod(0o600)
    if not public_path.exists():
        public_path.write_bytes(
            key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        )
    return key, public_path


def sign_attestation(
    key: Ed25519PrivateKey,
    *,
    operator_code: str,
    operator_name: str,
    domains: list[str],
    version: str,
    at: datetime,
    number: int,
) -> str:
    """The signed attestation document (JSON text)."""
    payload = {
        "type": ATTESTATION_TYPE,
        "numero": number,
        "operateur": operator_code,
        "nomOperateur": operator_name,
        "domaines": sorted(domains),
        "version": version,
        "date": to_paris(at).isoformat(timespec="seconds"),
    }
    signature = {
        "algorithme": "Ed25519",
        "cle": _key_id(key.public_key()),
        "valeur": base64.b64encode(key.sign(_canonical(payload))).decode("ascii"),
    }
    return json.dumps({"attestation": payload, "signature": signature}, ensure_ascii=False, indent=2) + "\n"


def load_public_key(path: Path) -> Ed25519PublicKey:
    try:
        key = serialization.load_pem_public_key(path.read_bytes())
    except (OSError, ValueError) as exc:
        raise AttestationError(f"Clé publique de la plate-forme illisible ({path}) : {exc}") from None
    if not isinstance(key, Ed25519PublicKey):
        raise AttestationError(f"{path} n'est pas une clé publique Ed25519.")
    return key


def verify_attestation(document: bytes, public_key: Ed25519PublicKey) -> Attestation:
    """The attestation if its signature is the platform's and its content well-formed; else AttestationError."""
    sha256 = hashlib.sha256(document).hexdigest()
    try:
        data = json.loads(document.decode("utf-8"))
        payload, signature = data["attestation"], data["signature"]
        value = base64.b64decode(signature["valeur"], validate=True)
        algorithm = signature["algorithme"]
    except (UnicodeDecodeError, ValueError, KeyError, TypeError) as exc:
        raise AttestationError(
            f"Attestation illisible : ce n'est pas un document d'attestation e-SAV ({exc})."
        ) from None
    if algorithm != "Ed25519":
        raise AttestationError(f"Attestation refusée : algorithme de signature {algorithm!r} non accepté (Ed25519).")
    if signature.get("cle") not in (None, _key_id(public_key)):
        raise AttestationError(
            "Attestation refusée : elle n'est pas signée par la clé de la plate-forme d'intégration configurée "
            "(integration_platform_key)."
        )
    try:
        public_key.verify(value, _canonical(payload))
    except InvalidSignature:
        raise AttestationError(
            "Attestation refusée : signature invalide (document modifié ou non émis par la plate-forme d'intégration)."
        ) from None
    domains = payload.get("domaines")
    if (
        payload.get("type") != ATTESTATION_TYPE
        or not isinstance(payload.get("operateur"), str)
        or not isinstance(domains, list)
        or not domains
        or any(d not in KNOWN_DOMAINS for d in domains)
    ):
        raise AttestationError("Attestation refusée : contenu inattendu (type, opérateur ou domaines).")
    return Attestation(
        payload["operateur"], tuple(domains), str(payload.get("version", "")), str(payload.get("date", "")), sha256
    )
