"""``/metrics`` in Prometheus text format (0.0.4), for the provider's monitoring.

Read from the store's cumulative call totals (``call_totals``), so every process of a group answers
the same monotonic counters; served on a loopback-only plain-HTTP port, never on the operators'
mutual-TLS port (see ``gateway/server/_operations.py``).
"""

from __future__ import annotations

from typing import Any

from twisted.web.resource import Resource

from gateway.domain.maintenance import NightlyWindow
from gateway.domain.volumetry import LATENCY_BOUNDS_MS
from gateway.services import Gateway

__all__ = ["MetricsResource", "render_metrics"]

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
#: The ports whose slow requests are counted (``esav_request_timeouts_total``), always listed.
DOORS = ("web_services", "portal")


def _labels(**labels: str) -> str:
    def escape(value: str) -> str:
        return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')

    return "{" + ",".join(f'{k}="{escape(v)}"' for k, v in labels.items()) + "}"


def _number(value: float) -> str:
    return repr(float(value)) if not float(value).is_integer() else str(int(value))


def render_metrics(gateway: Gateway, nightly: NightlyWindow | None) -> str:
    totals = gateway.store.call_totals()
    lines = [
        "# HELP esav_requests_total SOAP calls answered, per operator, version, service, operation and outcome.",
        "# TYPE esav_requests_total counter",
    ]
    for row in totals:
        labels = _labels(
            operator=row.operator_code, version=row.version, service=row.service, operation=row.operation,
            outcome=row.outcome,
        )  # fmt: skip
        lines.append(f"esav_requests_total{labels} {row.calls}")
    lines += [
        "# HELP esav_request_duration_seconds Time to answer a SOAP call, per service and operation.",
        "# TYPE esav_request_duration_seconds histogram",
    ]
    merged: dict[tuple[str, str, str], tuple[list[int], float]] = {}
    for row in totals:
        key = (row.version, row.service, row.operation)
        buckets, total_ms = merged.get(key, ([0] * (len(LATENCY_BOUNDS_MS) + 1), 0.0))
        merged[key] = ([a + b for a, b in zip(buckets, row.buckets, strict=False)], total_ms + row.total_ms)
    for (version, service, operation), (buckets, total_ms) in sorted(merged.items()):
        cumulative = 0
        base = {"version": version, "service": service, "operation": operation}
        for bound, count in zip(LATENCY_BOUNDS_MS, buckets, strict=False):
            cumulative += count
            lines.append(
                f"esav_request_duration_seconds_bucket{_labels(**base, le=_number(bound / 1000))} {cumulative}"
            )
        cumulative += buckets[-1]
        lines.append(f"esav_request_duration_seconds_bucket{_labels(**base, le='+Inf')} {cumulative}")
        lines.append(f"esav_request_duration_seconds_sum{_labels(**base)} {_number(total_ms / 1000)}")
        lines.append(f"esav_request_duration_seconds_count{_labels(**base)} {cumulative}")
    lines += [
        "# HELP esav_rate_limit_per_minute Requests per minute allowed to an operator (limits in force).",
        "# TYPE esav_rate_limit_per_minute gauge",
    ]
    now = gateway.clock.now()
    in_force: dict[str, int] = {}
    for limit in sorted(gateway.rate_limits.limits(), key=lambda r: (r.effective_from, r.id)):
        if limit.effective_from <= now:
            in_force[limit.operator_code] = limit.per_minute
    lines += [f"esav_rate_limit_per_minute{_labels(operator=op)} {n}" for op, n in sorted(in_force.items())]
    lines += [
        "# HELP esav_maintenance 1 while the web services answer MAINTENANCE.",
        "# TYPE esav_maintenance gauge",
        f"esav_maintenance {int(gateway.maintenance.downtime(nightly) is not None)}",
        "# HELP esav_certificates_expiring Operators' certificates expiring within 15 business days.",
        "# TYPE esav_certificates_expiring gauge",
        f"esav_certificates_expiring {len(gateway.certificate_watch.expiring())}",
        "# HELP esav_request_timeouts_total Connections closed because a request was not received within"
        " request_timeout_s, per port (web_services, portal).",
        "# TYPE esav_request_timeouts_total counter",
    ]
    timeouts = gateway.volumetry.request_timeouts()
    lines += [f"esav_request_timeouts_total{_labels(port=door)} {timeouts.get(door, 0)}" for door in DOORS]
    return "\n".join(lines) + "\n"


class MetricsResource(Resource):
    isLeaf = True  # noqa: N815 - Twisted's attribute name

    def __init__(self, gateway: Gateway, nightly: NightlyWindow | None) -> None:
        super().__init__()
        self._gateway = gateway
        self._nightly = nightly

    def render_GET(self, request: Any) -> bytes:  # noqa: N802 - Twisted's interface
        request.setHeader("Content-Type", CONTENT_TYPE)
        return render_metrics(self._gateway, self._nightly).encode()
