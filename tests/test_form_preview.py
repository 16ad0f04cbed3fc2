"""Before SIG_CUIVRE 2.0 goes live, each operator's own deposits under 1.0 are replayed against it: the
command line, ``publish``, the notice of the evolution and the reminder before 1.0 is retired."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from lxml import etree
from mail_support import SmtpRelay, parts_of
from preview_support import (
    NEW_FIELD,
    NOW,
    PRODUCTION,
    REMOVED_CODE,
    add_cuivre_2_0,
    copy_catalogue,
    cuivre_form,
    deposit_cuivre,
    deposit_mix,
)
from support import LiveGateway, SessionPki, clock_offset_to, eventually, start_gateway

from gateway.catalogue import Catalogue, check_stored_form
from gateway.cli import main
from gateway.errors import InvalidRequestError

AVAILABILITY = "/signalisationCuivre/disponibilites"
#: Where libxml2 notices the missing field: at the first element after its place.
MISSING = f"{AVAILABILITY}/creneau[1]"
CODE_PATH = "/signalisationCuivre/defaut/codeDefaut"


@pytest.fixture
def served(tmp_path: Path) -> Path:
    return copy_catalogue(tmp_path / "catalogue")


@pytest.fixture
def relay() -> Iterator[SmtpRelay]:
    with SmtpRelay() as running:
        yield running


@pytest.fixture
def live_mix(tmp_path: Path, session_pki: SessionPki, served: Path, relay: SmtpRelay) -> Iterator[Any]:
    """A gateway serving the catalogue copy (SIG_CUIVRE 1.0 only), the mix of deposits made, then 2.0
    added to the folder by the maintainer (not yet published)."""
    overrides = {"mail_relay_host": "127.0.0.1", "mail_relay_port": relay.port, "mail_starttls": False,
                 "mail_poll_s": 0.1}  # fmt: skip
    live = start_gateway(tmp_path / "data", session_pki, NOW, catalogue_dir=served, settings_overrides=overrides)
    try:
        deposits = deposit_mix(live)
        add_cuivre_2_0(served)
        yield live, deposits
    finally:
        live.stop()


def esav(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, live: LiveGateway, *argv: str) -> Any:
    """Run ``esav`` in-process on the live gateway's data and served folder, at its clock's time: (status,
    stdout, stderr)."""
    monkeypatch.setenv("ESAV_CATALOGUE_DIR", str(live.gateway.live_catalogue.root))
    monkeypatch.setenv("ESAV_CLOCK_OFFSET_S", clock_offset_to(live.clock.now()))
    capsys.readouterr()
    status = main([*argv, "--donnees", str(live.data_dir)])
    out = capsys.readouterr()
    return status, out.out, out.err


def refs(deposits: dict[str, list[tuple[str, bool, str]]], operator: str, availability: bool | None = None,
         code: str | None = None) -> list[str]:  # fmt: skip
    return [r for r, a, c in deposits[operator] if (availability is None or a == availability)
            and (code is None or c == code)]  # fmt: skip


@pytest.mark.sqlite_file
def test_cli_preview_counts_errors_and_samples_per_operator(live_mix, capsys, monkeypatch):
    """``preview --json``: per operator, deposits, passes, refusals, each error with its count and sample."""
    live, deposits = live_mix
    status, out, err = esav(capsys, monkeypatch, live, "catalogue", "apercu", "SIG_CUIVRE", "2.0", "--json")
    assert status == 0, err
    result = json.loads(out)
    by_operator = {o["operator"]: o for o in result["operators"]}
    assert (result["deposits"], result["refused"]) == (8, 5)
    one, two, three = by_operator["OPE001"], by_operator["OPE002"], by_operator["OPE003"]
    assert (one["deposits"], one["passed"], one["refused"]) == (5, 2, 3)
    assert (two["deposits"], two["passed"], two["refused"]) == (3, 1, 2)
    assert (three["deposits"], three["refused"]) == (0, 0)
    errors_one = {(e["path"], e["deposits"]): e for e in one["errors"]}
    assert set(errors_one) == {(MISSING, 2), (CODE_PATH, 1)}
    assert errors_one[MISSING, 2]["label"] == f"élément inattendu à cet endroit ; attendu : {NEW_FIELD}"
    assert REMOVED_CODE in errors_one[CODE_PATH, 1]["label"]
    assert errors_one[MISSING, 2]["sample"] == refs(deposits, "OPE001", availability=True)[0]
    assert errors_one[CODE_PATH, 1]["sample"] == refs(deposits, "OPE001", code=REMOVED_CODE)[0]
    errors_two = {(e["path"], e["deposits"]): e["sample"] for e in two["errors"]}
    assert errors_two == {(MISSING, 2): refs(deposits, "OPE002", code=REMOVED_CODE)[0],
                          (CODE_PATH, 2): refs(deposits, "OPE002", code=REMOVED_CODE)[0]}  # fmt: skip
    # The example: OPE001's most frequent refused kind (no telephoneRendezVous), made valid, changes marked.
    example = one["example"]
    assert example["valid"] and example["from"] == refs(deposits, "OPE001", availability=True)[0]
    assert [m["path"] for m in example["marks"]] == [f"{AVAILABILITY}/{NEW_FIELD}"]
    assert f"<{NEW_FIELD}>" in example["xml"] and "À CORRIGER" in example["xml"]
    cat = Catalogue.load(live.gateway.live_catalogue.root)
    assert check_stored_form(cat, "SIG_CUIVRE", "2.0", "CUIVRE_DEGROUPAGE", example["xml"]) == []
    # OPE002's example starts from one of its own deposits: both its changes are marked.
    assert two["example"]["from"] in refs(deposits, "OPE002")
    assert {m["path"] for m in two["example"]["marks"]} == {f"{AVAILABILITY}/{NEW_FIELD}", CODE_PATH}


@pytest.mark.sqlite_file
def test_cli_preview_for_one_operator_shows_nothing_of_another(live_mix, capsys, monkeypatch):
    """``--operator OPE002`` (text): only OPE002's figures and references, never OPE001's."""
    live, deposits = live_mix
    status, out, err = esav(capsys, monkeypatch, live, "catalogue", "apercu", "SIG_CUIVRE", "2.0",
                            "--operateur", "OPE002")  # fmt: skip
    assert status == 0, err
    assert "OPE002 : 3 dépôt(s), 1 passerai(en)t, 2 serai(en)t refusé(s)" in out
    assert "OPE001" not in out
    assert not any(r in out for r in refs(deposits, "OPE001"))
    assert f"{CODE_PATH} : la valeur « {REMOVED_CODE} »" in out


@pytest.mark.sqlite_file
def test_cli_preview_window_and_bad_input(live_mix, capsys, monkeypatch):
    """Deposits older than the window are not replayed; a bad form, version, operator or window is a clear error."""
    live, _ = live_mix
    later = (NOW + timedelta(days=31)).strftime("%Y-%m-%dT%H:%M")
    status, out, _ = esav(capsys, monkeypatch, live, "catalogue", "apercu", "SIG_CUIVRE", "2.0", "--instant", later)
    assert status == 0 and "Total : 0 dépôt(s)" in out
    status, out, _ = esav(capsys, monkeypatch, live, "catalogue", "apercu", "SIG_CUIVRE", "2.0", "--instant", later,
                          "--jours", "40")  # fmt: skip
    assert "Total : 8 dépôt(s), 5 serai(en)t refusé(s)" in out
    for argv, message in (
        (("SIG_CUIVRE", "9.9"), "Version 9.9 inconnue"),
        (("SIG_NOPE", "1.0"), "Formulaire inconnu"),
        (("SIG_CUIVRE", "2.0", "--operateur", "OPE999"), "Opérateur OPE999 inconnu"),
        (("SIG_CUIVRE", "2.0", "--jours", "0"), "hors bornes"),
    ):
        status, out, err = esav(capsys, monkeypatch, live, "catalogue", "apercu", *argv)
        assert status == 1 and message in err and "Traceback" not in err, (argv, err)


@pytest.mark.sqlite_file
def test_publish_prints_the_preview_across_operators(live_mix, capsys, monkeypatch):
    """``esav catalogue publier`` prints every announced version's preview, operator by operator, then publishes."""
    live, _ = live_mix
    status, out, err = esav(capsys, monkeypatch, live, "catalogue", "publier", "--auteur", "mainteneur")
    assert status == 0, err
    assert "Aperçu de SIG_CUIVRE 2.0" in out
    assert "OPE001 : 5 dépôt(s), 2 passerai(en)t, 3 serai(en)t refusé(s)" in out
    assert "OPE002 : 3 dépôt(s), 1 passerai(en)t, 2 serai(en)t refusé(s)" in out
    assert "opérateurs pas prêts : OPE001, OPE002." in out
    assert out.index("Aperçu") < out.index("publié")
    live.gateway.refresh_catalogue()  # the gateway's own poll (every second) may have loaded it already
    assert live.gateway.catalogue_origin().publication is not None
    assert live.gateway.catalogue.status("SIG_CUIVRE", "2.0", NOW).value == "A_VENIR"


def received_about(relay: SmtpRelay, subject: str, count: int) -> list[Any]:
    """The messages the relay received whose subject holds ``subject``, once there are ``count`` of them."""

    def found() -> list[Any]:
        with relay.lock:
            matching = [r for r in relay.received if subject in r.message["Subject"]]
        return matching if len(matching) >= count else []

    matching = eventually(found, timeout=20)
    assert len(matching) == count, [r.message["Subject"] for r in relay.received]
    return matching


def _published(live: LiveGateway) -> None:
    with live.gateway.store.write() as tx:
        tx.catalogue.record_publication(author="test", fingerprint="x", at=NOW)
    live.gateway.refresh_catalogue()  # the gateway's own poll (every second) may have loaded it already


def test_the_notice_mail_carries_each_operators_own_figures(live_mix, relay):
    """The evolution's notice: one mail per operator through the relay, with its own counts, errors and samples only."""
    live, deposits = live_mix
    _published(live)
    live.clock.set(NOW + timedelta(days=40))  # 2.0 is then less than six months away
    with pytest.raises(InvalidRequestError, match="Préavis insuffisant"):
        live.gateway.form_previews.announce("SIG_CUIVRE", "2.0", author="test")
    live.clock.set(NOW)
    ids = live.gateway.form_previews.announce("SIG_CUIVRE", "2.0", author="test", text="Voir la documentation.")
    assert len(ids) == 2  # OPE001 and OPE002 hold the copper offer; OPE003 does not
    received = received_about(relay, "SIG_CUIVRE", 2)
    by_recipient = {r.rcpt_tos[0]: parts_of(r.message)[0] for r in received}
    alpha, beta = by_recipient["esav@alpha.example"], by_recipient["esav@beta.example"]
    assert received[0].message["Subject"].startswith("[e-SAV] Évolution majeure")
    assert "Sur vos 5 dépôts des 30 derniers jours, 3 seraient refusés par la version 2.0" in alpha
    assert "Sur vos 3 dépôts des 30 derniers jours, 2 seraient refusés par la version 2.0" in beta
    assert f"{PRODUCTION:%d/%m/%Y}" in alpha
    first_missing = refs(deposits, "OPE001", availability=True)[0]
    assert f"{MISSING} : " in alpha and f"par exemple {first_missing}" in alpha
    assert not any(r in beta for r in refs(deposits, "OPE001"))
    assert not any(r in alpha for r in refs(deposits, "OPE002"))
    # On each operator's portal too: its own news item, with its own figures.
    news = {n.operator_code: n for n in live.gateway.portal.all_news() if "SIG_CUIVRE" in n.title}
    assert set(news) == {"OPE001", "OPE002"}
    assert "3 seraient refusés" in news["OPE001"].body and "2 seraient refusés" in news["OPE002"].body


def test_reminder_a_week_before_retirement_goes_to_operators_still_failing(live_mix, relay):
    """A week before 1.0 is retired, operators whose last week of deposits would still fail get a reminder, once."""
    live, _ = live_mix
    _published(live)
    late = live.gateway.catalogue.form("SIG_CUIVRE").versions[0].fin
    assert late is not None
    live.clock.set(late - timedelta(days=3))
    assert live.gateway.form_previews.remind() == []  # nothing deposited in the last week
    deposit_cuivre(live.client("OPE001"), "OPE001", cuivre_form(availability=False))  # ready
    beta = deposit_cuivre(live.client("OPE002"), "OPE002", cuivre_form(availability=False, code=REMOVED_CODE))
    ids = live.gateway.form_previews.remind()
    assert len(ids) == 1 and live.gateway.form_previews.remind() == []
    [message] = received_about(relay, "[e-SAV] Rappel", 1)
    text = parts_of(message.message)[0]
    assert message.rcpt_tos == ("esav@beta.example",)
    assert "Sur vos 1 dépôt des 7 derniers jours, 1 serait refusé par la version 2.0" in text
    assert beta in text and f"{late - timedelta(days=1):%d/%m/%Y}" in text


def test_stored_form_of_another_namespace_is_validated_as_the_new_version():
    """A stored form is moved to the version's namespace before validation (as if declared in it)."""
    from gateway.catalogue import as_version, default_catalogue_root

    cat = Catalogue.load(default_catalogue_root())
    form = etree.tostring(
        etree.fromstring(
            (default_catalogue_root() / "forms" / "SIG_DSL" / "1.0.example.xml").read_bytes()
        )
    ).decode().replace("urn:esav:formulaire:SIG_DSL", "urn:esav:formulaire:ANCIEN")  # fmt: skip
    assert check_stored_form(cat, "SIG_DSL", "2.0", "DSL_BITSTREAM", form) == []
    moved = as_version(etree.fromstring(form.encode()), "urn:esav:formulaire:SIG_DSL")
    assert etree.QName(moved).namespace == "urn:esav:formulaire:SIG_DSL"
    assert check_stored_form(cat, "SIG_DSL", "2.0", "FTTH_ACCES", form)[0].chemin == "codeOffre"
    assert check_stored_form(cat, "SIG_DSL", "2.0", "DSL_BITSTREAM", "<pas du xml")[0].libelle.startswith(
        "formulaire stocké illisible"
    )


def test_cli_announce_and_remind(live_mix, capsys, monkeypatch):
    """``esav catalogue annoncer`` queues each concerned operator's notice; ``remind`` has nothing due yet."""
    live, _ = live_mix
    _published(live)
    status, out, err = esav(capsys, monkeypatch, live, "catalogue", "announce", "SIG_CUIVRE", "2.0")
    assert status == 0, err
    assert "Annonce de SIG_CUIVRE 2.0 publiée ; 2 message(s) en file d'envoi." in out
    status, out, err = esav(capsys, monkeypatch, live, "catalogue", "announce", "SIG_CUIVRE", "1.0")
    assert status == 1 and "première version du formulaire" in err
    status, out, err = esav(capsys, monkeypatch, live, "catalogue", "remind")
    assert status == 0 and "0 rappel(s) en file d'envoi." in out
