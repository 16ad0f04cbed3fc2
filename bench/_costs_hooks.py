"""The parts of a deposit ``python -m bench.costs`` times, and the wrapping done inside each measured
process (by ``bench/_costs_plug/sitecustomize.py``, before the gateway is imported). Only the standard
library is imported here: a module imported before ``install`` could not be wrapped."""

from __future__ import annotations

import json
import os
import signal
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = ["CALLS", "COMMITS", "ENV", "PARTS", "Part", "install", "resolve"]

#: Set in the server's environment: the folder where each process writes its counts.
ENV = "BENCH_COSTS_DIR"  # not ESAV_…: the gateway reads those as its settings


@dataclass(frozen=True)
class Part:
    label: str
    module: str
    #: ``Class.method`` or a module-level function, looked up in ``module`` when it is imported
    target: str
    depth: int = 0  # indentation under the part above it (display only)
    per_commit: bool = False  # paid once a batch: shown a commit too
    wait: bool = False  # the wall time is the point (a lock, a disk flush)


#: The part run once a call: its count is the number of calls.
CALLS = "call read: parse, guards, fast read"
#: The part run once a commit: its count is the number of commits.
COMMITS = "COMMIT"

PARTS: tuple[Part, ...] = (
    Part("arrival: TLS records in, request read", "twisted.protocols.tls", "TLSMemoryBIOProtocol.dataReceived"),
    Part("HTTP (lean channel)", "gateway.server._lean_http", "LeanChannel.dataReceived", 1),
    Part(CALLS, "gateway.server._host", "SoapResource.render_POST", 2),
    Part("hardened XML parse", "gateway.ws._hardening", "check_request_xml", 3),
    Part("fast path: operation's fields", "gateway.ws._fastpath", "FastPath.read", 3),
    Part("batch: methods, writes, commit, answers", "gateway.server._host", "CallBatch._start", per_commit=True),
    Part(
        "prestations read ahead, count of writes",
        "gateway.store._store",
        "Store._version_and_prestations",
        1,
        per_commit=True,
    ),
    Part("certificates kept, or read ahead", "gateway.store._store", "Store._certificates_at", 1, per_commit=True),
    Part("certificate → operator", "gateway.services._access", "AccessService.authenticate_certificate", 1),
    Part("form and offer checks", "gateway.catalogue._catalogue", "Catalogue.check_deposit", 1),
    Part("ticket, prestation, transition written", "gateway.store._tickets", "TicketRepository.deposit", 1),
    Part("event and its delivery written", "gateway.services._tickets", "record_state_change", 1),
    Part("BEGIN", "gateway.store._db", "Connections._begin_group", 1, per_commit=True, wait=True),
    Part("writers' lock", "gateway.store._db", "_WriterLock.acquire", 2, per_commit=True, wait=True),
    Part(COMMITS, "gateway.store._db", "_commit", 1, per_commit=True, wait=True),
    Part("after the group", "gateway.store._db", "Connections._end_group", 1, per_commit=True),
    Part("answers", "gateway.server._host", "_PendingCall.finish", 1),
    Part("answer from its template", "gateway.ws._fastpath", "AnswerTemplate.render", 2),
    Part("call observers (call log, volumetry)", "gateway.server._host", "SoapResource._notify", 2),
)


def resolve(module: Any, target: str) -> tuple[Any, str]:
    """The object holding ``target`` in ``module`` and the attribute's name (AttributeError if gone)."""
    owner, _, name = target.rpartition(".")
    holder = getattr(module, owner) if owner else module
    getattr(holder, name)
    return holder, name


# In the measured process --------------------------------------------------------------------------


def install(folder: str) -> None:
    """Wrap every part as its module is imported; write the counts to ``folder`` on SIGUSR2."""
    import importlib.abc
    import importlib.util
    import sys

    counts: dict[str, list[float]] = {}  # label: [calls, cpu seconds, wall seconds]
    thread_time, perf_counter = time.thread_time, time.perf_counter

    def wrap(holder: Any, name: str, label: str) -> None:
        original = getattr(holder, name)
        entry = counts.setdefault(label, [0, 0.0, 0.0])

        def timed(*args: Any, **kwargs: Any) -> Any:
            cpu, wall = thread_time(), perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                entry[0] += 1
                entry[1] += thread_time() - cpu
                entry[2] += perf_counter() - wall

        setattr(holder, name, timed)

    def dump(_signum: int, _frame: Any) -> None:
        path = Path(folder) / f"{os.getpid()}.json"
        partial = path.with_suffix(".tmp")
        partial.write_text(json.dumps({"at": time.time(), "parts": counts}))
        partial.replace(path)

    by_module: dict[str, list[Part]] = {}
    for part in PARTS:
        by_module.setdefault(part.module, []).append(part)

    class Finder(importlib.abc.MetaPathFinder):
        def find_spec(self, name: str, path: Any, target: Any = None) -> Any:
            if name not in by_module:
                return None
            sys.meta_path.remove(self)
            try:
                spec = importlib.util.find_spec(name)
            finally:
                sys.meta_path.insert(0, self)
            loader: Any = spec.loader if spec is not None else None
            if loader is None:
                return spec
            execute = loader.exec_module

            def exec_module(module: Any) -> None:
                execute(module)
                for part in by_module[name]:
                    wrap(*resolve(module, part.target), part.label)

            loader.exec_module = exec_module
            return spec

    sys.meta_path.insert(0, Finder())
    signal.signal(signal.SIGUSR2, dump)
