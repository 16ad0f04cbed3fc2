"""A request is parsed once, by the host's hardened parser, and spyne reads that very tree."""

from __future__ import annotations

import pytest
import spyne.protocol.soap.soap11 as soap11
from support import deposit
from test_ws_hostile_xml import HEADERS, envelope, esav_code, soap_fault


def test_spyne_does_not_parse_the_envelope_again(live, monkeypatch):
    """With spyne's own envelope parser disabled, a deposit and a state query still get their answers."""

    def refuse(*args, **kwargs):
        raise AssertionError("spyne parsed the envelope a second time")

    monkeypatch.setattr(soap11, "_parse_xml_string", refuse)
    client = live.client()
    receipt = deposit(client)
    assert client.service.consulterEtatSignalisation(receipt.referenceSignalisation).etat == "EN_DEPOT"


@pytest.mark.parametrize(
    ("name", "reference"),
    [
        ("comment-inside-the-value", b"SIG0000<!-- commentaire -->0000"),
        ("cdata-section", b"<![CDATA[SIG00000000]]>"),
        ("processing-instruction", b"SIG0000<?esav note?>0000"),
    ],
)
def test_comments_cdata_and_processing_instructions_read_as_spyne_reads_them(live, name, reference):
    """Comments and processing instructions are dropped and CDATA read as text, as spyne's own parser did."""
    fault = soap_fault(live.session().post(live.url(), data=envelope(reference), headers=HEADERS))
    assert esav_code(fault) == "SIGNALISATION_INCONNUE"
