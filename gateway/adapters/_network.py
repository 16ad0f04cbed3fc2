"""What the gateway needs from the network elements (OLT, DSLAM, Ethernet switches) to run remote tests.

A test is started on a prestation and answers later: the gateway keeps the element's job handle,
asks for the result until it is final, and must be able to ask again after a restart of its own.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

__all__ = ["Measurement", "NetworkElements", "TestLostError", "TestOutcome"]


@dataclass(frozen=True)
class Measurement:
    """One value measured by a test (``nom``, ``valeur``, ``unite`` on the wire)."""

    name: str
    value: str
    unit: str = ""


@dataclass(frozen=True)
class TestOutcome:
    """The final answer of a test: ``TERMINE`` (it ran; the diagnostic says what it found) or
    ``ECHEC`` (it could not run or conclude). ``diagnostic`` is a code of the DIAGNOSTICS list."""

    __test__ = False  # not a pytest test class

    status: str
    diagnostic: str
    measurements: tuple[Measurement, ...] = ()


class TestLostError(Exception):
    """The network element no longer knows the job (expired, restarted, unknown handle)."""

    __test__ = False


class NetworkElements(Protocol):
    """The network elements seen from the gateway; the embedded default is ``NetworkSimulator``."""

    #: Seconds a test usually takes: when to look for its result first.
    delay_s: float

    def start_test(self, identifiant_prestation: str, code_offre: str, test_type: str, at: datetime) -> str:
        """Start ``test_type`` on the prestation; returns the job handle to ask for the result with."""
        ...

    def result(self, handle: str, now: datetime) -> TestOutcome | None:
        """The job's final outcome, or None while it runs; TestLostError if the element cannot tell."""
        ...
