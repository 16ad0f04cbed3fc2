"""The wire shape of an operator's event (``evenement``), shared by ``consulterEvenements`` (pull,
namespace ``urn:esav:signalisation:v2``) and ``notifierEvenement`` (push, ``urn:esav:notification:v2``).

One factory builds fresh classes per namespace (two Applications never share model classes), and
``event_out`` fills them, so that an event pulled and the same event pushed carry the same fields.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from spyne import DateTime, Enum, Integer, Unicode

from gateway.domain.clock import to_paris
from gateway.services import payload_instant
from gateway.services.records import EventRecord

from .._models import model_factory
from .._models import optional as _opt
from .._models import required as _req
from .._text import wire_value

__all__ = ["event_fields", "event_out", "make_event_types"]


def make_event_types(ns: str) -> SimpleNamespace:
    """``evenement`` and its parts, in namespace ``ns``."""

    model = model_factory(ns)

    kind = Enum(
        "CHANGEMENT_ETAT",
        "COMMENTAIRE_SAV",
        "RENDEZ_VOUS",
        "RESULTAT_TEST",
        type_name="typeEvenement",
        __namespace__=ns,
    )
    state_change = model(
        "evenementChangementEtat",
        [
            ("etatPrecedent", _opt(Unicode)),
            ("etat", _req(Unicode)),
            ("action", _req(Unicode)),
            ("code", _opt(Unicode)),
            ("motif", _opt(Unicode)),
        ],
    )
    comment = model("evenementCommentaire", [("auteur", _req(Unicode)), ("texte", _req(Unicode))])
    appointment = model(
        "evenementRendezVous",
        [
            ("operation", _req(Unicode(values=["RESERVE", "MODIFIE", "ANNULE"]))),
            ("idRendezVous", _req(Unicode)),
            ("typeIntervention", _req(Unicode)),
            ("idCreneau", _req(Unicode)),
            ("debut", _req(DateTime)),
            ("fin", _req(DateTime)),
            ("statut", _req(Unicode)),
        ],
    )
    test_result = model(
        "evenementResultatTest",
        [
            ("idTest", _req(Unicode)),
            ("typeTest", _req(Unicode)),
            ("identifiantPrestation", _req(Unicode)),
            ("statut", _req(Unicode)),
            ("codeDiagnostic", _opt(Unicode)),
            ("libelleDiagnostic", _opt(Unicode)),
        ],
    )
    event = model(
        "evenement",
        [
            ("idEvenement", _req(Integer)),
            ("typeEvenement", _req(kind)),
            ("dateEvenement", _req(DateTime)),
            ("referenceSignalisation", _opt(Unicode)),
            ("idTest", _opt(Unicode)),
            ("changementEtat", _opt(state_change)),
            ("commentaire", _opt(comment)),
            ("rendezVous", _opt(appointment)),
            ("resultatTest", _opt(test_result)),
        ],
    )
    return SimpleNamespace(
        kind=kind, state_change=state_change, comment=comment, appointment=appointment,
        test_result=test_result, event=event, req=_req, opt=_opt,
    )  # fmt: skip


def event_fields(event: EventRecord) -> dict[str, Any]:
    """The wire fields of a stored event as nested dicts (dates aware, in Paris local time).

    zeep sends this dict as it is (push); ``event_out`` turns it into spyne models (pull). Its texts
    are safe for XML (``wire_value``): one stored bad character must not block the feed or the push."""
    p = wire_value(event.payload, f"event {event.id} ({event.operator_code})")
    fields: dict[str, Any] = {
        "idEvenement": event.id,
        "typeEvenement": event.kind,
        "dateEvenement": to_paris(event.at),
    }
    if event.kind == "RESULTAT_TEST":
        fields["idTest"] = event.subject
        fields["resultatTest"] = dict(p)
    else:
        fields["referenceSignalisation"] = event.subject
    if event.kind == "CHANGEMENT_ETAT":
        fields["changementEtat"] = dict(p)
    elif event.kind == "COMMENTAIRE_SAV":
        fields["commentaire"] = dict(p)
    elif event.kind == "RENDEZ_VOUS":
        debut, fin = payload_instant(p["debut"]), payload_instant(p["fin"])
        assert debut is not None and fin is not None
        fields["rendezVous"] = {**p, "debut": to_paris(debut), "fin": to_paris(fin)}
    return fields


_PARTS = {"changementEtat": "state_change", "commentaire": "comment", "rendezVous": "appointment",
          "resultatTest": "test_result"}  # fmt: skip


def event_out(t: SimpleNamespace, event: EventRecord) -> Any:
    """The spyne ``evenement`` of a stored event."""
    fields = event_fields(event)
    for name, part in _PARTS.items():
        if name in fields:
            fields[name] = getattr(t, part)(**fields[name])
    return t.event(**fields)
