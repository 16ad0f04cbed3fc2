"""Service ``catalogue`` v2 (contract §6): forms, their versions' status, XSD texts and code lists.

Open to every e-SAV intégré subscriber (no domain validation needed: an operator reads the
catalogue before it is validated). A thin skin over ``gateway.services.CatalogueService``.

Wire choices: ``dateProduction`` and ``dateFinCohabitation`` are days (``xs:date``, Paris): the
first day a version is accepted, and the last one (inclusive) once a later version is planned.
A version not yet in production is listed with status ``A_VENIR``.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from spyne import Application, Date, Enum, Unicode, rpc
from spyne.model.complex import Array

from gateway.catalogue import CodeList, VersionStatus
from gateway.services import FormView, Gateway

from .._base import Guard, make_service_base
from .._faults import make_fault_types
from .._models import MAX_CODE, MAX_FORM_CODE, MAX_FORM_VERSION, MAX_IDENTIFIER, model_factory
from .._models import optional as _opt
from .._models import required as _req
from .._protocol import esav_application

__all__ = ["NAMESPACE", "build_application"]

NAMESPACE = "urn:esav:catalogue:v2"


def make_types(ns: str) -> SimpleNamespace:
    """The wire types of the catalogue service, in namespace ``ns`` (fresh classes per call)."""

    model = model_factory(ns)

    statut = Enum(*(s.value for s in VersionStatus), type_name="statutVersion", __namespace__=ns)
    offres = Array(_req(Unicode), member_name="codeOffre", type_name="codesOffre", wrapped=True, nillable=False)
    version = model(
        "versionFormulaire",
        [
            ("version", _req(Unicode)),
            ("statut", _req(statut)),
            ("dateProduction", _req(Date)),
            ("dateFinCohabitation", _opt(Date)),
        ],
    )
    formulaire = model(
        "formulaire",
        [
            ("code", _req(Unicode)),
            ("titre", _req(Unicode)),
            ("offres", _req(offres)),
            ("espaceDeNoms", _req(Unicode)),
            ("elementRacine", _req(Unicode)),
            ("versions", _req(Array(version, wrapped=True, nillable=False))),
        ],
    )
    valeur = model(
        "valeur",
        [
            ("code", _req(Unicode)),
            ("libelle", _req(Unicode)),
            ("offres", _opt(offres)),
            ("depuis", _opt(Date)),
        ],
    )
    return SimpleNamespace(statut=statut, offres=offres, version=version, formulaire=formulaire, valeur=valeur)


def build_application(gateway: Gateway, guards: tuple[Guard, ...] = ()) -> Application:
    """The spyne Application of ``/esav/v2/catalogue``."""
    faults = make_fault_types(NAMESPACE)
    t = make_types(NAMESPACE)
    base = make_service_base(gateway, None, faults, guards)
    throws = [faults.fault]

    def form_out(form: FormView) -> Any:
        return t.formulaire(
            code=form.code,
            titre=form.titre,
            offres=list(form.offres),
            espaceDeNoms=form.namespace,
            elementRacine=form.racine,
            versions=[
                t.version(
                    version=v.version,
                    statut=v.status.value,
                    dateProduction=v.date_production,
                    dateFinCohabitation=v.date_fin_cohabitation,
                )
                for v in form.versions
            ],
        )

    def code_list_out(codes: CodeList) -> tuple[str, str, list[str] | None, list[Any]]:
        values = [
            t.valeur(code=v.code, libelle=v.libelle, offres=list(v.offres) or None, depuis=v.depuis)
            for v in codes.values
        ]
        return codes.code, codes.libelle, list(codes.offres) or None, values

    class CatalogueService(base):  # type: ignore[misc, valid-type]
        @rpc(
            _opt(Unicode(max_len=MAX_CODE)),
            _returns=_req(Array(t.formulaire, wrapped=True, nillable=False)),
            _out_variable_name="formulaires",
            _throws=throws,
        )
        def listerFormulaires(ctx, codeOffre):
            return [form_out(f) for f in gateway.catalogue_service.forms(codeOffre)]

        @rpc(
            _req(Unicode(max_len=MAX_FORM_CODE)),
            _req(Unicode(max_len=MAX_FORM_VERSION)),
            _returns=(_req(Unicode), _req(Unicode), _req(Unicode)),
            _out_variable_names=("code", "version", "xsd"),
            _throws=throws,
        )
        def obtenirFormulaire(ctx, code, version):
            schema = gateway.catalogue_service.form_schema(code, version)
            return schema.code, schema.version, schema.xsd

        @rpc(
            _req(Unicode(max_len=MAX_IDENTIFIER)),
            _returns=(
                _req(Unicode),
                _req(Unicode),
                _opt(t.offres),
                _req(Array(t.valeur, wrapped=True, nillable=False)),
            ),
            _out_variable_names=("code", "libelle", "offres", "valeurs"),
            _throws=throws,
        )
        def obtenirNomenclature(ctx, code):
            return code_list_out(gateway.catalogue_service.code_list(code))

    return esav_application([CatalogueService], NAMESPACE, "catalogue", faults)
