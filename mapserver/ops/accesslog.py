"""The request log: one line per request, as text or as JSON lines, on standard error.

A line carries the request id (the client's ``X-Request-Id`` when sane, else a new one),
method, route template (``/ogc/collections/<collection_id>/items``, never the path or the
query string, which may carry names or tokens), status and duration. Nothing from the
headers or the body is logged, so passwords, tokens and cookies cannot leak into it;
other log lines of the server (warnings, errors) go through the same handler and carry
the request id too.
"""

from __future__ import annotations

import logging
import os
import re
import sys
from collections.abc import Callable

from pythonjsonlogger.json import JsonFormatter

from mapserver.errors import ConfigError

FORMATS = ("text", "json")
SANE_ID = re.compile(r"^[A-Za-z0-9._:+=/-]{1,64}$")
TEXT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"
JSON_FIELDS = "%(asctime)s %(levelname)s %(name)s %(request_id)s %(message)s"
ISO = "%Y-%m-%dT%H:%M:%S%z"
RENAMED = {"asctime": "time", "levelname": "level", "name": "logger"}

log = logging.getLogger("mapserver.access")
_handler = logging.StreamHandler(sys.stderr)


def request_id(incoming: str | None) -> str:
    """The client's id if it is short and plain (a proxy's, a test's), else a fresh one."""
    if incoming and SANE_ID.match(incoming):
        return incoming
    return os.urandom(16).hex()  # 32 hex digits as uuid4().hex gives, for less CPU


def formatter(log_format: str) -> logging.Formatter:
    if log_format == "json":
        return JsonFormatter(JSON_FIELDS, ISO, rename_fields=RENAMED, timestamp=False)
    if log_format == "text":
        return logging.Formatter(TEXT, ISO)
    raise ConfigError(f"MAPSERVER_LOG_FORMAT={log_format!r}: use one of {', '.join(FORMATS)}")


def configure(log_format: str, current_id: Callable[[], str]) -> None:
    """Send the server's log (``mapserver.*``: requests, warnings, errors) to stderr.

    ``current_id`` gives the request id of the request being served ("-" outside one).
    Called by every app made in the process; the last one's format wins.
    """
    _handler.setFormatter(formatter(log_format))
    _handler.filters = [_RequestId(current_id)]
    root = logging.getLogger("mapserver")
    if _handler not in root.handlers:
        root.addHandler(_handler)
    if log.level == logging.NOTSET:
        log.setLevel(logging.INFO)


def request(rid: str, method: str, route: str, status: int, seconds: float) -> None:
    """The line of one finished request."""
    fields = {"method": method, "route": route, "status": status,
              "duration_ms": round(seconds * 1000, 1)}  # fmt: skip
    log.info(
        "%s %s %s %.1f ms", method, route, status, fields["duration_ms"],
        extra={**fields, "request_id": rid},
    )  # fmt: skip


class _RequestId(logging.Filter):
    def __init__(self, current_id: Callable[[], str]) -> None:
        super().__init__()
        self._current_id = current_id

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = self._current_id()
        return True
