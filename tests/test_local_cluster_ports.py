"""The ports a local cluster's servers are told before any of them listens are all different."""

from __future__ import annotations

from typing import Any, ClassVar

import pytest

from gateway.adapters import ports
from gateway.adapters.local_cluster import ClusterNode


class _Socket:
    """A socket whose bind to port 0 gets the next port of a list (the system repeats ports it just released)."""

    given: ClassVar[list[int]] = []

    def __enter__(self) -> _Socket:
        return self

    def __exit__(self, *exc: Any) -> None:
        pass

    def bind(self, address: tuple[str, int]) -> None:
        self.port = self.given.pop(0)

    def getsockname(self) -> tuple[str, int]:
        return ("127.0.0.1", self.port)


def test_a_port_the_system_gives_again_is_not_handed_out_twice(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    """The system gives 41000 twice in a row: a node is told 41000, then 41001, never the same port twice."""
    _Socket.given = [41000, 41000, 41001, 41001, 41002]
    monkeypatch.setattr(ports, "_HANDED_OUT", set(), raising=False)
    monkeypatch.setattr(ports.socket, "socket", _Socket)
    node = ClusterNode("node1", tmp_path / "node1", "postgresql://esav@127.0.0.1:1/esav")
    assert (node.ws_port, node.web_port, node.ops_port) == (41000, 41001, 41002)
