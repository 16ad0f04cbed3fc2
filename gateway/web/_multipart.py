"""Reading a ``multipart/form-data`` body (file uploads) with the standard library's e-mail parser.

Twisted's ``request.args`` keeps the values but loses each file's name and type, which a receipt needs.
"""

from __future__ import annotations

from email.message import Message
from email.parser import BytesParser
from email.policy import HTTP

__all__ = ["UploadedPart", "parse_multipart"]


class UploadedPart:
    """A file field of the form: its file name as the browser sent it, its declared type, its bytes."""

    def __init__(self, filename: str, content_type: str, content: bytes) -> None:
        self.filename = filename
        self.content_type = content_type
        self.content = content


def parse_multipart(body: bytes, content_type: str) -> tuple[dict[str, list[str]], dict[str, list[UploadedPart]]]:
    """The text fields and the file fields of a multipart body (``content_type`` with its boundary)."""
    message = BytesParser(policy=HTTP).parsebytes(
        b"Content-Type: " + content_type.encode("latin-1") + b"\r\nMIME-Version: 1.0\r\n\r\n" + body
    )
    fields: dict[str, list[str]] = {}
    files: dict[str, list[UploadedPart]] = {}
    if not message.is_multipart():
        return fields, files
    for part in message.iter_parts():
        assert isinstance(part, Message)
        name = part.get_param("name", header="content-disposition")
        if not isinstance(name, str):
            continue
        payload = part.get_payload(decode=True)
        content = payload if isinstance(payload, bytes) else b""
        filename = part.get_filename()
        if filename is None:
            fields.setdefault(name, []).append(content.decode("utf-8", "replace"))
        else:
            files.setdefault(name, []).append(UploadedPart(filename, part.get_content_type(), content))
    return fields, files
