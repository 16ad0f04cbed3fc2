"""Settings: one frozen object, documented field by field, checked at start-up.

Built from defaults, then an optional INI file (section ``[esav]``), then ``ESAV_*`` environment
variables (``ESAV_PORT=9443``). A bad value raises ``ConfigError`` naming the key.
"""

from __future__ import annotations

import configparser
import math
import os
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from datetime import time, timedelta
from pathlib import Path
from typing import Any

from gateway.domain.clock import Clock, ShiftedClock, SystemClock
from gateway.domain.store_url import SQLITE, StoreUrl, parse_store_url
from gateway.domain.versions import DEFAULT_VERSIONS, ApiVersion, check_registry, parse_versions
from gateway.errors import ConfigError

__all__ = ["Settings", "StoreUrl", "load_settings", "numeric_ranges"]


def _between(low: float, high: float) -> dict[str, tuple[float, float]]:
    """Field metadata: the inclusive range a numeric setting accepts (checked by ``validate``)."""
    return {"range": (low, high)}


#: Numeric settings that may also be left empty (None).
_OPTIONAL = frozenset({"metrics_port"})


@dataclass(frozen=True)
class Settings:
    """Everything a gateway instance needs to start."""

    #: Folder holding the database (``esav.db``) and the PKI (``pki/``).
    data_dir: Path = Path("var/demo")
    #: Where the store lives: empty for the embedded SQLite file ``<data_dir>/esav.db``, or a
    #: ``sqlite:///path`` or ``postgresql://user@host:port/database`` URL (libpq's, multi-host allowed).
    store_url: str = ""
    #: PostgreSQL: connections per gateway process (one per thread that reads or writes). Range 2 to 500.
    store_pool_size: int = field(default=20, metadata=_between(2, 500))
    #: Address the web services listen on (loopback by default; set 0.0.0.0 to expose).
    host: str = "127.0.0.1"
    #: Port of the web services (mutual TLS). 0 lets the OS choose. Range 0 to 65535.
    port: int = field(default=8443, metadata=_between(0, 65535))
    #: Port of the operators' portal (Espace Opérateurs, HTTPS without client certificate). 0 lets the OS choose.
    #: Range 0 to 65535.
    web_port: int = field(default=8444, metadata=_between(0, 65535))
    #: Server processes sharing the port (SO_REUSEPORT) and the database; 0 = one per core. Range 0 to 64.
    workers: int = field(default=1, metadata=_between(0, 64))
    #: With several server processes, each keeps to one core of those the gateway may use (worker i on
    #: the i-th, round the cores again past the last): its caches stay warm between calls instead of
    #: following it from core to core (docs/decisions.md, "Serving SOAP calls fast"). False lets the
    #: system move them, for a machine whose cores are busy with other work.
    pin_workers: bool = True
    #: Commit the writes of one reactor tick together, answering only after the commit
    #: (docs/decisions.md, measured facts).
    group_commit: bool = True
    #: Milliseconds a group commit's batch of fewer than four calls may wait for the connections
    #: answered that recently to send their next request, so that they share its commit (at c=8 on two
    #: workers: +22 % deposits a second, 17 % less CPU a deposit); 0: a batch never waits. A lone
    #: client never waits (docs/decisions.md, "Serving SOAP calls fast"). Range 0 to 100.
    batch_wait_ms: float = field(default=2.0, metadata=_between(0, 100))
    #: Read and answer the hottest operations (deposit, state query) without spyne's object
    #: mapping, same contract and answers (``gateway/ws/_fastpath.py``); false serves them by spyne.
    fast_path: bool = True
    #: Name the server certificate is issued for, and that WSDLs and the README show.
    public_host: str = "localhost"
    #: The form catalogue folder (manifest, forms, nomenclature).
    catalogue_dir: Path | None = None
    #: Largest request body accepted, in bytes; larger is refused with REQUETE_INVALIDE. Range 4096 to 1 GiB.
    max_body_bytes: int = field(default=8 * 1024 * 1024, metadata=_between(4096, 1024**3))
    #: Deepest XML nesting accepted in a request. Range 8 to 1000.
    max_xml_depth: int = field(default=64, metadata=_between(8, 1000))
    #: Seconds a client may take to send one whole request (request line, headers and body), counted
    #: from its first byte; past it the connection is closed (``408``) and counted in ``/metrics``
    #: (``esav_request_timeouts_total``). Both the web services and the portal. Range 0.1 to 3600.
    request_timeout_s: float = field(default=30.0, metadata=_between(0.1, 3600))
    #: Seconds a keep-alive connection may stay idle between two requests before it is closed.
    #: Range 1 to 86400.
    idle_timeout_s: float = field(default=120.0, metadata=_between(1, 86400))
    #: Seconds between two runs of the automatic transitions (72 h validation, 30-day freeze).
    #: Range 0.01 to 86400.
    sweep_interval_s: float = field(default=60.0, metadata=_between(0.01, 86400))
    #: Seconds between two looks for a newly published catalogue (``esav catalogue publier``). Range 0.01 to 3600.
    catalogue_poll_s: float = field(default=1.0, metadata=_between(0.01, 3600))
    #: Seconds a remote line test takes on the embedded network-element simulator. Range 0 to 3600.
    line_test_delay_s: float = field(default=20.0, metadata=_between(0, 3600))
    #: Seconds between two looks for the results of the line tests still running. Range 0.01 to 3600.
    line_test_poll_s: float = field(default=1.0, metadata=_between(0.01, 3600))
    #: Notifications (contract §12): seconds between two looks for events to push to operators' endpoints.
    #: Range 0.01 to 3600.
    notification_poll_s: float = field(default=1.0, metadata=_between(0.01, 3600))
    #: Seconds allowed for one push (connect, TLS, answer) before it counts as failed. Range 0.1 to 600.
    notification_timeout_s: float = field(default=10.0, metadata=_between(0.1, 600))
    #: Pushes in flight at once (one per operator at most): threads of the delivery pool. Range 1 to 64.
    notification_workers: int = field(default=4, metadata=_between(1, 64))
    #: The provider's client certificate and key (PEM) presented to operators' endpoints;
    #: default ``{data_dir}/pki/notifier.pem`` and ``.key`` (the demo issues them).
    notification_cert: Path | None = None
    notification_key: Path | None = None
    #: Extra CA certificates (PEM files) trusted for operators' client certificates.
    recognised_cas: tuple[Path, ...] = ()
    #: Web-service versions in production, ``name:production[:end_of_life]`` comma-separated, ISO dates
    #: (``versions = v1:2024-03-04:2027-02-28, v2:2026-09-01``). At most two; the old one's end of life
    #: (last day served) falls one to six months after the new one's production (``gateway.domain.versions``).
    versions: tuple[ApiVersion, ...] = DEFAULT_VERSIONS
    #: Integration platform only: seconds between two steps of the scenario robot (``esav integration servir``).
    #: Range 0.01 to 3600.
    robot_step_s: float = field(default=1.0, metadata=_between(0.01, 3600))
    #: Production: the integration platform's public key (PEM) that signs the attestations
    #: ``esav operateurs valider --attestation FILE`` imports.
    integration_platform_key: Path | None = None
    #: Nightly maintenance (contract §8): start, Paris local time (``HH:MM``), and length in minutes
    #: (0: no nightly window; range 0 to 240). Every operation then answers MAINTENANCE.
    maintenance_start: time = time(4, 0)
    maintenance_minutes: int = field(default=15, metadata=_between(0, 240))
    #: Seconds between two flushes of the in-memory volumetry (call counts, faults, latencies) to the store.
    #: Range 0.01 to 3600.
    volumetry_flush_s: float = field(default=1.0, metadata=_between(0.01, 3600))
    #: The operations port: ``/metrics`` (Prometheus), ``/health/live`` and ``/health/ready``, plain HTTP on
    #: 127.0.0.1 only, never the operators' TLS port. 9464 by default; 0: chosen by the system (tests);
    #: empty (``metrics_port =``, ``ESAV_METRICS_PORT=``): not served. Range 0 to 65535.
    metrics_port: int | None = field(default=9464, metadata=_between(0, 65535))
    #: Address the operations port listens on: loopback by default; a node behind a load balancer on
    #: another machine listens on its private address so that the balancer's health checks reach it.
    metrics_host: str = "127.0.0.1"
    #: Several gateway nodes on one PostgreSQL database: seconds between two attempts of a node that does
    #: not run the background work to take it (a PostgreSQL advisory lock), and between two checks by the
    #: node that runs it that it still holds it. Range 0.05 to 600.
    leader_retry_s: float = field(default=2.0, metadata=_between(0.05, 600))
    #: Behind a load balancer in TCP mode (HAProxy ``send-proxy-v2``): every connection to the web
    #: services and the portal starts with a PROXY protocol v2 header giving the client's real address,
    #: which logs and rate limits then use. A connection without the header is refused: turn on only
    #: when every client comes through the load balancer.
    proxy_protocol: bool = False
    #: Format of the server's logs on stderr: ``text``, or ``json`` (one JSON object per line).
    log_format: str = "text"
    #: E-mail to operators (notices, rate limits, certificates): the SMTP relay's host name. Empty (the
    #: default, and the demo's): nothing is sent, messages stay in the outbox (``esav courriel file``).
    mail_relay_host: str = ""
    #: The relay's port: 587 (submission, with STARTTLS) by default; 25 for a relay on localhost. Range 1 to 65535.
    mail_relay_port: int = field(default=587, metadata=_between(1, 65535))
    #: Upgrade the connection with STARTTLS before anything else (refused if the relay does not offer
    #: it); turn off only for a relay on the loopback interface.
    mail_starttls: bool = True
    #: CA certificate (PEM) trusted for the relay's certificate; default: the system's CAs.
    mail_ca: Path | None = None
    #: Login and password on the relay (SMTP AUTH, after STARTTLS); empty: no authentication. Prefer
    #: ``ESAV_MAIL_PASSWORD`` in the environment to the password in the file.
    mail_username: str = ""
    mail_password: str = ""
    #: The sender of every message (``From``, and the envelope sender).
    mail_from: str = "e-SAV <esav@localhost>"
    #: Seconds between two looks for messages to send (range 0.01 to 3600), and allowed for one
    #: exchange with the relay (range 0.1 to 600).
    mail_poll_s: float = field(default=5.0, metadata=_between(0.01, 3600))
    mail_timeout_s: float = field(default=30.0, metadata=_between(0.1, 600))
    #: Rehearsals and integration platforms only, never production: seconds added to the system clock
    #: (negative: back in time) by the gateway, its workers and every command. The nightly maintenance
    #: rehearsed at noon: ``-28800``. Everything the gateway dates (tickets, audit, certificates it
    #: issues) is dated on that clock; TLS still checks certificates against the real time. 0 (the
    #: default): the real time. Range -315360000 to 315360000 (ten years).
    clock_offset_s: float = field(default=0.0, metadata=_between(-(10 * 365 * 86400), 10 * 365 * 86400))

    @property
    def database(self) -> Path:
        """The embedded SQLite file (the store when ``store_url`` is empty)."""
        return self.data_dir / "esav.db"

    @property
    def store_location(self) -> StoreUrl:
        """The store's engine and place (``store_url``, or the embedded SQLite file)."""
        return parse_store_url(self.store_url) if self.store_url else StoreUrl(SQLITE, path=self.database)

    @property
    def pki_dir(self) -> Path:
        return self.data_dir / "pki"

    def clock(self) -> Clock:
        """The clock every door gives the gateway: the system's, shifted by ``clock_offset_s``."""
        return ShiftedClock(timedelta(seconds=self.clock_offset_s)) if self.clock_offset_s else SystemClock()

    def validate(self) -> Settings:
        """Check every setting; a ConfigError names the first bad key and what it accepts."""
        for name, (low, high) in numeric_ranges().items():
            value = getattr(self, name)
            if value is None and name in _OPTIONAL:
                continue
            _check_range(name, value, low, high)
        if self.store_url:
            try:
                parse_store_url(self.store_url)
            except ValueError as error:
                raise ConfigError(f"store_url : {error}") from None
        if self.catalogue_dir is not None and not self.catalogue_dir.is_dir():
            raise ConfigError(f"catalogue_dir : {self.catalogue_dir} n'est pas un dossier.")
        if self.integration_platform_key is not None and not self.integration_platform_key.is_file():
            raise ConfigError(f"integration_platform_key : {self.integration_platform_key} n'existe pas.")
        for path in self.recognised_cas:
            if not path.is_file():
                raise ConfigError(f"recognised_cas : {path} n'existe pas.")
        try:
            check_registry(self.versions)
        except ValueError as exc:
            raise ConfigError(f"versions : {exc}") from None
        if self.log_format not in ("text", "json"):
            raise ConfigError(f"log_format : {self.log_format!r} n'est ni « text » ni « json ».")
        _validate_mail(self)
        return self


def _validate_mail(settings: Settings) -> None:
    """The mail settings (``mail_*``) other than numbers (their ranges are checked with the others)."""
    if settings.mail_ca is not None and not settings.mail_ca.is_file():
        raise ConfigError(f"mail_ca : {settings.mail_ca} n'existe pas.")
    if "@" not in settings.mail_from or any(c in settings.mail_from for c in "\r\n"):
        raise ConfigError(f"mail_from : {settings.mail_from!r} n'est pas une adresse (« e-SAV <esav@exemple.fr> »).")
    if bool(settings.mail_username) != bool(settings.mail_password):
        raise ConfigError("mail_username, mail_password : donnez les deux, ou aucun.")


def numeric_ranges() -> dict[str, tuple[float, float]]:
    """Every numeric setting and its inclusive range ``(low, high)``."""
    return {f.name: f.metadata["range"] for f in fields(Settings) if "range" in f.metadata}


def _number(value: float) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def _check_range(name: str, value: Any, low: float, high: float) -> None:
    allowed = f"de {_number(low)} à {_number(high)}"
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ConfigError(f"{name} : {value!r} n'est pas un nombre (attendu : {allowed}).")
    if not math.isfinite(value):
        raise ConfigError(f"{name} : {value} n'est pas un nombre fini (attendu : {allowed}).")
    if not low <= value <= high:
        raise ConfigError(f"{name} : {_number(value)} hors de l'intervalle permis ({allowed}).")


_CONVERTERS: dict[str, Any] = {
    "data_dir": Path,
    "store_url": str,
    "store_pool_size": int,
    "catalogue_dir": Path,
    "host": str,
    "public_host": str,
    "port": int,
    "web_port": int,
    "workers": int,
    "pin_workers": lambda text: _boolean("pin_workers", text),
    "group_commit": lambda text: _boolean("group_commit", text),
    "batch_wait_ms": float,
    "fast_path": lambda text: _boolean("fast_path", text),
    "max_body_bytes": int,
    "max_xml_depth": int,
    "request_timeout_s": float,
    "idle_timeout_s": float,
    "sweep_interval_s": float,
    "catalogue_poll_s": float,
    "line_test_delay_s": float,
    "line_test_poll_s": float,
    "notification_poll_s": float,
    "notification_timeout_s": float,
    "notification_workers": int,
    "notification_cert": Path,
    "notification_key": Path,
    "recognised_cas": lambda text: tuple(Path(p) for p in text.split(",") if p.strip()),
    "versions": parse_versions,
    "robot_step_s": float,
    "integration_platform_key": Path,
    "maintenance_start": lambda text: time.fromisoformat(text.strip()),
    "maintenance_minutes": int,
    "volumetry_flush_s": float,
    "metrics_port": lambda text: int(text) if text.strip() else None,
    "metrics_host": str.strip,
    "leader_retry_s": float,
    "proxy_protocol": lambda text: _boolean("proxy_protocol", text),
    "log_format": lambda text: text.strip().lower(),
    "mail_relay_host": str.strip,
    "mail_relay_port": int,
    "mail_starttls": lambda text: _boolean("mail_starttls", text),
    "mail_ca": Path,
    "mail_username": str,
    "mail_password": str,
    "mail_from": str.strip,
    "mail_poll_s": float,
    "mail_timeout_s": float,
    "clock_offset_s": float,
}


def _boolean(key: str, text: str) -> bool:
    value = text.strip().lower()
    if value in {"1", "true", "yes", "on", "oui"}:
        return True
    if value in {"0", "false", "no", "off", "non"}:
        return False
    raise ValueError(f"{key} attend true ou false")


def _apply(settings: Settings, values: Mapping[str, str], origin: str) -> Settings:
    known = {f.name for f in fields(Settings)}
    changes = {}
    for key, text in values.items():
        if key not in known:
            raise ConfigError(f"{origin} : clé inconnue « {key} » (connues : {', '.join(sorted(known))}).")
        try:
            changes[key] = _CONVERTERS[key](text)
        except ValueError as exc:
            raise ConfigError(f"{origin} : valeur invalide pour « {key} » : {text!r} ({exc}).") from None
    return replace(settings, **changes)


def load_settings(
    config_file: Path | None = None, environ: Mapping[str, str] | None = None, **overrides: Any
) -> Settings:
    """Defaults, then the file, then ``ESAV_*`` variables, then explicit overrides (CLI options)."""
    settings = Settings()
    if config_file is not None:
        parser = configparser.ConfigParser()
        try:
            with open(config_file, encoding="utf-8") as handle:
                parser.read_file(handle)
        except OSError as exc:
            raise ConfigError(f"{config_file} : illisible ({exc.strerror}).") from None
        except configparser.Error as exc:
            raise ConfigError(f"{config_file} : {exc}") from None
        if parser.has_section("esav"):
            settings = _apply(settings, dict(parser.items("esav")), str(config_file))
    environ = os.environ if environ is None else environ
    from_env = {k[5:].lower(): v for k, v in environ.items() if k.startswith("ESAV_") and k != "ESAV_CONFIG"}
    settings = _apply(settings, from_env, "environnement")
    settings = replace(settings, **{k: v for k, v in overrides.items() if v is not None})
    return settings.validate()
