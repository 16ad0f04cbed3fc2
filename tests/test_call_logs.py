"""Structured call logs: one JSON line per SOAP call, with the request id that faults carry as idErreur."""

from __future__ import annotations

import json
import logging
import os

import pytest
import zeep
from support import deposit

from gateway.server import TEXT_LOG_FORMAT, JsonLogFormatter, lean_log_records


def _lines(caplog) -> list[dict]:
    formatter = JsonLogFormatter()
    return [json.loads(formatter.format(r)) for r in caplog.records if r.name == "gateway.calls"]


def test_one_json_line_per_call_without_body_or_personal_data(live, caplog):
    """A deposit logs ts, request_id, operator, version, service, operation, outcome, duration_ms; no body."""
    with caplog.at_level(logging.INFO, logger="gateway.calls"):
        deposit(live.client(), commentaire="M. Dupont au 06 12 34 56 78")
    (line,) = _lines(caplog)
    assert {k: line[k] for k in ("operator", "version", "service", "operation", "outcome", "fault_code")} == {
        "operator": "OPE001",
        "version": "v2",
        "service": "signalisation",
        "operation": "deposerSignalisation",
        "outcome": "OK",
        "fault_code": None,
    }
    assert set(line) >= {"ts", "request_id", "duration_ms"}
    text = json.dumps(line)
    assert "Dupont" not in text and "0140000001" not in text


def test_fault_carries_the_request_id_of_its_log_line(live, caplog):
    """The idErreur of a fault is the request_id of that call's log line."""
    with caplog.at_level(logging.INFO, logger="gateway.calls"), pytest.raises(zeep.exceptions.Fault) as caught:
        live.client().service.consulterEtatSignalisation("SIG99999999")
    (line,) = _lines(caplog)
    assert line["fault_code"] == "SIGNALISATION_INCONNUE"
    assert caught.value.detail.xpath("string(.//*[local-name()='idErreur'])") == line["request_id"]


def _logged(logger: logging.Logger) -> tuple[list[logging.LogRecord], list[str]]:
    """A plain record and a call's, logged through ``logger``, and the lines both formats write of them."""
    records: list[logging.LogRecord] = []
    keep = logging.Handler()
    keep.emit = records.append  # type: ignore[method-assign]
    logger.addHandler(keep)
    try:
        logger.info("plain %s", "message")
        logger.info("call", extra={"esav_call": {"request_id": "r1", "operator": "OPE001", "outcome": "OK"}})
    finally:
        logger.removeHandler(keep)
    lines = []
    for record in records:
        record.created, record.msecs = 0.0, 0.0
        lines += [logging.Formatter(TEXT_LOG_FORMAT).format(record), JsonLogFormatter().format(record)]
    return records, lines


def test_the_servers_lean_log_records_lose_nothing_either_format_writes(monkeypatch):
    """``esav servir`` logs records without their caller's place, thread and process (cheaper a SOAP call):
    the text and JSON lines are the same as with them."""
    full_records = {"logThreads": True, "logProcesses": True, "logMultiprocessing": True}
    full_records["_srcfile"] = os.path.normcase(logging.addLevelName.__code__.co_filename)  # as logging sets it
    for switch, value in full_records.items():
        monkeypatch.setattr(logging, switch, value)  # put back after the test, whatever it was
    logger = logging.getLogger("gateway.test-lean-records")
    monkeypatch.setattr(logger, "propagate", False)
    monkeypatch.setattr(logger, "level", logging.INFO)
    full, before = _logged(logger)
    lean_log_records()
    lean, after = _logged(logger)
    assert full[0].process is not None and full[0].funcName == "_logged"
    assert lean[0].process is None and lean[0].threadName is None and lean[0].funcName != "_logged"
    assert after == before


class _Writes:
    """A text stream that keeps each ``write`` apart."""

    def __init__(self):
        self.writes: list[str] = []

    def write(self, text):
        self.writes.append(text)

    def flush(self):
        pass


def _turn_logger(name):
    from gateway.server import LinesEachTurn

    stream, scheduled = _Writes(), []
    handler = LinesEachTurn(stream, scheduled.append)
    handler.setFormatter(logging.Formatter("%(levelname)s %(message)s"))
    logger = logging.getLogger(name)
    logger.handlers, logger.propagate, logger.level = [handler], False, logging.INFO
    return logger, handler, stream, scheduled


def test_the_lines_of_a_turn_leave_together_once_it_ends():
    """Lines logged by the serving thread wait for the end of the reactor's turn, then leave in one
    write, in order; the next turn's lines start another."""
    logger, _, stream, scheduled = _turn_logger("test.turn.lines")
    for n in range(3):
        logger.info("call %d", n)
    assert stream.writes == [] and len(scheduled) == 1  # one end-of-turn write asked for, not three
    scheduled.pop()()
    assert stream.writes == ["INFO call 0\nINFO call 1\nINFO call 2\n"]
    logger.info("call 3")
    assert len(scheduled) == 1
    scheduled.pop()()
    assert stream.writes[1:] == ["INFO call 3\n"]


def test_a_warning_another_threads_line_and_the_end_of_logging_write_at_once():
    import threading

    logger, handler, stream, scheduled = _turn_logger("test.turn.urgent")
    logger.info("waiting")
    logger.warning("trouble")  # with the line before it, in order
    assert stream.writes == ["INFO waiting\nWARNING trouble\n"]
    worker = threading.Thread(target=lambda: logger.info("from a thread"))
    worker.start()
    worker.join()
    assert stream.writes[1:] == ["INFO from a thread\n"]
    logger.info("last")
    handler.flush()  # what ``logging.shutdown`` does at exit
    assert stream.writes[2:] == ["INFO last\n"]
    for flush in scheduled:  # the ends of turns asked for find nothing left to write
        flush()
    assert len(stream.writes) == 3
