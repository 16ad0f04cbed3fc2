"""Building spyne wire models the way every service of the gateway declares them."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from spyne import ComplexModel

__all__ = ["model_factory", "optional", "required"]


def required(model: Any, **kw: Any) -> Any:
    """A mandatory, non-nillable element."""
    return model.customize(min_occurs=1, nillable=False, **kw)


def optional(model: Any, **kw: Any) -> Any:
    """An optional, non-nillable element."""
    return model.customize(min_occurs=0, nillable=False, **kw)


def model_factory(ns: str) -> Callable[[str, list[tuple[str, Any]]], type[ComplexModel]]:
    """``model(name, fields)`` making a fresh complex type named ``name`` in namespace ``ns``.

    Fresh classes per call: two Applications must never share a model class (DESIGN.md).
    """

    def model(name: str, fields: list[tuple[str, Any]]) -> type[ComplexModel]:
        return type(name, (ComplexModel,), {"__namespace__": ns, "__type_name__": name, "_type_info": fields})

    return model
