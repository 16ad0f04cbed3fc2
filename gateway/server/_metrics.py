"""``/metrics`` for the provider's monitoring, written by ``prometheus_client``.

The call families are read from the cumulative call totals (``Volumetry.totals``), so every process
of a group answers the same monotonic counters; the process families describe the process serving
the operations port (the leader). Served on a loopback-only plain-HTTP port, never on the operators'
mutual-TLS port (see ``gateway/server/_operations.py``).

Families: ``esav_requests_total`` (operator, version, service, operation, outcome: ``OK`` or the fault
code), ``esav_request_duration_seconds`` (histogram per version, service, operation),
``esav_faults_total`` (per code, version, service), ``esav_rate_limit_refusals_total`` (per operator),
``esav_request_timeouts_total`` (per port: ``web_services``, ``portal``),
``esav_rate_limit_per_minute``, ``esav_maintenance``, ``esav_certificates_expiring``,
``esav_mail_outbox_messages`` (per state), ``esav_notifications_pending`` (per operator),
``esav_build_info``, ``esav_leader`` (this process runs the background work), and prometheus_client's
``process_*`` and ``python_info``.
"""

from __future__ import annotations

import platform
from collections.abc import Callable, Iterator
from importlib.metadata import PackageNotFoundError, version
from typing import Any

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily, Metric
from prometheus_client.platform_collector import PlatformCollector
from prometheus_client.process_collector import ProcessCollector
from prometheus_client.registry import Collector
from twisted.web.resource import Resource

from gateway.domain.maintenance import NightlyWindow
from gateway.domain.volumetry import LATENCY_BOUNDS_MS
from gateway.services import Gateway

__all__ = ["MetricsResource", "metrics_registry", "render_metrics"]

#: The classic text format, which every Prometheus version reads (the names need nothing newer).
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
#: The fault code of a call refused by an operator's rate limit.
RATE_LIMIT_FAULT = "LIMITE_REQUETES"
#: The ports whose slow requests are counted (``esav_request_timeouts_total``), always listed.
DOORS = ("web_services", "portal")


def _build_version() -> str:
    try:
        return version("esav-gateway")
    except PackageNotFoundError:  # a checkout on the path without an install
        return "inconnue"


class GatewayCollector(Collector):
    """The gateway's families, read afresh from the services at each scrape."""

    def __init__(self, gateway: Gateway, nightly: NightlyWindow | None) -> None:
        self._gateway = gateway
        self._nightly = nightly

    def collect(self) -> Iterator[Metric]:
        yield from self._calls()
        yield from self._service_state()
        build = GaugeMetricFamily(
            "esav_build_info", "Version of the gateway and of Python.", labels=["version", "python"]
        )
        build.add_metric([_build_version(), platform.python_version()], 1)
        yield build

    def _calls(self) -> Iterator[Metric]:
        totals = self._gateway.volumetry.totals()
        requests = CounterMetricFamily(
            "esav_requests",
            "SOAP calls answered, per operator, version, service, operation and outcome.",
            labels=["operator", "version", "service", "operation", "outcome"],
        )
        faults: dict[tuple[str, str, str], int] = {}
        refusals: dict[str, int] = {}
        merged: dict[tuple[str, str, str], tuple[list[int], float]] = {}
        for row in totals:
            requests.add_metric([row.operator_code, row.version, row.service, row.operation, row.outcome], row.calls)
            if row.outcome != "OK":
                key = (row.outcome, row.version, row.service)
                faults[key] = faults.get(key, 0) + row.calls
            if row.outcome == RATE_LIMIT_FAULT:
                refusals[row.operator_code] = refusals.get(row.operator_code, 0) + row.calls
            key = (row.version, row.service, row.operation)
            buckets, total_ms = merged.get(key, ([0] * (len(LATENCY_BOUNDS_MS) + 1), 0.0))
            merged[key] = ([a + b for a, b in zip(buckets, row.buckets, strict=False)], total_ms + row.total_ms)
        yield requests
        durations = HistogramMetricFamily(
            "esav_request_duration_seconds",
            "Time to answer a SOAP call, per service and operation.",
            labels=["version", "service", "operation"],
        )
        for (version_, service, operation), (buckets, total_ms) in sorted(merged.items()):
            cumulative, points = 0, []
            for bound, count in zip(LATENCY_BOUNDS_MS, buckets, strict=False):
                cumulative += count
                points.append((_bound(bound / 1000), cumulative))
            points.append(("+Inf", cumulative + buckets[-1]))
            durations.add_metric([version_, service, operation], points, total_ms / 1000)
        yield durations
        by_code = CounterMetricFamily(
            "esav_faults", "SOAP faults answered, per code, version and service.", labels=["code", "version", "service"]
        )
        for (code, version_, service), count in sorted(faults.items()):
            by_code.add_metric([code, version_, service], count)
        yield by_code
        refused = CounterMetricFamily(
            "esav_rate_limit_refusals",
            "Calls refused by an operator's rate limit (LIMITE_REQUETES).",
            labels=["operator"],
        )
        for operator, count in sorted(refusals.items()):
            refused.add_metric([operator], count)
        yield refused
        timeouts = CounterMetricFamily(
            "esav_request_timeouts",
            "Connections closed because a request was not received within request_timeout_s, per port "
            "(web_services, portal).",
            labels=["port"],
        )
        received = self._gateway.volumetry.request_timeouts()
        for door in DOORS:
            timeouts.add_metric([door], received.get(door, 0))
        yield timeouts

    def _service_state(self) -> Iterator[Metric]:
        gateway = self._gateway
        limits = GaugeMetricFamily(
            "esav_rate_limit_per_minute",
            "Requests per minute allowed to an operator (limits in force).",
            labels=["operator"],
        )
        now = gateway.clock.now()
        in_force: dict[str, int] = {}
        for limit in sorted(gateway.rate_limits.limits(), key=lambda r: (r.effective_from, r.id)):
            if limit.effective_from <= now:
                in_force[limit.operator_code] = limit.per_minute
        for operator, per_minute in sorted(in_force.items()):
            limits.add_metric([operator], per_minute)
        yield limits
        yield GaugeMetricFamily(
            "esav_maintenance",
            "1 while the web services answer MAINTENANCE.",
            value=int(gateway.maintenance.downtime(self._nightly) is not None),
        )
        yield GaugeMetricFamily(
            "esav_certificates_expiring",
            "Operators' certificates expiring within 15 business days.",
            value=len(gateway.certificate_watch.expiring()),
        )
        outbox = GaugeMetricFamily(
            "esav_mail_outbox_messages", "Messages of the mail outbox, per state.", labels=["status"]
        )
        for status, count in sorted(gateway.mail.status_counts().items()):
            outbox.add_metric([status], count)
        yield outbox
        pending = GaugeMetricFamily(
            "esav_notifications_pending", "Events waiting to be pushed, per operator.", labels=["operator"]
        )
        for row in gateway.notifications.backlog():
            pending.add_metric([row.operator_code], row.pending)
        yield pending


def _bound(seconds: float) -> str:
    return repr(seconds) if not float(seconds).is_integer() else f"{seconds:.1f}"


def metrics_registry(gateway: Gateway, nightly: NightlyWindow | None) -> CollectorRegistry:
    """A registry of its own (never the global one: tests run many gateways in one process)."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(GatewayCollector(gateway, nightly))
    ProcessCollector(registry=registry)
    PlatformCollector(registry=registry)
    return registry


def render_metrics(gateway: Gateway, nightly: NightlyWindow | None) -> str:
    return generate_latest(metrics_registry(gateway, nightly)).decode()


class _LeaderCollector(Collector):
    """``esav_leader``: 1 while this process runs the background work (sweeps, pushes, reminders)."""

    def __init__(self, leading: Callable[[], bool]) -> None:
        self._leading = leading

    def collect(self) -> Iterator[Metric]:
        gauge = GaugeMetricFamily(
            "esav_leader", "1 while this process runs the background work (sweeps, pushes, reminders), else 0."
        )
        gauge.add_metric([], 1 if self._leading() else 0)
        yield gauge


class MetricsResource(Resource):
    isLeaf = True  # noqa: N815 - Twisted's attribute name

    def __init__(
        self, gateway: Gateway, nightly: NightlyWindow | None, leading: Callable[[], bool] | None = None
    ) -> None:
        super().__init__()
        self._registry = metrics_registry(gateway, nightly)
        if leading is not None:
            self._registry.register(_LeaderCollector(leading))

    def render_GET(self, request: Any) -> bytes:  # noqa: N802 - Twisted's interface
        request.setHeader("Content-Type", CONTENT_TYPE)
        return bytes(generate_latest(self._registry))
