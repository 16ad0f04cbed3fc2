"""Stored text printed by ``esav`` cannot drive the terminal: control characters are shown, not sent."""

from __future__ import annotations

import json
import os
import pty
import re
import select
import subprocess
import sys
import tty
from datetime import UTC, datetime
from pathlib import Path

import pytest
from support import CATALOGUE, esav_demo_copy, example_form

from gateway.cli._common import printable
from gateway.services import Caller, DepositRequest, Gateway

#: Operator text as an attacker would store it: clear screen, window title, bell, carriage return,
#: a C1 CSI (U+009B) and DEL, around the tab and newline that a comment may legitimately hold.
HOSTILE = "avant\x1b[2J\x1b]0;titre\x07\r\x9b31mrouge\x7f après\tcolonne\nligne 2"
SHOWN = "avant\\x1b[2J\\x1b]0;titre\\x07\\x0d\\x9b31mrouge\\x7f après\tcolonne\nligne 2"
#: What must never reach the terminal raw: C0 but tab and newline, DEL, C1.
RAW_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")

ESAV = str(Path(sys.executable).with_name("esav"))


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        (HOSTILE, SHOWN),
        ("plain text, accents é and tabs\tkept\n", "plain text, accents é and tabs\tkept\n"),
        ("\x00\x08\x0b\x0c\x0e\x1f", "\\x00\\x08\\x0b\\x0c\\x0e\\x1f"),
        ("\x80\x85\x9b\x9f\xa0", "\\x80\\x85\\x9b\\x9f\xa0"),  # C1 escaped; U+00A0 is a printable space
    ],
    ids=["hostile", "plain", "c0", "c1"],
)
def test_printable_shows_control_characters(text, shown):
    """``printable`` shows every C0 (but tab and newline), DEL and C1 character as ``\\xNN``."""
    assert printable(text) == shown


def test_no_command_prints_around_the_choke_point():
    """Every CLI module prints through ``echo``/``echo_json``: none calls click.echo, secho or print itself."""
    cli_dir = Path(__file__).resolve().parents[1] / "gateway" / "cli"
    offenders = [
        f"{path.name}:{number}"
        for path in sorted(cli_dir.glob("*.py"))
        if path.name != "_output.py"
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
        if re.search(r"click\.(echo|secho)\(|(?<![\w.])print\(|sys\.stdout\.write", line) and '"  print(' not in line
    ]
    assert offenders == []


@pytest.fixture(scope="module")
def hostile_data(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """The demo with HOSTILE stored in a ticket's comments, an operator's and an agent's name, the audit."""
    data = tmp_path_factory.mktemp("hostile") / "data"
    esav_demo_copy(data)
    gateway = Gateway.open(data / "esav.db", catalogue_dir=CATALOGUE)
    try:
        caller = Caller("OPE001", "Opérateur Alpha", frozenset({"signalisation", "test"}))
        receipt = gateway.tickets.deposit(
            caller,
            DepositRequest(
                identifiant_prestation="0140000001",
                code_offre="CUIVRE_DEGROUPAGE",
                gravite="MAJEURE",
                form_code="SIG_CUIVRE",
                form_version="1.0",
                form=example_form("SIG_CUIVRE"),
            ),
        )
        store = gateway.store
        ticket = store.get_ticket(receipt.reference)
        assert ticket is not None
        now = datetime.now(UTC)
        # Written straight to the store: whatever the rules at the door, text may already be stored.
        with store.write() as db:
            db.tickets.add_comment(ticket.id, side="OPERATEUR", author="OPE001", at=now, text=HOSTILE)
            db.low_level.conn.execute("UPDATE operators SET name = ? WHERE code = 'OPE003'", [HOSTILE])
            db.low_level.conn.execute("UPDATE provider_agents SET name = ?", [HOSTILE])
            db.audit.add(at=now, actor="fournisseur/x", action="test", target=HOSTILE, details={"motif": HOSTILE})
    finally:
        gateway.close()
    return data, receipt.reference


def esav(*argv: str) -> tuple[int, str, str]:
    """``esav argv…`` in a subprocess whose stdout and stderr are terminals; status, stdout, stderr.

    On a terminal click passes ANSI sequences through (it strips them only into pipes), so this is
    what a provider's agent would see. The terminals are raw: no newline translation to hide a ``\\r``.
    """
    env = dict(os.environ)
    masters, slaves = zip(*(pty.openpty() for _ in range(2)), strict=True)
    for slave in slaves:
        tty.setraw(slave)
    process = subprocess.Popen([ESAV, *argv], stdin=subprocess.DEVNULL, stdout=slaves[0], stderr=slaves[1], env=env)
    for slave in slaves:
        os.close(slave)
    received = {fd: b"" for fd in masters}
    open_fds = set(masters)
    while open_fds:
        ready, _, _ = select.select(list(open_fds), [], [], 60)
        assert ready, "esav produced nothing for 60 s"
        for fd in ready:
            try:
                chunk = os.read(fd, 65536)
            except OSError:  # EIO: the child closed its side
                chunk = b""
            if chunk:
                received[fd] += chunk
            else:
                open_fds.discard(fd)
                os.close(fd)
    status = process.wait(timeout=60)
    return status, received[masters[0]].decode("utf-8"), received[masters[1]].decode("utf-8")


@pytest.mark.e2e  # runs esav processes
@pytest.mark.parametrize(
    "command",
    [["sav", "afficher", "{ref}"], ["operateurs", "liste"], ["audit"], ["portail", "agents", "liste"]],
    ids=lambda c: " ".join(c[:2]) if c[0] != "audit" else "audit",
)
def test_commands_show_stored_controls_escaped(hostile_data, command):
    """Each command echoing stored text prints HOSTILE with its controls made visible, none of them raw."""
    data, reference = hostile_data
    status, out, err = esav(*(reference if a == "{ref}" else a for a in command), "--donnees", str(data))
    assert status == 0, err
    assert RAW_CONTROL.search(out) is None
    assert SHOWN.split("\n")[0] in out


@pytest.mark.e2e  # runs esav processes
def test_sav_show_json_stays_exact_json(hostile_data):
    """``sav show --json`` has no raw control character yet decodes to the stored text exactly."""
    data, reference = hostile_data
    status, out, err = esav("sav", "afficher", reference, "--donnees", str(data), "--json")
    assert status == 0, err
    assert RAW_CONTROL.search(out) is None
    assert HOSTILE in [c["text"] for c in json.loads(out)["comments"]]


@pytest.mark.e2e  # runs esav processes
def test_error_messages_are_escaped_too(hostile_data):
    """A refusal quoting what it was given (here an unknown reference) shows its controls escaped on stderr."""
    data, _ = hostile_data
    status, _, err = esav("sav", "afficher", "SIG\x1b[2J\x9b", "--donnees", str(data))
    assert status == 1
    assert RAW_CONTROL.search(err) is None
    assert "SIG\\x1b[2J\\x9b" in err
