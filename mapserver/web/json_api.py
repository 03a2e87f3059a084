"""The JSON API's conventions for request and answer bodies.

A write endpoint takes one JSON object (415 when the body is not JSON, 400 when it is
not an object), and an answer that carries a secret shown once is a 201 never cached.
"""

from __future__ import annotations

from typing import Any

from flask import Response, jsonify, request

from mapserver.errors import InvalidParameter, UnsupportedMediaType


def created(body: dict[str, Any]) -> Response:
    """201 with a body that holds a secret shown once: never cached."""
    response = jsonify(body)
    response.status_code = 201
    response.headers["Cache-Control"] = "no-store"
    return response


def json_object() -> dict[str, Any]:
    """The request's JSON object body (415 if not JSON, 400 if not an object)."""
    if not request.is_json:
        raise UnsupportedMediaType("send a JSON object (Content-Type: application/json)")
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise InvalidParameter("the body must be a JSON object", parameter="body")
    return body
