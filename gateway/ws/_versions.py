"""Which versions the wire layer publishes, and the guard that retires the old one (contract §2).

The registry comes from the settings (``versions``, see ``gateway.domain.versions``). A version of
the code that the registry does not list is not published at all; a listed version past its end of
life keeps its endpoints, whose every operation answers ``VERSION_RETIREE`` naming the current
version. Its WSDL is still served: a client generated from it then fails with that typed fault,
which says where to go, rather than with an HTTP error.
"""

from __future__ import annotations

from collections.abc import Iterable

from gateway.domain.clock import Clock, to_paris
from gateway.domain.versions import ApiVersion, check_registry, current_version
from gateway.errors import ConfigError, VersionRetiredError
from gateway.services import Caller

from ._base import Guard

__all__ = ["published_versions", "retirement_guard"]


def retirement_guard(version: ApiVersion, current: ApiVersion, clock: Clock) -> Guard:
    """A guard refusing every operation of ``version`` from its retirement instant on."""

    def guard(caller: Caller | None, operation: str) -> None:
        if version.is_retired(clock.now()):
            assert version.end_of_life is not None
            raise VersionRetiredError(
                f"La version {version.name} des web services e-SAV est retirée depuis le "
                f"{to_paris(version.retired_at or clock.now()).strftime('%d/%m/%Y')} (fin de vie le "
                f"{version.end_of_life.strftime('%d/%m/%Y')}) : utilisez la version {current.name}.",
                valeur=current.name,
            )

    return guard


def published_versions(
    registry: tuple[ApiVersion, ...], implemented: Iterable[str], clock: Clock
) -> dict[str, tuple[Guard, ...]]:
    """The guards of each version to publish; ConfigError (naming ``versions``) for a registry the
    gateway cannot serve: more than two versions, a bad retirement window, a version with no code."""
    try:
        ordered = check_registry(registry)
    except ValueError as exc:
        raise ConfigError(f"versions : {exc}") from None
    known = set(implemented)
    missing = [v.name for v in ordered if v.name not in known]
    if missing:
        raise ConfigError(
            f"versions : {', '.join(missing)} n'existe pas dans cette passerelle "
            f"(versions disponibles : {', '.join(sorted(known))})."
        )
    current = current_version(ordered)
    return {v.name: (retirement_guard(v, current, clock),) if v.end_of_life is not None else () for v in ordered}
