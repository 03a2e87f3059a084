"""Every request: an id (sent back as ``X-Request-Id``), a log line and its metrics.

The route is the URL rule's template, never the path: one label per route however
many projects there are, and no names or tokens from paths or query strings in logs.
A streamed response (``/events``, downloads) is counted when its last byte has left.
"""

from __future__ import annotations

import time

from flask import Flask, Response, g, has_request_context, request

from mapserver.ops import accesslog, metrics
from mapserver.settings import Settings


def current_request_id() -> str:
    return g.get("request_id", "-") if has_request_context() else "-"


def init_app(app: Flask, settings: Settings) -> None:
    """Register first: its after_request then runs last and sees the final status."""
    app.extensions["metrics_access"] = metrics.Access.from_settings(
        settings.metrics_allow, settings.metrics_token
    )
    accesslog.configure(settings.log_format, current_request_id)
    app.before_request(_start)
    app.after_request(_finish)


def _start() -> None:
    g.request_started = time.perf_counter()
    g.request_id = accesslog.request_id(request.headers.get("X-Request-Id"))


def _finish(response: Response) -> Response:
    rid = g.get("request_id") or accesslog.request_id(None)
    response.headers["X-Request-Id"] = rid
    route = request.url_rule.rule if request.url_rule else metrics.UNMATCHED
    started = g.get("request_started", time.perf_counter())
    method, status = request.method, response.status_code

    def done() -> None:
        seconds = time.perf_counter() - started
        metrics.observe_request(route, method, status, seconds)
        accesslog.request(rid, method, route, status, seconds)

    if response.is_streamed:
        response.call_on_close(done)
    else:
        done()
    return response
