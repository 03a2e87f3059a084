"""Every error leaves as ``application/problem+json``."""

from __future__ import annotations

import logging

import psycopg
from flask import Flask, Response, json
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.exceptions import HTTPException

from mapserver.errors import (
    DatabaseUnavailable,
    ProblemError,
    QueryTimeout,
    database_problem,
    problem,
    status_of,
)
from mapserver.ops import metrics
from mapserver.web.state import current

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

    @app.errorhandler(psycopg.Error)
    @app.errorhandler(SQLAlchemyError)
    def _database(error: Exception) -> Response:
        found = database_problem(error, current().settings.statement_timeout_ms)
        if found is None:
            return _bug(error)
        if isinstance(found, QueryTimeout):
            metrics.STATEMENT_TIMEOUTS.inc()
        elif isinstance(found, DatabaseUnavailable):
            metrics.DATABASE_UNAVAILABLE.inc()
            cause = getattr(error, "orig", None) or error
            log.warning("database unavailable: %s", str(cause).splitlines()[0][:200])
        return error_response(found)

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
    metrics.STATEMENT_TIMEOUTS.inc()
    cancelled = psycopg.errors.QueryCanceled()
    error = database_problem(cancelled, current().settings.statement_timeout_ms)
    assert error is not None
    return error_response(error)


__all__ = ["problem_response", "register", "status_of"]
