"""Portal accounts (Espace Opérateurs): an operator's users, their profiles, the provider's staff
agents, web sessions, failed logins.

Passwords arrive here already hashed (argon2, in the services); session ids are stored as their
SHA-256, so a copy of the database does not hand out live sessions.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ._db import from_ts, to_ts
from ._parts import KEY_LOGIN, Repository, StorePart
from ._sql import Transaction

__all__ = [
    "AccountRepository",
    "AccountStore",
    "AgentRecord",
    "SessionRecord",
    "SessionRepository",
    "UserRecord",
    "add_agent_roles",
    "create_account_tables",
    "create_agent_tables",
]


@dataclass(frozen=True)
class UserRecord:
    """A portal user of one operator and the profile its administrator gave it."""

    id: int
    operator_code: str
    login: str
    name: str
    password_hash: str
    role: str  # ADMINISTRATEUR or UTILISATEUR
    status: str  # ACTIF or SUSPENDU
    eservices: frozenset[str]
    offers: dict[str, str]  # codeOffre → LECTURE or ECRITURE
    created_at: datetime


@dataclass(frozen=True)
class AgentRecord:
    """A member of the provider's staff on the portal (pages under /fournisseur); no operator."""

    id: int
    login: str
    name: str
    password_hash: str
    status: str  # ACTIF or SUSPENDU
    created_at: datetime
    roles: frozenset[str] = frozenset()  # what the agent may do beyond the portal's pages (SAV: after-sales)


@dataclass(frozen=True)
class SessionRecord:
    """A server-side web session; ``user_id`` and ``agent_id`` are None before login (it still carries a
    CSRF token); at most one of them is set: an operator's user or a provider's agent."""

    id_hash: str
    user_id: int | None
    csrf_token: str
    created_at: datetime
    last_seen_at: datetime
    agent_id: int | None = None


def create_account_tables(db: Transaction) -> None:
    db.table("web_users").create(
        {
            "id": int,
            "operator_code": str,
            "login": str,
            "name": str,
            "password_hash": str,
            "role": str,
            "status": str,
            "eservices": str,
            "offers": str,
            "created_at": str,
        },
        pk="id",
        foreign_keys=[("operator_code", "operators", "code")],
        not_null={"operator_code", "login", "password_hash", "role", "status", "created_at"},
    )
    # Logins are unique across operators: the login form asks for the login alone.
    db.table("web_users").create_index(["login"], unique=True)
    db.table("web_sessions").create(
        {"id_hash": str, "user_id": int, "csrf_token": str, "created_at": str, "last_seen_at": str},
        pk="id_hash",
        not_null={"csrf_token", "created_at", "last_seen_at"},
    )
    db.table("web_login_failures").create(
        {"id": int, "login": str, "ip": str, "at": str}, pk="id", not_null={"login", "ip", "at"}
    )
    db.table("web_login_failures").create_index(["login", "ip", "at"])


def create_agent_tables(db: Transaction) -> None:
    """Migration 22: the provider's staff agents; a session belongs to a user or to an agent."""
    db.table("provider_agents").create(
        {"id": int, "login": str, "name": str, "password_hash": str, "status": str, "created_at": str},
        pk="id",
        not_null={"login", "password_hash", "status", "created_at"},
    )
    db.table("provider_agents").create_index(["login"], unique=True)
    db.conn.execute("ALTER TABLE web_sessions ADD COLUMN agent_id INTEGER")


def add_agent_roles(db: Transaction) -> None:
    """Migration 28: the agents' roles (a JSON list; existing agents get none)."""
    db.conn.execute("ALTER TABLE provider_agents ADD COLUMN roles TEXT")


def _agent(row: dict[str, Any]) -> AgentRecord:
    return AgentRecord(
        **{
            **row,
            "name": row["name"] or "",
            "created_at": from_ts(row["created_at"]),
            "roles": frozenset(json.loads(row.get("roles") or "[]")),
        }
    )


def _user(row: dict[str, Any]) -> UserRecord:
    return UserRecord(
        id=row["id"],
        operator_code=row["operator_code"],
        login=row["login"],
        name=row["name"] or "",
        password_hash=row["password_hash"],
        role=row["role"],
        status=row["status"],
        eservices=frozenset(json.loads(row["eservices"] or "[]")),
        offers=dict(json.loads(row["offers"] or "{}")),
        created_at=from_ts(row["created_at"]),  # type: ignore[arg-type]
    )


def _session(row: dict[str, Any]) -> SessionRecord:
    return SessionRecord(
        id_hash=row["id_hash"],
        user_id=row["user_id"],
        csrf_token=row["csrf_token"],
        created_at=from_ts(row["created_at"]),  # type: ignore[arg-type]
        last_seen_at=from_ts(row["last_seen_at"]),  # type: ignore[arg-type]
        agent_id=row.get("agent_id"),
    )


class AccountStore(StorePart):
    """Users, sessions and failed logins of the portal."""

    # Users ---------------------------------------------------------------------------------------

    def get_user(self, user_id: int) -> UserRecord | None:
        row = self._one("SELECT * FROM web_users WHERE id = ?", [user_id])
        return _user(row) if row else None

    def user_by_login(self, login: str) -> UserRecord | None:
        row = self._one("SELECT * FROM web_users WHERE login = ?", [login])
        return _user(row) if row else None

    def list_users(self, operator_code: str) -> list[UserRecord]:
        return [
            _user(r)
            for r in self._rows("SELECT * FROM web_users WHERE operator_code = ? ORDER BY login", [operator_code])
        ]

    # Sessions ------------------------------------------------------------------------------------

    def get_session(self, id_hash: str) -> SessionRecord | None:
        row = self._one("SELECT * FROM web_sessions WHERE id_hash = ?", [id_hash])
        return _session(row) if row else None

    # Failed logins -------------------------------------------------------------------------------

    def count_login_failures(self, login: str, ip: str, since: datetime) -> int:
        row = self._one(
            "SELECT COUNT(*) AS n FROM web_login_failures WHERE login = ? AND ip = ? AND at >= ?",
            [login, ip, to_ts(since)],
        )
        return int(row["n"]) if row else 0

    def login_failure_count(self) -> int:
        """Every failed login still kept, whoever and whenever."""
        row = self._one("SELECT COUNT(*) AS n FROM web_login_failures")
        return int(row["n"]) if row else 0

    # The provider's agents ---------------------------------------------------------------------

    def get_agent(self, agent_id: int) -> AgentRecord | None:
        row = self._one("SELECT * FROM provider_agents WHERE id = ?", [agent_id])
        return _agent(row) if row else None

    def agent_by_login(self, login: str) -> AgentRecord | None:
        row = self._one("SELECT * FROM provider_agents WHERE login = ?", [login])
        return _agent(row) if row else None

    def list_agents(self) -> list[AgentRecord]:
        return [_agent(r) for r in self._rows("SELECT * FROM provider_agents ORDER BY login")]


class AccountRepository(Repository):
    """Portal users and the provider's agents, as the services change them."""

    __slots__ = ()

    def login_taken(self, login: str) -> bool:
        """Whether a portal user or a provider's agent has this login (unique across both: each table's
        unique index, and on PostgreSQL the login's lock held until the commit, taken before reading)."""
        self._lock_key(KEY_LOGIN, login)
        taken = self._one(
            "SELECT 1 AS x FROM web_users WHERE login = ? UNION ALL SELECT 1 FROM provider_agents WHERE login = ?",
            [login, login],
        )
        return taken is not None

    def insert_user(
        self,
        *,
        operator_code: str,
        login: str,
        name: str,
        password_hash: str,
        role: str,
        eservices: frozenset[str],
        offers: dict[str, str],
        at: datetime,
    ) -> UserRecord:
        user_id = self._db.insert_id(
            "INSERT INTO web_users (operator_code, login, name, password_hash, role, status, eservices, offers, "
            "created_at) VALUES (?, ?, ?, ?, ?, 'ACTIF', ?, ?, ?)",
            [
                operator_code,
                login,
                name,
                password_hash,
                role,
                json.dumps(sorted(eservices)),
                json.dumps(dict(sorted(offers.items()))),
                to_ts(at),
            ],
        )
        found = self._one("SELECT * FROM web_users WHERE id = ?", [user_id])
        assert found is not None
        return _user(found)

    def update_user(self, user_id: int, **changes: Any) -> None:
        """Change columns of a user; ``eservices`` and ``offers`` are given as Python values."""
        values = dict(changes)
        if "eservices" in values:
            values["eservices"] = json.dumps(sorted(values["eservices"]))
        if "offers" in values:
            values["offers"] = json.dumps(dict(sorted(values["offers"].items())))
        assignments = ", ".join(f"{column} = ?" for column in values)
        self._db.conn.execute(f"UPDATE web_users SET {assignments} WHERE id = ?", [*values.values(), user_id])

    def delete_user(self, user_id: int) -> None:
        self._db.conn.execute("DELETE FROM web_sessions WHERE user_id = ?", [user_id])
        self._db.conn.execute("DELETE FROM web_users WHERE id = ?", [user_id])

    def insert_agent(self, *, login: str, name: str, password_hash: str, at: datetime) -> AgentRecord:
        agent_id = self._db.insert_id(
            "INSERT INTO provider_agents (login, name, password_hash, status, created_at) VALUES (?, ?, ?, 'ACTIF', ?)",
            [login, name, password_hash, to_ts(at)],
        )
        found = self._one("SELECT * FROM provider_agents WHERE id = ?", [agent_id])
        assert found is not None
        return _agent(found)

    def set_agent_roles(self, agent_id: int, roles: frozenset[str]) -> None:
        """Replace the agent's roles (inside the caller's write transaction)."""
        self._db.conn.execute(
            "UPDATE provider_agents SET roles = ? WHERE id = ?", [json.dumps(sorted(roles)), agent_id]
        )

    def set_agent_status(self, agent_id: int, status: str) -> None:
        self._db.conn.execute("UPDATE provider_agents SET status = ? WHERE id = ?", [status, agent_id])
        if status != "ACTIF":
            self._db.conn.execute("DELETE FROM web_sessions WHERE agent_id = ?", [agent_id])


class SessionRepository(Repository):
    """Portal sessions and failed logins."""

    __slots__ = ()

    def insert(
        self, id_hash: str, user_id: int | None, csrf_token: str, at: datetime, agent_id: int | None = None
    ) -> None:
        self._db.conn.execute(
            "INSERT INTO web_sessions (id_hash, user_id, agent_id, csrf_token, created_at, last_seen_at) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            [id_hash, user_id, agent_id, csrf_token, to_ts(at), to_ts(at)],
        )

    def touch(self, id_hash: str, at: datetime) -> None:
        self._db.conn.execute("UPDATE web_sessions SET last_seen_at = ? WHERE id_hash = ?", [to_ts(at), id_hash])

    def delete(self, id_hash: str) -> None:
        self._db.conn.execute("DELETE FROM web_sessions WHERE id_hash = ?", [id_hash])

    def delete_before(self, last_seen_before: datetime) -> None:
        self._db.conn.execute("DELETE FROM web_sessions WHERE last_seen_at < ?", [to_ts(last_seen_before)])

    def add_login_failure(self, login: str, ip: str, at: datetime) -> None:
        self._db.conn.execute("INSERT INTO web_login_failures (login, ip, at) VALUES (?, ?, ?)", [login, ip, to_ts(at)])

    def clear_login_failures(self, login: str, ip: str) -> None:
        self._db.conn.execute("DELETE FROM web_login_failures WHERE login = ? AND ip = ?", [login, ip])

    def purge_login_failures(self, before: datetime) -> int:
        """Forget failed logins older than ``before`` (their retention is over); the number removed."""
        return int(self._db.conn.execute("DELETE FROM web_login_failures WHERE at < ?", [to_ts(before)]).rowcount)
