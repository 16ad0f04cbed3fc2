"""Fixtures building real things: certificates once per session, a live gateway per test."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest
from support import LiveGateway, SessionPki, make_session_pki, start_gateway

# spyne logs every client fault with a traceback; the gateway logs what matters itself.
logging.getLogger("spyne").setLevel(logging.CRITICAL)


@pytest.fixture(scope="session")
def session_pki(tmp_path_factory: pytest.TempPathFactory) -> SessionPki:
    return make_session_pki(tmp_path_factory.mktemp("session-pki"))


@pytest.fixture
def live(tmp_path, session_pki: SessionPki) -> Iterator[LiveGateway]:
    """A gateway with the demo data on a loopback port, its clock fixed at DEFAULT_NOW."""
    server = start_gateway(tmp_path / "data", session_pki)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def portal(tmp_path, session_pki: SessionPki) -> Iterator[LiveGateway]:
    """A gateway with the demo data and its portal (HTTPS, its own port), clock at DEFAULT_NOW."""
    server = start_gateway(tmp_path / "data", session_pki, web=True)
    try:
        yield server
    finally:
        server.stop()
