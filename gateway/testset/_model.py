"""The test set as data: scenarios of steps in TOML files (``test_sets/{version}/*.toml``).

Schema (documented for operators in ``test_sets/README.md``)::

    [[scenario]]
    nom = "depot_cuivre"                 # unique in the version
    description = "..."
    [[scenario.etape]]
    service = "signalisation"            # signalisation, rendezvous, test, catalogue, integration
    operation = "deposerSignalisation"
    requete = { ... }                    # the operation's arguments, as zeep takes them
    attendu = { champs = { etat = "EN_DEPOT" } }   # or { faute = "PRESTATION_INCONNUE" }
    #          dans = 10 : repeat the call until the expectation holds, for at most 10 s
    garder = { ref = "referenceSignalisation" }    # keep answer fields for later steps: ${ref}

Strings may hold ``${...}`` tokens (see ``gateway.testset._runner.Context``).
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gateway._resources import shipped_test_sets
from gateway.errors import ConfigError

__all__ = ["DEFAULT_TEST_SETS", "Scenario", "Step", "load_test_set"]

DEFAULT_TEST_SETS = shipped_test_sets()


@dataclass(frozen=True)
class Step:
    service: str
    operation: str
    request: dict[str, Any]
    fields: dict[str, Any] = field(default_factory=dict)
    fault: str | None = None
    within_s: float = 0.0
    keep: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Scenario:
    name: str
    description: str
    source: str  # file name
    steps: tuple[Step, ...]
    paths: tuple[str, ...] = ()  # robot paths it exercises (documentation and coverage)


def _step(raw: dict[str, Any], where: str) -> Step:
    for key in ("service", "operation"):
        if key not in raw:
            raise ConfigError(f"{where} : champ « {key} » manquant.")
    expected = raw.get("attendu", {})
    unknown = set(expected) - {"champs", "faute", "dans"}
    if unknown:
        raise ConfigError(f"{where} : attendu inconnu {sorted(unknown)} (champs, faute, dans).")
    if "champs" in expected and "faute" in expected:
        raise ConfigError(f"{where} : « champs » et « faute » s'excluent.")
    return Step(
        service=str(raw["service"]),
        operation=str(raw["operation"]),
        request=dict(raw.get("requete", {})),
        fields=dict(expected.get("champs", {})),
        fault=expected.get("faute"),
        within_s=float(expected.get("dans", 0)),
        keep={str(k): str(v) for k, v in raw.get("garder", {}).items()},
    )


def load_test_set(version: str, root: Path = DEFAULT_TEST_SETS) -> list[Scenario]:
    """Every scenario of ``root/version/*.toml``, in file then declaration order; ConfigError names a bad one."""
    folder = root / version
    files = sorted(folder.glob("*.toml"))
    if not files:
        raise ConfigError(f"Aucun scénario dans {folder}.")
    scenarios: list[Scenario] = []
    names: set[str] = set()
    for path in files:
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{path} : TOML invalide ({exc}).") from None
        for index, raw in enumerate(data.get("scenario", []), start=1):
            name = raw.get("nom")
            if not name:
                raise ConfigError(f"{path.name} scénario n°{index} : champ « nom » manquant.")
            if name in names:
                raise ConfigError(f"{path.name} : scénario {name} en double.")
            names.add(name)
            steps = tuple(
                _step(s, f"{path.name} {name} étape {i}") for i, s in enumerate(raw.get("etape", []), start=1)
            )
            if not steps:
                raise ConfigError(f"{path.name} {name} : aucune étape.")
            scenarios.append(
                Scenario(name, str(raw.get("description", "")), path.name, steps, tuple(raw.get("chemins", ())))
            )
    return scenarios
