"""Helpers for the portal's tests: a requests session that logs in and posts forms with their CSRF token."""

from __future__ import annotations

import re
from html import unescape
from typing import Any

import requests
from support import LiveGateway

#: The demo's portal users (gateway/demo.py DEMO_USERS).
ADMIN = ("admin.alpha", "Alpha-Admin-2026!")
TECH = ("tech.alpha", "Alpha-Tech-2026!")

_CSRF = re.compile(r'name="csrf" value="([^"]+)"')


def csrf_of(html: str) -> str:
    found = _CSRF.search(html)
    assert found, "no CSRF token in the page"
    return unescape(found.group(1))


class Browser:
    """A user agent on the portal: cookies kept, server certificate checked, no client certificate."""

    def __init__(self, base_url: str, ca: str) -> None:
        self.base = base_url
        self.http = requests.Session()
        self.http.trust_env = False
        self.http.verify = ca

    def get(self, path: str, **kwargs: Any) -> requests.Response:
        return self.http.get(self.base + path, allow_redirects=kwargs.pop("allow_redirects", True), **kwargs)

    def post(
        self, path: str, data: dict[str, Any], *, form_page: str | None = None, **kwargs: Any
    ) -> requests.Response:
        """POST ``data`` with the CSRF token read from ``form_page`` (default: ``path`` itself)."""
        token = csrf_of(self.get(form_page or path).text)
        return self.http.post(self.base + path, data={"csrf": token, **data}, **kwargs)

    def login(self, user: tuple[str, str], *, lands_on: str | None = "/") -> requests.Response:
        """Log in; the answer must be 200 and, unless ``lands_on`` is None, the page it lands on."""
        response = self.post("/connexion", {"login": user[0], "password": user[1], "suite": "/"})
        assert response.status_code == 200, response.text[:500]
        assert lands_on is None or response.url.endswith(lands_on), response.text[:500]
        return response

    @property
    def session_id(self) -> str | None:
        return self.http.cookies.get("esav_session")


def signed_in(portal: LiveGateway, account: tuple[str, str] | None = None, *, lands_on: str | None = "/") -> Browser:
    """A Browser on ``portal``'s pages, logged in as ``account`` (anonymous without one)."""
    browser = Browser(portal.web_url, str(portal.pki.directory / "ca.pem"))
    if account is not None:
        browser.login(account, lands_on=lands_on)
    return browser
