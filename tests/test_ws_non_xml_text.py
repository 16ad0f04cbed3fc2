"""SOAP requests cannot carry characters XML 1.0 forbids, not even as character references: the hardened
parse refuses them with the typed fault, before any service, and nothing is stored."""

from __future__ import annotations

from lxml import etree
from support import deposit

NS = {"e": "urn:esav:signalisation:v2"}


def test_a_character_reference_to_a_vertical_tab_is_a_typed_requete_invalide(live):
    """completerSignalisation with ``&#11;`` in its comment is a typed REQUETE_INVALIDE; no comment is stored."""
    client = live.client()
    reference = deposit(client).referenceSignalisation
    message = client.create_message(client.service, "completerSignalisation", reference, "MARQUE")
    body = etree.tostring(message, encoding="unicode").replace("MARQUE", "colonne A&#11;colonne B").encode()
    response = live.session().post(live.url(), data=body, headers={"Content-Type": "text/xml; charset=utf-8"})
    assert response.status_code == 500
    fault = etree.fromstring(response.content)
    assert fault.xpath("string(//e:erreurEsav/e:code)", namespaces=NS) == "REQUETE_INVALIDE"
    ticket = live.gateway.store.get_ticket(reference)
    assert live.gateway.store.comments(ticket.id) == []
