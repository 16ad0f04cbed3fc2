"""SOAP 1.1 as the gateway speaks it: spyne's protocol with a true ``xs:any`` on the way out."""

from __future__ import annotations

from typing import Any

from lxml import etree
from spyne import AnyXml
from spyne.const.xml import XSD
from spyne.protocol.soap import Soap11

__all__ = ["EsavSoap11"]

_XS_ANY = XSD("any")


class EsavSoap11(Soap11):
    """spyne wraps an ``AnyXml`` value in an element named after the field; for a field declared as
    an ``xs:any`` wildcard the WSDL promises the element itself, so append it as it is."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.serialization_handlers[AnyXml] = self._any_xml_to_parent

    def _any_xml_to_parent(self, ctx: Any, cls: Any, inst: Any, parent: Any, ns: str, name: str, **kw: Any) -> None:
        if cls.Attributes.schema_tag != _XS_ANY:
            return self.any_xml_to_parent(ctx, cls, inst, parent, ns, name, **kw)
        if isinstance(inst, (str, bytes)):
            inst = etree.fromstring(inst)
        parent.append(inst)
        return None
