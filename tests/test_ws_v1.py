"""Service signalisation v1 over SOAP: Paris-time date strings, no paging, shared tickets with v2."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import zeep
from support import OPE001_DEPOSITS, deposit, example_form, fault_code

from gateway.domain.clock import PARIS
from gateway.domain.states import Action
from gateway.errors import InvalidRequestError
from gateway.server import ENDPOINTS
from gateway.services import Caller, DepositRequest
from gateway.ws.v1._dates import format_paris, parse_paris

V1_ONLY_MISSING = ("annulerSignalisation", "refuserCloture", "obtenirPieceJointe", "consulterEvenements")


def _close(live, reference):
    for action, code in (
        (Action.QUALIFIER, None),
        (Action.DEMARRER, None),
        (Action.CLORE, "RESOLU_RESEAU_FOURNISSEUR"),
    ):
        live.gateway.sav.act(reference, action, author="sav/test", code=code)


def _deposit_directly(live, api_version="v1"):
    """A ticket of OPE001 deposited through the services layer (no SOAP round trip)."""
    prestation, form_code = OPE001_DEPOSITS["CUIVRE_DEGROUPAGE"]
    caller = Caller("OPE001", "Opérateur Alpha", frozenset({"signalisation"}))
    request = DepositRequest(
        identifiant_prestation=prestation,
        code_offre="CUIVRE_DEGROUPAGE",
        gravite="MINEURE",
        form_code=form_code,
        form_version="1.0",
        form=example_form(form_code),
        api_version=api_version,
    )
    return live.gateway.tickets.deposit(caller, request).reference


def test_deposit_state_and_detail_carry_paris_date_strings(live):
    """A v1 deposit answers JJ/MM/AAAA HH:MM in Paris time, and state and detail use the same format."""
    client = live.client(version="v1")
    receipt = deposit(client)
    assert (receipt.dateDepot, receipt.etat) == ("18/11/2026 10:00", "EN_DEPOT")
    state = client.service.consulterEtatSignalisation(receipt.referenceSignalisation)
    assert (state.etat, state.dateEtat) == ("EN_DEPOT", "18/11/2026 10:00")
    detail = client.service.consulterDetailSignalisation(receipt.referenceSignalisation)
    assert detail.dateDepot == "18/11/2026 10:00"
    assert detail.historique.changementEtat[0].date == "18/11/2026 10:00"
    assert detail.gtr.echeance == "19/11/2026 10:00"  # GTR 10 business hours
    assert detail.prestation.numero == "0140000001"
    assert live.gateway.store.get_ticket(receipt.referenceSignalisation).api_version == "v1"


def test_summer_time_is_written_in_paris_local_time(live):
    """A deposit at 08:30 UTC in July reads 10:30 (UTC+2), not 09:30."""
    live.clock.set(datetime(2026, 7, 15, 8, 30, tzinfo=UTC))
    assert deposit(live.client(version="v1")).dateDepot == "15/07/2026 10:30"


def test_v1_deposit_has_no_operator_reference(live):
    """v1's deposerSignalisation has no referenceOperateur; zeep refuses the argument."""
    with pytest.raises(TypeError, match="referenceOperateur"):
        deposit(live.client(version="v1"), referenceOperateur="OPE-REF-1")


def test_v2_only_operations_are_absent_from_v1(live):
    """annulerSignalisation, refuserCloture, obtenirPieceJointe and consulterEvenements exist only in v2."""
    service = live.client(version="v1").service
    for name in V1_ONLY_MISSING:
        with pytest.raises(AttributeError):
            getattr(service, name)
    assert ("v1", "rendezvous") not in ENDPOINTS
    # Not found (Twisted's default not-found page warns, which the suite turns into a 500).
    assert live.session().get(live.url("rendezvous", "v1") + "?wsdl", timeout=10).status_code != 200


def test_ticket_deposited_in_v1_is_followed_in_v2(live):
    """A v1 ticket's state and detail read in v2, with xs:dateTime values of the same instants."""
    reference = deposit(live.client(version="v1")).referenceSignalisation
    v2 = live.client()
    assert v2.service.consulterEtatSignalisation(reference).etat == "EN_DEPOT"
    detail = v2.service.consulterDetailSignalisation(reference)
    assert detail.dateDepot == datetime(2026, 11, 18, 10, 0, tzinfo=PARIS)
    assert detail.referenceOperateur is None
    live.gateway.sav.act(reference, Action.QUALIFIER, author="sav/test")
    assert v2.service.consulterEtatSignalisation(reference).etat == "EN_QUALIFICATION"


def test_ticket_deposited_in_v2_is_followed_and_completed_in_v1(live):
    """A v2 ticket (with its referenceOperateur) reads and is completed in v1."""
    reference = deposit(live.client(), referenceOperateur="OPE-REF-42").referenceSignalisation
    v1 = live.client(version="v1")
    detail = v1.service.consulterDetailSignalisation(reference)
    assert (detail.referenceSignalisation, detail.etat, detail.dateDepot) == (reference, "EN_DEPOT", "18/11/2026 10:00")
    assert "referenceOperateur" not in detail
    live.clock.advance(timedelta(minutes=5))
    completed = v1.service.completerSignalisation(reference, "Client joignable après 14h")
    assert (completed.etat, completed.dateEtat) == ("EN_DEPOT", "18/11/2026 10:00")
    comments = v1.service.consulterDetailSignalisation(reference).commentaires.commentaire
    assert [(c.texte, c.date) for c in comments] == [("Client joignable après 14h", "18/11/2026 10:05")]
    assert live.gateway.store.get_ticket(reference).api_version == "v2"


def test_history_is_capped_at_100_newest_first(live):
    """With 102 closed tickets, v1 history returns the 100 most recently closed, newest first."""
    references = []
    for _ in range(102):
        reference = _deposit_directly(live)
        _close(live, reference)
        references.append(reference)
        live.clock.advance(timedelta(minutes=1))
    items = live.client(version="v1").service.consulterHistorique(dateDebut="17/11/2026 10:00")
    assert [s.referenceSignalisation for s in items] == references[::-1][:100]
    assert items[0].dateCloture == "18/11/2026 11:41"


def test_history_takes_a_period_as_date_strings(live):
    """dateDebut/dateFin delimit the closing period, in Paris time, to the minute."""
    first = _deposit_directly(live)
    _close(live, first)  # closed 18/11/2026 10:00
    live.clock.advance(timedelta(hours=2))
    second = _deposit_directly(live)
    _close(live, second)  # closed 18/11/2026 12:00
    service = live.client(version="v1").service
    early = service.consulterHistorique(dateDebut="18/11/2026 09:00", dateFin="18/11/2026 10:59")
    assert [s.referenceSignalisation for s in early] == [first]
    late = service.consulterHistorique(dateDebut="18/11/2026 11:00")
    assert [s.referenceSignalisation for s in late] == [second]


def test_search_lists_open_tickets_by_deposit_period(live):
    """rechercherSignalisations filters on the deposit period given as date strings, unpaged."""
    client = live.client(version="v1")
    morning = deposit(client).referenceSignalisation
    live.clock.advance(timedelta(hours=3))
    afternoon = deposit(client, "FTTH_ACCES").referenceSignalisation
    everything = client.service.rechercherSignalisations()
    assert [s.referenceSignalisation for s in everything] == [afternoon, morning]
    after_noon = client.service.rechercherSignalisations(dateDepotDebut="18/11/2026 12:00")
    assert [(s.referenceSignalisation, s.dateDepot) for s in after_noon] == [(afternoon, "18/11/2026 13:00")]


@pytest.mark.parametrize(
    ("operation", "field", "value"),
    [
        ("consulterHistorique", "dateDebut", "2026-11-17T10:00:00+01:00"),  # v2's format
        ("consulterHistorique", "dateDebut", "17/11/2026"),  # no time
        ("consulterHistorique", "dateDebut", "31/02/2026 10:00"),  # no such day
        ("consulterHistorique", "dateDebut", "17/11/2026 24:00"),  # no such hour
        ("consulterHistorique", "dateDebut", "29/03/2026 02:30"),  # skipped by the switch to summer time
        ("rechercherSignalisations", "dateDepotFin", "2026/11/17 10:00"),
    ],
)
def test_bad_date_string_is_requete_invalide_naming_the_field(live, operation, field, value):
    """A date that is not JJ/MM/AAAA HH:MM of a real Paris instant is REQUETE_INVALIDE naming the field."""
    arguments = {field: value}
    if field != "dateDebut" and operation == "consulterHistorique":
        arguments["dateDebut"] = "17/11/2026 10:00"
    with pytest.raises(zeep.exceptions.Fault) as caught:
        getattr(live.client(version="v1").service, operation)(**arguments)
    assert fault_code(caught.value) == "REQUETE_INVALIDE"
    chemin = caught.value.detail.xpath("string(.//*[local-name()='chemin'])")
    assert field in chemin


def test_v1_faults_are_typed_in_the_v1_namespace(live):
    """An unknown reference is SIGNALISATION_INCONNUE, as erreurEsav of urn:esav:signalisation:v1."""
    with pytest.raises(zeep.exceptions.Fault) as caught:
        live.client(version="v1").service.consulterEtatSignalisation("SIG99999999")
    assert fault_code(caught.value) == "SIGNALISATION_INCONNUE"
    assert caught.value.detail.find("{urn:esav:signalisation:v1}erreurEsav") is not None


def test_repeated_autumn_hour_means_its_first_occurrence():
    """25/10/2026 02:30 happens twice in Paris; v1 reads the first one, still summer time (00:30 UTC)."""
    assert parse_paris("25/10/2026 02:30", "dateDebut") == datetime(2026, 10, 25, 0, 30, tzinfo=UTC)
    assert parse_paris("25/10/2026 03:30", "dateDebut") == datetime(2026, 10, 25, 2, 30, tzinfo=UTC)


def test_date_strings_round_trip_outside_the_repeated_hour():
    """Formatting then parsing gives back the instant, in winter and in summer."""
    for instant in (datetime(2026, 1, 5, 7, 15, tzinfo=UTC), datetime(2026, 7, 5, 7, 15, tzinfo=UTC)):
        assert parse_paris(format_paris(instant), "date") == instant


def test_parse_refuses_a_missing_hour_with_the_field():
    """The skipped spring hour is refused, and the error names the field."""
    with pytest.raises(InvalidRequestError) as caught:
        parse_paris("29/03/2026 02:00", "dateFin")
    assert caught.value.chemin == "dateFin"
