"""``esav audit``: ISO 8601 instants and values as a person reads them, never Python representations."""

from __future__ import annotations

import json
import re
from datetime import datetime
from pathlib import Path

import pytest
from support import esav_demo_copy
from test_cli import esav

from gateway.services import readable_value


@pytest.fixture
def data(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A demo data folder, with no ESAV_* variable of the developer's shell redirecting the commands."""
    esav_demo_copy(tmp_path / "data")
    return tmp_path / "data"


def test_audit_prints_iso_instants_and_readable_values(data: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """An operator's registration (a name with spaces, flags, a list of domains) prints as one line with a
    Paris ISO 8601 instant, quoted name, oui/non and comma-joined domains; JSON gives ISO instants."""
    status, _, err = esav(
        capsys, "operateurs", "ajouter", "OPE010", "Opérateur Delta", "--integre", "--sans-en-ligne",
        "--domaine", "signalisation", "--domaine", "test", "--donnees", data,
    )  # fmt: skip
    assert status == 0, err
    status, out, _ = esav(capsys, "audit", "--donnees", data)
    assert status == 0
    (line,) = [line for line in out.splitlines() if "OPE010" in line]
    assert re.match(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\+0[12]:00  ", line), line
    assert 'nom="Opérateur Delta"' in line and "en_ligne=non" in line and "integre=oui" in line
    assert "domaines=signalisation,test" in line
    assert not any(marker in out for marker in ("True", "False", "None", "['", "{'"))

    status, out, _ = esav(capsys, "audit", "--json", "--donnees", data)
    (entry,) = [e for e in json.loads(out) if e["target"] == "OPE010"]
    assert datetime.fromisoformat(entry["at"]).utcoffset() is not None and "T" in entry["at"]
    assert entry["details"]["domaines"] == ["signalisation", "test"] and entry["details"]["integre"] is True


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (True, "oui"), (False, "non"), (None, "—"), ([], "—"), (["a", "b"], "a,b"), (600, "600"),
        ("motif long", '"motif long"'), ("OPE001", "OPE001"), ({"nom": 2, "corps": 1}, "(nom: 2; corps: 1)"),
    ],
)  # fmt: skip
def test_detail_values_read_as_words(value: object, shown: str) -> None:
    """Each kind of detail value has its readable form."""
    assert readable_value(value) == shown
