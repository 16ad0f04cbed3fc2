"""What every ``esav`` subcommand shares: settings, opening the gateway, turning errors into messages."""

from __future__ import annotations

import functools
import getpass
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import click
from twisted.internet.error import CannotListenError

from gateway.config import Settings, load_settings
from gateway.errors import ConfigError, EsavError, StoreUnavailableError
from gateway.services import Gateway

from ._output import echo, echo_json, printable

__all__ = [
    "PORT",
    "data_option",
    "echo",
    "echo_json",
    "esav_errors",
    "open_gateway",
    "printable",
    "provider_author",
    "require_store",
    "settings_from",
]

F = TypeVar("F", bound=Callable[..., Any])

#: A TCP port option: out of range, a usage error naming the option (before any setting is read).
PORT = click.IntRange(0, 65535)


def data_option(f: F) -> F:
    """``--donnees DIR`` and ``--config FILE``, shared by every command that opens the store."""
    f = click.option(
        "--config",
        "config_file",
        type=click.Path(dir_okay=False, path_type=Path),
        envvar="ESAV_CONFIG",
        help="Fichier de configuration (section [esav]).",
    )(f)
    f = click.option(
        "--base",
        expose_value=False,
        callback=_remember_store,
        metavar="URL",
        help="Base : postgresql://utilisateur@hote:port/base, ou sqlite:///fichier. Défaut : DONNEES/esav.db.",
    )(f)
    return click.option(
        "--donnees",
        "--data",
        "data_dir",
        type=click.Path(file_okay=False, path_type=Path),
        default=None,
        help="Dossier des données (base SQLite, PKI). Défaut : ./var/demo.",
    )(f)


def _remember_store(ctx: click.Context, _param: click.Parameter, value: str | None) -> None:
    if value is not None:
        ctx.meta["esav.base"] = value


def shared_options(ctx: click.Context) -> list[click.Parameter]:
    """The command's options that ``data_option`` keeps in ``ctx.meta`` (``esav.<name>``) instead of
    handing them to the function: a command that passes its options on (``servir`` to its workers)
    must read them there."""
    return [p for p in ctx.command.params if not p.expose_value and p.name]


def settings_from(config_file: Path | None, data_dir: Path | None, **overrides: Any) -> Settings:
    """The command's settings: defaults, file, environment, then its options (``--store`` included)."""
    from gateway._demo_calendar import apply_demo_calendar  # a demo's own dates, unless configured

    ctx = click.get_current_context(silent=True)
    if ctx is not None and "esav.base" in ctx.meta and overrides.get("store_url") is None:
        overrides["store_url"] = ctx.meta["esav.base"]

    return apply_demo_calendar(load_settings(config_file, data_dir=data_dir, **overrides))


def require_store(settings: Settings) -> None:
    """Refuse a data folder that holds no database, creating nothing.

    Only the commands that build an instance create one (``pki init``, ``demo``, ``serve --demo``,
    ``integration serve``): anywhere else a missing database is a mistyped ``--donnees``, and an empty
    store created there would answer "0 signalisation(s)" as if it were the real one.
    """
    if not settings.store_location.is_sqlite:
        return  # a server's database: opening it says whether it is there (and migrates it)
    database = settings.store_location.path or settings.database
    if not database.is_file():
        raise click.ClickException(
            f"Aucune base e-SAV dans {database.parent} ({database.name} absent) : vérifiez --donnees "
            f"(ou data_dir). Pour créer une instance : « esav pki initialiser --donnees {settings.data_dir} » ; "
            "une démonstration : « esav demo »."
        )


@contextmanager
def open_gateway(settings: Settings, *, create: bool = False) -> Iterator[Gateway]:
    """The gateway for one command, on the settings' database, which must exist unless ``create`` (see
    ``require_store``). What the block writes is durable when it ends (``Gateway.durable``), so a
    command prints what it did after the block. A failed commit raises ``NotRecordedError``, which
    ``esav_errors`` turns into a message and exit status 1."""
    if not create:
        require_store(settings)
    gateway = Gateway.from_settings(settings)
    gateway.documentation.versions = settings.versions  # the specifications follow the configured registry
    try:
        with gateway.durable.committed():
            yield gateway
    finally:
        gateway.close()


def esav_errors(f: F) -> F:
    """Errors of the gateway become a message on stderr and exit status 1, never a traceback."""

    @functools.wraps(f)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return f(*args, **kwargs)
        except ConfigError as error:  # a setting, not a fault of the service: no SOAP fault code
            raise click.ClickException(f"Configuration : {error}") from None
        except StoreUnavailableError as error:  # the database's server, not a fault of the service
            raise click.ClickException(f"Base : {error}") from None
        except EsavError as error:
            raise click.ClickException(f"[{error.code}] {error}") from None
        except CannotListenError as error:
            raise click.ClickException(
                f"Impossible d'écouter sur {error.interface or '0.0.0.0'}:{error.port} : {error.socketError}. "
                "Choisissez un autre port (--port ; 0 : choisi par le système)."
            ) from None

    return wrapper  # type: ignore[return-value]


def provider_author() -> str:
    """Who a provider action from the command line is recorded as (audit, history)."""
    return f"fournisseur/{getpass.getuser()}"
