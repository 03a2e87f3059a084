"""The gunicorn worker: errors that gunicorn answers itself are problem+json too.

gunicorn refuses an over-long request line (414), too many or too large header fields
(431) and malformed requests (400) before the app runs, with a small HTML page. A client
of this API reads ``application/problem+json`` everywhere, so the worker swaps that page
for the same kind of body the app sends.
"""

from __future__ import annotations

import json
import socket

from gunicorn import util
from gunicorn.workers.gthread import ThreadWorker

HEAD = (
    "HTTP/1.1 {status} {reason}\r\nConnection: close\r\n"
    "Content-Type: application/problem+json\r\nContent-Length: {length}\r\n"
    "X-Content-Type-Options: nosniff\r\nCache-Control: no-store\r\n\r\n"
)


def problem_response(status: int, reason: str, detail: str) -> bytes:
    """The bytes of a complete problem+json answer, as gunicorn would send its page."""
    body = {"type": "about:blank", "title": reason, "status": status, "detail": detail}
    if status == 414:
        body["detail"] = f"请求行过长 Request line too long: {detail}"
    elif status == 431:
        body["detail"] = f"请求头过大或过多 Request header fields too large: {detail}"
    data = json.dumps(body, ensure_ascii=False).encode()
    head = HEAD.format(status=status, reason=reason, length=len(data))
    return head.encode("latin-1") + data


def write_problem(sock: socket.socket, status_int: int, reason: str, mesg: str) -> None:
    util.write_nonblock(sock, problem_response(status_int, reason, mesg))


class ProblemWorker(ThreadWorker):
    """gunicorn's threaded worker, answering its own refusals as problem+json."""

    def init_process(self) -> None:
        # gunicorn's handle_error writes through util.write_error; one function to replace.
        util.write_error = write_problem
        super().init_process()
