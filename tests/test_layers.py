"""The layer rule: doors reach the store only through services (docs/decisions.md, "Layers").

``lint-imports`` (``.importlinter``, run by ``make lint``) checks the imports; what it cannot see is a
door reaching the store through an object it was handed (``gateway.store.get_operator(...)``): this
test walks the doors' source and refuses any ``store`` attribute.
"""

from __future__ import annotations

import ast
import configparser
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CONTRACTS = ROOT / ".importlinter"
#: Attribute names that reach the store (the services' ``Gateway.store``, a service's ``_store``).
STORE_ATTRIBUTES = frozenset({"store", "_store"})


def door_modules() -> list[str]:
    """The doors, as the import contract lists them: one list for both checks."""
    config = configparser.ConfigParser()
    config.read(CONTRACTS, encoding="utf-8")
    return config["importlinter:contract:doors-not-store"]["source_modules"].split()


def door_files() -> list[Path]:
    files = []
    for module in door_modules():
        path = ROOT.joinpath(*module.split("."))
        files.extend(sorted(path.rglob("*.py")) if path.is_dir() else [path.with_suffix(".py")])
    return files


def store_touches(source: str) -> list[int]:
    """Lines of ``source`` that read a ``store`` attribute, directly or by ``getattr``."""
    lines = []
    for node in ast.walk(ast.parse(source)):
        attribute = isinstance(node, ast.Attribute) and node.attr in STORE_ATTRIBUTES
        by_name = (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id in {"getattr", "setattr", "hasattr"}
            and len(node.args) >= 2
            and isinstance(node.args[1], ast.Constant)
            and node.args[1].value in STORE_ATTRIBUTES
        )
        if attribute or by_name:
            lines.append(node.lineno)
    return sorted(lines)


def test_every_package_has_a_layer_and_every_door_is_above_services() -> None:
    """Each module or package of ``gateway`` is in the layers contract; the doors are all above services."""
    config = configparser.ConfigParser()
    config.read(CONTRACTS, encoding="utf-8")
    layers = [line.replace("|", " ").split() for line in config["importlinter:contract:layers"]["layers"].split("\n")]
    layers = [layer for layer in layers if layer]
    placed = {module for layer in layers for module in layer}
    entries = {p.name.removesuffix(".py") for p in (ROOT / "gateway").iterdir() if p.suffix == ".py" or p.is_dir()}
    packages = {f"gateway.{e}" for e in entries if e not in {"__init__", "_data", "__pycache__"}}
    assert packages - placed == set(), "not placed in a layer"
    services = next(i for i, layer in enumerate(layers) if "gateway.services" in layer)
    above = {module for layer in layers[:services] for module in layer}
    assert set(door_modules()) == above


def test_no_door_touches_a_store_attribute() -> None:
    """No module of the wire, portal, CLI, server, integration platform or demo reads ``.store``/``._store``."""
    files = door_files()
    assert len(files) > 50  # the doors were found
    offenders = [
        f"{path.relative_to(ROOT)}:{line}" for path in files for line in store_touches(path.read_text(encoding="utf-8"))
    ]
    assert offenders == [], "doors reach the store only through services: " + ", ".join(offenders)


@pytest.mark.parametrize(
    "source",
    [
        "gateway.store.get_operator('OPE001')",
        "self._store.add_journal_entries(batch)",
        "x = running.gateway.store",
        "getattr(gateway, 'store').faq()",
    ],
)
def test_a_store_attribute_is_found(source: str) -> None:
    """The walk finds a store reached through an attribute, whatever the object's name."""
    assert store_touches(source) == [1]


def test_a_name_merely_containing_store_is_not_a_store_attribute() -> None:
    """``require_store(settings)``, ``context.get_cert_store()`` and ``gateway.integration`` pass."""
    assert store_touches("require_store(s)\ncontext.get_cert_store()\ngateway.integration.journal('OPE001')") == []


#: What a service must not reach inside a write block: the connection and the store's low-level
#: ``Transaction`` (services write through the ``WriteTransaction``'s repositories only).
LOW_LEVEL_ATTRIBUTES = frozenset({"conn", "table", "low_level", "executemany", "insert_id", "next_id"})
LOW_LEVEL_NAMES = frozenset({"Transaction", "Conn", "Cursor", "sqlite3", "sqlite_utils", "psycopg"})


def low_level_touches(source: str) -> list[int]:
    """Lines of ``source`` that reach a connection or the store's low-level transaction."""
    lines = []
    for node in ast.walk(ast.parse(source)):
        attribute = isinstance(node, ast.Attribute) and node.attr in LOW_LEVEL_ATTRIBUTES
        name = isinstance(node, ast.Name) and node.id in LOW_LEVEL_NAMES
        imported = isinstance(node, ast.Import | ast.ImportFrom) and any(
            alias.name.split(".")[0] in LOW_LEVEL_NAMES for alias in node.names
        )
        module = isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] in LOW_LEVEL_NAMES
        if attribute or name or imported or module:
            lines.append(node.lineno)
    return sorted(set(lines))


def test_no_service_touches_a_connection_or_the_low_level_transaction() -> None:
    """Services write through ``tx.<aggregate>`` repositories: no ``.conn``, ``.table(``, ``Transaction``, driver."""
    files = sorted((ROOT / "gateway" / "services").glob("*.py"))
    assert len(files) > 30  # the services were found
    offenders = [
        f"{path.relative_to(ROOT)}:{line}"
        for path in files
        for line in low_level_touches(path.read_text(encoding="utf-8"))
    ]
    assert offenders == [], "services write through the transaction's repositories: " + ", ".join(offenders)


@pytest.mark.parametrize(
    "source",
    [
        "tx.conn.execute('DELETE FROM tickets')",
        "tx.low_level.table('tickets')",
        "from gateway.store import Transaction",
        "import sqlite3",
        "from psycopg import sql",
    ],
)
def test_a_low_level_touch_is_found(source: str) -> None:
    """The walk finds a connection, the low-level transaction or a driver, however it is reached."""
    assert low_level_touches(source) == [1]


def test_the_repositories_of_the_write_transaction_are_not_low_level_touches() -> None:
    """``tx.tickets.update(...)``, ``tx.audit.add(...)`` and ``WriteTransaction`` pass."""
    source = "from gateway.store import WriteTransaction\ntx.tickets.update(1, state='X')\ntx.audit.add(at=now)"
    assert low_level_touches(source) == []
