"""Packaging: what the package imports is declared, and only ``gateway._resources`` knows where its data is."""

from __future__ import annotations

import ast
import configparser
import os
import re
import sys

from support import REPO


def _name(distribution: str) -> str:
    return distribution.strip().lower().replace("_", "-")


def _third_party_imports() -> set[str]:
    names: set[str] = set()
    for source in (REPO / "gateway").rglob("*.py"):
        for node in ast.walk(ast.parse(source.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names.add(node.module.split(".")[0])
    return {n for n in names if n not in sys.stdlib_module_names and n not in {"gateway", "__future__"}}


def test_every_imported_distribution_is_declared_and_every_declared_one_is_used() -> None:
    """setup.cfg's install_requires names each distribution the package imports, and nothing it does not."""
    from importlib.metadata import packages_distributions

    parser = configparser.ConfigParser()
    parser.read(REPO / "setup.cfg", encoding="utf-8")
    declared = {
        _name(match.group())
        for line in parser.get("options", "install_requires").splitlines()
        if not line.strip().startswith("#") and (match := re.match(r"\s*[A-Za-z0-9._-]+", line))
    }
    providers = packages_distributions()
    imported = {_name(providers[name][0]) for name in _third_party_imports()}
    assert imported == declared, (sorted(imported - declared), sorted(declared - imported))


def test_no_module_finds_data_from_its_own_position() -> None:
    """Only gateway/_resources.py knows where the shipped data is: no module climbs from ``__file__``."""
    offenders = [
        str(p.relative_to(REPO))
        for p in (REPO / "gateway").rglob("*.py")
        if ".parents[" in p.read_text(encoding="utf-8") and "__file__" in p.read_text(encoding="utf-8")
        and p.name != "_bench.py"  # esav banc runs bench/ beside the sources: a checkout's tool by design
    ]  # fmt: skip
    assert offenders == []
    assert os.path.islink(REPO / "gateway" / "_data" / "catalogue")
