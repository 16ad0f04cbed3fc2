"""The one rule of which characters text may hold (XML 1.0's Char production), and its U+FFFD repair."""

from __future__ import annotations

import pytest
from lxml import etree

from gateway.domain import REPLACEMENT, first_non_xml_char, is_xml_char, xml_safe

FORBIDDEN = ["\x00", "\x01", "\x08", "\x0b", "\x0c", "\x0e", "\x1f", "\ud800", "\udfff", "\ufffe", "\uffff"]
ALLOWED = ["\t", "\n", "\r", " ", "\x7f", "\x85", "é", "\ud7ff", "\ue000", "\ufffd", "\U00010000", "\U0010ffff"]


@pytest.mark.parametrize("char", FORBIDDEN, ids=lambda c: f"U+{ord(c):04X}")
def test_forbidden_characters_are_found_with_their_position(char):
    """Each character outside XML 1.0's Char is found, named as U+XXXX, at its 1-based position."""
    bad = first_non_xml_char(f"ab{char}c{char}")
    assert bad is not None and (bad.char, bad.index, bad.position) == (char, 2, 3)
    assert bad.code_point == f"U+{ord(char):04X}" and not is_xml_char(char)


@pytest.mark.parametrize("char", ALLOWED, ids=lambda c: f"U+{ord(c):04X}")
def test_allowed_characters_pass_and_lxml_agrees(char):
    """Tab, line breaks and every character of XML 1.0's Char pass, and lxml writes them in a text node."""
    assert first_non_xml_char(f"a{char}b") is None and is_xml_char(char)
    etree.Element("t").text = f"a{char}b"


def test_repair_replaces_each_forbidden_character_and_counts_them():
    """xml_safe puts U+FFFD in place of each forbidden character and says how many it replaced."""
    assert xml_safe("a\x0bb\x00c\ufffe") == (f"a{REPLACEMENT}b{REPLACEMENT}c{REPLACEMENT}", 3)
    assert xml_safe("déjà vu\t\n") == ("déjà vu\t\n", 0)
