"""``/health/live`` and ``/health/ready`` on the operations port (loopback, plain HTTP), for systemd,
a load balancer's agent or the monitoring.

- live: the process answers (its reactor turns): 200.
- ready: the store answers, the catalogue is loaded, the migrations are current (``HealthService``):
  200, else 503; the body names each check (JSON).
"""

from __future__ import annotations

import json
from typing import Any

from twisted.web.resource import Resource

from gateway.services import Gateway

__all__ = ["health_resource"]


def _json(request: Any, status: int, body: dict[str, Any]) -> bytes:
    request.setResponseCode(status)
    request.setHeader("Content-Type", "application/json; charset=utf-8")
    request.setHeader("Cache-Control", "no-store")
    return json.dumps(body, ensure_ascii=False).encode()


class _Live(Resource):
    isLeaf = True  # noqa: N815 - Twisted's attribute name

    def render_GET(self, request: Any) -> bytes:  # noqa: N802 - Twisted's interface
        return _json(request, 200, {"status": "live"})


class _Ready(Resource):
    isLeaf = True  # noqa: N815 - Twisted's attribute name

    def __init__(self, gateway: Gateway) -> None:
        super().__init__()
        self._gateway = gateway

    def render_GET(self, request: Any) -> bytes:  # noqa: N802 - Twisted's interface
        readiness = self._gateway.health.readiness()
        status = "ready" if readiness.ready else "not ready"
        return _json(request, 200 if readiness.ready else 503, {"status": status, "checks": readiness.checks})


def health_resource(gateway: Gateway) -> Resource:
    """``/health`` with its two children."""
    health = Resource()
    health.putChild(b"live", _Live())  # type: ignore[arg-type]
    health.putChild(b"ready", _Ready(gateway))  # type: ignore[arg-type]
    return health
