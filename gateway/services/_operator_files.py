"""The files operators upload in "Mes fichiers" for the provider, as the provider's staff see them.

Listed per operator and contract (the offer a file's name designates, ``domain.file_rules``), each
name with all its versions and their receipt times; any version can be downloaded, and every
download is audited (who, which file, which version). Pages (/fournisseur/fichiers-operateurs) and
``esav portail fichiers liste|get`` call these.
"""

from __future__ import annotations

from dataclasses import dataclass

from gateway.domain.clock import Clock
from gateway.domain.file_rules import rule_for_prefix
from gateway.errors import InvalidRequestError
from gateway.store import FileRecord, Store

__all__ = ["ContractFiles", "OperatorFilesService", "ReceivedFile"]

UPLOADED = "OPERATEUR"  # direction of a file the operator deposited


@dataclass(frozen=True)
class ReceivedFile:
    """One file name and every version received, newest first."""

    name: str
    versions: list[FileRecord]

    @property
    def latest(self) -> FileRecord:
        return self.versions[0]


@dataclass(frozen=True)
class ContractFiles:
    """An operator's files about one contract (offer); ``offer`` None: a name that designates none."""

    operator_code: str
    operator_name: str
    offer: str | None
    contract_reference: str | None
    files: list[ReceivedFile]


class OperatorFilesService:
    """What operators sent the provider through "Mes fichiers"."""

    def __init__(self, store: Store, clock: Clock) -> None:
        self._store = store
        self._clock = clock

    def received(self, operator_code: str | None = None) -> list[ContractFiles]:
        """Files received, per operator (all, or ``operator_code``) and contract, names in order."""
        if operator_code:
            operator = self._store.get_operator(operator_code)
            if operator is None:
                raise InvalidRequestError(
                    f"Opérateur « {operator_code} » inconnu.", chemin="operateur", valeur=operator_code
                )
            operators = [operator]
        else:
            operators = self._store.list_operators()
        groups: list[ContractFiles] = []
        for operator in operators:
            contracts = {c.offer: c.reference for c in self._store.contracts(operator.code)}
            by_offer: dict[str | None, dict[str, list[FileRecord]]] = {}
            for record in self._store.files(operator.code):
                if record.direction != UPLOADED:
                    continue
                by_offer.setdefault(_offer_of(record.name), {}).setdefault(record.name, []).append(record)
            for offer in sorted(by_offer, key=lambda o: (o is None, o or "")):
                files = [
                    ReceivedFile(name, sorted(versions, key=lambda r: r.version, reverse=True))
                    for name, versions in sorted(by_offer[offer].items())
                ]
                groups.append(ContractFiles(operator.code, operator.name, offer, contracts.get(offer or ""), files))
        return groups

    def download(self, file_id: int, *, author: str) -> FileRecord:
        """One version of a file exchanged with an operator, with its content; the download is audited."""
        found = self._store.file(file_id)
        if found is None:
            raise InvalidRequestError(f"Fichier {file_id} inconnu.", chemin="fichier", valeur=str(file_id))
        with self._store.write() as tx:
            tx.audit.add(
                at=self._clock.now(), actor=author, action="portail.fichier.telechargement",
                target=found.operator_code,
                details={"id": found.id, "nom": found.name, "version": found.version, "sha256": found.sha256},
            )  # fmt: skip
        return found


def _offer_of(name: str) -> str | None:
    """The offer a file's name designates by its prefix (``OPE001_CUIVRE_…`` → copper), if any."""
    parts = name.split("_")
    rule = rule_for_prefix(parts[1]) if len(parts) > 2 else None
    return rule.offer if rule else None
