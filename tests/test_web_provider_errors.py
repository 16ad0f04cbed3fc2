"""Every staff form names a refused field under that field (the summary on top stays)."""

from __future__ import annotations

import pytest
from sav_support import AGENT
from web_support import csrf_of, signed_in

PDF = {"pdf": ("f.pdf", b"%PDF-1.4", "application/pdf")}
CASES = [
    ("/fournisseur/actualites", {"type": "ACTUALITE", "titre": "", "texte": "x"}, None, "titre"),
    ("/fournisseur/actualites", {"type": "MAINTENANCE_PORTAIL", "titre": "M", "texte": "x",
                                 "dateEffet": "2026-11-18T12:00"}, None, "dateEffet"),
    ("/fournisseur/faq", {"question": " ", "reponse": "r"}, None, "question"),
    ("/fournisseur/fichiers", {"operateur": ""}, {"fichier": ("a.pdf", b"%PDF", "application/pdf")}, "operateur"),
    ("/fournisseur/fichiers", {"operateur": "OPE001"}, None, "fichier"),
    ("/fournisseur/factures", {"operateur": "OPE001", "numero": "F-1", "date": "2026-12-01", "periode": "11/2026",
                               "montant": "douze"}, PDF, "montant"),
    ("/fournisseur/factures", {"operateur": "OPE001", "numero": "F-2", "date": "01/12/2026", "periode": "11/2026",
                               "montant": "12"}, PDF, "date"),
    ("/fournisseur/contrats", {"operateur": "OPE001", "offre": "AUCUNE", "reference": "C", "date": "2026-11-01"},
     None, "offre"),
    ("/fournisseur/contrats", {"operateur": "OPE001", "offre": "DSL_BITSTREAM", "reference": "C", "date": "hier"},
     None, "date"),
]  # fmt: skip


@pytest.mark.parametrize(("path", "data", "files", "field"), CASES, ids=[f"{c[0]}-{c[3]}" for c in CASES])
def test_a_refused_field_is_named_under_itself(portal, path, data, files, field):
    """The page answers 422 with the message under the refused field."""
    agent = signed_in(portal, AGENT, lands_on=None)

    token = csrf_of(agent.get(path).text)
    response = agent.http.post(agent.base + path, data={"csrf": token, **data}, files=files)
    assert response.status_code == 422, response.text[:300]
    assert f'id="e-{field}"' in response.text
