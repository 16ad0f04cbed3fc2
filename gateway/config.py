"""Settings: one frozen object, documented field by field, checked at start-up.

Built from defaults, then an optional INI file (section ``[esav]``), then ``ESAV_*`` environment
variables (``ESAV_PORT=9443``). A bad value raises ``ConfigError`` naming the key.
"""

from __future__ import annotations

import configparser
import os
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any

from gateway.domain.versions import DEFAULT_VERSIONS, ApiVersion, check_registry, parse_versions
from gateway.errors import ConfigError

__all__ = ["Settings", "load_settings"]


@dataclass(frozen=True)
class Settings:
    """Everything a gateway instance needs to start."""

    #: Folder holding the database (``esav.db``) and the PKI (``pki/``).
    data_dir: Path = Path("var/demo")
    #: Address the web services listen on (loopback by default; set 0.0.0.0 to expose).
    host: str = "127.0.0.1"
    #: Port of the web services (mutual TLS). 0 lets the OS choose.
    port: int = 8443
    #: Name the server certificate is issued for, and that WSDLs and the README show.
    public_host: str = "localhost"
    #: The form catalogue folder (manifest, forms, nomenclature).
    catalogue_dir: Path | None = None
    #: Largest request body accepted, in bytes; larger is refused with REQUETE_INVALIDE.
    max_body_bytes: int = 8 * 1024 * 1024
    #: Deepest XML nesting accepted in a request.
    max_xml_depth: int = 64
    #: Seconds between two runs of the automatic transitions (72 h validation, 30-day freeze).
    sweep_interval_s: float = 60.0
    #: Seconds between two looks for a newly published catalogue (``esav catalogue publish``).
    catalogue_poll_s: float = 1.0
    #: Seconds a remote line test takes on the embedded network-element simulator.
    line_test_delay_s: float = 20.0
    #: Seconds between two looks for the results of the line tests still running.
    line_test_poll_s: float = 1.0
    #: Extra CA certificates (PEM files) trusted for operators' client certificates.
    recognised_cas: tuple[Path, ...] = ()
    #: Web-service versions in production, ``name:production[:end_of_life]`` comma-separated, ISO dates
    #: (``versions = v1:2024-03-04:2027-02-28, v2:2026-09-01``). At most two; the old one's end of life
    #: (last day served) falls one to six months after the new one's production (``gateway.domain.versions``).
    versions: tuple[ApiVersion, ...] = DEFAULT_VERSIONS

    @property
    def database(self) -> Path:
        return self.data_dir / "esav.db"

    @property
    def pki_dir(self) -> Path:
        return self.data_dir / "pki"

    def validate(self) -> Settings:
        if not 0 <= self.port <= 65535:
            raise ConfigError(f"port : {self.port} n'est pas un port TCP (0 à 65535).")
        if self.max_body_bytes < 4096:
            raise ConfigError(f"max_body_bytes : {self.max_body_bytes} est trop petit (au moins 4096).")
        if not 8 <= self.max_xml_depth <= 1000:
            raise ConfigError(f"max_xml_depth : {self.max_xml_depth} hors de 8 à 1000.")
        if self.catalogue_poll_s <= 0:
            raise ConfigError("catalogue_poll_s : doit être positif.")
        if self.sweep_interval_s <= 0:
            raise ConfigError("sweep_interval_s : doit être positif.")
        if self.line_test_poll_s <= 0:
            raise ConfigError("line_test_poll_s : doit être positif.")
        if self.line_test_delay_s < 0:
            raise ConfigError("line_test_delay_s : ne peut être négatif.")
        if self.catalogue_dir is not None and not self.catalogue_dir.is_dir():
            raise ConfigError(f"catalogue_dir : {self.catalogue_dir} n'est pas un dossier.")
        for path in self.recognised_cas:
            if not path.is_file():
                raise ConfigError(f"recognised_cas : {path} n'existe pas.")
        try:
            check_registry(self.versions)
        except ValueError as exc:
            raise ConfigError(f"versions : {exc}") from None
        return self


_CONVERTERS: dict[str, Any] = {
    "data_dir": Path,
    "catalogue_dir": Path,
    "host": str,
    "public_host": str,
    "port": int,
    "max_body_bytes": int,
    "max_xml_depth": int,
    "sweep_interval_s": float,
    "catalogue_poll_s": float,
    "line_test_delay_s": float,
    "line_test_poll_s": float,
    "recognised_cas": lambda text: tuple(Path(p) for p in text.split(",") if p.strip()),
    "versions": parse_versions,
}


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
