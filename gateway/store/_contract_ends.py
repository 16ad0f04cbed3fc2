"""The end date of an operator's offer contract: from that day the offer leaves its e-SAV profile."""

from __future__ import annotations

from ._parts import Repository, StorePart
from ._sql import Transaction

__all__ = ["ContractEndRepository", "ContractEndStore", "add_contract_end_column"]


def add_contract_end_column(db: Transaction) -> None:
    db.conn.execute("ALTER TABLE operator_contracts ADD COLUMN ends_on TEXT")


class ContractEndStore(StorePart):
    """Date (or clear) the end of a contract."""

    def ended_contract_offers(self, operator_code: str, today: str) -> frozenset[str]:
        """The offers whose contract with the operator has ended on or before ``today`` (ISO day)."""
        rows = self._rows(
            "SELECT offer FROM operator_contracts WHERE operator_code = ? AND ends_on IS NOT NULL AND ends_on <= ?",
            [operator_code, today],
        )
        return frozenset(r["offer"] for r in rows)

    def contract_ends(self) -> dict[str, dict[str, str]]:
        """Operator → offer → the ISO day its contract ends, for every contract that has an end."""
        ends: dict[str, dict[str, str]] = {}
        for r in self._rows("SELECT operator_code, offer, ends_on FROM operator_contracts WHERE ends_on IS NOT NULL"):
            ends.setdefault(r["operator_code"], {})[r["offer"]] = r["ends_on"]
        return ends


class ContractEndRepository(Repository):
    """The end of an operator's contract of one offer."""

    __slots__ = ()

    def set(self, operator_code: str, offer: str, ends_on: str | None) -> bool:
        """The last day is the day before ``ends_on`` (ISO day); False when there is no such contract."""
        cursor = self._db.conn.execute(
            "UPDATE operator_contracts SET ends_on = ? WHERE operator_code = ? AND offer = ?",
            [ends_on, operator_code, offer],
        )
        return cursor.rowcount == 1
