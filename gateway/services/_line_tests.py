"""e-SAV Test (contract §7): remote tests on a prestation, launched at once, finished asynchronously.

``launch`` asks the network element to start and stores the test ``EN_COURS`` with the element's job
handle; ``poll`` (run by the server's poller, at start-up and periodically, or by a scenario robot)
asks the element for the results of the tests still running and records the final ones. A test the
element can no longer tell about ends in ``ECHEC``, so every test reaches a final state, even across
a restart of the gateway.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from gateway.adapters import NetworkElements, TestLostError, TestOutcome
from gateway.catalogue import Catalogue, CodeValue
from gateway.domain.clock import Clock
from gateway.domain.volumetry import line_test_series
from gateway.errors import InvalidRequestError, TestUnavailableError, UnknownPrestationError, quote
from gateway.store import LineTestRecord, PrestationRecord, Store

from ._contract_ends import ContractEndService
from ._events import record_test_result
from ._views import Caller

__all__ = ["FINAL_STATUSES", "LineTestResult", "LineTestService"]

log = logging.getLogger("gateway.tests")

REFERENCE_PREFIX = "TST"
RUNNING = "EN_COURS"
FINAL_STATUSES = ("TERMINE", "ECHEC")
INCONCLUSIVE = "TEST_NON_CONCLUANT"
TEST_TYPES = "TYPES_TEST"


@dataclass(frozen=True)
class LineTestResult:
    """A test as the operator sees it: the record and the diagnostic's label."""

    test: LineTestRecord
    diagnostic_libelle: str | None


class LineTestService:
    """Remote tests of the operator's prestations, through a ``NetworkElements`` adapter.

    Activated offers are those the ``TYPES_TEST`` code list is for (its ``offres`` attribute); the
    others (copper unbundling, dedicated fibre) are passive: ``TEST_NON_DISPONIBLE``.
    """

    def __init__(self, store: Store, catalogue: Catalogue, clock: Clock, network: NetworkElements) -> None:
        self._store = store
        self._catalogue = catalogue
        self._clock = clock
        self.network = network
        #: Set by whoever runs the polling (the server): asked to look at one test after some seconds.
        self.schedule: Callable[[str, float], None] | None = None

    def available(self, caller: Caller, identifiant_prestation: str) -> tuple[CodeValue, ...]:
        """The test types of the prestation's offer (TEST_NON_DISPONIBLE on a passive offer)."""
        prestation = self._own_prestation(caller, identifiant_prestation)
        return self._types_for(prestation)

    def launch(self, caller: Caller, identifiant_prestation: str, test_type: str) -> LineTestRecord:
        """Start a test and return it at once, ``EN_COURS``; its result comes later."""
        prestation = self._own_prestation(caller, identifiant_prestation)
        types = self._types_for(prestation)
        if test_type not in {t.code for t in types}:
            raise InvalidRequestError(
                f"Test « {quote(test_type)} » indisponible sur l'offre {prestation.code_offre} "
                f"(tests : {', '.join(t.code for t in types)}).",
                chemin="typeTest",
                valeur=test_type,
            )
        now = self._clock.now()
        handle: str | None
        try:
            handle = self.network.start_test(prestation.identifiant, prestation.code_offre, test_type, now)
        except Exception:  # the element refused or is unreachable: the poller ends the test in ECHEC
            log.exception("network element did not start %s on %s", test_type, prestation.identifiant)
            handle = None
        with self._store.write() as tx:  # durably: the reference answered is a receipt
            test = tx.line_tests.insert(
                {
                    "operator_code": caller.operator_code,
                    "prestation": prestation.identifiant,
                    "code_offre": prestation.code_offre,
                    "test_type": test_type,
                    "handle": handle,
                    "started_at": now,
                    "channel": caller.channel,
                },
                REFERENCE_PREFIX,
            )
        if self.schedule is not None:
            self.schedule(test.reference, self.network.delay_s)
        return test

    def result(self, caller: Caller, reference: str) -> LineTestResult:
        """The test's status and, once final, its diagnostic and measurements."""
        test = self._store.get_line_test(reference)
        if test is None or test.operator_code != caller.operator_code:
            raise InvalidRequestError(f"Test {quote(reference)} inconnu.", chemin="idTest", valeur=reference)
        label = self._catalogue.nomenclature("DIAGNOSTICS").libelle_of(test.diagnostic) if test.diagnostic else None
        return LineTestResult(test, label or test.diagnostic)

    def poll(self, reference: str | None = None) -> list[LineTestRecord]:
        """Ask the network element about running tests (one, or all) and record the final results.

        Returns the tests finished by this call. Safe to run from several processes at once: a
        result is recorded only while the test is still running.
        """
        if reference is not None:
            one = self._store.get_line_test(reference)
            running = [one] if one is not None and one.status == RUNNING else []
        else:
            running = self._store.running_line_tests()
        finished = []
        for test in running:
            now = self._clock.now()
            outcome: TestOutcome | None
            if test.handle is None:
                outcome = TestOutcome("ECHEC", INCONCLUSIVE)
            else:
                try:
                    outcome = self.network.result(test.handle, now)
                except TestLostError as lost:
                    log.warning("test %s: the network element cannot tell any more (%s): ECHEC", test.reference, lost)
                    outcome = TestOutcome("ECHEC", INCONCLUSIVE)
                except Exception:  # a transient failure: ask again at the next poll
                    log.exception("test %s: asking the network element failed", test.reference)
                    continue
            if outcome is None:
                continue
            measurements = [(m.name, m.value, m.unit) for m in outcome.measurements]
            with self._store.write() as tx:  # the result and its event (outbox) in one transaction
                if not tx.line_tests.finish(
                    test.reference,
                    status=outcome.status,
                    diagnostic=outcome.diagnostic,
                    measurements=measurements,
                    at=now,
                ):
                    continue
                done = tx.line_tests.get(test.reference)
                assert done is not None
                label = self._catalogue.nomenclature("DIAGNOSTICS").libelle_of(done.diagnostic or "")
                record_test_result(tx, done, libelle=label or done.diagnostic, at=now)
                # The test counts once, now that it gives its result (volumetry), in its door's series.
                tx.request_counts.add(done.operator_code, line_test_series(done.channel), now)
            finished.append(done)
        return finished

    # Helpers ------------------------------------------------------------------------------------

    def activated_offers(self) -> tuple[str, ...]:
        return self._catalogue.nomenclature(TEST_TYPES).offres

    def _own_prestation(self, caller: Caller, identifiant: str) -> PrestationRecord:
        prestation = self._store.get_prestation(identifiant)
        if prestation is None or prestation.operator_code != caller.operator_code:
            raise UnknownPrestationError(
                f"Prestation {quote(identifiant)} inconnue.", chemin="identifiantPrestation", valeur=identifiant
            )
        ContractEndService(self._store, self._clock).refuse_if_ended(caller.operator_code, prestation.code_offre)
        return prestation

    def _types_for(self, prestation: PrestationRecord) -> tuple[CodeValue, ...]:
        types = self._catalogue.nomenclature(TEST_TYPES).values_for_offer(prestation.code_offre)
        if prestation.code_offre not in self.activated_offers() or not types:
            raise TestUnavailableError(
                f"Pas de test à distance sur la prestation {prestation.identifiant} : l'offre "
                f"{prestation.code_offre} est passive (les tests existent pour "
                f"{', '.join(self.activated_offers())}).",
                chemin="identifiantPrestation",
                valeur=prestation.code_offre,
            )
        return types
