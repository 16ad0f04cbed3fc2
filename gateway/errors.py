"""The gateway's errors: one root, one branch per concern, each carrying the spec's fault code.

Only the wire layer turns these into SOAP faults, and only the CLI turns them into messages and
exit codes. Everything a caller needs to explain the error travels on the exception itself.

    EsavError                         (code, libelle, chemin, valeur, reessayer_dans, details)
    ├── SecurityError
    │   ├── AuthenticationError       AUTHENTIFICATION
    │   └── NotEntitledError          NON_HABILITE
    ├── RequestError
    │   ├── InvalidRequestError       REQUETE_INVALIDE
    │   ├── RateLimitError            LIMITE_REQUETES
    │   ├── MaintenanceError          MAINTENANCE        (soap:Server)
    │   └── VersionRetiredError       VERSION_RETIREE
    ├── CatalogueError                (catalogue files, manifest: start-up and maintainers' tooling)
    │   ├── FormInvalidError          FORMULAIRE_INVALIDE
    │   ├── FormVersionRetiredError   FORMULAIRE_VERSION_RETIREE
    │   └── UnknownCodeError          REQUETE_INVALIDE   (unknown form or code list)
    ├── TicketError
    │   ├── UnknownPrestationError    PRESTATION_INCONNUE
    │   ├── UnknownTicketError        SIGNALISATION_INCONNUE
    │   ├── TransitionForbiddenError  TRANSITION_INTERDITE
    │   │   └── TicketChangedError    TRANSITION_INTERDITE (changed since the agent opened it)
    │   ├── DuplicateError            DOUBLON
    │   └── HistoryOutOfRangeError    HISTORIQUE_HORS_DELAI
    ├── AppointmentError
    │   ├── SlotsUnavailableError     CRENEAUX_INDISPONIBLES
    │   └── SlotTakenError            CRENEAU_NON_DISPONIBLE
    ├── LineTestError
    │   └── TestUnavailableError      TEST_NON_DISPONIBLE
    ├── ConfigError                   (start-up: names the bad key; never reaches a caller)
    ├── StoreError                    ERREUR_INTERNE     (soap:Server)
    └── InternalError                 ERREUR_INTERNE     (soap:Server; carries the logged id)
        └── NotRecordedError          ERREUR_INTERNE     (a failed commit: nothing of it is stored)

A message quotes what a caller sent through ``quote`` (at most ``QUOTE_LIMIT`` characters), and
``valeur`` is cut the same way, so that no error repeats a huge input (``quote_values_in`` does
it for libraries' messages).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = [
    "QUOTE_LIMIT",
    "AppointmentError",
    "AuthenticationError",
    "CatalogueError",
    "ConfigError",
    "DuplicateError",
    "ErrorDetail",
    "EsavError",
    "FormInvalidError",
    "FormVersionRetiredError",
    "HistoryOutOfRangeError",
    "InternalError",
    "InvalidRequestError",
    "LineTestError",
    "MaintenanceError",
    "NotEntitledError",
    "NotRecordedError",
    "RateLimitError",
    "RequestError",
    "SecurityError",
    "SlotTakenError",
    "SlotsUnavailableError",
    "StoreError",
    "StoreUnavailableError",
    "TestUnavailableError",
    "TicketChangedError",
    "TicketError",
    "TransitionForbiddenError",
    "UnknownCodeError",
    "UnknownPrestationError",
    "UnknownTicketError",
    "VersionRetiredError",
    "quote",
    "quote_values_in",
]

#: At most this many characters of a value received are quoted back (faults, messages): a caller
#: that sends megabytes gets a short answer, never its input repeated.
QUOTE_LIMIT = 100
#: A message written by a library (libxml2, spyne) that quotes input is cut at this length, in case
#: a value it quotes escaped ``quote_values_in`` (one holding apostrophes).
_FOREIGN_MESSAGE_LIMIT = 500
# A quoted value; libxml2 cuts a long message short, so the closing quote may be missing.
_QUOTED = re.compile("'([^']{" + str(QUOTE_LIMIT + 1) + ",})('|$)")


def quote(value: object, limit: int = QUOTE_LIMIT) -> str:
    """``value`` as an error may quote it: its first ``limit`` characters, "…" marking a cut."""
    text = str(value)
    return text if len(text) <= limit else text[:limit] + "…"


def quote_values_in(message: str) -> str:
    """A library's message (libxml2, spyne) with each ``'value'`` it quotes passed through ``quote``."""
    shortened = _QUOTED.sub(lambda m: "'" + quote(m[1]) + m[2], message)
    return quote(shortened, _FOREIGN_MESSAGE_LIMIT)


@dataclass(frozen=True)
class ErrorDetail:
    """One precise problem inside a larger error: a bad form field, a bad CSV line."""

    chemin: str
    libelle: str
    ligne: int | None = None


class EsavError(Exception):
    """Root of every error the gateway raises on purpose.

    ``code`` is the spec's fault code (contract §9); ``server_side`` says whether the fault is the
    provider's (``soap:Server``) rather than the caller's (``soap:Client``).
    """

    code = "ERREUR_INTERNE"
    server_side = False
    #: The id of the SOAP call that met this error (set by the wire layer; faults carry it as ``idErreur``).
    request_id: str | None = None

    def __init__(
        self,
        libelle: str,
        *,
        chemin: str | None = None,
        valeur: str | None = None,
        reessayer_dans: int | None = None,
        details: tuple[ErrorDetail, ...] | list[ErrorDetail] = (),
    ) -> None:
        super().__init__(libelle)
        self.libelle = libelle
        self.chemin = chemin
        self.valeur = None if valeur is None else quote(valeur)
        self.reessayer_dans = reessayer_dans
        self.details = tuple(details)

    def __str__(self) -> str:
        text = self.libelle
        if self.details:
            text += "".join(f"\n  {d.chemin}: {d.libelle}" for d in self.details)
        return text


class StoreUnavailableError(EsavError):
    """The store cannot be opened: its PostgreSQL server does not answer or refuses the connection."""


class SecurityError(EsavError):
    """Who is calling and what they may do."""


class AuthenticationError(SecurityError):
    code = "AUTHENTIFICATION"


class NotEntitledError(SecurityError):
    code = "NON_HABILITE"


class RequestError(EsavError):
    """The request itself, before any business rule."""


class InvalidRequestError(RequestError):
    code = "REQUETE_INVALIDE"


class RateLimitError(RequestError):
    code = "LIMITE_REQUETES"


class MaintenanceError(RequestError):
    code = "MAINTENANCE"
    server_side = True


class VersionRetiredError(RequestError):
    code = "VERSION_RETIREE"


class CatalogueError(EsavError):
    """Forms, code lists and the manifest."""

    code = "REQUETE_INVALIDE"


class FormInvalidError(CatalogueError):
    code = "FORMULAIRE_INVALIDE"


class FormVersionRetiredError(CatalogueError):
    code = "FORMULAIRE_VERSION_RETIREE"


class UnknownCodeError(CatalogueError):
    code = "REQUETE_INVALIDE"


class TicketError(EsavError):
    """Tickets (signalisations) and the prestations they are about."""


class UnknownPrestationError(TicketError):
    code = "PRESTATION_INCONNUE"


class UnknownTicketError(TicketError):
    code = "SIGNALISATION_INCONNUE"


class TransitionForbiddenError(TicketError):
    code = "TRANSITION_INTERDITE"


class TicketChangedError(TransitionForbiddenError):
    """The ticket moved on (another agent, the operator, the system) since the page was opened."""


class DuplicateError(TicketError):
    code = "DOUBLON"


class HistoryOutOfRangeError(TicketError):
    code = "HISTORIQUE_HORS_DELAI"


class AppointmentError(EsavError):
    """Appointment slots and bookings."""


class SlotsUnavailableError(AppointmentError):
    code = "CRENEAUX_INDISPONIBLES"


class SlotTakenError(AppointmentError):
    code = "CRENEAU_NON_DISPONIBLE"


class LineTestError(EsavError):
    """Remote line tests."""


class TestUnavailableError(LineTestError):
    code = "TEST_NON_DISPONIBLE"
    __test__ = False  # not a pytest test class


class ConfigError(EsavError):
    """A bad setting at start-up; the message names the key."""


class StoreError(EsavError):
    code = "ERREUR_INTERNE"
    server_side = True


class InternalError(EsavError):
    """Something unexpected; ``incident_id`` is logged with the traceback and repeated in the fault."""

    code = "ERREUR_INTERNE"
    server_side = True

    def __init__(self, incident_id: str) -> None:
        super().__init__(f"Erreur interne du fournisseur, incident {incident_id}", valeur=incident_id)
        self.incident_id = incident_id


class NotRecordedError(InternalError):
    """A commit failed: nothing the request wrote is stored, and its answer must say so (never a
    receipt). Raised by the store; ``incident_id`` is logged there with the cause."""

    def __init__(self, incident_id: str) -> None:
        EsavError.__init__(
            self,
            "Votre demande n'a pas pu être enregistrée : rien n'a été modifié, vous pouvez la renvoyer "
            f"(incident {incident_id}).",
            valeur=incident_id,
        )
        self.incident_id = incident_id
