"""The JSON API of a battle-map record type, one set of views per noun under ``/battle/``.

| request | answer |
|---|---|
| ``GET /battle/<noun>?project=&county=&working_group=&status=&period=&overdue=&sort=`` | list |
| ``… &project.status=&project.health=…`` (the projects layer's filters) | of those projects |
| ``GET /battle/<noun>/<id>`` | one record, ``ETag: "v<version>"`` |
| ``POST /battle/<noun>`` JSON object | 201, ``Location``, ``ETag`` |
| ``PATCH /battle/<noun>/<id>`` JSON object + ``If-Match`` | 200, new ``ETag`` |
| ``GET /battle/<noun>/<id>/history`` (logged in) | revisions, newest first |

Writes need ``require_actor(write=True)``: a bearer token, or the session cookie with
``X-CSRFToken``. Who may write what is checked by ``records`` and again by the database.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from typing import NamedTuple

from flask import Response, jsonify, request

from mapserver.battle import project_scope, record_lists, records
from mapserver.battle.records import Kind
from mapserver.features.feed import data_version
from mapserver.features.query import FeatureQuery
from mapserver.store.writes import Writer
from mapserver.web.auth import require_actor, require_login
from mapserver.web.json_api import json_object
from mapserver.web.preconditions import if_match
from mapserver.web.state import current
from mapserver.web.versions import snapshot


class Views(NamedTuple):
    """The five views of ``/battle/<noun>`` (routed in :mod:`mapserver.web.routes`)."""

    index: Callable[[], Response]
    one: Callable[[int], Response]
    create: Callable[[], Response]
    update: Callable[[int], Response]
    history: Callable[[int], Response]


def views(kind: Kind) -> Views:
    """The views of one record type, each closing over its ``kind``."""

    def index() -> Response:
        args = request.args.to_dict(flat=False)
        q = record_lists.parse(kind, args, known_codes(), project_query(args))
        with snapshot() as conn:
            version = data_version(conn)
            body = record_lists.listing(conn, q)
        return json_response(body, {"X-Data-Version": str(version)})

    def one(record_id: int) -> Response:
        return _record(kind, record_id, 200)

    def create() -> Response:
        saved = records.create(_writer(), kind, json_object())
        return _record(kind, saved.id, 201, f"{request.base_url.rstrip('/')}/{saved.id}")

    def update(record_id: int) -> Response:
        writer, body, version = _writer(), json_object(), if_match()
        saved = records.update(writer, kind, record_id, body, version)
        return _record(kind, saved.id, 200)

    def history(record_id: int) -> Response:
        require_login(csrf=False)
        with current().engine.connect() as conn:
            revisions = record_lists.history(conn, kind, record_id)
        return json_response({"id": record_id, "revisions": revisions})

    return Views(index, one, create, update, history)


def known_codes() -> Mapping[str, Collection[str]]:
    """The county and working-group codes the projects layer knows."""
    state = current()
    props = state.layer("projects").properties
    return {n: state.vocabulary.labels(props[n]) for n in ("county", "working_group")}


def project_query(args: Mapping[str, list[str]]) -> FeatureQuery | None:
    """The ``project.<filter>`` parameters: the projects a list is narrowed to."""
    state = current()
    return project_scope.parse(state.layer("projects"), args, state.vocabulary)


def _writer() -> Writer:
    state = current()
    return Writer(state.engine, require_actor(write=True), state.settings.write_role)


def _record(kind: Kind, record_id: int, status: int, location: str | None = None) -> Response:
    with current().engine.connect() as conn:
        body = record_lists.one(conn, kind, record_id)
    headers = {"ETag": records.etag(body["version"])}
    if location:
        headers["Location"] = location
    return json_response(body, headers, status)


def json_response(body: object, headers: dict | None = None, status: int = 200) -> Response:
    """JSON that is checked again on every use (``no-cache``): records change all day."""
    response = jsonify(body)
    response.status_code = status
    response.headers["Cache-Control"] = "no-cache"
    response.headers.update(headers or {})
    return response
