"""The operators' test set ("jeu de test e-SAV", contract §11): scenarios as data and their runner."""

from ._model import DEFAULT_TEST_SETS, Scenario, Step, load_test_set
from ._runner import POLL_S, Runner, ScenarioResult, junit_report, junit_suite, summary_table

__all__ = [
    "DEFAULT_TEST_SETS",
    "POLL_S",
    "Runner",
    "Scenario",
    "ScenarioResult",
    "Step",
    "junit_report",
    "junit_suite",
    "load_test_set",
    "summary_table",
]
