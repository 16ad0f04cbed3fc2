"""Every SOAP call is reported once to the host's observers, with what logs and volumetry need."""

from __future__ import annotations

import pytest
import zeep
from support import deposit, start_gateway


@pytest.fixture
def observed(tmp_path, session_pki):
    records = []
    server = start_gateway(tmp_path / "data", session_pki, observers=[records.append])
    try:
        yield server, records
    finally:
        server.stop()


def test_success_is_reported_with_operation_operator_and_no_fault(observed):
    """A deposit is reported as deposerSignalisation by OPE001, HTTP 200, without fault code."""
    server, records = observed
    deposit(server.client())
    [record] = [r for r in records if r.operation == "deposerSignalisation"]
    assert (record.version, record.service, record.operator) == ("v2", "signalisation", "OPE001")
    assert (record.http_status, record.fault_code) == (200, None)
    assert b"deposerSignalisation" in record.request and b"referenceSignalisation" in record.response
    assert record.duration_s >= 0 and len(record.request_id) == 16


def test_business_fault_is_reported_with_its_code(observed):
    """A fault answer carries its erreurEsav code to the observers."""
    server, records = observed
    with pytest.raises(zeep.exceptions.Fault):
        server.client().service.consulterEtatSignalisation("SIG99999999")
    assert records[-1].fault_code == "SIGNALISATION_INCONNUE"
    assert records[-1].operator == "OPE001"


def test_refusal_before_spyne_is_reported_without_operator(observed):
    """A hostile body refused before spyne is reported as REQUETE_INVALIDE with no operation."""
    server, records = observed
    server.session().post(server.url(), data=b"<!DOCTYPE x []><x/>", headers={"Content-Type": "text/xml"})
    assert (records[-1].operation, records[-1].fault_code, records[-1].http_status) == (None, "REQUETE_INVALIDE", 500)


def test_an_observer_that_fails_does_not_change_the_answer(tmp_path, session_pki):
    """A broken observer is logged; the caller still gets its answer."""

    def broken(record):
        raise RuntimeError("observer down")

    server = start_gateway(tmp_path / "data", session_pki, observers=[broken])
    try:
        assert deposit(server.client()).etat == "EN_DEPOT"
    finally:
        server.stop()


def test_unknown_path_is_a_plain_404(live):
    """A URL outside /esav/{version}/{service} is a 404, not a server error."""
    assert live.session().get(f"https://localhost:{live.port}/esav/v9/rien").status_code == 404
    assert live.session().get(f"https://localhost:{live.port}/autre").status_code == 404


def test_call_ids_are_distinct_and_a_forked_process_draws_its_own():
    """A call's id is 16 hexadecimal digits, never repeated; a process forked from a server (its
    generator copied) draws other ids than its parent from then on."""
    import os
    import re

    from gateway.server._host import _request_id

    ids = [_request_id() for _ in range(10_000)]
    assert all(re.fullmatch(r"[0-9a-f]{16}", i) for i in ids) and len(set(ids)) == len(ids)
    read, write = os.pipe()
    child = os.fork()
    if child == 0:  # pragma: no cover - the child reports through the pipe and leaves at once
        os.write(write, "".join(_request_id() for _ in range(4)).encode())
        os._exit(0)
    os.close(write)
    os.waitpid(child, 0)
    with os.fdopen(read) as pipe:
        drawn_by_child = pipe.read()
    assert len(drawn_by_child) == 64
    assert drawn_by_child != "".join(_request_id() for _ in range(4))
