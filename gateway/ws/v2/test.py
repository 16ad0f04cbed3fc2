"""Service ``test`` v2 (contract §7, e-SAV Test): remote line tests, planned works, network incidents.
Domain ``test``. A thin skin over ``LineTestService`` and ``NetworkEventService``.

Wire choices: ``lancerTest`` answers at once with ``statut`` ``EN_COURS``; ``consulterResultatTest``
gives ``EN_COURS``, ``TERMINE`` (the test ran: see the diagnostic) or ``ECHEC`` (it could not run or
conclude). Planned works and incidents share one shape, ``evenementReseau``; an incident's ``fin`` is
absent while unknown. Query by ``identifiantPrestation`` (its commune) or by ``codeCommune``, not both.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from spyne import Application, DateTime, Unicode, rpc
from spyne.model.complex import Array

from gateway.domain.clock import to_paris
from gateway.services import Gateway, LineTestResult
from gateway.services.records import NetworkEventRecord

from .._base import Guard, make_service_base
from .._faults import make_fault_types
from .._models import MAX_IDENTIFIER, MAX_REFERENCE, model_factory
from .._models import optional as _opt
from .._models import required as _req
from .._protocol import esav_application

__all__ = ["NAMESPACE", "build_application", "make_types"]

NAMESPACE = "urn:esav:test:v2"


def make_types(ns: str) -> SimpleNamespace:
    """The wire types of the test service, in namespace ``ns`` (fresh classes per call)."""

    model = model_factory(ns)

    type_test = model("typeTest", [("code", _req(Unicode)), ("libelle", _req(Unicode))])
    mesure = model("mesure", [("nom", _req(Unicode)), ("valeur", _req(Unicode)), ("unite", _opt(Unicode))])
    evenement = model(
        "evenementReseau",
        [
            ("reference", _req(Unicode)),
            ("nature", _req(Unicode)),
            ("statut", _req(Unicode)),
            ("libelleStatut", _req(Unicode)),
            ("debut", _req(DateTime)),
            ("fin", _opt(DateTime)),
            ("codeCommune", _req(Unicode)),
            ("impact", _req(Unicode)),
            ("libelleImpact", _req(Unicode)),
            ("description", _req(Unicode)),
            ("dateMiseAJour", _req(DateTime)),
        ],
    )
    return SimpleNamespace(type_test=type_test, mesure=mesure, evenement=evenement)


def build_application(gateway: Gateway, guards: tuple[Guard, ...] = ()) -> Application:
    """The spyne Application of ``/esav/v2/test``."""
    faults = make_fault_types(NAMESPACE)
    t = make_types(NAMESPACE)
    base = make_service_base(gateway, "test", faults, guards)
    throws = [faults.fault]

    def label(list_code: str, code: str) -> str:
        return gateway.catalogue.nomenclature(list_code).libelle_of(code) or code

    def event_out(e: NetworkEventRecord) -> Any:
        return t.evenement(
            reference=e.reference,
            nature=e.kind,
            statut=e.status,
            libelleStatut=label("STATUTS_TRAVAUX", e.status),
            debut=to_paris(e.start),
            fin=to_paris(e.end) if e.end else None,
            codeCommune=e.code_commune,
            impact=e.impact,
            libelleImpact=label("IMPACTS", e.impact),
            description=e.description,
            dateMiseAJour=to_paris(e.updated_at),
        )

    def result_out(r: LineTestResult) -> tuple[Any, ...]:
        test = r.test
        return (
            test.reference,
            test.prestation,
            test.test_type,
            test.status,
            to_paris(test.started_at),
            to_paris(test.ended_at) if test.ended_at else None,
            test.diagnostic,
            r.diagnostic_libelle,
            [t.mesure(nom=name, valeur=value, unite=unit or None) for name, value, unit in test.measurements],
        )

    events = _req(Array(t.evenement, wrapped=True, nillable=False))

    class TestService(base):  # type: ignore[misc, valid-type]
        __test__ = False  # not a pytest test class

        @rpc(
            _req(Unicode(max_len=MAX_IDENTIFIER)),
            _returns=_req(Array(t.type_test, wrapped=True, nillable=False)),
            _out_variable_name="tests",
            _throws=throws,
        )
        def listerTests(ctx, identifiantPrestation):
            types = gateway.line_tests.available(ctx.udc, identifiantPrestation)
            return [t.type_test(code=v.code, libelle=v.libelle) for v in types]

        @rpc(
            _req(Unicode(max_len=MAX_IDENTIFIER)),
            _req(Unicode(max_len=MAX_IDENTIFIER)),
            _returns=(_req(Unicode), _req(Unicode), _req(DateTime)),
            _out_variable_names=("idTest", "statut", "dateLancement"),
            _throws=throws,
        )
        def lancerTest(ctx, identifiantPrestation, typeTest):
            test = gateway.line_tests.launch(ctx.udc, identifiantPrestation, typeTest)
            return test.reference, test.status, to_paris(test.started_at)

        @rpc(
            _req(Unicode(max_len=MAX_REFERENCE)),
            _returns=(
                _req(Unicode),
                _req(Unicode),
                _req(Unicode),
                _req(Unicode),
                _req(DateTime),
                _opt(DateTime),
                _opt(Unicode),
                _opt(Unicode),
                _req(Array(t.mesure, wrapped=True, nillable=False)),
            ),
            _out_variable_names=(
                "idTest",
                "identifiantPrestation",
                "typeTest",
                "statut",
                "dateLancement",
                "dateFin",
                "codeDiagnostic",
                "libelleDiagnostic",
                "mesures",
            ),
            _throws=throws,
        )
        def consulterResultatTest(ctx, idTest):
            return result_out(gateway.line_tests.result(ctx.udc, idTest))

        @rpc(
            _opt(Unicode(max_len=MAX_IDENTIFIER)),
            _opt(Unicode(max_len=5)),
            _opt(DateTime),
            _opt(DateTime),
            _returns=events,
            _out_variable_name="travaux",
            _throws=throws,
        )
        def consulterTravauxProgrammes(ctx, identifiantPrestation, codeCommune, dateDebut, dateFin):
            found = gateway.network_events.planned_works(
                ctx.udc,
                identifiant_prestation=identifiantPrestation,
                code_commune=codeCommune,
                start=dateDebut,
                end=dateFin,
            )
            return [event_out(e) for e in found]

        @rpc(
            _opt(Unicode(max_len=MAX_IDENTIFIER)),
            _opt(Unicode(max_len=5)),
            _returns=events,
            _out_variable_name="incidents",
            _throws=throws,
        )
        def consulterIncidentsReseau(ctx, identifiantPrestation, codeCommune):
            found = gateway.network_events.incidents(
                ctx.udc, identifiant_prestation=identifiantPrestation, code_commune=codeCommune
            )
            return [event_out(e) for e in found]

    return esav_application([TestService], NAMESPACE, "test", faults)
