"""Field hints in words: every pattern of the catalogue's forms has its French sentence; pages show no regex."""

from __future__ import annotations

import re
from html import unescape

import pytest
from support import CATALOGUE
from web_support import TECH, signed_in

from gateway.catalogue import Catalogue, form_model
from gateway.web._hints import PATTERN_WORDS, pattern_hint


def _patterns() -> set[str]:
    catalogue = Catalogue.load(CATALOGUE)
    found: set[str] = set()
    for form in catalogue.forms():
        for version in form.versions:
            for field in form_model(catalogue.xsd_path(form.code, version.version)).walk():
                found.update(field.patterns)
    return found


@pytest.mark.unit
def test_every_pattern_of_the_catalogue_has_words():
    """A new pattern in a form needs its sentence in PATTERN_WORDS, or the page would fall back to a vague hint."""
    assert _patterns() <= set(PATTERN_WORDS)


@pytest.mark.unit
def test_an_unknown_pattern_is_never_shown_as_such():
    """An unlisted pattern gets a neutral sentence, not the expression."""
    assert "[" not in pattern_hint("[X-Z]{3}") and "exemple" in pattern_hint("[X-Z]{3}")


def test_the_deposit_page_hints_in_words(portal):
    """The copper form's phone and INSEE fields say what they want in French; no hint prints a regular expression."""
    page = unescape(signed_in(portal, TECH).get("/esav/deposer?prestation=0140000001").text)
    assert "Attendu : le code INSEE de la commune" in page and "Attendu : un numéro de téléphone" in page
    hints = re.findall(r'<p class="aide"[^>]*>(.*?)</p>', page, flags=re.S)
    assert hints and not [h for h in hints if "{" in h or "[0-9" in h or "Format :" in h]
