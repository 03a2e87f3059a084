"""Streamed responses that fail loudly: an error after the first byte aborts the connection.

Once the status and the first chunk have left, an error can no longer become a problem
response; the client must see a broken transfer, never a complete-looking document. gunicorn
closes its socket without the final empty chunk. werkzeug's server (3.1) does too, only
because its attempt to send an error page fails; rather than rely on that, the socket is
shut down here first (gunicorn's own close stays in charge of its socket). Errors that a
request can cause (a bad filter, a cancelled statement) happen before the first byte:
:func:`mapserver.features.feed.stream_collection` runs its query before it returns.
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
