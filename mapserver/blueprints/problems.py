"""Every error leaves as ``application/problem+json``."""

from __future__ import annotations

import logging

from flask import Flask, Response, json
from psycopg.errors import QueryCanceled
from sqlalchemy.exc import DBAPIError
from werkzeug.exceptions import HTTPException

from mapserver.errors import ProblemError, QueryTimeout, problem, status_of
from mapserver.state import current

PROBLEM = "application/problem+json"
RETRY_AFTER = "5"  # seconds
log = logging.getLogger(__name__)


def problem_response(body: dict) -> Response:
    return Response(json.dumps(body, ensure_ascii=False), body["status"], mimetype=PROBLEM)


def error_response(error: ProblemError) -> Response:
    response = problem_response(problem(error))
    if response.status_code == 503:  # busy or timed out: worth trying again
        response.headers["Retry-After"] = RETRY_AFTER
    return response


def register(app: Flask) -> None:
    @app.errorhandler(ProblemError)
    def _problem(error: ProblemError) -> Response:
        return error_response(error)

    @app.errorhandler(HTTPException)
    def _http(error: HTTPException) -> Response:
        body = {
            "type": "about:blank",
            "title": error.name,
            "status": error.code,
            "detail": error.description,
        }
        response = problem_response(body)
        if error.code == 405 and error.valid_methods:
            response.headers["Allow"] = ", ".join(error.valid_methods)
        return response

    @app.errorhandler(QueryCanceled)
    @app.errorhandler(DBAPIError)
    def _database(error: Exception) -> Response:
        cancelled = error if isinstance(error, QueryCanceled) else getattr(error, "orig", None)
        if not isinstance(cancelled, QueryCanceled):
            return _bug(error)
        return timed_out()

    @app.errorhandler(Exception)
    def _bug(error: Exception) -> Response:
        log.exception("unhandled error")
        body = {
            "type": "about:blank",
            "title": "服务器内部错误 Internal server error",
            "status": 500,
            "detail": "an unexpected error was logged on the server",
        }
        return problem_response(body)


def timed_out() -> Response:
    """503 for a statement PostgreSQL cancelled at ``MAPSERVER_STATEMENT_TIMEOUT_MS``."""
    ms = current().settings.statement_timeout_ms
    error = QueryTimeout(
        f"a database statement ran longer than {ms} ms and was cancelled; narrow the "
        "filter (fewer vertices or spatial operators) or try again later",
        limit={"name": "statement_timeout_ms", "value": ms},
    )
    return error_response(error)


__all__ = ["problem_response", "register", "status_of"]
