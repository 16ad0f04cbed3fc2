"""Service ``rendezvous`` v2 (contract §5): slots and appointments, a thin skin over
``gateway.services.AppointmentService``. Domain ``signalisation`` (appointments serve tickets).

Wire choices: dates are ``xs:dateTime`` in Paris local time with their offset; ``idCreneau`` names
zone, type, day and hour (``75-SAV-20261119-0800``); an appointment's ``statut`` is ``CONFIRME``
or ``ANNULE``. An unknown ``idRendezVous`` is ``REQUETE_INVALIDE``.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from spyne import Application, DateTime, Unicode, rpc
from spyne.model.complex import Array

from gateway.domain.appointments import Slot
from gateway.domain.clock import to_paris
from gateway.services import Gateway
from gateway.services.records import AppointmentRecord

from .._base import Guard, make_service_base
from .._faults import make_fault_types
from .._models import MAX_CODE, MAX_IDENTIFIER, MAX_REFERENCE, model_factory
from .._models import optional as _opt
from .._models import required as _req
from .._protocol import esav_application

__all__ = ["NAMESPACE", "appointment_fields", "build_application", "make_types"]

NAMESPACE = "urn:esav:rendezvous:v2"


def make_types(ns: str) -> SimpleNamespace:
    """The wire types of the rendezvous service, in namespace ``ns`` (fresh classes per call)."""

    model = model_factory(ns)

    creneau = model("creneau", [("idCreneau", _req(Unicode)), ("debut", _req(DateTime)), ("fin", _req(DateTime))])
    contact = model("contact", [("nom", _req(Unicode(max_len=100))), ("telephone", _req(Unicode(max_len=30)))])
    rendez_vous = model(
        "rendezVous",
        [
            ("idRendezVous", _req(Unicode)),
            ("referenceSignalisation", _req(Unicode)),
            ("typeIntervention", _req(Unicode)),
            ("idCreneau", _req(Unicode)),
            ("debut", _req(DateTime)),
            ("fin", _req(DateTime)),
            ("statut", _req(Unicode)),
            ("contact", _req(contact)),
            ("dateCreation", _req(DateTime)),
            ("dateModification", _req(DateTime)),
        ],
    )
    return SimpleNamespace(creneau=creneau, contact=contact, rendez_vous=rendez_vous)


def appointment_fields(a: AppointmentRecord) -> dict[str, Any]:
    """An appointment's wire fields (also used by the ticket's detail), contact apart."""
    return {
        "idRendezVous": a.reference,
        "referenceSignalisation": a.ticket_reference,
        "typeIntervention": a.intervention_type,
        "idCreneau": a.slot_id,
        "debut": to_paris(a.slot_start),
        "fin": to_paris(a.slot_end),
        "statut": a.status,
        "dateCreation": to_paris(a.created_at),
        "dateModification": to_paris(a.updated_at),
    }


def build_application(gateway: Gateway, guards: tuple[Guard, ...] = ()) -> Application:
    """The spyne Application of ``/esav/v2/rendezvous``."""
    faults = make_fault_types(NAMESPACE)
    t = make_types(NAMESPACE)
    base = make_service_base(gateway, "signalisation", faults, guards)
    throws = [faults.fault]

    def slot_out(slot: Slot) -> Any:
        return t.creneau(idCreneau=slot.id, debut=to_paris(slot.start), fin=to_paris(slot.end))

    def appointment_out(a: AppointmentRecord) -> Any:
        return t.rendez_vous(**appointment_fields(a), contact=t.contact(nom=a.contact_name, telephone=a.contact_phone))

    one = dict(_returns=_req(t.rendez_vous), _out_variable_name="rendezVous", _throws=throws)

    class RendezVousService(base):  # type: ignore[misc, valid-type]
        @rpc(
            _req(Unicode(max_len=MAX_REFERENCE)),
            _req(Unicode(max_len=MAX_CODE)),
            _opt(DateTime),
            _opt(DateTime),
            _returns=_req(Array(t.creneau, wrapped=True, nillable=False)),
            _out_variable_name="creneaux",
            _throws=throws,
        )
        def rechercherCreneaux(ctx, referenceSignalisation, typeIntervention, dateDebut, dateFin):
            slots = gateway.appointments.search(ctx.udc, referenceSignalisation, typeIntervention, dateDebut, dateFin)
            return [slot_out(s) for s in slots]

        @rpc(
            _req(Unicode(max_len=MAX_REFERENCE)),
            _req(Unicode(max_len=MAX_IDENTIFIER)),
            _req(t.contact),
            _returns=(_req(Unicode), _req(t.rendez_vous)),
            _out_variable_names=("idRendezVous", "rendezVous"),
            _throws=throws,
        )
        def reserverRendezVous(ctx, referenceSignalisation, idCreneau, contact):
            booked = gateway.appointments.book(
                ctx.udc, referenceSignalisation, idCreneau, contact.nom, contact.telephone
            )
            return booked.reference, appointment_out(booked)

        @rpc(_req(Unicode(max_len=MAX_REFERENCE)), _req(Unicode(max_len=MAX_IDENTIFIER)), **one)
        def modifierRendezVous(ctx, idRendezVous, idCreneau):
            return appointment_out(gateway.appointments.reschedule(ctx.udc, idRendezVous, idCreneau))

        @rpc(_req(Unicode(max_len=MAX_REFERENCE)), **one)
        def annulerRendezVous(ctx, idRendezVous):
            return appointment_out(gateway.appointments.cancel(ctx.udc, idRendezVous))

        @rpc(_req(Unicode(max_len=MAX_REFERENCE)), **one)
        def consulterRendezVous(ctx, idRendezVous):
            return appointment_out(gateway.appointments.get(ctx.udc, idRendezVous))

    return esav_application([RendezVousService], NAMESPACE, "rendezvous", faults)
