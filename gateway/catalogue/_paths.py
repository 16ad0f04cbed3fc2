"""Where the shipped catalogue and its mockups are (package data: ``gateway._resources``)."""

from __future__ import annotations

from pathlib import Path

from gateway._resources import shipped_catalogue, shipped_mockups


def default_catalogue_root() -> Path:
    """The shipped ``catalogue/`` folder (the repository's in a checkout)."""
    return shipped_catalogue()


def default_mockups_dir() -> Path:
    """The shipped ``html_mockups/`` folder (the repository's in a checkout)."""
    return shipped_mockups()
