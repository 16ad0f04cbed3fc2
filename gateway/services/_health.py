"""Is this gateway alive, and ready to serve? What ``/health/ready`` on the operations port answers."""

from __future__ import annotations

from dataclasses import dataclass

from gateway.catalogue import Catalogue
from gateway.store import MIGRATIONS, Store

__all__ = ["HealthService", "Readiness"]


@dataclass(frozen=True)
class Readiness:
    """Each check by name: ``ok``, or what is wrong (in French, for the provider's staff)."""

    checks: dict[str, str]

    @property
    def ready(self) -> bool:
        return all(verdict == "ok" for verdict in self.checks.values())


class HealthService:
    """Readiness: the store answers, the catalogue is loaded, every migration of this version is applied."""

    def __init__(self, store: Store, catalogue: Catalogue) -> None:
        self._store = store
        self._catalogue = catalogue

    def readiness(self) -> Readiness:
        checks: dict[str, str] = {}
        try:
            applied = self._store.applied_migrations()
        except Exception as exc:  # any failure of the store is the answer, not an error of the check
            checks["store"] = f"base injoignable ({exc})"
            checks["migrations"] = "inconnues (base injoignable)"
        else:
            checks["store"] = "ok"
            missing = sorted({number for number, _, _ in MIGRATIONS} - applied)
            checks["migrations"] = "ok" if not missing else f"migrations non appliquées : {missing}"
        try:
            forms = len(self._catalogue.forms())
        except Exception as exc:
            checks["catalogue"] = f"catalogue illisible ({exc})"
        else:
            checks["catalogue"] = "ok" if forms else "catalogue vide"
        return Readiness(checks)
