"""Where the store lives: a SQLite file or a PostgreSQL database, named by one URL.

A value, parsed and checked once (settings, command options), that the store opens; kept here,
below both the settings and the store, since both need it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

__all__ = ["POSTGRESQL", "SQLITE", "StoreUrl", "parse_store_url", "redact"]

SQLITE = "sqlite"
POSTGRESQL = "postgresql"


@dataclass(frozen=True)
class StoreUrl:
    """Where the store lives: a SQLite file (``sqlite:///path`` or a plain path) or a PostgreSQL
    database (``postgresql://user@host:port/name?…``, libpq's own URL, multi-host included)."""

    dialect: str
    path: Path | None = None  # SQLite
    conninfo: str = ""  # PostgreSQL

    @property
    def is_sqlite(self) -> bool:
        return self.dialect == SQLITE

    def __str__(self) -> str:
        return f"sqlite:///{self.path}" if self.dialect == SQLITE else redact(self.conninfo)

    @property
    def database_name(self) -> str:
        """The PostgreSQL database's name ("" for SQLite)."""
        return unquote(urlsplit(self.conninfo).path.lstrip("/")) if self.dialect == POSTGRESQL else ""


def redact(conninfo: str) -> str:
    """A PostgreSQL URL without its password, for logs and messages."""
    return re.sub(r"(://[^:/@]+):[^@]*@", r"\1:***@", conninfo)


def parse_store_url(value: str | Path) -> StoreUrl:
    """``sqlite:///…``, ``postgresql://…`` (or ``postgres://…``), or a file path (SQLite)."""
    text = str(value)
    if text.startswith(("postgresql://", "postgres://")):
        return StoreUrl(POSTGRESQL, conninfo=text)
    if text.startswith("sqlite:///"):
        return StoreUrl(SQLITE, path=Path(text[len("sqlite:///") :]))
    if text.startswith("sqlite://"):
        raise ValueError(f"URL SQLite invalide « {text} » : attendu sqlite:///chemin/du/fichier.db")
    if re.match(r"^[a-z][a-z0-9+.-]*://", text):
        raise ValueError(f"Moteur de base inconnu dans « {redact(text)} » : attendu sqlite:/// ou postgresql://")
    return StoreUrl(SQLITE, path=Path(text))
