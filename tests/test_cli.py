"""The ``esav`` command, driven through ``gateway.cli.main(argv)`` on a real data folder."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import click
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from lxml import etree
from support import CATALOGUE, esav_demo_copy, example_form, suite_now

from gateway.cli import cli, main
from gateway.demo import DEMO_OPERATORS
from gateway.domain.clock import FixedClock
from gateway.domain.states import Action
from gateway.services import Caller, DepositRequest, Gateway

DEMO_PRESTATIONS = {
    "FI-0001-0001", "FI-0001-0002", "0140000001", "DSL0000001", "LFO-000001",
    "ETH-000001", "FI-0002-0001", "0140000002", "FI-0003-0001",
}  # fmt: skip
NOMENCLATURE_NS = {"n": "urn:esav:nomenclature"}
#: A real closure code, read from the catalogue rather than copied from it.
CLOSURE_CODE = etree.parse(str(CATALOGUE / "nomenclature" / "CODES_CLOTURE.xml")).xpath(
    "string(//n:valeur[1]/@code)", namespaces=NOMENCLATURE_NS
)
CSV_HEADER = (
    "identifiantPrestation;operateur;codeOffre;gtr;extremiteA;extremiteB;codeCommune;informationsComplementaires\n"
)


@pytest.fixture(scope="module")
def demo_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo built once for the module by ``esav demo``; tests work on copies."""
    data = tmp_path_factory.mktemp("demo-template") / "data"
    esav_demo_copy(data)
    return data


@pytest.fixture
def data(tmp_path: Path, demo_template: Path) -> Path:
    """A private copy of the demo data folder."""
    target = tmp_path / "data"
    shutil.copytree(demo_template, target)
    return target


def esav(capsys: pytest.CaptureFixture[str], *argv: object) -> tuple[int, str, str]:
    """Run ``esav argv…``; its exit status, stdout and stderr."""
    capsys.readouterr()
    status = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return status, out, err


def esav_json(capsys: pytest.CaptureFixture[str], *argv: object) -> object:
    status, out, err = esav(capsys, *argv, "--json")
    assert status == 0, err
    return json.loads(out)


def assert_refused(status: int, out: str, err: str, code: str) -> None:
    """A gateway error at the CLI edge: exit 1, ``[CODE]`` on stderr, no traceback anywhere."""
    assert status == 1, (out, err)
    assert f"[{code}]" in err
    assert "Traceback" not in out + err


# Help: the cheap guard that keeps the documentation true ---------------------------------------


def _walk(command: click.Command, path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], click.Command]]:
    yield path, command
    if isinstance(command, click.Group):
        ctx = click.Context(command)  # a group's commands are imported when asked for
        for name in command.list_commands(ctx):
            yield from _walk(command.get_command(ctx, name), (*path, name))


COMMANDS = list(_walk(cli))


def test_command_tree_is_the_documented_one():
    """The walk below is not vacuous: it reaches every command group and the SAV actions."""
    paths = {" ".join(path) for path, _ in COMMANDS}
    assert paths >= {
        "", "servir", "demo", "pki", "pki initialiser", "operateurs ajouter", "operateurs modifier", "operateurs liste",
        "certificats emettre", "certificats enregistrer", "certificats revoquer", "certificats liste",
        "prestations importer", "prestations transferer", "prestations liste",
        "sav qualifier", "sav rejeter", "sav demarrer", "sav geler", "sav reprendre", "sav clore", "sav valider",
        "sav archiver", "sav commenter", "sav afficher", "sav liste", "sav balayer",
    }  # fmt: skip


@pytest.mark.parametrize(("path", "command"), COMMANDS, ids=[" ".join(p) or "esav" for p, _ in COMMANDS])
def test_every_command_documents_itself_and_its_options(capsys, path, command):
    """Every command has help text, every option a help line, and ``--aide`` exits 0 showing it."""
    assert (command.help or "").strip(), f"esav {' '.join(path)} has no help"
    undocumented = [p.name for p in command.params if isinstance(p, click.Option) and not (p.help or "").strip()]
    assert not undocumented, f"esav {' '.join(path)}: options without help: {undocumented}"
    status, out, _ = esav(capsys, *path, "--aide")
    assert status == 0
    first_sentence = " ".join(command.help.split(".")[0].split())
    assert first_sentence in " ".join(out.split())  # click rewraps the text


def test_version(capsys):
    """``esav --version`` exits 0 and names the package's version."""
    status, out, _ = esav(capsys, "--version")
    assert status == 0 and "0." in out


# Demo ----------------------------------------------------------------------------------------------


def _snapshot(capsys: pytest.CaptureFixture[str], data: Path) -> dict[str, object]:
    pki = data / "pki"
    return {
        "operators": esav_json(capsys, "operateurs", "liste", "--donnees", data),
        "prestations": esav_json(capsys, "prestations", "liste", "--donnees", data),
        "certificates": esav_json(capsys, "certificats", "liste", "--donnees", data),
        "files": {f.name: (f.read_bytes(), f.stat().st_mtime_ns) for f in sorted(pki.iterdir())},
    }


def _fingerprint(pem_file: Path) -> str:
    return x509.load_pem_x509_certificate(pem_file.read_bytes()).fingerprint(hashes.SHA256()).hex()


def test_demo_builds_operators_prestations_and_certificates(tmp_path, capsys):
    """``esav demo`` creates OPE001..3 with their rights, the 9 prestations, the PKI and registered certificates."""
    data = tmp_path / "data"
    status, out, err = esav(capsys, "demo", "--donnees", data)
    assert status == 0, err
    assert str(data) in out
    operators = esav_json(capsys, "operateurs", "liste", "--donnees", data)
    assert [(o["code"], o["name"], o["esav_en_ligne"], o["esav_integre"], tuple(o["domains"])) for o in operators] == [
        (code, name, en_ligne, integre, tuple(sorted(domains)))
        for code, name, en_ligne, integre, domains in DEMO_OPERATORS
    ]
    assert {p["identifiant"] for p in esav_json(capsys, "prestations", "liste", "--donnees", data)} == DEMO_PRESTATIONS
    pki = data / "pki"
    expected_files = {"ca.pem", "ca.key", "server.pem", "server.key", "notifier.pem", "notifier.key"} | {
        f"{code}.{ext}" for code, *_ in DEMO_OPERATORS for ext in ("pem", "key")
    }
    assert {f.name for f in pki.iterdir()} == expected_files
    certificates = esav_json(capsys, "certificats", "liste", "--donnees", data)
    assert {(c["operator_code"], c["fingerprint"], c["revoked_at"]) for c in certificates} == {
        (code, _fingerprint(pki / f"{code}.pem"), None) for code, *_ in DEMO_OPERATORS
    }


def test_demo_twice_is_idempotent(data, capsys):
    """A second ``esav demo`` changes nothing: same operators, prestations, certificates, untouched files."""
    before = _snapshot(capsys, data)
    assert esav(capsys, "demo", "--donnees", data)[0] == 0
    assert _snapshot(capsys, data) == before


def test_demo_on_kept_pki_reregisters_existing_certificates(data, capsys):
    """With the database gone but the PKI kept, ``esav demo`` registers the existing files instead of new ones."""
    files = {f.name: f.read_bytes() for f in (data / "pki").iterdir()}
    for leftover in data.glob("esav.db*"):
        leftover.unlink()
    assert esav(capsys, "demo", "--donnees", data)[0] == 0
    assert {f.name: f.read_bytes() for f in (data / "pki").iterdir()} == files
    registered = {c["fingerprint"] for c in esav_json(capsys, "certificats", "liste", "--donnees", data)}
    assert registered == {_fingerprint(data / "pki" / f"{code}.pem") for code, *_ in DEMO_OPERATORS}


# Operators -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["OPE010", "Opérateur Delta"], (True, True, [])),
        (
            ["OPE011", "Opérateur Epsilon", "--sans-en-ligne", "--domaine", "test", "--domaine", "signalisation"],
            (False, True, ["signalisation", "test"]),
        ),
        (
            ["OPE012", "Opérateur Zêta", "--sans-integre", "--domaine", "signalisation"],
            (True, False, ["signalisation"]),
        ),
    ],
)
def test_operators_add_then_list(data, capsys, args, expected):
    """``operators add`` records the subscriptions and domains asked for, as ``operators list --json`` shows."""
    status, out, err = esav(capsys, "operateurs", "ajouter", "--donnees", data, *args)
    assert status == 0, err
    assert args[0] in out
    listed = {o["code"]: o for o in esav_json(capsys, "operateurs", "liste", "--donnees", data)}
    assert set(listed) == {"OPE001", "OPE002", "OPE003", args[0]}
    operator = listed[args[0]]
    assert (operator["name"], operator["esav_en_ligne"], operator["esav_integre"], operator["domains"]) == (
        args[1],
        *expected,
    )


@pytest.mark.parametrize("code", ["ope013", "OPE-013", "OPERATEUR0013", ""])
def test_operators_add_refuses_bad_code(data, capsys, code):
    """A malformed operator code is refused with REQUETE_INVALIDE and nothing is recorded."""
    assert_refused(*esav(capsys, "operateurs", "ajouter", "--donnees", data, code, "Opérateur"), "REQUETE_INVALIDE")
    assert len(esav_json(capsys, "operateurs", "liste", "--donnees", data)) == 3


def test_operators_add_refuses_unknown_domain(data, capsys):
    """An unknown ``--domain`` is a usage error (exit 2) naming the allowed choices."""
    status, _, err = esav(capsys, "operateurs", "ajouter", "--donnees", data, "OPE014", "X", "--domaine", "facturation")
    assert status == 2
    assert "signalisation" in err


def test_operators_add_refuses_an_existing_code(data, capsys):
    """``operators add`` of an existing code is refused, naming it; its name and validated domains stay."""
    before = esav_json(capsys, "operateurs", "liste", "--donnees", data)
    status, out, err = esav(capsys, "operateurs", "ajouter", "--donnees", data, "OPE001", "X")
    assert_refused(status, out, err, "REQUETE_INVALIDE")
    assert "OPE001 existe déjà" in err and "operateurs modifier" in err
    assert esav_json(capsys, "operateurs", "liste", "--donnees", data) == before


def test_operators_update_changes_name_and_access_keeps_domains_and_is_audited(data, capsys):
    """``operators update`` renames and changes accesses, leaves the validated domains, and is audited."""
    before = {o["code"]: o for o in esav_json(capsys, "operateurs", "liste", "--donnees", data)}["OPE001"]
    status, out, err = esav(
        capsys, "operateurs", "modifier", "--donnees", data, "OPE001", "--nom", "Alpha Télécom", "--sans-en-ligne"
    )
    assert status == 0, err
    assert "OPE001 (Alpha Télécom) modifié" in out
    after = {o["code"]: o for o in esav_json(capsys, "operateurs", "liste", "--donnees", data)}["OPE001"]
    assert after == {**before, "name": "Alpha Télécom", "esav_en_ligne": False}
    assert before["domains"]  # the demo's OPE001 has validated domains: they were there to lose
    (row,) = [r for r in esav_json(capsys, "audit", "--donnees", data) if r["action"] == "operateur.modification"]
    assert row["target"] == "OPE001"
    assert row["details"] == {
        "nom": {"avant": before["name"], "apres": "Alpha Télécom"},
        "en_ligne": {"avant": True, "apres": False},
    }


@pytest.mark.parametrize(
    "args", [["OPE999", "--nom", "X"], ["OPE001"], ["OPE001", "--nom", "  "]], ids=["unknown", "nothing", "blank"]
)
def test_operators_update_refuses_unknown_operator_or_no_change(data, capsys, args):
    """Updating an unknown operator, with nothing to change or with a blank name is refused; nothing changes."""
    before = esav_json(capsys, "operateurs", "liste", "--donnees", data)
    assert_refused(*esav(capsys, "operateurs", "modifier", "--donnees", data, *args), "REQUETE_INVALIDE")
    assert esav_json(capsys, "operateurs", "liste", "--donnees", data) == before


# Prestations ---------------------------------------------------------------------------------------


def test_prestations_import_good_csv(data, tmp_path, capsys):
    """``prestations import`` of a valid CSV creates its lines and says how many."""
    csv = tmp_path / "good.csv"
    csv.write_text(
        CSV_HEADER
        + "FI-0002-0009;OPE002;FTTH_ACCES;STANDARD;PTO 1 rue A 13001 Marseille;PM 13001-09;13201;\n"
        + "0140000009;OPE002;CUIVRE_DEGROUPAGE;GTR_10HO;NRA 13201;client 2 rue B;13201;étage 3\n",
        encoding="utf-8",
    )
    status, out, err = esav(capsys, "prestations", "importer", "--donnees", data, csv)
    assert status == 0, err
    assert "2 prestation(s)" in out
    rows = {
        p["identifiant"]: p
        for p in esav_json(capsys, "prestations", "liste", "--donnees", data, "--operateur", "OPE002")
    }
    assert set(rows) == {"FI-0002-0001", "0140000002", "FI-0002-0009", "0140000009"}
    assert (rows["0140000009"]["gtr"], rows["0140000009"]["informations"]) == ("GTR_10HO", "étage 3")


def test_prestations_import_bad_lines_names_them_and_imports_nothing(data, tmp_path, capsys):
    """A CSV with two bad lines exits non-zero naming the file and both line numbers; no line is imported."""
    csv = tmp_path / "mixed.csv"
    csv.write_text(
        CSV_HEADER
        + "FI-0002-0010;OPE002;FTTH_ACCES;STANDARD;PTO a;PM b;13201;\n"  # line 2: good
        + "FI-0009-0001;OPE999;FTTH_ACCES;STANDARD;PTO a;PM b;13201;\n"  # line 3: unknown operator
        + "FI-0002-0011;OPE002;FTTH_ACCES;STANDARD;PTO a;PM b;13201;\n"  # line 4: good
        + "FI-0002-0012;OPE002;FTTH_ACCES;GTR_1MIN;PTO a;PM b;13201;\n",  # line 5: unknown GTR
        encoding="utf-8",
    )
    before = esav_json(capsys, "prestations", "liste", "--donnees", data)
    status, out, err = esav(capsys, "prestations", "importer", "--donnees", data, csv)
    assert_refused(status, out, err, "REQUETE_INVALIDE")
    assert f"{csv}:3" in err and "OPE999" in err
    assert f"{csv}:5" in err and "GTR_1MIN" in err
    assert f"{csv}:2" not in err and f"{csv}:4" not in err
    assert esav_json(capsys, "prestations", "liste", "--donnees", data) == before


def test_prestations_import_refuses_giving_a_prestation_to_another_operator(data, tmp_path, capsys):
    """A line naming another operator for an existing prestation is refused with FILE:LINE, its owner named."""
    csv = tmp_path / "takeover.csv"
    csv.write_text(
        CSV_HEADER
        + "FI-0002-0013;OPE002;FTTH_ACCES;STANDARD;PTO a;PM b;13201;\n"  # line 2: good
        + "0140000001;OPE002;CUIVRE_DEGROUPAGE;GTR_10HO;NRA 13201;client de Beta;13201;\n",  # line 3: OPE001's
        encoding="utf-8",
    )
    before = esav_json(capsys, "prestations", "liste", "--donnees", data)
    status, out, err = esav(capsys, "prestations", "importer", "--donnees", data, csv)
    assert_refused(status, out, err, "REQUETE_INVALIDE")
    (line,) = [x for x in err.splitlines() if f"{csv}:3" in x]
    assert "0140000001" in line and "appartient à OPE001" in line and "prestations transfer" in line
    assert f"{csv}:2" not in err
    assert esav_json(capsys, "prestations", "liste", "--donnees", data) == before


def test_prestations_import_refuses_a_prestation_named_twice(data, tmp_path, capsys):
    """A CSV naming one prestation twice is refused at the second line, naming the first; nothing is imported."""
    csv = tmp_path / "twice.csv"
    csv.write_text(
        CSV_HEADER
        + "FI-0002-0014;OPE002;FTTH_ACCES;STANDARD;PTO a;PM b;13201;\n"
        + "FI-0002-0015;OPE002;FTTH_ACCES;STANDARD;PTO c;PM d;13201;\n"
        + "FI-0002-0014;OPE002;FTTH_ACCES;STANDARD;PTO e;PM f;13201;\n",
        encoding="utf-8",
    )
    before = esav_json(capsys, "prestations", "liste", "--donnees", data)
    status, out, err = esav(capsys, "prestations", "importer", "--donnees", data, csv)
    assert_refused(status, out, err, "REQUETE_INVALIDE")
    (line,) = [x for x in err.splitlines() if f"{csv}:4" in x]
    assert "FI-0002-0014" in line and "ligne 2" in line
    assert "2 prestation(s)" not in out
    assert esav_json(capsys, "prestations", "liste", "--donnees", data) == before


def test_prestations_import_field_over_the_csv_limit_is_a_line_error(data, tmp_path, capsys):
    """A field longer than the csv module accepts is reported as FILE:LINE, without a traceback; nothing is imported."""
    import csv as csv_module

    csv = tmp_path / "huge.csv"
    huge = "x" * (csv_module.field_size_limit() + 1)
    csv.write_text(
        CSV_HEADER
        + "FI-0002-0016;OPE002;FTTH_ACCES;STANDARD;PTO a;PM b;13201;\n"
        + f"FI-0002-0017;OPE002;FTTH_ACCES;STANDARD;PTO a;PM b;13201;{huge}\n",
        encoding="utf-8",
    )
    before = esav_json(capsys, "prestations", "liste", "--donnees", data)
    status, out, err = esav(capsys, "prestations", "importer", "--donnees", data, csv)
    assert_refused(status, out, err, "REQUETE_INVALIDE")
    assert f"{csv}:3: champ trop long" in err
    assert esav_json(capsys, "prestations", "liste", "--donnees", data) == before


def test_prestations_transfer_gives_the_line_to_another_operator_audited(data, capsys):
    """``prestations transfer`` changes the owner, says from whom to whom, and records who, why, from and to."""
    status, out, err = esav(
        capsys,
        "prestations",
        "transferer",
        "--donnees",
        data,
        "0140000001",
        "--vers",
        "OPE002",
        "--motif",
        "Portabilité",
    )
    assert status == 0, err
    assert "0140000001 transférée de OPE001 à OPE002" in out
    rows = {p["identifiant"]: p for p in esav_json(capsys, "prestations", "liste", "--donnees", data)}
    assert rows["0140000001"]["operator_code"] == "OPE002"
    (row,) = [r for r in esav_json(capsys, "audit", "--donnees", data) if r["action"] == "prestation.transfert"]
    assert (row["target"], row["details"]) == (
        "0140000001",
        {"de": "OPE001", "vers": "OPE002", "motif": "Portabilité"},
    )


def test_prestations_transfer_needs_a_reason(data, capsys):
    """``prestations transfer`` without ``--reason`` is a usage error naming it; the owner does not change."""
    status, _, err = esav(capsys, "prestations", "transferer", "--donnees", data, "0140000001", "--vers", "OPE002")
    assert status == 2 and "--motif" in err
    rows = {p["identifiant"]: p for p in esav_json(capsys, "prestations", "liste", "--donnees", data)}
    assert rows["0140000001"]["operator_code"] == "OPE001"


# Certificates --------------------------------------------------------------------------------------


def test_certs_issue_list_revoke(data, tmp_path, capsys):
    """``certs issue`` writes a registered certificate; ``certs revoke`` marks it revoked and only it."""
    out_dir = tmp_path / "issued"
    status, out, err = esav(
        capsys, "certificats", "emettre", "--donnees", data, "OPE002", "--sortie", out_dir, "--jours", 30
    )
    assert status == 0, err
    issued_fp = _fingerprint(out_dir / "OPE002.pem")
    assert issued_fp in out
    assert (out_dir / "OPE002.key").is_file()
    listed = {
        c["fingerprint"]: c
        for c in esav_json(capsys, "certificats", "liste", "--donnees", data, "--operateur", "OPE002")
    }
    demo_fp = _fingerprint(data / "pki" / "OPE002.pem")
    assert set(listed) == {demo_fp, issued_fp}
    assert listed[issued_fp]["revoked_at"] is None
    not_before, not_after = (datetime.fromisoformat(listed[issued_fp][k]) for k in ("not_before", "not_after"))
    assert timedelta(days=29) < not_after - not_before <= timedelta(days=31)

    status, out, err = esav(capsys, "certificats", "revoquer", "--donnees", data, issued_fp)
    assert status == 0, err
    assert "révoqué" in out
    listed = {c["fingerprint"]: c for c in esav_json(capsys, "certificats", "liste", "--donnees", data)}
    assert listed[issued_fp]["revoked_at"] is not None
    assert [fp for fp, c in listed.items() if c["revoked_at"] is not None] == [issued_fp]
    status, out, _ = esav(capsys, "certificats", "liste", "--donnees", data, "--operateur", "OPE002")
    assert any(issued_fp[:16] in line and "révoqué le" in line for line in out.splitlines())


def test_certs_issue_keeps_existing_files(data, capsys):
    """Issuing into the pki folder where CODE.pem exists writes a new file and leaves the old one untouched."""
    pki = data / "pki"
    old = (pki / "OPE001.pem").read_bytes(), (pki / "OPE001.key").read_bytes()
    status, _, err = esav(capsys, "certificats", "emettre", "--donnees", data, "OPE001")
    assert status == 0, err
    assert ((pki / "OPE001.pem").read_bytes(), (pki / "OPE001.key").read_bytes()) == old
    (new,) = [f for f in pki.glob("OPE001-*.pem")]
    assert new.name == f"OPE001-{_fingerprint(new)[:8]}.pem"


def test_certs_revoke_unknown_fingerprint(data, capsys):
    """Revoking an unknown fingerprint is refused with REQUETE_INVALIDE, without a traceback."""
    assert_refused(*esav(capsys, "certificats", "revoquer", "--donnees", data, "00" * 32), "REQUETE_INVALIDE")


# SAV back office -----------------------------------------------------------------------------------


def deposit_ticket(data: Path, clock: FixedClock | None = None, *actions: tuple[Action, str | None]) -> str:
    """Deposit OPE001's copper ticket through the services (then apply SAV ``actions``); its reference."""
    gateway = Gateway.open(data / "esav.db", catalogue_dir=CATALOGUE, clock=clock)
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
        for action, code in actions:
            gateway.sav.act(receipt.reference, action, author="sav/fixture", code=code)
    finally:
        gateway.close()
    return receipt.reference


def show(capsys: pytest.CaptureFixture[str], data: Path, reference: str) -> dict:
    detail = esav_json(capsys, "sav", "afficher", "--donnees", data, reference)
    assert isinstance(detail, dict)
    return detail


#: The back office's path of a ticket through the CLI: (command and options, state reached).
SAV_PATH = [
    (["qualifier"], "EN_QUALIFICATION"),
    (["demarrer"], "EN_COURS"),
    (["geler", "--code", "ATTENTE_ACCES_SITE"], "GELE"),
    (["reprendre"], "EN_COURS"),
    (["close", "--code", CLOSURE_CODE, "--motif", "Carte ligne remplacée"], "CLOS"),
]


def test_sav_walks_a_ticket_to_closure(data, capsys):
    """qualify, start, freeze, resume, close each move the ticket on; ``sav show`` tells the whole history."""
    reference = deposit_ticket(data)
    for command, state in SAV_PATH:
        status, out, err = esav(
            capsys, "sav", command[0], "--donnees", data, reference, "--auteur", "sav/alice", *command[1:]
        )
        assert status == 0, err
        assert out.strip() == f"{reference} : {state}"
    detail = show(capsys, data, reference)
    ticket = detail["ticket"]
    assert (ticket["state"], ticket["closure_code"], ticket["freeze_code"]) == (
        "CLOS",
        CLOSURE_CODE,
        "ATTENTE_ACCES_SITE",
    )
    assert ticket["closed_at"] is not None
    history = [(t["from_state"], t["to_state"], t["author"], t["code"]) for t in detail["transitions"]]
    assert history == [
        (None, "EN_DEPOT", "OPE001", None),
        ("EN_DEPOT", "EN_QUALIFICATION", "sav/alice", None),
        ("EN_QUALIFICATION", "EN_COURS", "sav/alice", None),
        ("EN_COURS", "GELE", "sav/alice", "ATTENTE_ACCES_SITE"),
        ("GELE", "EN_COURS", "sav/alice", None),
        ("EN_COURS", "CLOS", "sav/alice", CLOSURE_CODE),
    ]
    assert detail["transitions"][-1]["reason"] == "Carte ligne remplacée"
    status, out, _ = esav(capsys, "sav", "afficher", "--donnees", data, reference)
    assert status == 0
    assert reference in out and "état : CLOS" in out and CLOSURE_CODE in out


@pytest.mark.parametrize(
    "command",
    [["validate"], ["start"], ["resume"], ["archive"], ["close", "--code", CLOSURE_CODE]],
    ids=lambda command: command[0],
)
def test_sav_illegal_transition_is_refused(data, capsys, command):
    """An action the state machine forbids from EN_DEPOT exits 1 with TRANSITION_INTERDITE and changes nothing."""
    reference = deposit_ticket(data)
    status, out, err = esav(
        capsys, "sav", command[0], "--donnees", data, reference, "--auteur", "sav/bob", *command[1:]
    )
    assert_refused(status, out, err, "TRANSITION_INTERDITE")
    assert "EN_DEPOT" in err
    detail = show(capsys, data, reference)
    assert detail["ticket"]["state"] == "EN_DEPOT"
    assert len(detail["transitions"]) == 1


@pytest.mark.parametrize(
    ("command", "code"),
    [
        (["freeze", "--code", "PAS_UN_MOTIF"], "REQUETE_INVALIDE"),
        (["freeze", "--code", CLOSURE_CODE], "REQUETE_INVALIDE"),  # a closure code is not a freeze motive
        (["reject", "--code", "ATTENTE_ACCES_SITE"], "REQUETE_INVALIDE"),
    ],
    ids=["unknown-code", "code-of-another-list", "reject-with-freeze-code"],
)
def test_sav_code_outside_its_nomenclature_is_refused(data, capsys, command, code):
    """A code not in the action's nomenclature is refused, naming the code, and the ticket does not move."""
    reference = deposit_ticket(data, None, (Action.QUALIFIER, None)) if command[0] == "freeze" else deposit_ticket(data)
    before = show(capsys, data, reference)["ticket"]["state"]
    status, out, err = esav(
        capsys, "sav", command[0], "--donnees", data, reference, "--auteur", "sav/bob", *command[1:]
    )
    assert_refused(status, out, err, code)
    assert command[-1] in err
    assert show(capsys, data, reference)["ticket"]["state"] == before


def test_sav_action_requires_its_code_option(data, capsys):
    """``sav close`` without ``--code`` is a usage error (exit 2) that names the option."""
    reference = deposit_ticket(data)
    status, _, err = esav(capsys, "sav", "clore", "--donnees", data, reference)
    assert status == 2
    assert "--code" in err


def test_sav_on_unknown_ticket(data, capsys):
    """Acting on or showing an unknown reference exits 1 with SIGNALISATION_INCONNUE."""
    assert_refused(
        *esav(capsys, "sav", "qualifier", "--donnees", data, "SIG99999999", "--auteur", "x"), "SIGNALISATION_INCONNUE"
    )
    assert_refused(*esav(capsys, "sav", "afficher", "--donnees", data, "SIG99999999"), "SIGNALISATION_INCONNUE")


def test_sav_sweep_applies_only_due_transitions(data, capsys):
    """``sav sweep`` validates closures older than 72 h and expires 30-day freezes, and nothing else."""
    now = suite_now()
    to_close = ((Action.QUALIFIER, None), (Action.DEMARRER, None), (Action.CLORE, CLOSURE_CODE))
    closed_long_ago = deposit_ticket(data, FixedClock(now - timedelta(days=4)), *to_close)
    closed_recently = deposit_ticket(data, FixedClock(now - timedelta(hours=70)), *to_close)
    frozen_long_ago = deposit_ticket(
        data, FixedClock(now - timedelta(days=31)), (Action.QUALIFIER, None), (Action.GELER, "ATTENTE_ACCES_SITE")
    )
    frozen_recently = deposit_ticket(
        data, FixedClock(now - timedelta(days=29)), (Action.QUALIFIER, None), (Action.GELER, "ATTENTE_ACCES_SITE")
    )

    status, out, err = esav(capsys, "sav", "balayer", "--donnees", data)
    assert status == 0, err
    assert sorted(out.splitlines()) == sorted(
        [f"{closed_long_ago} : VALIDER", f"{frozen_long_ago} : EXPIRER_GEL", "2 transition(s) automatique(s)."]
    )
    states = {
        ref: show(capsys, data, ref)["ticket"]
        for ref in (closed_long_ago, closed_recently, frozen_long_ago, frozen_recently)
    }
    assert states[closed_long_ago]["state"] == "VALIDE"
    assert (states[frozen_long_ago]["state"], states[frozen_long_ago]["closure_code"]) == (
        "CLOS",
        "DELAI_REPONSE_EXPIRE",
    )
    assert states[closed_recently]["state"] == "CLOS"
    assert states[frozen_recently]["state"] == "GELE"
    last = show(capsys, data, closed_long_ago)["transitions"][-1]
    assert (last["actor"], last["to_state"]) == ("SYSTEME", "VALIDE")

    status, out, _ = esav(capsys, "sav", "balayer", "--donnees", data)
    assert status == 0
    assert out.strip() == "0 transition(s) automatique(s)."
