"""Text documents as PDF (the invoice duplicates), laid out by reportlab.

A4 pages in DejaVu Sans, a TrueType font embedded as a subset, so that French and the rest of
Latin (é, œ, €, « ») print as they are; lines too long for the page wrap, and a full page goes on to
the next one, each page with its title and "page n/N" at the bottom. The fonts ship with the package
(``fonts/``, cut down to Latin: see its README); a character they lack is printed as ``?``.
Documents are reproducible (same text, same bytes): reportlab's ``invariant`` mode.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from functools import cache, lru_cache
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer

__all__ = ["text_pdf"]

FONTS_DIR = Path(__file__).resolve().parent / "fonts"
_REGULAR, _BOLD = "DejaVuSans-Latin", "DejaVuSans-Bold-Latin"
_MARGIN = 20 * mm


@cache
def _printable() -> frozenset[int]:
    """Register the package's fonts with reportlab (once per process); the code points both can draw."""
    covered = []
    for name in (_REGULAR, _BOLD):
        font = TTFont(name, str(FONTS_DIR / f"{name}.ttf"))
        pdfmetrics.registerFont(font)
        covered.append(frozenset(font.face.charToGlyph))
    return frozenset.intersection(*covered)


def _drawable(text: str) -> str:
    printable = _printable()
    return "".join(c if ord(c) in printable else "?" for c in text)


class _NumberedCanvas(Canvas):
    """Holds the pages back until the end, to write "page n/N" once N is known."""

    def __init__(self, *args: Any, footer: str = "", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._footer = footer
        self._pages: list[dict[str, Any]] = []

    def showPage(self) -> None:  # noqa: N802 - reportlab's name
        self._pages.append(dict(self.__dict__))
        self._startPage()

    def save(self) -> None:
        for state in self._pages:
            self.__dict__.update(state)
            self.setFont(_REGULAR, 8)
            self.drawCentredString(A4[0] / 2, 12 * mm, f"{self._footer} — page {self._pageNumber}/{len(self._pages)}")
            super().showPage()
        super().save()


def text_pdf(title: str, lines: Sequence[str]) -> bytes:
    """A PDF of ``title`` in bold, then ``lines`` (an empty string leaves a blank line), on as many A4
    pages as they need."""
    return _text_pdf(title, tuple(lines))


# A demo draws the same duplicates again each time it is built (tests build many in one process).
@lru_cache(maxsize=256)
def _text_pdf(title: str, lines: tuple[str, ...]) -> bytes:
    _printable()
    body = ParagraphStyle("corps", fontName=_REGULAR, fontSize=11, leading=16)
    heading = ParagraphStyle("titre", fontName=_BOLD, fontSize=16, leading=20, spaceAfter=12)
    story: list[Any] = [Paragraph(escape(_drawable(title)), heading)]
    story += [Paragraph(escape(_drawable(line)), body) if line else Spacer(1, body.leading) for line in lines]
    out = io.BytesIO()
    document = SimpleDocTemplate(
        out,
        pagesize=A4,
        leftMargin=_MARGIN,
        rightMargin=_MARGIN,
        topMargin=_MARGIN,
        bottomMargin=_MARGIN,
        title=title,
        creator="e-SAV",
        invariant=True,
        initialFontName=_REGULAR,
    )
    footer = _drawable(title)
    document.build(story, canvasmaker=lambda *a, **k: _NumberedCanvas(*a, footer=footer, **k))
    return out.getvalue()
