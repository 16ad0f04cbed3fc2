"""Subscription to e-SAV: the order form checked field by field, activation by the provider, termination."""

from __future__ import annotations

import re
from datetime import date, datetime

import pytest
import zeep
from support import DEFAULT_NOW, deposit, fault_code
from web_support import ADMIN, TECH, Browser

from gateway.cli import main
from gateway.domain.clock import PARIS, FixedClock
from gateway.domain.subscriptions import MANDATORY, check_order_form, termination_date
from gateway.errors import InvalidRequestError
from gateway.services import Gateway

COMPLETE = {
    "referenceContrat": "CG-OPE002-01-ESAV",
    "numeroAffaire": "AFF-2026-0042",
    "raisonSociale": "Opérateur Beta SAS",
    "siret": "443 061 841 00047",
    "representantNom": "Beta",
    "representantPrenom": "Bernard",
    "telephone": "01 23 45 67 89",
    "courriel": "contrats@beta.example",
    "adresse1": "7 rue Paradis",
    "faitA": "Paris",
    "faitLe": "2026-11-16",
    "signataireNom": "Martin",
    "signatairePrenom": "Claire",
    "signataireQualite": "Directrice générale",
    "adresse2": "13001 Marseille",
}
BOTH = frozenset({"EN_LIGNE", "INTEGRE"})


def test_a_complete_form_has_no_problem():
    """The reference form, with both accesses, passes every check."""
    assert check_order_form(COMPLETE, BOTH) == []


@pytest.mark.parametrize("field", sorted(MANDATORY))
def test_each_mandatory_field_left_empty_is_named(field):
    """An empty mandatory field is reported under its own name, and only it."""
    problems = check_order_form({**COMPLETE, field: "  "}, BOTH)
    assert [(p.chemin, p.libelle) for p in problems] == [(field, "Champ obligatoire.")]


@pytest.mark.parametrize(
    ("changes", "access", "expected"),
    [
        ({"siret": "12345678901234"}, BOTH, ["siret"]),
        ({"siret": "4430618410004"}, BOTH, ["siret"]),
        ({"courriel": "contrats-at-beta"}, BOTH, ["courriel"]),
        ({"telephone": "12"}, BOTH, ["telephone"]),
        ({"contactFonction": "Responsable SAV"}, BOTH, ["contactNom", "contactTelephone"]),
        ({"contactNom": "Chloé", "contactCourriel": "sav@beta.example"}, BOTH, []),
        ({}, frozenset(), ["acces"]),
        ({}, frozenset({"FAX"}), ["acces"]),
    ],
)
def test_formats_contact_and_access_rules(changes, access, expected):
    """SIRET (14 digits, Luhn key), e-mail, phone, a named contact's means of contact, at least one access."""
    assert [p.chemin for p in check_order_form({**COMPLETE, **changes}, access)] == expected


def test_termination_takes_effect_two_months_after_notice():
    """Two calendar months, on the month's last day when it lacks the day."""
    assert termination_date(date(2026, 11, 18)) == date(2027, 1, 18)
    assert termination_date(date(2026, 12, 31)) == date(2027, 2, 28)


def test_from_order_form_to_activation_and_termination(tmp_path):
    """OPE002 (no e-SAV en ligne) subscribes to both accesses; activation opens them; termination is dated."""
    gateway = Gateway.open(tmp_path / "esav.db", clock=FixedClock(DEFAULT_NOW))
    try:
        gateway.admin.add_operator("OPE002", "Opérateur Beta", esav_en_ligne=False, esav_integre=True, domains=())
        with pytest.raises(InvalidRequestError) as incomplete:
            gateway.subscriptions.submit("OPE002", {**COMPLETE, "siret": "", "courriel": ""}, BOTH, "beta")
        assert [d.chemin for d in incomplete.value.details] == ["siret", "courriel"]
        record = gateway.subscriptions.submit("OPE002", COMPLETE, BOTH, "beta")
        assert (record.reference, record.state) == ("ABO00000001", "DEMANDEE")
        active = gateway.subscriptions.activate(record.reference, date(2026, 11, 20), BOTH, "fournisseur")
        assert (active.state, active.activated_on) == ("ACTIVE", "2026-11-20")
        assert gateway.store.get_operator("OPE002").esav_en_ligne
        ended = gateway.subscriptions.terminate(record.reference)
        assert (ended.state, ended.notice_on, ended.terminates_on) == ("RESILIEE", "2026-11-18", "2027-01-18")
    finally:
        gateway.close()


def test_the_administrator_submits_the_order_form_from_the_portal(portal):
    """An incomplete form comes back with each error under its field; a complete one gets its reference."""
    admin = Browser(portal.web_url, str(portal.pki.directory / "ca.pem"))
    admin.login(ADMIN)
    refused = admin.post("/abonnement", {**COMPLETE, "raisonSociale": "", "siret": "123"})
    assert refused.status_code == 422
    assert 'id="e-raisonSociale">Champ obligatoire.' in refused.text
    assert 'id="e-siret">SIRET invalide' in refused.text and 'id="e-acces">' in refused.text
    assert 'value="AFF-2026-0042"' in refused.text  # what was typed is kept
    sent = admin.post("/abonnement", {**COMPLETE, "acces": ["EN_LIGNE", "INTEGRE"]})
    reference = re.search(r'id="reference-abonnement">(ABO\d{8})<', sent.text).group(1)
    assert portal.gateway.store.subscription(reference).operator_code == "OPE001"
    tech = Browser(portal.web_url, str(portal.pki.directory / "ca.pem"))
    tech.login(TECH)
    assert tech.get("/abonnement").status_code == 404


def test_the_provider_registers_and_activates_from_the_cli(tmp_path, capsys):
    """``esav portail enregistrer`` names the missing fields; ``activer`` opens the accesses."""
    data = str(tmp_path)
    gateway = Gateway.open(tmp_path / "esav.db")
    gateway.admin.add_operator("OPE003", "Opérateur Gamma", esav_en_ligne=False, esav_integre=False, domains=())
    gateway.close()
    fields = [f"--champ={k}={v}" for k, v in COMPLETE.items() if k != "representantNom"]
    assert main(["portail", "enregistrer", "OPE003", "--donnees", data, *fields, "--acces", "INTEGRE"]) != 0
    assert "representantNom: Champ obligatoire." in capsys.readouterr().err
    fields.append("--champ=representantNom=Gamma")
    assert main(["portail", "enregistrer", "OPE003", "--donnees", data, *fields, "--acces", "INTEGRE"]) == 0
    reference = re.search(r"ABO\d{8}", capsys.readouterr().out).group(0)
    assert main(["portail", "activer", reference, "--donnees", data, "--date", "2026-12-01", "--acces", "INTEGRE"]) == 0
    assert "actif depuis le 2026-12-01 (INTEGRE)" in capsys.readouterr().out


def test_the_provider_publishes_a_faq_entry_and_a_file_from_the_cli(tmp_path, capsys):
    """``esav portail faq`` and ``esav portail fichier`` publish; the same file name again is version 2."""
    data = str(tmp_path)
    gateway = Gateway.open(tmp_path / "esav.db")
    gateway.admin.add_operator("OPE003", "Opérateur Gamma", esav_en_ligne=True, esav_integre=False, domains=())
    gateway.close()
    assert (
        main(
            [
                "portail",
                "faq",
                "--donnees",
                data,
                "--question",
                "Délai ?",
                "--reponse",
                "48 h.",
                "--offre",
                "FTTH_ACCES",
            ]
        )
        == 0
    )
    report = tmp_path / "rapport.pdf"
    report.write_bytes(b"%PDF-1.4 v1")
    assert main(["portail", "fichier", "OPE003", str(report), "--donnees", data]) == 0
    report.write_bytes(b"%PDF-1.4 v2")
    assert main(["portail", "fichier", "OPE003", str(report), "--donnees", data]) == 0
    assert "rapport.pdf publié pour OPE003 (version 2)." in capsys.readouterr().out
    gateway = Gateway.open(tmp_path / "esav.db")
    try:
        assert [(f.offer, f.question) for f in gateway.store.faq()] == [("FTTH_ACCES", "Délai ?")]
        assert [f.version for f in gateway.store.files("OPE003")] == [2, 1]
    finally:
        gateway.close()


def test_operators_list_shows_when_a_termination_closes_the_accesses(tmp_path, capsys):
    """After ``resilier``, ``operators list`` shows the closing day; once it has passed, the accesses as closed."""
    data = str(tmp_path)
    gateway = Gateway.open(tmp_path / "esav.db")
    gateway.admin.add_operator("OPE003", "Opérateur Gamma", esav_en_ligne=False, esav_integre=False, domains=())
    gateway.close()
    fields = [f"--champ={k}={v}" for k, v in COMPLETE.items()]
    assert main(["portail", "enregistrer", "OPE003", "--donnees", data, *fields, "--acces", "INTEGRE"]) == 0
    reference = re.search(r"ABO\d{8}", capsys.readouterr().out).group(0)
    assert main(["portail", "activer", reference, "--donnees", data, "--date", "2026-01-05", "--acces", "INTEGRE"]) == 0
    assert main(["portail", "resilier", reference, "--donnees", data]) == 0
    capsys.readouterr()
    assert main(["operateurs", "liste", "--donnees", data]) == 0
    line = next(row for row in capsys.readouterr().out.splitlines() if row.startswith("OPE003"))
    assert re.search(r"accès : intégré \(jusqu'au \d\d/\d\d/\d{4}\)", line), line
    gateway = Gateway.open(tmp_path / "esav.db")  # the end day has come (as a past day stands for it)
    with gateway.store.write() as db:
        db.portal.set_operator_access_end("OPE003", "2020-01-01")
    gateway.close()
    assert main(["operateurs", "liste", "--donnees", data]) == 0
    line = next(row for row in capsys.readouterr().out.splitlines() if row.startswith("OPE003"))
    assert "accès : fermé depuis le 01/01/2020" in line, line


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"referenceContrat": "CG-OPE002-01"}, "referenceContrat", "suivie de « -ESAV »"),
        ({"referenceContrat": "-ESAV"}, "referenceContrat", "suivie de « -ESAV »"),
        ({"faitLe": "16 novembre"}, "faitLe", "Date invalide"),
        ({"faitLe": "19/11/2026"}, "faitLe", "au plus tard le 18/11/2026"),
    ],
)
def test_annex_3_contract_reference_and_signature_date(changes, field, message):
    """The reference ends with -ESAV; the signature's date is a date, not after today."""
    problems = check_order_form({**COMPLETE, **changes}, BOTH, date(2026, 11, 18))
    assert [p.chemin for p in problems] == [field] and message in problems[0].libelle


def test_the_order_form_page_has_annex_3s_signature_block_and_separate_names(portal):
    """The portal's order form asks for last and first names apart, and for "Fait à", "le" and the signatory."""
    admin = Browser(portal.web_url, str(portal.pki.directory / "ca.pem"))
    admin.login(ADMIN)
    page = admin.get("/abonnement").text
    for name in ("representantNom", "representantPrenom", "faitA", "faitLe", "signataireNom", "signatairePrenom"):
        assert f'name="{name}"' in page
    assert 'name="signataireQualite"' in page and 'name="representant"' not in page


def test_accesses_open_on_the_activation_date_not_before(portal):
    """OPE002's subscription activated for 20/11/2026 on 18/11: its web services answer NON_HABILITE until then."""
    subscriptions = portal.gateway.subscriptions
    record = subscriptions.register("OPE002", COMPLETE, BOTH, "test")
    subscriptions.activate(record.reference, date(2026, 11, 20), BOTH, "test")
    client = portal.client("OPE002")
    with pytest.raises(zeep.exceptions.Fault) as refused:
        deposit(client, identifiantPrestation="0140000002")
    assert fault_code(refused.value) == "NON_HABILITE"
    portal.clock.set(datetime(2026, 11, 20, 0, 0, tzinfo=PARIS))
    assert deposit(portal.client("OPE002"), identifiantPrestation="0140000002").etat == "EN_DEPOT"
