"""After login the portal goes only to a path of its own site, whatever ``suite`` holds."""

from __future__ import annotations

from urllib.parse import urlencode

import pytest
from web_support import ADMIN, signed_in

from gateway.web import same_origin_path

#: Values of ``suite`` that would leave the site in some browser: each falls back to the home page.
LEAVING = {
    "tab": "/\t/attacker.example/phish",
    "newline": "/\n/attacker.example/phish",
    "carriage-return": "/\r\n/attacker.example",
    "leading-space": " //attacker.example",
    "nbsp": "/\u00a0/attacker.example",
    "zero-width": "/\u200b/attacker.example",
    "slash-backslash": "/\\attacker.example",
    "backslashes": "\\\\attacker.example",
    "slash-slash": "//attacker.example",
    "three-slashes": "///attacker.example",
    "scheme-relative-with-port": "//attacker.example:443/phish",
    "https": "https://attacker.example/phish",
    "javascript": "javascript:alert(document.cookie)",
    "javascript-with-tab": "java\tscript:alert(1)",
    "encoded-slashes": "%2F%2Fattacker.example",
    "encoded-second-slash": "/%2Fattacker.example",
    "encoded-backslash": "/%5Cattacker.example",
    "encoded-tab": "/%09/attacker.example/phish",
    "encoded-newline": "/%0a/attacker.example",
    "double-encoded-slash": "/%252Fattacker.example",
    "relative": "attacker.example",
    "empty": "",
}

#: Paths of the site, kept as they are.
STAYING = {
    "home": "/",
    "tickets": "/esav",
    "with-query": "/esav?etat=EN_COURS&page=2",
    "encoded-space": "/esav?prestation=a%20b",
    "staff": "/fournisseur",
}


@pytest.mark.parametrize("value", LEAVING.values(), ids=LEAVING.keys())
def test_suite_leaving_the_site_falls_back_to_home(value):
    """A ``suite`` that a browser could read as another site, once cleaned and decoded, becomes ``/``."""
    assert same_origin_path(value) == "/"


@pytest.mark.parametrize("value", STAYING.values(), ids=STAYING.keys())
def test_suite_on_the_site_is_kept(value):
    """A plain path of the site (with its query) is kept unchanged."""
    assert same_origin_path(value) == value


def test_login_never_redirects_off_site(portal):
    """Over HTTPS, logging in with each hostile ``suite`` answers 303 to ``/``; a real path is followed."""
    for name, value in {**LEAVING, "tickets": "/esav"}.items():
        browser = signed_in(portal)
        form_page = "/connexion?" + urlencode({"suite": value})
        response = browser.post(
            "/connexion",
            {"login": ADMIN[0], "password": ADMIN[1], "suite": value},
            form_page=form_page,
            allow_redirects=False,
        )
        assert response.status_code == 303, name
        expected = "/esav" if name == "tickets" else "/"
        assert response.headers["Location"] == expected, name


def test_login_page_carries_only_a_safe_suite(portal):
    """The login page asked with a hostile ``suite`` puts only ``/`` in its hidden field."""
    page = signed_in(portal).get("/connexion?" + urlencode({"suite": "/\t/attacker.example/phish"}))
    assert page.status_code == 200
    assert "attacker.example" not in page.text
