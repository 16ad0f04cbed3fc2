"""What a page handler sees and returns: a plain request and response, independent of Twisted."""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import urlencode

from ._multipart import UploadedPart

__all__ = ["HttpError", "Response", "WebRequest", "redirect"]


@dataclass(frozen=True)
class WebRequest:
    """One HTTP request, decoded: ``query`` and ``form`` keep every value of a repeated name."""

    method: str
    path: str
    query: dict[str, list[str]]
    form: dict[str, list[str]]
    cookies: dict[str, str]
    client_ip: str
    files: dict[str, list[UploadedPart]] = field(default_factory=dict)

    def arg(self, name: str, default: str = "") -> str:
        """The first value of ``name`` in the query string."""
        values = self.query.get(name)
        return values[0] if values else default

    def field(self, name: str, default: str = "") -> str:
        """The first value of ``name`` in the submitted form."""
        values = self.form.get(name)
        return values[0] if values else default

    def fields(self, name: str) -> list[str]:
        return list(self.form.get(name, []))


@dataclass
class Response:
    status: int = 200
    body: bytes = b""
    content_type: str = "text/html; charset=utf-8"
    headers: dict[str, str] = field(default_factory=dict)
    #: name → (value, max-age seconds or None for a session cookie; 0 deletes it)
    cookies: dict[str, tuple[str, int | None]] = field(default_factory=dict)
    #: Who made the request, for the portal's log: ``OPE001/login``, ``agent/login``, the login tried at
    #: sign-in, or None (anonymous).
    account: str | None = None


class HttpError(Exception):
    """Stop handling and answer with this status and a French message (404, 403...)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def redirect(path: str, **query: str) -> Response:
    """303 See Other to a path of this site (after a POST: the browser then GETs it)."""
    location = path + ("?" + urlencode(query) if query else "")
    return Response(status=303, headers={"Location": location})
