"""Which characters text may hold: those XML 1.0 can carry, since every text ends up in a SOAP answer.

XML 1.0 (§2.2, production ``Char``) allows tab, line feed, carriage return, ``U+0020``–``U+D7FF``,
``U+E000``–``U+FFFD`` and ``U+10000``–``U+10FFFF``. Everything else (the other C0 control
characters such as NUL or the vertical tab, lone surrogates, ``U+FFFE`` and ``U+FFFF``) cannot be
written in an XML document, not even as a character reference: a text holding one could never be
answered. Doors refuse such text on the way in; text already stored is repaired with
``REPLACEMENT`` on the way out.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["REPLACEMENT", "NonXmlChar", "first_non_xml_char", "is_xml_char", "xml_safe"]

#: What replaces a character XML cannot carry in text already stored: U+FFFD REPLACEMENT CHARACTER.
REPLACEMENT = "\ufffd"

# The complement of XML 1.0's Char production.
_NON_XML = re.compile("[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


@dataclass(frozen=True)
class NonXmlChar:
    """The first character of a text that XML 1.0 cannot carry, and where it is (0-based)."""

    char: str
    index: int

    @property
    def code_point(self) -> str:
        """``U+000B``: how messages name it (the character itself would be invisible, or worse)."""
        return f"U+{ord(self.char):04X}"

    @property
    def position(self) -> int:
        """1-based, as people count characters in a field."""
        return self.index + 1


def is_xml_char(char: str) -> bool:
    """Whether XML 1.0 can carry this one character."""
    return _NON_XML.fullmatch(char) is None


def first_non_xml_char(text: str) -> NonXmlChar | None:
    """The first character of ``text`` that XML 1.0 cannot carry, or None when there is none."""
    found = _NON_XML.search(text)
    return None if found is None else NonXmlChar(found.group(), found.start())


def xml_safe(text: str) -> tuple[str, int]:
    """``text`` with every character XML 1.0 cannot carry replaced by ``REPLACEMENT``, and how many were."""
    return _NON_XML.subn(REPLACEMENT, text)
