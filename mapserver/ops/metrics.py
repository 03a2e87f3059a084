"""Prometheus metrics: what an operator watches, in the text format ``/metrics`` serves.

Under gunicorn every worker writes its values to files in ``PROMETHEUS_MULTIPROC_DIR``
(prometheus-client's multi-process mode, set up by :mod:`mapserver.ops.gunicorn_conf` before
any worker starts) and a scrape of any one worker adds them all up. Without that
variable (tests, a single process) the values live in this process. Gauges are "live":
a worker that exits stops counting. New metrics (replica lag, tile cache hits) are added
here, next to their kin, and fed by the module that knows the value.
"""

from __future__ import annotations

import hmac
import ipaddress
import os
from dataclasses import dataclass

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)

from mapserver.errors import ConfigError

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
REGISTRY = CollectorRegistry(auto_describe=True)
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
UNMATCHED = "(unmatched)"  # the route label of a request no route matched (a 404)

REQUESTS = Counter(
    "mapserver_requests",
    "Requests answered, by route template, method and status",
    ["route", "method", "status"],
    registry=REGISTRY,
)
LATENCY = Histogram(
    "mapserver_request_duration_seconds",
    "Time from the request to its last byte, by route template (/events: the stream's life)",
    ["route", "method"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
    registry=REGISTRY,
)
EVENT_STREAMS = Gauge(
    "mapserver_event_streams",
    "Open /events streams",
    multiprocess_mode="livesum",
    registry=REGISTRY,
)
POOL_IN_USE = Gauge(
    "mapserver_db_pool_in_use",
    "Database connections checked out of the pools",
    multiprocess_mode="livesum",
    registry=REGISTRY,
)
POOL_WAITING = Gauge(
    "mapserver_db_pool_waiting",
    "Threads waiting for a pool connection (or for a new one to open)",
    multiprocess_mode="livesum",
    registry=REGISTRY,
)
CHANGE_LAG = Gauge(
    "mapserver_change_lag",
    "Newest change-log id in the database minus the newest one this process has sent to "
    "its /events streams (0 without streams); the worst process",
    multiprocess_mode="livemax",
    registry=REGISTRY,
)
LISTENERS_DOWN = Gauge(
    "mapserver_change_listeners_down",
    "Processes whose change-log LISTEN connection is lost (reconnecting)",
    multiprocess_mode="livesum",
    registry=REGISTRY,
)
STATEMENT_TIMEOUTS = Counter(
    "mapserver_statement_timeouts",
    "Statements cancelled at MAPSERVER_STATEMENT_TIMEOUT_MS (answered 503)",
    registry=REGISTRY,
)
DATABASE_UNAVAILABLE = Counter(
    "mapserver_database_unavailable",
    "Requests answered 503 because the database could not be reached",
    registry=REGISTRY,
)
REPLICA_IN_ROTATION = Gauge(
    "mapserver_replica_in_rotation",
    "1 while a read replica takes reads (answers, lags at most MAPSERVER_REPLICA_MAX_LAG_S); "
    "the least of the processes",
    ["replica"],
    multiprocess_mode="livemin",
    registry=REGISTRY,
)
REPLICA_LAG_SECONDS = Gauge(
    "mapserver_replica_lag_seconds",
    "How long the primary has held a change the replica has not replayed (-1: no answer); "
    "the worst process",
    ["replica"],
    multiprocess_mode="livemax",
    registry=REGISTRY,
)
REPLICA_LAG_CHANGES = Gauge(
    "mapserver_replica_lag_changes",
    "The primary's newest change-log id minus the replica's (-1: no answer)",
    ["replica"],
    multiprocess_mode="livemax",
    registry=REGISTRY,
)


def observe_request(route: str, method: str, status: int, seconds: float) -> None:
    method = method if method in METHODS else "other"  # no label per made-up method
    REQUESTS.labels(route, method, str(status)).inc()
    LATENCY.labels(route, method).observe(seconds)


def exposition() -> tuple[bytes, str]:
    """The text of a scrape and its content type: all workers' values under gunicorn."""
    if os.environ.get(MULTIPROC_ENV):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
    else:
        registry = REGISTRY
    return generate_latest(registry), CONTENT_TYPE_LATEST


@dataclass(frozen=True)
class Access:
    """Who may read /metrics: an address in the allowlist, or whoever shows the token."""

    networks: tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]
    token: str | None = None

    @classmethod
    def from_settings(cls, allow: str, token: str | None) -> Access:
        """``allow``: CIDRs or addresses, separated by spaces or commas (empty: none)."""
        networks = []
        for item in allow.replace(",", " ").split():
            try:
                networks.append(ipaddress.ip_network(item, strict=False))
            except ValueError:
                raise ConfigError(f"MAPSERVER_METRICS_ALLOW: {item!r} is not a CIDR") from None
        if token is not None and len(token) < 16:
            raise ConfigError("MAPSERVER_METRICS_TOKEN: use at least 16 characters")
        return cls(tuple(networks), token)

    def permits(self, address: str | None, authorization: str = "") -> bool:
        scheme, _, presented = authorization.partition(" ")
        if self.token and scheme.lower() == "bearer":
            if hmac.compare_digest(presented.strip().encode(), self.token.encode()):
                return True
        try:
            ip = ipaddress.ip_address(address or "")
        except ValueError:
            return False
        if ip.version == 6 and ip.ipv4_mapped:  # ::ffff:127.0.0.1 from a dual-stack socket
            ip = ip.ipv4_mapped
        return any(ip in net for net in self.networks)
