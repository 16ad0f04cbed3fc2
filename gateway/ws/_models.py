"""Building spyne wire models the way every service of the gateway declares them."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from spyne import ComplexModel

__all__ = [
    "MAX_CODE",
    "MAX_FILE_NAME",
    "MAX_FORM_CODE",
    "MAX_FORM_VERSION",
    "MAX_IDENTIFIER",
    "MAX_MIME_TYPE",
    "MAX_REFERENCE",
    "MAX_TEXT",
    "model_factory",
    "optional",
    "required",
]

# The longest string a caller may send in each kind of field, declared as ``xs:maxLength`` in every
# WSDL, so that lxml refuses a longer one (REQUETE_INVALIDE) while validating the envelope, before
# any work. Each leaves room above today's values; the integration guide lists them.
#: Provider references: tickets (``SIG`` + 8 digits), tests, appointments.
MAX_REFERENCE = 32
#: Identifiers chosen elsewhere: prestations, the operator's own reference, slots, test types.
MAX_IDENTIFIER = 64
#: Codes from the contract or the nomenclature: offers, states, intervention types.
MAX_CODE = 32
#: A form's code (``SIG_CUIVRE``) and version (``2.0``).
MAX_FORM_CODE = 64
MAX_FORM_VERSION = 16
#: Free text: comments, motives.
MAX_TEXT = 4000
#: An attachment's file name and MIME type (RFC 6838: at most 127 characters each side of the ``/``).
MAX_FILE_NAME = 255
MAX_MIME_TYPE = 255


def required(model: Any, **kw: Any) -> Any:
    """A mandatory, non-nillable element."""
    return model.customize(min_occurs=1, nillable=False, **kw)


def optional(model: Any, **kw: Any) -> Any:
    """An optional, non-nillable element."""
    return model.customize(min_occurs=0, nillable=False, **kw)


def model_factory(ns: str) -> Callable[[str, list[tuple[str, Any]]], type[ComplexModel]]:
    """``model(name, fields)`` making a fresh complex type named ``name`` in namespace ``ns``.

    Fresh classes per call: two Applications must never share a model class (docs/decisions.md, measured facts).
    """

    def model(name: str, fields: list[tuple[str, Any]]) -> type[ComplexModel]:
        return type(name, (ComplexModel,), {"__namespace__": ns, "__type_name__": name, "_type_info": fields})

    return model
