"""The after-sales work queue (/fournisseur/sav): the list across operators, the ticket page, actions, conflicts."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from html import unescape

import pytest
from sav_support import AGENT, audit_rows, deposit
from support import LiveGateway
from web_support import ADMIN, csrf_of, signed_in

from gateway.domain.clock import PARIS
from gateway.domain.states import Action
from gateway.services import Caller

_VU = re.compile(r'name="vu" value="(\d+)"')


def text_of(html: str) -> str:
    """The page's text, tags removed and whitespace folded, for assertions on what a reader sees."""
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


def act(agent, reference: str, action: str, **fields: str):
    """Post ``action`` from the ticket's page as the agent, with the page's CSRF token and last transition."""
    page = agent.get(f"/fournisseur/sav/{reference}").text
    seen = _VU.search(page)
    data = {"csrf": csrf_of(page), "action": action, "vu": seen.group(1) if seen else "", **fields}
    return agent.http.post(f"{agent.base}/fournisseur/sav/{reference}/action", data=data)


@pytest.fixture
def queue(portal: LiveGateway):
    """Three tickets deposited Wednesday 10:00 (GTR 4 h, GTR 10 business hours, OPE002's), clock then Thursday 08:30."""
    gateway = portal.gateway
    lfo = deposit(gateway, "OPE001", "FIBRE_LFO", gravite="CRITIQUE", reference_operateur="ALPHA-LFO-1")
    copper = deposit(gateway, "OPE001", "CUIVRE_DEGROUPAGE", reference_operateur="ALPHA-CU-7")
    beta = deposit(gateway, "OPE002", "CUIVRE_DEGROUPAGE", gravite="MINEURE")
    gateway.sav.act(beta, Action.QUALIFIER, author="sav/fixture")
    portal.clock.set(datetime(2026, 11, 19, 8, 30, tzinfo=PARIS))
    return {"lfo": lfo, "copper": copper, "beta": beta}


def test_the_queue_lists_every_operator_by_gtr_deadline_and_marks_the_late_and_the_urgent(portal, queue):
    """Both operators' tickets, soonest deadline first; GTR 4 h is late, GTR 10 h due within 2 business hours."""
    agent = signed_in(portal, AGENT, lands_on=None)
    page = agent.get("/fournisseur/sav")
    assert page.status_code == 200
    html = page.text
    order = [html.index(queue[k]) for k in ("lfo", "copper", "beta")]
    assert order == sorted(order)
    rows = {ref: html[html.index(ref) :].split("</tr>")[0] for ref in queue.values()}
    assert "En retard" in rows[queue["lfo"]] and "en-retard" in html
    assert "Moins de 2 h ouvrées" in rows[queue["copper"]]
    assert "OPE002" in rows[queue["beta"]] and "Mineure" in rows[queue["beta"]]
    text = text_of(html)
    assert "En dépôt, recevabilité en cours d'étude : 2" in text
    assert "En qualification, en attente d'un technicien : 1" in text


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("operateur=OPE002", {"beta"}),
        ("etat=EN_QUALIFICATION", {"beta"}),
        ("offre=FIBRE_LFO", {"lfo"}),
        ("gravite=CRITIQUE", {"lfo"}),
        ("recherche=ALPHA-CU-7", {"copper"}),
        ("depuis=2026-11-18&jusqua=2026-11-18", {"lfo", "copper", "beta"}),
        ("depuis=2026-11-19", set()),
    ],
)
def test_the_queue_filters_by_operator_state_offer_gravity_reference_and_dates(portal, queue, query, expected):
    """Each filter keeps exactly the matching tickets."""
    html = signed_in(portal, AGENT, lands_on=None).get(f"/fournisseur/sav?{query}").text
    assert {k for k, ref in queue.items() if ref in html} == expected


def test_a_bad_filter_is_named_under_its_field(portal, queue):
    """An unknown state or a malformed date is refused with a French message under that field, nothing listed."""
    agent = signed_in(portal, AGENT, lands_on=None)
    bad_day = agent.get("/fournisseur/sav?depuis=18/11/2026")
    assert bad_day.status_code == 422 and 'id="e-depuis"' in bad_day.text and queue["lfo"] not in bad_day.text
    bad_state = agent.get("/fournisseur/sav?etat=PERDU")
    assert bad_state.status_code == 422 and "État « PERDU » inconnu." in unescape(bad_state.text)


def test_the_queue_pages_by_fifty(portal):
    """Fifty-one tickets make two pages; the second holds the last one and links back."""
    for _ in range(51):
        deposit(portal.gateway, "OPE001", "FIBRE_LFO")
    agent = signed_in(portal, AGENT, lands_on=None)
    first = agent.get("/fournisseur/sav?offre=FIBRE_LFO").text
    assert "page 1 sur 2" in first and 'rel="next"' in first
    second = agent.get("/fournisseur/sav?offre=FIBRE_LFO&page=2").text
    assert second.count('href="/fournisseur/sav/SIG') == 1 and 'rel="prev"' in second


def test_the_ticket_page_shows_the_declared_fault_in_words(portal, queue):
    """The form is shown with the catalogue's French labels and nomenclature labels, not raw codes."""
    agent = signed_in(portal, AGENT, lands_on=None)
    text = text_of(agent.get(f"/fournisseur/sav/{queue['copper']}").text)
    assert "Défaut déclaré" in text and "Défaut constaté" in text
    assert "Bruit ou friture sur la ligne" in text and "BRUIT_LIGNE" not in text
    assert "Friture permanente sur la ligne" in text
    assert "21/11/2026 19:42" in text  # an instant in Paris time
    assert "ALPHA-CU-7" in text and "Majeure" in text
    assert "GTR 10 heures ouvrées" in text and "Temps gelé 0 h 00 min" in text


#: An agent's walk through a ticket: (action, fields, state reached, audit action).
WALK = [
    ("QUALIFIER", {}, "EN_QUALIFICATION", "signalisation.qualifier"),
    ("DEMARRER", {}, "EN_COURS", "signalisation.demarrer"),
    ("GELER", {"code": "ATTENTE_INFORMATION_OPERATEUR", "motif": "Merci de préciser l'adresse."}, "GELE",
     "signalisation.geler"),
    ("REPRENDRE", {}, "EN_COURS", "signalisation.reprendre"),
    ("CLORE", {"code": "RESOLU_RESEAU_FOURNISSEUR", "motif": "Carte remplacée."}, "CLOS", "signalisation.clore"),
    ("VALIDER", {}, "VALIDE", "signalisation.valider"),
    ("ARCHIVER", {}, "CLOS_TABLEAU_DE_BORD", "signalisation.archiver"),
]  # fmt: skip


def test_each_action_moves_the_ticket_and_writes_its_audit_row(portal, queue):
    """Every action from the page takes the ticket on, as agent/agent.sav, with its code, in the audit trail."""
    agent = signed_in(portal, AGENT, lands_on=None)
    reference = queue["copper"]
    for action, fields, state, audited in WALK:
        response = act(agent, reference, action, **fields)
        assert response.status_code == 200 and "L'action est enregistrée." in unescape(response.text), action
        assert portal.gateway.store.get_ticket(reference).state == state
        rows = audit_rows(portal, audited, reference)
        assert len(rows) == 1 and rows[0][0] == "agent/agent.sav"
        assert rows[0][2]["vers"] == state and rows[0][2]["code"] == fields.get("code")
    history = portal.gateway.store.transitions(portal.gateway.store.get_ticket(reference).id)
    assert [t.author for t in history[1:]] == ["agent/agent.sav"] * len(WALK)
    assert history[3].reason == "Merci de préciser l'adresse."


def test_a_freeze_without_the_awaited_item_is_named_under_its_field(portal, queue):
    """Freezing without a code is refused under the code's field; the ticket does not move."""
    agent = signed_in(portal, AGENT, lands_on=None)
    reference = queue["beta"]
    response = act(agent, reference, "GELER")
    assert response.status_code == 422 and 'id="e-GELER-code"' in response.text
    assert "exige le champ codeGel" in unescape(response.text)
    assert portal.gateway.store.get_ticket(reference).state == "EN_QUALIFICATION"
    unknown = act(agent, reference, "GELER", code="ATTENTE_GODOT")
    assert unknown.status_code == 422 and "n'est pas dans la nomenclature MOTIFS_GEL" in unescape(unknown.text)


def test_the_second_of_two_agents_is_told_the_ticket_changed_and_nothing_is_overwritten(portal, queue):
    """Two agents open the same ticket; the first qualifies it; the second's action is refused (409), nothing moves."""
    reference = queue["lfo"]
    first = signed_in(portal, AGENT, lands_on=None)
    second = signed_in(portal, AGENT, lands_on=None)
    pages = [a.get(f"/fournisseur/sav/{reference}").text for a in (first, second)]
    seen = [_VU.search(p).group(1) for p in pages]
    assert seen[0] == seen[1]
    ok = first.http.post(
        f"{first.base}/fournisseur/sav/{reference}/action",
        data={"csrf": csrf_of(pages[0]), "action": "QUALIFIER", "vu": seen[0]},
    )
    assert ok.status_code == 200
    late = second.http.post(
        f"{second.base}/fournisseur/sav/{reference}/action",
        data={"csrf": csrf_of(pages[1]), "action": "QUALIFIER", "vu": seen[1]},
    )
    assert late.status_code == 409
    assert "a changé depuis que vous l'avez ouverte" in unescape(late.text)
    ticket = portal.gateway.store.get_ticket(reference)
    assert ticket.state == "EN_QUALIFICATION" and ticket.rejection_code is None
    assert len(portal.gateway.store.transitions(ticket.id)) == 2
    assert len(audit_rows(portal, "signalisation.qualifier", reference)) == 1


def test_a_comment_and_a_file_reach_the_operator_and_downloads_are_audited(portal, queue):
    """The agent comments and attaches a PDF; the operator's page shows both; the agent's download is audited."""
    agent = signed_in(portal, AGENT, lands_on=None)
    reference = queue["copper"]
    page = agent.get(f"/fournisseur/sav/{reference}").text
    empty = agent.http.post(
        f"{agent.base}/fournisseur/sav/{reference}/commentaire", data={"csrf": csrf_of(page), "texte": "  "}
    )
    assert empty.status_code == 422 and 'id="e-commentaire-texte"' in empty.text
    said = agent.http.post(
        f"{agent.base}/fournisseur/sav/{reference}/commentaire",
        data={"csrf": csrf_of(page), "texte": "Technicien passé, mesure en cours."},
    )
    assert said.status_code == 200 and "Technicien passé, mesure en cours." in said.text
    bad = agent.http.post(
        f"{agent.base}/fournisseur/sav/{reference}/pieces",
        data={"csrf": csrf_of(page)},
        files={"fichier": ("outil.exe", b"MZ", "application/octet-stream")},
    )
    assert bad.status_code == 422 and 'id="e-piece-fichier"' in bad.text
    sent = agent.http.post(
        f"{agent.base}/fournisseur/sav/{reference}/pieces",
        data={"csrf": csrf_of(page)},
        files={"fichier": ("mesures.pdf", b"%PDF-1.4 mesures", "application/pdf")},
    )
    assert sent.status_code == 200 and "mesures.pdf" in sent.text
    assert audit_rows(portal, "signalisation.commentaire", reference)[0][0] == "agent/agent.sav"
    assert audit_rows(portal, "signalisation.piece_jointe", reference)[0][2]["nom"] == "mesures.pdf"
    link = re.search(rf'href="(/fournisseur/sav/{reference}/pieces/\d+)"', sent.text).group(1)
    download = agent.get(link)
    assert download.content == b"%PDF-1.4 mesures" and "attachment" in download.headers["Content-Disposition"]
    assert audit_rows(portal, "signalisation.piece_jointe.telechargement", reference)[0][0] == "agent/agent.sav"
    operator = signed_in(portal, ADMIN).get(f"/esav/signalisations/{reference}").text
    assert "Technicien passé, mesure en cours." in operator and "mesures.pdf" in operator


def test_the_queue_needs_the_after_sales_role(portal, queue):
    """An agent without the SAV role, like an operator's user, gets 404 on the queue and on a ticket."""
    portal.gateway.accounts.create_agent("paul.portail", "Paul Portail", "Portail-Paul-2026!", author="test")
    plain = signed_in(portal, ("paul.portail", "Portail-Paul-2026!"), lands_on=None)
    operator = signed_in(portal, ADMIN)
    for browser in (plain, operator):
        assert browser.get("/fournisseur/sav").status_code == 404
        assert browser.get(f"/fournisseur/sav/{queue['lfo']}").status_code == 404
    assert 'href="/fournisseur/sav"' not in plain.get("/fournisseur").text  # neither in the menu nor on the home page
    portal.gateway.accounts.set_agent_roles("paul.portail", frozenset({"SAV"}), author="test")
    assert plain.get("/fournisseur/sav").status_code == 200
    assert audit_rows(portal, "agent.roles", "paul.portail")[0][2] == {"roles": ["SAV"]}


def test_an_unknown_ticket_answers_404(portal):
    """A reference that does not exist is a 404 page, not an error."""
    assert signed_in(portal, AGENT, lands_on=None).get("/fournisseur/sav/SIG99999999").status_code == 404


def test_a_closed_ticket_shows_whether_its_gtr_was_met_and_its_frozen_time(portal, queue):
    """Frozen two hours then closed: the page says the time frozen and whether the GTR held."""
    gateway, reference = portal.gateway, queue["beta"]
    gateway.sav.act(reference, Action.DEMARRER, author="sav/x")
    gateway.sav.act(reference, Action.GELER, author="sav/x", code="ATTENTE_ACCES_SITE")
    portal.clock.advance(timedelta(hours=2))
    gateway.sav.act(reference, Action.REPRENDRE, author="sav/x")
    gateway.sav.act(reference, Action.CLORE, author="sav/x", code="RESOLU_SITE_CLIENT")
    text = text_of(signed_in(portal, AGENT, lands_on=None).get(f"/fournisseur/sav/{reference}").text)
    assert "Temps gelé 2 h 00 min" in text and "respectée" in text
    assert "Résolu : défaut sur le site du client final" in text


def test_a_rejection_from_the_page_records_its_code_and_audit_row(portal, queue):
    """Rejecting with a code moves the ticket to EN_REJET; the audit row carries the code and the note."""
    code = portal.gateway.catalogue.nomenclature("MOTIFS_REJET").values[0].code
    agent = signed_in(portal, AGENT, lands_on=None)
    response = act(agent, queue["lfo"], "REJETER", code=code, motif="Prestation résiliée.")
    assert response.status_code == 200 and "Rejetée, non recevable" in response.text
    ((actor, _, details),) = audit_rows(portal, "signalisation.rejeter", queue["lfo"])
    assert actor == "agent/agent.sav" and details == {
        "de": "EN_DEPOT",
        "vers": "EN_REJET",
        "code": code,
        "motif": "Prestation résiliée.",
    }


def test_the_ticket_page_shows_the_appointments_and_the_prestations_line_tests(portal):
    """A booked appointment and a finished remote test of the prestation appear on the agent's page, in words."""
    gateway = portal.gateway
    caller = Caller("OPE001", "Opérateur Alpha", frozenset({"signalisation", "test"}), author="tech.alpha")
    copper = deposit(gateway, "OPE001", "CUIVRE_DEGROUPAGE")
    slot = gateway.appointments.search(caller, copper, "SAV", None, None)[0]
    booked = gateway.appointments.book(caller, copper, slot.id, "Mme Martin", "0612345678")
    ethernet = deposit(gateway, "OPE001", "ETHERNET_CE2O")
    test_type = gateway.line_tests.available(caller, "ETH-000001")[0]
    launched = gateway.line_tests.launch(caller, "ETH-000001", test_type.code)
    portal.clock.advance(timedelta(minutes=5))
    gateway.line_tests.poll(launched.reference)
    agent = signed_in(portal, AGENT, lands_on=None)
    copper_text = text_of(agent.get(f"/fournisseur/sav/{copper}").text)
    assert booked.reference in copper_text and "Intervention SAV" in copper_text and "confirmé" in copper_text
    ethernet_text = text_of(agent.get(f"/fournisseur/sav/{ethernet}").text)
    assert launched.reference in ethernet_text and test_type.libelle in ethernet_text
    assert "terminé" in ethernet_text or "échec" in ethernet_text
