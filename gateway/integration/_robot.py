"""The scenario robot: moves the integration platform's sandbox tickets along their paths.

It acts as the provider's SAV (``Actor.SAV``, author ``ROBOT-INTEGRATION``) through the same
services as the back office, so every transition is checked and recorded like any other. How far
a ticket went is read from its own history (the robot's transitions), so the robot keeps no state
and a restarted platform carries on where it stopped.
"""

from __future__ import annotations

import logging
from typing import Any

from twisted.internet.task import LoopingCall

from gateway.errors import EsavError, TransitionForbiddenError
from gateway.services import Gateway

from ._paths import RobotPaths

__all__ = ["ROBOT_AUTHOR", "ScenarioRobot"]

log = logging.getLogger("gateway.integration.robot")

ROBOT_AUTHOR = "ROBOT-INTEGRATION"


class ScenarioRobot:
    """``step()`` takes, for every sandbox ticket, the next step of its path if it is due."""

    def __init__(self, gateway: Gateway, paths: RobotPaths) -> None:
        self._gateway = gateway
        self._paths = paths
        self._by_prestation = {p: path for p, path in paths.by_prestation().items() if path.steps}
        self._loop: LoopingCall | None = None

    def step(self) -> list[tuple[str, str]]:
        """One tick: at most one transition per ticket; returns (reference, action) of those taken,
        once they are durably committed (``NotRecordedError`` when the commit fails: none was taken)."""
        with self._gateway.durable.committed():
            return self._step()

    def _step(self) -> list[tuple[str, str]]:
        done: list[tuple[str, str]] = []
        for ticket in self._gateway.integration.robot_tickets(self._by_prestation, ROBOT_AUTHOR):
            path = self._by_prestation[ticket.prestation]
            if ticket.robot_steps >= len(path.steps):
                continue  # path finished (or waiting for the automatic 72-hour validation)
            step = path.steps[ticket.robot_steps]
            if ticket.state != step.when.value:
                continue  # waiting for the operator (completion, appointment, closure refusal)
            try:
                self._gateway.sav.act(
                    ticket.reference,
                    step.action,
                    author=ROBOT_AUTHOR,
                    code=step.code,
                    reason=f"Plate-forme d'intégration, chemin {path.name}",
                )
            except TransitionForbiddenError:
                continue  # the operator acted in between; look again next tick
            except EsavError:
                log.exception("robot step %s on %s failed", step.action.value, ticket.reference)
                continue
            done.append((ticket.reference, step.action.value))
        return done

    def _tick(self) -> None:
        try:
            self.step()
        except Exception:  # the robot must never stop the platform; it tries again next tick
            log.exception("scenario robot tick failed")

    def start(self, reactor: Any, interval_s: float) -> None:
        self._loop = LoopingCall(self._tick)
        self._loop.clock = reactor
        self._loop.start(interval_s, now=False)

    def stop(self) -> None:
        if self._loop is not None and self._loop.running:
            self._loop.stop()
