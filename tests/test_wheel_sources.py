"""The prebuilt wheel is named by a hash of the sources: any source or data edit makes a new one."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from wheel_support import sources_digest


@pytest.fixture
def checkout(tmp_path: Path) -> Path:
    """A small checkout: a package, a data folder linked into it, a test, caches."""
    root = tmp_path / "checkout"
    (root / "gateway" / "_data").mkdir(parents=True)
    (root / "gateway" / "__init__.py").write_text("VERSION = 1\n")
    (root / "catalogue").mkdir()
    (root / "catalogue" / "catalogue.xml").write_text("<catalogue/>")
    (root / "gateway" / "_data" / "catalogue").symlink_to("../../catalogue")
    (root / "setup.cfg").write_text("[metadata]\nname = esav-gateway\n")
    (root / "tests").mkdir()
    (root / "tests" / "test_x.py").write_text("def test_x(): pass\n")
    for cache in ("__pycache__", ".mypy_cache", "build", ".venv"):
        (root / cache).mkdir()
        (root / cache / "f").write_text("1")
    return root


@pytest.mark.parametrize(
    "edited",
    ["gateway/__init__.py", "catalogue/catalogue.xml", "setup.cfg"],
)
def test_editing_a_source_or_data_file_changes_the_hash(checkout: Path, edited: str) -> None:
    """A package module, a data file, the build's settings: each is in the hash."""
    before = sources_digest(checkout)
    (checkout / edited).write_text((checkout / edited).read_text() + " ")
    assert sources_digest(checkout) != before


def test_a_new_or_renamed_file_changes_the_hash(checkout: Path) -> None:
    """Adding a module or renaming one (same contents) makes a new hash."""
    before = sources_digest(checkout)
    (checkout / "gateway" / "extra.py").write_text("")
    added = sources_digest(checkout)
    shutil.move(checkout / "gateway" / "extra.py", checkout / "gateway" / "other.py")
    assert len({before, added, sources_digest(checkout)}) == 3


def test_tests_outputs_and_caches_do_not_change_the_hash(checkout: Path) -> None:
    """The test suite, compiled modules, caches, builds and the virtual environment are not sources."""
    before = sources_digest(checkout)
    for edited in ("tests/test_x.py", "__pycache__/f", ".mypy_cache/f", "build/f", ".venv/f"):
        (checkout / edited).write_text("2")
    assert sources_digest(checkout) == before
