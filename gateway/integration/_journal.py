"""The call journal: every SOAP call of an operator on the integration platform, kept for it to read.

A ``CallObserver`` (``gateway.server``): the host hands it each call once answered. Calls are
buffered and written in batches, one transaction per batch (``flush_delay_s`` after the first call
of a batch), so that journaling adds no commit per request in the reactor thread. Readers that
need the latest calls (the campaign, the journal operation, a reset) call ``flush()`` first. A batch
is written through ``Gateway.durable``: when its commit fails, its calls go back to the buffer for
the next batch rather than being lost.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from gateway.errors import NotRecordedError
from gateway.server import CallRecord
from gateway.services import Gateway

__all__ = ["MAX_JOURNALED_BYTES", "CallJournal"]

log = logging.getLogger("gateway.integration.journal")

#: Requests and answers are kept up to this size (attachments can make them megabytes).
MAX_JOURNALED_BYTES = 256 * 1024


def _text(payload: bytes) -> str:
    if len(payload) > MAX_JOURNALED_BYTES:
        kept = payload[:MAX_JOURNALED_BYTES].decode("utf-8", errors="replace")
        return f"{kept}\n<!-- tronqué : {len(payload)} octets au total -->"
    return payload.decode("utf-8", errors="replace")


class CallJournal:
    """Buffers calls and writes them in batches; callable as a ``CallObserver``."""

    def __init__(self, gateway: Gateway, reactor: Any = None, flush_delay_s: float = 0.2) -> None:
        self._integration = gateway.integration
        self._clock = gateway.clock
        self._durable = gateway.durable
        self._reactor = reactor
        self._delay = flush_delay_s
        self._pending: list[dict[str, Any]] = []
        self._lock = threading.Lock()
        self._scheduled: Any = None

    def __call__(self, record: CallRecord) -> None:
        if record.operator is None:
            return  # not authenticated: nobody to journal it for
        entry = {
            "operator_code": record.operator,
            "at": self._clock.now(),
            "version": record.version,
            "service": record.service,
            "operation": record.operation,
            "fault_code": record.fault_code,
            "request": _text(record.request),
            "response": _text(record.response),
            "duration_ms": round(record.duration_s * 1000, 3),
        }
        with self._lock:
            self._pending.append(entry)
            schedule = self._scheduled is None and self._reactor is not None
            if schedule:
                self._scheduled = self._reactor.callLater(self._delay, self._flush_scheduled)
        if self._reactor is None:
            self.flush()

    def _flush_scheduled(self) -> None:
        try:
            self.flush()
        except NotRecordedError as error:  # the store logged why; the calls wait for the next batch
            log.warning("call journal: batch not recorded (incident %s), kept for the next one", error.incident_id)
        except Exception:  # a failed batch is logged; the calls were answered already
            log.exception("call journal: batch write failed")

    def flush(self) -> int:
        """Write what is buffered now (one transaction); returns the number of calls written.

        When the commit fails (here, or at the end of the SOAP batch or block this flush is part of),
        the calls go back to the buffer, in order, for the next batch: they are never lost.
        """
        with self._lock:
            batch, self._pending = self._pending, []
            scheduled, self._scheduled = self._scheduled, None
        if scheduled is not None and scheduled.active():
            scheduled.cancel()
        if not batch:
            return 0
        try:
            with self._durable.committed():
                self._integration.record_calls(batch)
        except NotRecordedError:
            self._keep(batch)
            raise
        # Nested in a SOAP batch (or another block), the commit comes later: keep the calls if it fails.
        self._durable.after_commit(lambda failure: None if failure is None else self._keep(batch))
        return len(batch)

    def _keep(self, batch: list[dict[str, Any]]) -> None:
        with self._lock:
            self._pending[:0] = batch
