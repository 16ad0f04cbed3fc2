"""The fast path of the signalisation service's hottest operations, for every version that has them.

``deposerSignalisation`` and ``consulterEtatSignalisation`` read and answered as their spyne
methods do (``v1/signalisation.py``, ``v2/signalisation.py``): the same use cases with the same
arguments, the same answer fields. A version differs only in its namespace and how it writes a
date (``date``); v1 has no ``referenceOperateur`` (its schema refuses one, so none is read).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from lxml import etree
from spyne import Application

from gateway.services import Caller, DepositRequest, Gateway

from ._base import Guard, form_element
from ._fastpath import AnswerTemplate, FastOperation, FastPath, child_texts

__all__ = ["signalisation_fast_path"]


def signalisation_fast_path(
    gateway: Gateway,
    application: Application,
    namespace: str,
    guards: tuple[Guard, ...],
    *,
    api_version: str,
    date: Callable[[datetime | None], Any],
) -> FastPath:
    """The ``FastPath`` of one version's signalisation endpoint (``application`` is its spyne one)."""
    form_tag = f"{{{namespace}}}formulaire"
    attachments_tag = f"{{{namespace}}}piecesJointes"
    prestation_tag = f"{{{namespace}}}identifiantPrestation"

    def deposit(caller: Caller, element: etree._Element) -> tuple[Any, ...]:
        fields: Any = child_texts(element)
        form = element.find(form_tag)
        form_attributes: Any = form.attrib if form is not None else {}
        receipt = gateway.tickets.deposit(
            caller,
            DepositRequest(
                identifiant_prestation=fields.get("identifiantPrestation"),
                code_offre=fields.get("codeOffre"),
                gravite=str(fields.get("gravite")),
                form_code=form_attributes.get("code"),
                form_version=form_attributes.get("version"),
                form=form_element(element, namespace),
                commentaire=fields.get("commentaire"),
                reference_operateur=fields.get("referenceOperateur"),
                attachments=(),
                api_version=api_version,
            ),
        )
        return receipt.reference, date(receipt.deposited_at), receipt.state

    def state(caller: Caller, element: etree._Element) -> tuple[Any, ...]:
        fields: Any = child_texts(element)
        view = gateway.tickets.state(caller, fields.get("referenceSignalisation"))
        return view.reference, view.state, date(view.state_at), view.libelle

    operations = [
        FastOperation(
            "deposerSignalisation",
            deposit,
            AnswerTemplate(namespace, "deposerSignalisation", ("referenceSignalisation", "dateDepot", "etat")),
            # Attachments (base64, rare) are read by spyne.
            accepts=lambda element: element.find(attachments_tag) is None,
            prestation=lambda element: element.findtext(prestation_tag),
        ),
        FastOperation(
            "consulterEtatSignalisation",
            state,
            AnswerTemplate(
                namespace, "consulterEtatSignalisation", ("referenceSignalisation", "etat", "dateEtat", "libelleEtat")
            ),
            writes=False,
        ),
    ]
    schema = application.in_protocol.validation_schema
    return FastPath(gateway, namespace, "signalisation", guards, schema, operations)
