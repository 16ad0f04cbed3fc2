"""Text on its way to the wire: characters XML cannot carry become U+FFFD, and the replacement is logged.

Every door refuses such characters on the way in (``gateway.services.check_text``) and a store
migration repaired what was there before; this is the last net, for whatever still holds one
(a row written by an older gateway during an upgrade, a row edited by hand). Without it lxml refuses
the whole answer, or the whole push, for one character: one bad comment would hide a ticket's detail
and block its operator's event feed and notifications behind it.
"""

from __future__ import annotations

import logging
from typing import Any

from gateway.domain.xml_text import xml_safe

__all__ = ["wire_text", "wire_value"]

log = logging.getLogger("gateway.ws")


def wire_text(text: str, where: str) -> str:
    """``text`` safe for XML; ``where`` (the element, the event) goes into the log line of a replacement."""
    safe, replaced = xml_safe(text)
    if replaced:
        log.warning("%s: %d character(s) that XML cannot carry replaced by U+FFFD in stored text", where, replaced)
    return safe


def wire_value(value: Any, where: str) -> Any:
    """``wire_text`` applied to every string of a value made of dicts, lists and tuples."""
    if isinstance(value, str):
        return wire_text(value, where)
    if isinstance(value, dict):
        return {key: wire_value(item, f"{where}/{key}") for key, item in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(wire_value(item, where) for item in value)
    return value
