"""The web-service contracts of a cluster: every node serves the same frozen WSDLs.

The first node to start on a database records the fingerprint of its frozen contracts; a node whose
contracts differ refuses to start, naming both fingerprints, until the provider records the new ones
(``esav wsdl enregistrer``: a deliberate change of contracts, made when every node has them).
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from gateway.domain.clock import Clock, to_paris
from gateway.errors import ConfigError
from gateway.store import ContractsRecord, Store

from ._exploitation import audit

__all__ = ["ServedContracts", "contracts_fingerprint"]


def contracts_fingerprint(wsdl_root: Path) -> str:
    """SHA-256 over the frozen WSDLs under ``wsdl_root`` (each one's path, then its bytes, by path)."""
    digest = hashlib.sha256()
    for path in sorted(wsdl_root.rglob("*.wsdl")):
        relative = path.relative_to(wsdl_root).as_posix()
        digest.update(relative.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


class ServedContracts:
    """Checking a starting node's contracts against the database's record, and recording new ones."""

    def __init__(self, store: Store, clock: Clock) -> None:
        self._store = store
        self._clock = clock

    def record(self) -> ContractsRecord | None:
        return self._store.served_contracts()

    def check(self, fingerprint: str, *, node: str) -> ContractsRecord:
        """The record (made now when there is none); ``ConfigError`` when ``fingerprint`` differs from it."""
        if self._store.served_contracts() is None:
            with self._store.write() as tx:
                tx.served_contracts.record_if_none(fingerprint, at=self._clock.now(), by=node)
        record = self._store.served_contracts()
        assert record is not None
        if record.fingerprint != fingerprint:
            raise ConfigError(
                f"Contrats WSDL différents de ceux de la grappe : ce nœud sert {fingerprint[:16]}…, la base a "
                f"enregistré {record.fingerprint[:16]}… (par {record.recorded_by}, le "
                f"{to_paris(record.recorded_at):%d/%m/%Y à %H:%M}). Tous les nœuds d'une base servent les mêmes "
                "contrats : installez la même version sur ce nœud, ou, pour changer de contrats, "
                "« esav wsdl enregistrer » une fois les nœuds à jour."
            )
        return record

    def adopt(self, fingerprint: str, *, actor: str) -> ContractsRecord:
        """Record ``fingerprint`` as the cluster's contracts (audited); nodes started after serve them."""
        now = self._clock.now()
        previous = self._store.served_contracts()
        with self._store.write() as tx:
            tx.served_contracts.record(fingerprint, at=now, by=actor)
            audit(
                tx, at=now, actor=actor, action="contracts.record", target="wsdl",
                empreinte=fingerprint, precedente=previous.fingerprint if previous else None,
            )  # fmt: skip
        record = self._store.served_contracts()
        assert record is not None
        return record
