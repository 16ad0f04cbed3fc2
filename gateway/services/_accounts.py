"""Portal accounts (docs/portal.md, "Accounts"): login, sessions, users and profiles.

A user belongs to one operator. Its profile says which e-services it reaches and, per offer, whether
it reads or writes; an administrator reaches everything its operator holds and manages the users.
What an operator holds (offers of its prestations, e-SAV en ligne) always bounds what a profile gives,
so the portal adapts when an operator takes or ends an offer: e-SAV en ligne closes on the day a
terminated subscription takes effect, "Mes fichiers" exists only when a contract provides it.

The provider's staff have their own accounts (``ProviderAgent``, created with ``esav portail agents``):
same login page, password hash, sessions, CSRF and throttling, but no operator; they reach only the
provider's pages (/fournisseur), and operators' users never reach those.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from gateway.domain.clock import Clock, to_paris
from gateway.domain.subscriptions import access_closed, access_not_yet_open
from gateway.errors import AuthenticationError, InvalidRequestError, NotEntitledError
from gateway.store import AgentRecord, SessionRecord, Store, UserRecord, WriteTransaction

from ._suspensions import suspension_refusal
from ._text import check_text
from ._views import Caller

__all__ = [
    "ADMINISTRATOR",
    "AFTER_SALES",
    "AGENT_ROLES",
    "ESERVICES",
    "READ",
    "USER",
    "WRITE",
    "AccountService",
    "PortalUser",
    "ProviderAgent",
    "WebSession",
]

ADMINISTRATOR = "ADMINISTRATEUR"
#: The provider's agents' roles; ``AFTER_SALES`` opens the after-sales work queue (/fournisseur/sav).
AFTER_SALES = "SAV"
AGENT_ROLES = {AFTER_SALES: "Après-vente : file des signalisations, actions SAV"}
USER = "UTILISATEUR"
READ = "LECTURE"
WRITE = "ECRITURE"
ACTIVE = "ACTIF"
SUSPENDED = "SUSPENDU"
#: e-services of the portal a profile can open, with their French names.
ESERVICES = {
    "ESAV": "e-SAV en ligne",
    "ACTUALITES": "Actualités et avis",
    "CONTRATS": "Contrats",
    "FICHIERS": "Mes fichiers",
    "DUPLICATA": "Duplicata de factures",
    "DOCUMENTS": "Documents",
}
#: Failed logins allowed per login and address within the window before refusing any attempt.
MAX_FAILURES = 5
FAILURE_WINDOW = timedelta(minutes=15)
#: A session unused for this long is over; the user logs in again.
SESSION_IDLE = timedelta(minutes=30)
MIN_PASSWORD_LENGTH = 12
#: Failed logins are kept this long (throttling needs 15 minutes; the rest is for investigations).
LOGIN_FAILURE_RETENTION = timedelta(days=90)
_LOGIN = re.compile(r"^[a-z0-9][a-z0-9._-]{2,63}$")
# Argon2id with OWASP's minimum parameters (19 MiB, 2 passes): about 20 ms a hash here.
_HASHER = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)
# Verified when the login is unknown, so that the answer takes as long either way: the hash of
# "compte inexistant" with _HASHER's parameters, written out (hashing it costs every process 20 ms at start).
_DUMMY_HASH = "$argon2id$v=19$m=19456,t=2,p=1$U8blthIfhqjqkM+jR4zv9w$jfg0WFyDir9SwTHBwWMVildEXXsQiN8+SOyx7nFErRs"


@dataclass(frozen=True)
class PortalUser:
    """A logged-in user with what it may reach: the intersection of its profile and its operator's holdings."""

    user: UserRecord
    caller: Caller
    offers: dict[str, str]  # offers it reaches → LECTURE or ECRITURE
    eservices: frozenset[str]
    file_offers: tuple[str, ...] = ()  # offers it reaches whose contract provides "Mes fichiers"

    @property
    def is_admin(self) -> bool:
        return self.user.role == ADMINISTRATOR

    def can_read(self, offer: str) -> bool:
        return offer in self.offers

    def can_write(self, offer: str) -> bool:
        return self.offers.get(offer) == WRITE


@dataclass(frozen=True)
class ProviderAgent:
    """A logged-in member of the provider's staff; its actions are audited as ``author``."""

    agent: AgentRecord

    @property
    def author(self) -> str:
        return f"agent/{self.agent.login}"

    def has_role(self, role: str) -> bool:
        return role in self.agent.roles


@dataclass(frozen=True)
class WebSession:
    """A session as the web layer holds it: the raw id (for the cookie) and the stored record."""

    session_id: str
    record: SessionRecord


def _hash_id(session_id: str) -> str:
    return hashlib.sha256(session_id.encode()).hexdigest()


class AccountService:
    """Logins, server-side sessions with their CSRF token, and the administrator's user management."""

    def __init__(self, store: Store, clock: Clock) -> None:
        self._store = store
        self._clock = clock

    # Sessions ------------------------------------------------------------------------------------

    def new_session(self, user_id: int | None = None, *, agent_id: int | None = None) -> WebSession:
        """A fresh session (anonymous before login, else a user's or an agent's) with its own CSRF token."""
        session_id = secrets.token_urlsafe(32)
        now = self._clock.now()
        with self._store.write() as tx:
            tx.sessions.delete_before(now - SESSION_IDLE)  # idle ones are over: keep the table small
            tx.sessions.insert(_hash_id(session_id), user_id, secrets.token_urlsafe(32), now, agent_id)
        record = self._store.get_session(_hash_id(session_id))
        assert record is not None
        return WebSession(session_id, record)

    def session(self, session_id: str | None) -> WebSession | None:
        """The live session of this id (touched), or None when unknown or idle too long."""
        if not session_id:
            return None
        id_hash = _hash_id(session_id)
        record = self._store.get_session(id_hash)
        if record is None:
            return None
        now = self._clock.now()
        with self._store.write() as tx:
            if now - record.last_seen_at > SESSION_IDLE:
                tx.sessions.delete(id_hash)
                return None
            tx.sessions.touch(id_hash, now)
        return WebSession(session_id, record)

    def end_session(self, session_id: str) -> None:
        with self._store.write() as tx:
            tx.sessions.delete(_hash_id(session_id))

    @staticmethod
    def csrf_ok(session: WebSession | None, token: str | None) -> bool:
        """Whether a submitted form carries its session's CSRF token (constant-time comparison)."""
        return bool(session and token and secrets.compare_digest(session.record.csrf_token, token))

    # Login ---------------------------------------------------------------------------------------

    def login(self, login: str, password: str, ip: str, previous: WebSession | None) -> WebSession:
        """Check the password and open a NEW session for the user (the previous one is ended: no fixation).

        AuthenticationError with one message for an unknown login, a wrong password or a suspended
        account; after MAX_FAILURES failures from one address within FAILURE_WINDOW, every attempt
        is refused for that login and address until the window has passed.
        """
        now = self._clock.now()
        login = login.strip().lower()
        with self._store.write() as tx:
            tx.sessions.purge_login_failures(now - LOGIN_FAILURE_RETENTION)
        if self._store.count_login_failures(login, ip, now - FAILURE_WINDOW) >= MAX_FAILURES:
            minutes = int(FAILURE_WINDOW.total_seconds() // 60)
            raise AuthenticationError(
                f"Trop d'échecs de connexion : réessayez dans {minutes} minutes.",
                reessayer_dans=int(FAILURE_WINDOW.total_seconds()),
            )
        user = self._store.user_by_login(login)
        agent = self._store.agent_by_login(login) if user is None else None  # logins are unique across both
        account = user or agent
        if (
            not _verify(account.password_hash if account else _DUMMY_HASH, password)
            or account is None
            or account.status != ACTIVE
        ):
            with self._store.write() as tx:
                tx.sessions.add_login_failure(login, ip, now)
            raise AuthenticationError("Identifiant ou mot de passe incorrect, ou compte suspendu.")
        with self._store.write() as tx:
            tx.sessions.clear_login_failures(login, ip)
        operator = self._store.get_operator(user.operator_code) if user is not None else None
        suspended = suspension_refusal(operator) if operator is not None else None
        if suspended is not None:  # the right password, but the provider suspended the operator
            raise AuthenticationError(suspended.libelle)
        if previous is not None:
            self.end_session(previous.session_id)
        if agent is not None:
            with self._store.write() as tx:
                tx.audit.add(
                    at=now, actor=f"agent/{agent.login}", action="agent.connexion", target=agent.login,
                    details={"ip": ip},
                )  # fmt: skip
            return self.new_session(agent_id=agent.id)
        assert user is not None
        return self.new_session(user.id)

    def portal_user(self, session: WebSession | None) -> PortalUser | None:
        """The active user behind a session, with its effective rights; None when anonymous."""
        if session is None or session.record.user_id is None:
            return None
        user = self._store.get_user(session.record.user_id)
        if user is None or user.status != ACTIVE:
            return None
        operator = self._store.get_operator(user.operator_code)
        if operator is None or operator.suspended_at is not None:  # a suspension ends open sessions too
            return None
        held = self.offers_held(user.operator_code)
        eservices = frozenset(ESERVICES) if user.role == ADMINISTRATOR else user.eservices & frozenset(ESERVICES)
        today = to_paris(self._clock.now()).date()
        if (
            not operator.esav_en_ligne
            or access_closed(operator.esav_ends_on, today)
            or access_not_yet_open(operator.esav_starts_on, today)
        ):  # never subscribed, its termination has taken effect, or its activation date is still to come
            eservices -= {"ESAV"}
        offers = (
            dict.fromkeys(held, WRITE)
            if user.role == ADMINISTRATOR
            else {o: mode for o, mode in user.offers.items() if o in held}
        )
        file_offers = tuple(
            c.offer for c in self._store.contracts(operator.code) if c.files_provided and c.offer in offers
        )
        if not file_offers:
            eservices -= {"FICHIERS"}  # no contract of the operator (within the profile) provides it
        integre = operator.esav_integre and not access_closed(operator.esav_ends_on, to_paris(self._clock.now()).date())
        caller = Caller(operator.code, operator.name, operator.domains, channel="WEB", author=user.login,
                        esav_integre=integre)  # fmt: skip
        return PortalUser(user, caller, offers, eservices, file_offers)

    def agent(self, session: WebSession | None) -> ProviderAgent | None:
        """The active provider's agent behind a session; None otherwise."""
        if session is None or session.record.agent_id is None:
            return None
        agent = self._store.get_agent(session.record.agent_id)
        return ProviderAgent(agent) if agent is not None and agent.status == ACTIVE else None

    def offers_held(self, operator_code: str) -> tuple[str, ...]:
        """The offers an operator holds: those of its prestations, but for those whose contract has ended."""
        ended = self._store.ended_contract_offers(operator_code, to_paris(self._clock.now()).date().isoformat())
        return tuple(sorted({p.code_offre for p in self._store.list_prestations(operator_code)} - ended))

    # Users (the operator's administrator) --------------------------------------------------------

    def create_user(
        self,
        admin: PortalUser | None,
        operator_code: str,
        login: str,
        name: str,
        password: str,
        *,
        role: str = USER,
        eservices: frozenset[str] = frozenset(),
        offers: dict[str, str] | None = None,
    ) -> UserRecord:
        """Create a user of ``operator_code`` (``admin`` None: the provider's tooling, e.g. the demo)."""
        if admin is not None:
            self._require_admin(admin, operator_code)
        login = login.strip().lower()
        check_text(login, chemin="login", label="Identifiant")
        check_text(name, chemin="nom", label="Nom")
        with self._store.write() as tx:
            self._check_login_free(tx, login)
            _check_password(password)
            checked = self._check_profile(operator_code, role, eservices, offers or {})
            return tx.accounts.insert_user(
                operator_code=operator_code,
                login=login,
                name=name.strip(),
                password_hash=_HASHER.hash(password),
                role=role,
                eservices=checked[0],
                offers=checked[1],
                at=self._clock.now(),
            )

    def users(self, admin: PortalUser) -> list[UserRecord]:
        self._require_admin(admin, admin.user.operator_code)
        return self._store.list_users(admin.user.operator_code)

    def user(self, admin: PortalUser, user_id: int) -> UserRecord:
        self._require_admin(admin, admin.user.operator_code)
        user = self._store.get_user(user_id)
        if user is None or user.operator_code != admin.user.operator_code:
            raise InvalidRequestError(f"Utilisateur {user_id} inconnu.", chemin="utilisateur", valeur=str(user_id))
        return user

    def set_profile(
        self, admin: PortalUser, user_id: int, role: str, eservices: frozenset[str], offers: dict[str, str]
    ) -> UserRecord:
        user = self.user(admin, user_id)
        if user.id == admin.user.id and role != ADMINISTRATOR:
            raise InvalidRequestError("Un administrateur ne peut pas retirer son propre rôle.", chemin="role")
        checked = self._check_profile(user.operator_code, role, eservices, offers)
        with self._store.write() as tx:
            tx.accounts.update_user(user.id, role=role, eservices=checked[0], offers=checked[1])
        return self.user(admin, user_id)

    def set_status(self, admin: PortalUser, user_id: int, active: bool) -> UserRecord:
        user = self.user(admin, user_id)
        if user.id == admin.user.id:
            raise InvalidRequestError("Un administrateur ne peut pas se suspendre lui-même.", chemin="utilisateur")
        with self._store.write() as tx:
            tx.accounts.update_user(user.id, status=ACTIVE if active else SUSPENDED)
        return self.user(admin, user_id)

    def remove_user(self, admin: PortalUser, user_id: int) -> None:
        user = self.user(admin, user_id)
        if user.id == admin.user.id:
            raise InvalidRequestError("Un administrateur ne peut pas se supprimer lui-même.", chemin="utilisateur")
        with self._store.write() as tx:
            tx.accounts.delete_user(user.id)

    # The provider's agents (``esav portail agents``) ---------------------------------------------------

    def create_agent(
        self, login: str, name: str, password: str, *, author: str, roles: frozenset[str] = frozenset()
    ) -> AgentRecord:
        """A staff account for the provider's pages, with its roles; audited as ``author``."""
        login = login.strip().lower()
        check_text(login, chemin="login", label="Identifiant")
        check_text(name, chemin="nom", label="Nom")
        now = self._clock.now()
        with self._store.write() as tx:
            self._check_login_free(tx, login)
            _check_password(password)
            _check_roles(roles)
            agent = tx.accounts.insert_agent(
                login=login, name=name.strip(), password_hash=_HASHER.hash(password), at=now
            )
            if roles:
                tx.accounts.set_agent_roles(agent.id, roles)
            tx.audit.add(
                at=now, actor=author, action="agent.creation", target=login,
                details={"nom": name.strip(), "roles": sorted(roles)},
            )  # fmt: skip
        found = self._store.get_agent(agent.id)
        assert found is not None
        return found

    def set_agent_roles(self, login: str, roles: frozenset[str], *, author: str) -> AgentRecord:
        """Replace an agent's roles; audited."""
        agent = self._store.agent_by_login(login.strip().lower())
        if agent is None:
            raise InvalidRequestError(f"Agent {login} inconnu.", chemin="login", valeur=login)
        _check_roles(roles)
        now = self._clock.now()
        with self._store.write() as tx:
            tx.accounts.set_agent_roles(agent.id, roles)
            tx.audit.add(at=now, actor=author, action="agent.roles", target=agent.login,
                                  details={"roles": sorted(roles)})  # fmt: skip
        found = self._store.get_agent(agent.id)
        assert found is not None
        return found

    def agents(self) -> list[AgentRecord]:
        return self._store.list_agents()

    def set_agent_status(self, login: str, active: bool, *, author: str) -> AgentRecord:
        """Suspend (its sessions end at once) or reactivate an agent; audited."""
        agent = self._store.agent_by_login(login.strip().lower())
        if agent is None:
            raise InvalidRequestError(f"Agent {login} inconnu.", chemin="login", valeur=login)
        status = ACTIVE if active else SUSPENDED
        now = self._clock.now()
        with self._store.write() as tx:
            tx.accounts.set_agent_status(agent.id, status)
            tx.audit.add(at=now, actor=author, action="agent.statut", target=agent.login,
                                  details={"statut": status})  # fmt: skip
        found = self._store.get_agent(agent.id)
        assert found is not None
        return found

    def login_taken(self, login: str) -> bool:
        """Whether a portal user or a provider's agent has this login (logins are unique across both)."""
        return self._store.user_by_login(login) is not None or self._store.agent_by_login(login) is not None

    @staticmethod
    def _check_login_free(tx: WriteTransaction, login: str) -> None:
        if not _LOGIN.match(login):
            raise InvalidRequestError(
                "Identifiant : 3 à 64 caractères parmi minuscules, chiffres, point, tiret et souligné.",
                chemin="login",
                valeur=login,
            )
        if tx.accounts.login_taken(login):  # inside the transaction that takes it
            raise InvalidRequestError(f"L'identifiant {login} est déjà pris.", chemin="login", valeur=login)

    def _require_admin(self, admin: PortalUser, operator_code: str) -> None:
        if not admin.is_admin or admin.user.operator_code != operator_code:
            raise NotEntitledError("Réservé à l'administrateur de l'opérateur.")

    def _check_profile(
        self, operator_code: str, role: str, eservices: frozenset[str], offers: dict[str, str]
    ) -> tuple[frozenset[str], dict[str, str]]:
        if role not in (ADMINISTRATOR, USER):
            raise InvalidRequestError(f"Rôle « {role} » inconnu.", chemin="role", valeur=role)
        unknown = eservices - frozenset(ESERVICES)
        if unknown:
            raise InvalidRequestError(f"e-service inconnu : {', '.join(sorted(unknown))}.", chemin="eservices")
        held = set(self.offers_held(operator_code))
        for offer, mode in offers.items():
            if offer not in held:
                raise InvalidRequestError(f"L'opérateur ne détient pas l'offre {offer}.", chemin="offres", valeur=offer)
            if mode not in (READ, WRITE):
                raise InvalidRequestError(f"Droit « {mode} » inconnu pour {offer}.", chemin="offres", valeur=mode)
        return eservices, dict(offers)


def _verify(password_hash: str, password: str) -> bool:
    try:
        return _HASHER.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def _check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidRequestError(
            f"Le mot de passe doit faire au moins {MIN_PASSWORD_LENGTH} caractères.", chemin="motDePasse"
        )


def _check_roles(roles: frozenset[str]) -> None:
    unknown = sorted(roles - AGENT_ROLES.keys())
    if unknown:
        raise InvalidRequestError(
            f"Rôle d'agent « {unknown[0]} » inconnu : rôles possibles {', '.join(sorted(AGENT_ROLES))}.",
            chemin="role",
            valeur=unknown[0],
        )
