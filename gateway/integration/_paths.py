"""Robot paths of the integration platform: the data of ``test_sets/robot.toml``, checked on load."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

from gateway._resources import shipped_test_sets
from gateway.domain.states import Action, TicketState
from gateway.errors import ConfigError

__all__ = ["DEFAULT_ROBOT_FILE", "RobotPath", "RobotPaths", "RobotStep", "load_robot_paths"]

#: The paths shipped with the test set (``test_sets/robot.toml``).
DEFAULT_ROBOT_FILE = shipped_test_sets() / "robot.toml"

_LINE_TEST_STATUSES = ("TERMINE", "ECHEC")


@dataclass(frozen=True)
class RobotStep:
    """Take ``action`` (with ``code``) once the ticket is in ``when``."""

    when: TicketState
    action: Action
    code: str | None = None


@dataclass(frozen=True)
class RobotPath:
    """One path: its steps (ticket paths) or the line-test outcome it forces (test paths)."""

    name: str
    description: str
    code_offre: str
    gtr: str
    code_commune: str
    steps: tuple[RobotStep, ...]
    test_outcome: tuple[str, str] | None  # (TERMINE | ECHEC, diagnostic)
    prestations: dict[str, str]  # operator code → sandbox prestation


@dataclass(frozen=True)
class RobotPaths:
    """Every path, and the lookups the robot, the simulator and the runner need."""

    paths: tuple[RobotPath, ...]

    def by_prestation(self) -> dict[str, RobotPath]:
        return {p: path for path in self.paths for p in path.prestations.values()}

    def prestation(self, path_name: str, operator_code: str) -> str:
        for path in self.paths:
            if path.name == path_name:
                if operator_code not in path.prestations:
                    raise KeyError(f"le chemin {path_name} n'a pas de prestation pour {operator_code}")
                return path.prestations[operator_code]
        raise KeyError(f"chemin de robot inconnu : {path_name}")

    def operators(self) -> list[str]:
        return sorted({op for path in self.paths for op in path.prestations})


def _step(text: str, where: str) -> RobotStep:
    state, sep, rest = text.partition(">")
    action, _, code = rest.partition(":")
    try:
        if not sep:
            raise ValueError("attendu ETAT>ACTION[:CODE]")
        return RobotStep(TicketState(state.strip()), Action(action.strip()), code.strip() or None)
    except ValueError as exc:
        raise ConfigError(f"{where} : étape « {text} » invalide ({exc}).") from None


def load_robot_paths(path: Path = DEFAULT_ROBOT_FILE) -> RobotPaths:
    """Read and check the robot paths; ConfigError names the file, the path and the field at fault."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"{path} : illisible ({exc.strerror}).") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path} : TOML invalide ({exc}).") from None
    paths: list[RobotPath] = []
    seen: set[str] = set()
    for index, entry in enumerate(data.get("chemin", []), start=1):
        where = f"{path.name} chemin n°{index}"
        for key in ("nom", "codeOffre", "gtr", "codeCommune", "prestations"):
            if key not in entry:
                raise ConfigError(f"{where} : champ « {key} » manquant.")
        where = f"{path.name} chemin {entry['nom']}"
        steps = tuple(_step(s, where) for s in entry.get("etapes", []))
        outcome = None
        if "resultatTest" in entry:
            status, _, diagnostic = str(entry["resultatTest"]).partition(":")
            if status not in _LINE_TEST_STATUSES or not diagnostic:
                raise ConfigError(f"{where} : resultatTest « {entry['resultatTest']} » invalide (TERMINE|ECHEC:CODE).")
            outcome = (status, diagnostic)
        if not steps and outcome is None:
            raise ConfigError(f"{where} : ni « etapes » ni « resultatTest ».")
        prestations = {str(k): str(v) for k, v in entry["prestations"].items()}
        for prestation in prestations.values():
            if prestation in seen:
                raise ConfigError(f"{where} : la prestation {prestation} sert déjà un autre chemin.")
            seen.add(prestation)
        paths.append(
            RobotPath(
                name=str(entry["nom"]),
                description=str(entry.get("description", "")),
                code_offre=str(entry["codeOffre"]),
                gtr=str(entry["gtr"]),
                code_commune=str(entry["codeCommune"]),
                steps=steps,
                test_outcome=outcome,
                prestations=prestations,
            )
        )
    if not paths:
        raise ConfigError(f"{path} : aucun chemin.")
    return RobotPaths(tuple(paths))
