"""``/healthz``, ``/readyz`` and ``/metrics``: for load balancers and monitoring, not people.

``/healthz`` only says the process answers (no database: a restarting database must not
get every app process killed). ``/readyz`` says whether to send it traffic. ``/metrics``
is for Prometheus, from the addresses of ``MAPSERVER_METRICS_ALLOW`` or with the bearer
token ``MAPSERVER_METRICS_TOKEN``; anyone else gets 403.
"""

from __future__ import annotations

from flask import Response, current_app, jsonify, request

from mapserver.errors import Forbidden
from mapserver.ops import metrics, readiness
from mapserver.web.state import current

NO_STORE = {"Cache-Control": "no-store"}


def healthz() -> Response:
    return jsonify(status="ok"), 200, NO_STORE  # type: ignore[return-value]


def readyz() -> Response:
    state = current()
    checks = readiness.standard(state.engine, state.notifier)
    if state.router is not None:
        checks.append(readiness.replicas(state.router.status()))
    body = readiness.report(checks)
    headers = dict(NO_STORE)
    if body["failed"]:
        headers["Retry-After"] = "5"
    return jsonify(body), 503 if body["failed"] else 200, headers  # type: ignore[return-value]


def scrape() -> Response:
    access: metrics.Access = current_app.extensions["metrics_access"]
    if not access.permits(request.remote_addr, request.headers.get("Authorization", "")):
        raise Forbidden(
            "metrics are for the monitoring system only (MAPSERVER_METRICS_ALLOW, "
            "MAPSERVER_METRICS_TOKEN)"
        )
    state = current()
    newest = state.notifier.newest if state.notifier.connected.is_set() else None
    metrics.CHANGE_LAG.set(state.notifier.lag(newest))
    body, content_type = metrics.exposition()
    return Response(body, content_type=content_type, headers=NO_STORE)
