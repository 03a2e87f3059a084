"""Streamed responses that fail loudly: an error after the first byte aborts the connection.

Once the status and the first chunk have left, an error can no longer become a problem
response. gunicorn then closes the socket without the final empty chunk, so the client
sees a broken transfer. werkzeug's server would instead append an error page and end the
chunked body cleanly, leaving a complete-looking, wrong document: under it the socket is
shut down first (gunicorn's own close must stay in charge of its socket).
"""

from __future__ import annotations

import logging
import socket
from collections.abc import Iterable, Iterator
from typing import Any

from flask import Response, request, stream_with_context

log = logging.getLogger(__name__)


def streamed(body: Iterable[bytes], **response: Any) -> Response:
    """A Response streaming ``body`` whose mid-stream errors abort the connection."""
    return Response(stream_with_context(_aborting(body, request.environ)), **response)


def _aborting(body: Iterable[bytes], environ: dict) -> Iterator[bytes]:
    try:
        yield from body
    except Exception:
        log.exception("error in a streamed response; aborting the connection")
        abort_connection(environ)
        raise


def abort_connection(environ: dict) -> None:
    """Shut werkzeug's client socket down (gunicorn closes its own on the re-raised error)."""
    sock = environ.get("werkzeug.socket")
    if isinstance(sock, socket.socket):
        try:
            sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
