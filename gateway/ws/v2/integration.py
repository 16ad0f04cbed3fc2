"""Service ``integration`` v2: what an operator's system asks the integration platform, and only it.

Mounted on the integration platform only (``esav integration servir``), never in production's
``ENDPOINTS`` nor in the published WSDLs. Open to every e-SAV intégré subscriber of the platform.

- ``consulterJournal(depuis?, max?)``: the caller's journaled calls in order; ``depuis`` is an entry
  id (the last one already read) or an ``xs:dateTime``; ``max`` 1–500, default 100.
- ``consulterCampagne()``: the validation campaign's progress per domain.
- ``reinitialiserBacASable()``: deletes the caller's tickets, tests, appointments and journal.
- ``obtenirAttestation()``: the signed attestation (JSON text) of the domains completed.
"""

from __future__ import annotations

from datetime import datetime
from types import SimpleNamespace
from typing import Any

from spyne import Application, Boolean, DateTime, Integer, Unicode, rpc
from spyne.model.complex import Array

from gateway.domain.clock import paris_if_naive, to_paris
from gateway.errors import InvalidRequestError
from gateway.services import Gateway

from .._base import Guard, make_service_base
from .._faults import make_fault_types
from .._models import model_factory
from .._models import optional as _opt
from .._models import required as _req
from .._protocol import esav_application

__all__ = ["NAMESPACE", "build_application", "endpoint"]

NAMESPACE = "urn:esav:integration:v2"


def _types(ns: str) -> SimpleNamespace:
    model = model_factory(ns)

    entree = model(
        "entreeJournal",
        [
            ("idEntree", _req(Integer)),
            ("date", _req(DateTime)),
            ("version", _req(Unicode)),
            ("service", _req(Unicode)),
            ("operation", _opt(Unicode)),
            ("codeErreur", _opt(Unicode)),
            ("requete", _req(Unicode)),
            ("reponse", _req(Unicode)),
        ],
    )
    operation = model(
        "operationCampagne",
        [
            ("service", _req(Unicode)),
            ("operation", _req(Unicode)),
            ("reussie", _req(Boolean)),
            (
                "versions",
                _req(
                    Array(_req(Unicode), member_name="version", type_name="listeVersions", wrapped=True, nillable=False)
                ),
            ),
            ("premiereReussite", _opt(DateTime)),
        ],
    )
    domaine = model(
        "domaineCampagne",
        [
            ("domaine", _req(Unicode)),
            ("valide", _req(Boolean)),
            (
                "versionsValidees",
                _req(
                    Array(_req(Unicode), member_name="version", type_name="listeVersions", wrapped=True, nillable=False)
                ),
            ),
            ("operations", _req(Array(operation, wrapped=True, nillable=False))),
        ],
    )
    return SimpleNamespace(entree=entree, operation=operation, domaine=domaine)


def _since(text: str | None) -> tuple[int, datetime | None]:
    if not text:
        return 0, None
    if text.isdigit():
        return int(text), None
    try:
        instant = datetime.fromisoformat(text)
    except ValueError:
        raise InvalidRequestError(
            "depuis : un identifiant d'entrée (entier) ou une date xs:dateTime est attendu.",
            chemin="depuis",
            valeur=text,
        ) from None
    return 0, paris_if_naive(instant)


def build_application(gateway: Gateway, platform: Any, guards: tuple[Guard, ...] = ()) -> Application:
    """The spyne Application of ``/esav/v2/integration`` (``platform``: ``IntegrationPlatform``)."""
    faults = make_fault_types(NAMESPACE)
    t = _types(NAMESPACE)
    base = make_service_base(gateway, None, faults, guards)
    throws = [faults.fault]

    class IntegrationService(base):  # type: ignore[misc, valid-type]
        @rpc(
            _opt(Unicode(max_len=40)),
            _opt(Integer),
            _returns=_req(Array(t.entree, wrapped=True, nillable=False)),
            _out_variable_name="entrees",
            _throws=throws,
        )
        def consulterJournal(ctx, depuis, max):
            after, since = _since(depuis)
            entries = platform.journal(ctx.udc.operator_code, after_id=after, since=since, limit=max or 100)
            return [
                t.entree(
                    idEntree=e.id,
                    date=to_paris(e.at),
                    version=e.version,
                    service=e.service,
                    operation=e.operation,
                    codeErreur=e.fault_code,
                    requete=e.request,
                    reponse=e.response,
                )
                for e in entries
            ]

        @rpc(
            _returns=(_req(Boolean), _req(Array(t.domaine, wrapped=True, nillable=False))),
            _out_variable_names=("complete", "domaines"),
            _throws=throws,
        )
        def consulterCampagne(ctx):
            progress = platform.campaign(ctx.udc.operator_code)
            domains = [
                t.domaine(
                    domaine=d.domain,
                    valide=d.complete,
                    versionsValidees=list(d.complete_in),
                    operations=[
                        t.operation(
                            service=o.service,
                            operation=o.operation,
                            reussie=bool(o.versions),
                            versions=list(o.versions),
                            premiereReussite=to_paris(o.first_success) if o.first_success else None,
                        )
                        for o in d.operations
                    ],
                )
                for d in progress.domains
            ]
            return progress.complete, domains

        @rpc(
            _returns=(_req(Integer), _req(Integer), _req(Integer), _req(Integer)),
            _out_variable_names=(
                "signalisationsSupprimees",
                "testsSupprimes",
                "rendezVousSupprimes",
                "entreesJournalSupprimees",
            ),
            _throws=throws,
        )
        def reinitialiserBacASable(ctx):
            counts = platform.reset(ctx.udc.operator_code)
            return counts["signalisations"], counts["tests"], counts["rendezVous"], counts["journal"]

        @rpc(
            _returns=(
                _req(Unicode),
                _req(Unicode),
                _req(
                    Array(_req(Unicode), member_name="domaine", type_name="listeDomaines", wrapped=True, nillable=False)
                ),
            ),
            _out_variable_names=("attestation", "version", "domaines"),
            _throws=throws,
        )
        def obtenirAttestation(ctx):
            document, version, domains = platform.attestation(ctx.udc)
            return document, version, domains

    return esav_application([IntegrationService], NAMESPACE, "integration", faults)


def endpoint(platform: Any) -> SimpleNamespace:
    """The endpoint module-like object ``gateway.server.build_site`` mounts as an extra endpoint."""
    return SimpleNamespace(
        NAMESPACE=NAMESPACE,
        build_application=lambda gateway, guards=(): build_application(gateway, platform, guards),
    )
