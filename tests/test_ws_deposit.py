"""Depositing and following a ticket over SOAP v2, through zeep and mutual TLS."""

from __future__ import annotations

import pytest
import zeep
from lxml import etree
from support import deposit, example_form, fault_code, fault_details


def test_deposit_returns_reference_and_en_depot(live_any):
    """A valid deposit answers a reference number and the state EN_DEPOT."""
    answer = deposit(live_any.client())
    assert answer.referenceSignalisation.startswith("SIG")
    assert answer.etat == "EN_DEPOT"
    assert answer.dateDepot.utcoffset() is not None
    stored = live_any.gateway.store.get_ticket(answer.referenceSignalisation)
    assert stored is not None and stored.operator_code == "OPE001"


@pytest.mark.parametrize("offer", ["CUIVRE_DEGROUPAGE", "FTTH_ACCES", "DSL_BITSTREAM", "FIBRE_LFO", "ETHERNET_CE2O"])
def test_deposit_accepted_for_every_demo_offer(live, offer):
    """Each demo offer's example form, in the version in force, is accepted."""
    version = {"DSL_BITSTREAM": "2.0"}.get(offer, "1.0")
    assert deposit(live.client(), offer, version=version).etat == "EN_DEPOT"


def test_detail_shows_every_field_of_the_spec(live_any):
    """Detail carries references, dates, state, prestation, declared fault, GTR, history and comments."""
    client = live_any.client()
    answer = deposit(
        client,
        referenceOperateur="OC-2026-0001",
        commentaire="Client sans synchro depuis ce matin",
        piecesJointes={"pieceJointe": [{"nom": "mesure.txt", "typeMime": "text/plain", "contenu": b"att 42 dB"}]},
    )
    reference = answer.referenceSignalisation
    live_any.gateway.sav.comment(reference, author="sav/jdupont", text="Technicien prévu demain")
    d = client.service.consulterDetailSignalisation(reference)
    assert d.referenceSignalisation == reference
    assert d.referenceOperateur == "OC-2026-0001"
    assert (d.etat, d.libelleEtat) == ("EN_DEPOT", "En dépôt, recevabilité en cours d'étude")
    assert d.dateDepot == answer.dateDepot
    assert d.prestation.numero == "0140000001"
    assert d.prestation.extremiteA == "NRA 75111"
    assert d.prestation.extremiteB == "client 8 rue Oberkampf 75011 Paris"
    assert d.defautDeclare.gravite == "MAJEURE"
    assert d.defautDeclare.commentaire == "Client sans synchro depuis ce matin"
    assert d.defautDeclare.formulaire.code == "SIG_CUIVRE"
    sent = etree.tostring(example_form("SIG_CUIVRE"), method="c14n", exclusive=True)
    assert etree.tostring(d.defautDeclare.formulaire._value_1, method="c14n", exclusive=True) == sent
    assert d.gtr.type == "GTR_10HO"
    assert d.gtr.echeance is not None and d.gtr.respectee is None
    [first] = d.historique.changementEtat
    assert (first.etatPrecedent, first.etat, first.acteur) == (None, "EN_DEPOT", "OPERATEUR")
    texts = [(c.origine, c.texte) for c in d.commentaires.commentaire]
    assert texts == [("OPERATEUR", "Client sans synchro depuis ce matin"), ("FOURNISSEUR", "Technicien prévu demain")]
    [attachment] = d.piecesJointes.descriptionPieceJointe
    assert (attachment.nom, attachment.typeMime, attachment.taille) == ("mesure.txt", "text/plain", 9)
    got = client.service.obtenirPieceJointe(reference, attachment.idPieceJointe)
    assert (got.nom, got.contenu) == ("mesure.txt", b"att 42 dB")


def test_invalid_form_names_every_bad_field(live):
    """FORMULAIRE_INVALIDE lists the path of every invalid field, not only the first."""
    form = example_form("SIG_CUIVRE")
    ns = {"f": "urn:esav:formulaire:SIG_CUIVRE"}
    form.find("f:defaut/f:codeDefaut", ns).text = "PAS_UN_CODE"  # not in the code list
    form.find("f:contactSite/f:telephone", ns).text = "appelez-moi"  # pattern
    form.find("f:ligne/f:codeInsee", ns).text = "7511"  # pattern: five characters
    with pytest.raises(zeep.exceptions.Fault) as caught:
        deposit(live.client(), form=form)
    assert fault_code(caught.value) == "FORMULAIRE_INVALIDE"
    assert sorted(fault_details(caught.value)) == [
        "/signalisationCuivre/contactSite/telephone",
        "/signalisationCuivre/defaut/codeDefaut",
        "/signalisationCuivre/ligne/codeInsee",
    ]


def test_retired_form_version_is_refused_naming_the_version_in_force(live):
    """A retired form version gets FORMULAIRE_VERSION_RETIREE naming the version in force."""
    with pytest.raises(zeep.exceptions.Fault) as caught:
        deposit(live.client(), "DSL_BITSTREAM", version="1.0")
    assert fault_code(caught.value) == "FORMULAIRE_VERSION_RETIREE"
    assert "2.0" in caught.value.message


def test_unknown_gravite_is_refused_by_the_contract(live):
    """A severity outside the enumeration is refused before any processing."""
    session = live.session()
    body = etree.tostring(example_form("SIG_CUIVRE")).decode()
    envelope = f"""<?xml version="1.0" encoding="UTF-8"?>
<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/" xmlns:s="urn:esav:signalisation:v2">
<soap:Body><s:deposerSignalisation><s:identifiantPrestation>0140000001</s:identifiantPrestation>
<s:codeOffre>CUIVRE_DEGROUPAGE</s:codeOffre><s:gravite>ENORME</s:gravite>
<s:formulaire code="SIG_CUIVRE" version="1.0">{body}</s:formulaire>
</s:deposerSignalisation></soap:Body></soap:Envelope>"""
    response = session.post(live.url(), data=envelope.encode(), headers={"Content-Type": "text/xml; charset=utf-8"})
    assert response.status_code == 500
    fault = etree.fromstring(response.content)
    code = fault.findtext(".//{urn:esav:signalisation:v2}erreurEsav/{urn:esav:signalisation:v2}code")
    assert code == "REQUETE_INVALIDE"
    assert fault.findtext(".//{urn:esav:signalisation:v2}chemin").endswith("gravite")
    assert live.gateway.store.list_prestations("OPE001")  # the store is untouched and still readable
    assert live.gateway.store.get_ticket("SIG00000001") is None
