"""The ``esav`` command refuses characters XML cannot carry (a vertical tab typed or written in a CSV) in
the texts it stores, naming the field, or the file, line and column: once in a subprocess (the command as
an operator's staff runs it), the other refusals through the same ``main`` in this process."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from support import REPO, clean_env, esav_demo_copy
from test_cli import CSV_HEADER, deposit_ticket

from gateway.cli import main
from gateway.services import Gateway

pytestmark = pytest.mark.slow  # `esav` in a subprocess, seconds

VT = "\x0b"


@pytest.fixture(scope="module")
def demo_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo data as ``esav demo`` builds it, once for the module."""
    target = tmp_path_factory.mktemp("demo") / "data"
    esav_demo_copy(target)
    return target


@pytest.fixture
def data(tmp_path: Path, demo_folder: Path) -> Path:
    """A private copy of the demo data folder."""
    shutil.copytree(demo_folder, tmp_path / "data")
    return tmp_path / "data"


def esav(*argv: object) -> subprocess.CompletedProcess[str]:
    """``python -m gateway argv…`` in a subprocess (the command as an operator's staff runs it)."""
    return subprocess.run(
        [sys.executable, "-m", "gateway", *map(str, argv)],
        cwd=REPO, env=clean_env(), capture_output=True, text=True, timeout=120,
    )  # fmt: skip


@pytest.fixture
def esav_here(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch):
    """``esav argv…`` through ``gateway.cli.main`` in this process, without the developer's ESAV_* settings;
    its exit status, stdout and stderr as a finished process's."""

    def run(*argv: object) -> subprocess.CompletedProcess[str]:
        capsys.readouterr()
        status = main([str(a) for a in argv])
        out, err = capsys.readouterr()
        return subprocess.CompletedProcess(["esav", *map(str, argv)], status, out, err)

    return run


def _refused(result: subprocess.CompletedProcess[str], message: str) -> None:
    assert result.returncode == 1, (result.stdout, result.stderr)
    assert "[REQUETE_INVALIDE]" in result.stderr and message in result.stderr
    assert "Traceback" not in result.stdout + result.stderr


def _comments(data: Path, reference: str) -> list[str]:
    gateway = Gateway.open(data / "esav.db")
    try:
        ticket = gateway.store.get_ticket(reference)
        assert ticket is not None
        return [c.text for c in gateway.store.comments(ticket.id)]
    finally:
        gateway.close()


def test_sav_comment_with_a_vertical_tab_is_refused_naming_the_comment(data, esav_here):
    """``esav sav commenter`` with a VT exits 1 naming the comment and the character; nothing is stored."""
    reference = deposit_ticket(data)
    result = esav_here("sav", "commenter", "--donnees", data, reference, f"Jarretière{VT}changée")
    _refused(result, "Commentaire : caractère interdit U+000B en position 11")
    assert _comments(data, reference) == []


def test_sav_action_reason_with_a_vertical_tab_is_refused_naming_the_reason(data, esav_here):
    """``esav sav rejeter --reason`` with a VT exits 1 naming the reason; the ticket keeps its state."""
    reference = deposit_ticket(data)
    result = esav_here(
        "sav", "rejeter", "--donnees", data, reference, "--code", "DEMANDE_INCOMPLETE", "--motif", f"a{VT}b"
    )
    _refused(result, "Motif : caractère interdit U+000B en position 2")
    gateway = Gateway.open(data / "esav.db")
    try:
        assert gateway.store.get_ticket(reference).state == "EN_DEPOT"
    finally:
        gateway.close()


def test_operator_name_with_a_vertical_tab_is_refused_naming_the_name(data, esav_here):
    """``esav operateurs ajouter`` with a VT in the name exits 1 naming the operator's name; no operator is added."""
    result = esav_here("operateurs", "ajouter", "--donnees", data, "OPE010", f"Opérateur{VT}Delta")
    _refused(result, "Nom de l'opérateur : caractère interdit U+000B en position 10")
    gateway = Gateway.open(data / "esav.db")
    try:
        assert gateway.store.get_operator("OPE010") is None
    finally:
        gateway.close()


def test_prestations_csv_with_a_control_character_names_file_line_and_column(data, tmp_path):
    """A CSV line holding a VT is reported as FILE:LINE with the column's name; nothing is imported."""
    csv = tmp_path / "lines.csv"
    csv.write_text(
        CSV_HEADER
        + "FI-0002-0010;OPE002;FTTH_ACCES;STANDARD;PTO a;PM b;13201;\n"
        + f"FI-0002-0011;OPE002;FTTH_ACCES;STANDARD;PTO a;PM{VT}b;13201;\n",
        encoding="utf-8",
    )
    result = esav("prestations", "importer", "--donnees", data, csv)
    _refused(result, f"{csv}:3: colonne extremiteB : caractère interdit U+000B en position 3")
    assert f"{csv}:2" not in result.stderr
    gateway = Gateway.open(data / "esav.db")
    try:
        assert [gateway.store.get_prestation(p) for p in ("FI-0002-0010", "FI-0002-0011")] == [None, None]
    finally:
        gateway.close()
