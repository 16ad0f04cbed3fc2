"""The typed ``erreurEsav`` fault (contract §9): declared in every WSDL, raised from every error.

Each version's Application gets its own classes (spyne keeps the first namespace a class was
used with), hence the factory.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass

from lxml import etree
from spyne import ComplexModel, Integer, Unicode
from spyne.model.complex import Array
from spyne.model.fault import Fault

from gateway.domain.xml_text import xml_safe
from gateway.errors import EsavError, InternalError

__all__ = [
    "FaultTypes",
    "as_esav_error",
    "error_detail",
    "fault_answer",
    "fault_envelope",
    "make_fault_types",
    "to_fault",
]

log = logging.getLogger("gateway.ws")

SOAP_ENV = "http://schemas.xmlsoap.org/soap/envelope/"
FAULT_ELEMENT = "erreurEsav"
_FAULTSTRINGS = {
    "AUTHENTIFICATION": "Authentification refusée",
    "NON_HABILITE": "Opérateur non habilité",
    "PRESTATION_INCONNUE": "Prestation inconnue",
    "FORMULAIRE_INVALIDE": "Formulaire invalide",
    "FORMULAIRE_VERSION_RETIREE": "Version de formulaire retirée",
    "SIGNALISATION_INCONNUE": "Signalisation inconnue",
    "TRANSITION_INTERDITE": "Transition interdite",
    "DOUBLON": "Doublon",
    "HISTORIQUE_HORS_DELAI": "Historique hors délai",
    "LIMITE_REQUETES": "Limite de requêtes atteinte",
    "MAINTENANCE": "Service en maintenance",
    "CRENEAUX_INDISPONIBLES": "Recherche de créneaux indisponible",
    "CRENEAU_NON_DISPONIBLE": "Créneau non disponible",
    "TEST_NON_DISPONIBLE": "Test non disponible",
    "VERSION_RETIREE": "Version du service retirée",
    "REQUETE_INVALIDE": "Requête invalide",
    "ERREUR_INTERNE": "Erreur interne",
}


@dataclass(frozen=True)
class FaultTypes:
    namespace: str
    fault: type[Fault]
    detail: type[ComplexModel]


def make_fault_types(namespace: str) -> FaultTypes:
    """The ``erreurEsav`` fault type of one version's namespace."""

    class DetailErreur(ComplexModel):
        __namespace__ = namespace
        __type_name__ = "detailErreur"
        _type_info = [  # noqa: RUF012 - spyne reads a plain list
            ("chemin", Unicode(min_occurs=1, nillable=False)),
            ("libelle", Unicode(min_occurs=1, nillable=False)),
        ]

    class ErreurEsav(Fault):
        __namespace__ = namespace
        __type_name__ = FAULT_ELEMENT
        _type_info = [  # noqa: RUF012 - spyne reads a plain list
            ("code", Unicode(min_occurs=1, nillable=False)),
            ("libelle", Unicode(min_occurs=1, nillable=False)),
            ("chemin", Unicode(nillable=False)),
            ("valeur", Unicode(nillable=False)),
            ("reessayerDans", Integer(nillable=False)),
            ("idErreur", Unicode(nillable=False)),
            ("details", Array(DetailErreur, wrapped=False, nillable=False)),
        ]

    return FaultTypes(namespace, ErreurEsav, DetailErreur)


def error_detail(error: EsavError, namespace: str) -> etree._Element:
    """The ``erreurEsav`` element, namespace-qualified as the WSDL declares it."""

    def sub(parent: etree._Element, name: str, text: object) -> etree._Element:
        child = etree.SubElement(parent, f"{{{namespace}}}{name}")
        child.text = xml_safe(str(text))[0]  # an error may quote what it refuses
        return child

    root = etree.Element(f"{{{namespace}}}{FAULT_ELEMENT}", nsmap={"tns": namespace})
    sub(root, "code", error.code)
    sub(root, "libelle", error.libelle)
    if error.chemin:
        sub(root, "chemin", error.chemin)
    if error.valeur is not None:
        sub(root, "valeur", error.valeur)
    if error.reessayer_dans is not None:
        sub(root, "reessayerDans", error.reessayer_dans)
    # The request id of the call (the one its log line carries), or an internal error's incident id.
    ident = error.incident_id if isinstance(error, InternalError) else error.request_id
    if ident:
        sub(root, "idErreur", ident)
    for detail in error.details:
        item = etree.SubElement(root, f"{{{namespace}}}details")
        sub(item, "chemin", detail.chemin)
        sub(item, "libelle", detail.libelle)
    return root


def as_esav_error(error: BaseException, request_id: str | None = None) -> EsavError:
    """Any exception as the gateway's error; the unexpected ones are logged with an incident id (the
    request's id when known, so that the fault, the traceback and the call's log line share it)."""
    if not isinstance(error, EsavError):
        incident = request_id or uuid.uuid4().hex[:12]
        log.error("incident %s: unexpected error", incident, exc_info=error)
        error = InternalError(incident)
    if request_id is not None and error.request_id is None:
        error.request_id = request_id
    return error


def to_fault(error: BaseException, types: FaultTypes, request_id: str | None = None) -> Fault:
    """Any exception as the typed fault (``as_esav_error``)."""
    error = as_esav_error(error, request_id)
    fault = types.fault(
        faultcode="Server" if error.server_side else "Client",
        faultstring=_faultstring(error),
        detail=error_detail(error, types.namespace),
    )
    fault.esav_error = error  # for the host: Retry-After, logs
    return fault


def fault_envelope(error: EsavError, namespace: str) -> bytes:
    """A complete SOAP 1.1 fault response, for refusals made before spyne sees the request."""
    envelope = etree.Element(f"{{{SOAP_ENV}}}Envelope", nsmap={"soap11env": SOAP_ENV})
    body = etree.SubElement(envelope, f"{{{SOAP_ENV}}}Body")
    fault = etree.SubElement(body, f"{{{SOAP_ENV}}}Fault")
    etree.SubElement(fault, "faultcode").text = f"soap11env:{'Server' if error.server_side else 'Client'}"
    etree.SubElement(fault, "faultstring").text = _faultstring(error)
    detail = etree.SubElement(fault, "detail")
    detail.append(error_detail(error, namespace))
    return etree.tostring(envelope, xml_declaration=True, encoding="UTF-8")


def fault_answer(error: EsavError, namespace: str) -> bytes:
    """The typed fault exactly as spyne writes it for an operation (the service's namespace declared
    on the envelope, an empty ``faultactor``): what the fast path answers (``_fastpath``)."""
    envelope = etree.Element(f"{{{SOAP_ENV}}}Envelope", nsmap={"soap11env": SOAP_ENV, "tns": namespace})
    body = etree.SubElement(envelope, f"{{{SOAP_ENV}}}Body")
    fault = etree.SubElement(body, f"{{{SOAP_ENV}}}Fault")
    etree.SubElement(fault, "faultcode").text = f"soap11env:{'Server' if error.server_side else 'Client'}"
    etree.SubElement(fault, "faultstring").text = _faultstring(error)
    etree.SubElement(fault, "faultactor").text = ""
    detail = etree.SubElement(fault, "detail")
    detail.append(error_detail(error, namespace))
    return etree.tostring(envelope, xml_declaration=True, encoding="UTF-8")


def _faultstring(error: EsavError) -> str:
    return xml_safe(_FAULTSTRINGS.get(error.code, error.code) + " : " + error.libelle)[0]
