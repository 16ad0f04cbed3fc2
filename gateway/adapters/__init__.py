"""Adapters to the world outside the gateway; simulators are the embedded defaults (docs/decisions.md, measured facts).

- network elements (remote line tests): the ``NetworkElements`` interface and ``NetworkSimulator``.
"""

from ._network import Measurement, NetworkElements, TestLostError, TestOutcome
from ._simulator import DEFECTS, NetworkSimulator, simulated_outcome

__all__ = [
    "DEFECTS",
    "Measurement",
    "NetworkElements",
    "NetworkSimulator",
    "TestLostError",
    "TestOutcome",
    "simulated_outcome",
]
