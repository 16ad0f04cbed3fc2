"""The portal over HTTPS refuses characters XML cannot carry (a vertical tab, a NUL) in every text it stores,
naming the field in French, with a page (422) rather than a 500, and storing nothing."""

from __future__ import annotations

import re
import sqlite3
from contextlib import closing
from html import unescape

import pytest
from support import deposit
from test_web_portal import example_values
from web_support import TECH, csrf_of, signed_in

VT, NUL = "\x0b", "\x00"


def _refused(response, message: str) -> None:
    assert response.status_code == 422, response.status_code
    assert message in unescape(response.text)


def test_cancel_reason_with_a_vertical_tab_is_refused_naming_the_field(portal):
    """Cancelling with a VT in the reason shows the detail page (422) naming the reason; the ticket stays EN_DEPOT."""
    reference = deposit(portal.client()).referenceSignalisation
    tech = signed_in(portal, TECH)
    response = tech.post(
        f"/esav/signalisations/{reference}/annuler",
        {"texte": f"collé{VT}du tableur", "confirme": "oui"},  # the box ticked: the reason itself is refused
        form_page=f"/esav/signalisations/{reference}",
    )
    _refused(response, "Motif d'annulation : caractère interdit U+000B en position 6")
    assert portal.gateway.store.get_ticket(reference).state == "EN_DEPOT"
    assert [t.action for t in portal.gateway.store.transitions(portal.gateway.store.get_ticket(reference).id)] == [
        "DEPOSER"
    ]


def test_completion_comment_with_a_nul_is_refused_naming_the_field(portal):
    """Completing with a NUL in the comment is refused (422) naming the comment; no comment is stored."""
    reference = deposit(portal.client()).referenceSignalisation
    tech = signed_in(portal, TECH)
    response = tech.post(
        f"/esav/signalisations/{reference}/completer",
        {"texte": f"abc{NUL}"},
        form_page=f"/esav/signalisations/{reference}",
    )
    _refused(response, "Commentaire : caractère interdit U+0000 en position 4")
    assert portal.gateway.store.comments(portal.gateway.store.get_ticket(reference).id) == []


def test_attachment_name_with_a_nul_is_refused_naming_the_file(portal):
    """An uploaded file whose name holds a NUL is refused (422) naming the attachment; nothing is stored."""
    reference = deposit(portal.client()).referenceSignalisation
    tech = signed_in(portal, TECH)
    token = csrf_of(tech.get(f"/esav/signalisations/{reference}").text)
    response = tech.http.post(
        f"{tech.base}/esav/signalisations/{reference}/completer",
        data={"csrf": token, "texte": "Mesure jointe"},
        files=[("pieces", (f"mesure{NUL}.csv", b"dB;-42\n", "text/csv"))],
    )
    _refused(response, "Nom de la pièce jointe 1 : caractère interdit U+0000 en position 7")
    ticket = portal.gateway.store.get_ticket(reference)
    assert portal.gateway.store.attachments(ticket.id) == [] and portal.gateway.store.comments(ticket.id) == []


def test_deposit_form_field_with_a_vertical_tab_is_refused_under_that_field(portal):
    """A VT in a form field of the deposit page shows the page (422, not 500) with the error under that field, named."""
    tech = signed_in(portal, TECH)
    values = example_values("SIG_CUIVRE")
    values["/signalisationCuivre/contactSite/nom"] = f"M.{VT}Martin"
    response = tech.post(
        "/esav/deposer",
        {"prestation": "0140000001", "gravite": "MAJEURE", **values},
        form_page="/esav/deposer?prestation=0140000001",
    )
    assert response.status_code == 422
    under = re.search(r'id="f-signalisationCuivre-contactSite-nom-erreur">([^<]*)<', response.text)
    assert under and unescape(under.group(1)).startswith("Nom du contact : caractère interdit U+000B en position 3")
    assert portal.gateway.store.get_ticket("SIG00000001") is None


def test_deposit_reference_with_a_nul_is_refused_under_that_field(portal):
    """A NUL in the deposit's own reference is refused (422) under that field, named; no ticket is stored."""
    tech = signed_in(portal, TECH)
    response = tech.post(
        "/esav/deposer",
        {
            "prestation": "0140000001",
            "gravite": "MAJEURE",
            "referenceOperateur": f"R{NUL}1",
            **example_values("SIG_CUIVRE"),
        },
        form_page="/esav/deposer?prestation=0140000001",
    )
    under = re.search(r'id="freferenceOperateur-erreur">([^<]*)<', response.text)
    assert response.status_code == 422 and under
    assert unescape(under.group(1)).startswith("Référence opérateur : caractère interdit U+0000 en position 2")
    assert portal.gateway.store.get_ticket("SIG00000001") is None


@pytest.mark.sqlite_file
def test_a_stored_attachment_name_with_a_nul_never_reaches_the_header(portal):
    """An attachment name stored with a NUL before the check downloads (200) with no control character in its header."""
    attachment = {"pieceJointe": [{"nom": "mesure.txt", "typeMime": "text/plain", "contenu": b"42 dB"}]}
    reference = deposit(portal.client(), piecesJointes=attachment).referenceSignalisation
    with closing(sqlite3.connect(portal.gateway.store.path)) as db, db:
        db.execute("UPDATE attachments SET name = ?", [f"mes{NUL}ure.txt"])
    tech = signed_in(portal, TECH)
    ticket = portal.gateway.store.get_ticket(reference)
    [stored] = portal.gateway.store.attachments(ticket.id)
    response = tech.get(f"/esav/signalisations/{reference}/pieces/{stored.id}")
    assert response.status_code == 200 and response.content == b"42 dB"
    assert response.headers["Content-Disposition"] == 'attachment; filename="mes_ure.txt"'
