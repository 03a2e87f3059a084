"""Every error leaves as ``application/problem+json``."""

from __future__ import annotations

import logging

from flask import Flask, Response, json
from werkzeug.exceptions import HTTPException

from mapserver.errors import ProblemError, problem, status_of

PROBLEM = "application/problem+json"
log = logging.getLogger(__name__)


def problem_response(body: dict) -> Response:
    return Response(json.dumps(body, ensure_ascii=False), body["status"], mimetype=PROBLEM)


def register(app: Flask) -> None:
    @app.errorhandler(ProblemError)
    def _problem(error: ProblemError) -> Response:
        return problem_response(problem(error))

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


__all__ = ["problem_response", "register", "status_of"]
