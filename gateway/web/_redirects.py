"""Where a login may send the browser next: a path of this site, whatever the ``suite`` parameter says."""

from __future__ import annotations

import unicodedata
from urllib.parse import unquote, urlsplit

__all__ = ["HOME", "same_origin_path"]

#: Where a refused ``suite`` falls back to.
HOME = "/"

# Percent-decoding rounds checked: "%252F" is "%2F" once decoded, "/" twice.
_DECODING_ROUNDS = 4


def _invisible(ch: str) -> bool:
    """Characters browsers drop or ignore inside a URL: whitespace, control and format characters."""
    return ch.isspace() or unicodedata.category(ch) in ("Cc", "Cf")


def _is_local_path(path: str) -> bool:
    """``/x...``: one leading slash, no backslash (browsers read it as a slash), no scheme, no host."""
    if not path.startswith("/") or path.startswith("//") or "\\" in path:
        return False
    parts = urlsplit(path)
    return not parts.scheme and not parts.netloc


def same_origin_path(value: str | None) -> str:
    """The page to show after login: ``value`` when it is a path of this site, else the home page.

    Browsers remove tabs and newlines from a URL and read ``\\`` as ``/``, so ``/<TAB>/evil.example``
    would leave the site: whitespace and control characters are removed first, then the value and
    every percent-decoded form of it must be a plain local path (no ``//``, backslash, scheme or host,
    and no control character once decoded).
    """
    cleaned = "".join(ch for ch in value or "" if not _invisible(ch))
    if not cleaned.isascii() or not _is_local_path(cleaned):
        return HOME
    decoded = cleaned
    for _ in range(_DECODING_ROUNDS):
        previous, decoded = decoded, unquote(decoded)
        if any(unicodedata.category(ch) in ("Cc", "Cf") for ch in decoded):
            return HOME
        if not _is_local_path("".join(ch for ch in decoded if not ch.isspace())):
            return HOME
        if decoded == previous:
            return cleaned
    return HOME  # still changing after several rounds: encoded on purpose to hide something
