"""Where the catalogue and its mockups live in a checkout (data of the checkout, not package data)."""

from __future__ import annotations

from pathlib import Path

_REPOSITORY = Path(__file__).resolve().parents[2]


def default_catalogue_root() -> Path:
    """The repository's ``catalogue/`` folder."""
    return _REPOSITORY / "catalogue"


def default_mockups_dir() -> Path:
    """The repository's ``html_mockups/`` folder."""
    return _REPOSITORY / "html_mockups"
