"""Headless Chromium (Debian's, driven by Playwright) for the portal's browser tests.

A browser test module imports this first: the module is skipped, saying what is missing, when
Playwright or Chromium is absent (``tests/web/install-browser.sh`` installs Chromium). ``launched()``
gives a browser and ``shot()`` keeps a screenshot under ``artifacts/screenshots`` when the run asks for
them (``TEST_SCREENSHOTS=1``, what ``make screenshots`` sets): about forty full-page screenshots cost
five seconds of the browser's time, for pictures only a guide's author needs.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from support import REPO

CHROMIUM = os.environ.get("ESAV_CHROMIUM", "/usr/bin/chromium")
SCREENSHOTS = REPO / "artifacts" / "screenshots"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

sync_api = pytest.importorskip("playwright.sync_api", reason="Playwright pour Python absent (pip install playwright)")
if not (Path(CHROMIUM).is_file() or shutil.which(CHROMIUM)):
    pytest.skip(f"Chromium absent ({CHROMIUM}) : lancez tests/web/install-browser.sh", allow_module_level=True)


@contextmanager
def launched() -> Iterator[Any]:
    """A headless Chromium, closed at the end of the block."""
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            yield browser
        finally:
            browser.close()


def shot(page: Any, name: str) -> None:
    """Keep a full-page screenshot as a test artifact, in a run that asks for them (``TEST_SCREENSHOTS``)."""
    if os.environ.get("TEST_SCREENSHOTS") != "1":
        return
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)
