"""``/battle/ranking``: the red/black list (红黑榜), live or as published; and the rules.

| request | answer |
|---|---|
| ``GET /battle/ranking?period=2026-04&track=county`` | computed now (period: this month if absent; track: both if absent) |
| ``…&project.status=…&project.health=…`` (here and on a published period) | kept to the counties and units of those projects |
| ``GET /battle/ranking/periods`` | the published periods, newest first |
| ``GET /battle/ranking/2026-04`` | the published, frozen lists (404 if not published) |
| ``POST /battle/ranking/2026-04/publish`` | dispatchers, administrators: 201 with the frozen lists; 409 if published |
| ``GET /battle/rules`` | the rules in force (layers/rules/battle.yaml) |
"""  # noqa: E501

from __future__ import annotations

from flask import Response, jsonify, request
from sqlalchemy import Connection

from mapserver.battle import project_scope, ranking, ranking_periods
from mapserver.errors import InvalidParameter
from mapserver.features.query import FeatureQuery
from mapserver.store import periods
from mapserver.store.writes import Writer
from mapserver.web.auth import require_actor
from mapserver.web.records import project_query
from mapserver.web.state import current
from mapserver.web.versions import snapshot


def _period(text: str) -> periods.Period:
    try:
        return periods.parse(text, ranking_periods.KINDS)
    except periods.PeriodError as exc:
        raise InvalidParameter(str(exc), parameter="period") from None


def _tracks() -> tuple[str, ...]:
    track = request.args.get("track")
    if track is None:
        return ranking.TRACKS
    if track not in ranking.TRACKS:
        raise InvalidParameter(
            f"track must be one of {', '.join(ranking.TRACKS)}", parameter="track"
        )
    return (track,)


def live() -> Response:
    for name in request.args:
        if name not in ("period", "track") and name not in project_scope.names(request.args):
            raise InvalidParameter(f"unknown parameter {name!r}", parameter=name)
    state = current()
    tracks = _tracks()
    with snapshot() as conn:
        text = request.args.get("period") or ranking_periods.this_month(conn)
        body = ranking_periods.compute_cached(conn, _period(text), state.rules.ranking, tracks)
        return _json(_scoped(conn, body, project_query(request.args.to_dict(flat=False))))


def published_periods() -> Response:
    return _json({"periods": ranking_periods.periods_published(current().engine)})


def published(period: str) -> Response:
    for name in request.args:
        if name not in project_scope.names(request.args):
            raise InvalidParameter(f"unknown parameter {name[:50]!r}", parameter=name)
    scope = project_query(request.args.to_dict(flat=False))  # checked before the lookup
    body = ranking_periods.published(current().engine, _period(period).text)
    with snapshot() as conn:
        return _json(_scoped(conn, body, scope))


def _scoped(conn: Connection, body: dict, scope: FeatureQuery | None) -> dict:
    """The lists kept to the counties and units of the ``project.*`` scope's projects."""
    if scope is None:
        return body
    track_keys = {
        track: project_scope.values(conn, scope, ranking.TRACK_PROPERTY[track])
        for track in body["tracks"]
    }
    return ranking.narrowed(body, track_keys)


def publish(period: str) -> Response:
    state = current()
    writer = Writer(state.engine, require_actor(write=True), state.settings.write_role)
    rules_doc = state.rules.as_json()["ranking"]
    body = ranking_periods.publish(writer, _period(period), state.rules.ranking, rules_doc)
    response = _json(body)
    response.status_code = 201
    response.headers["Location"] = f"{request.url_root.rstrip('/')}/battle/ranking/{body['period']}"
    return response


def rules() -> Response:
    return _json(current().rules.as_json())


def _json(body: dict) -> Response:
    response = jsonify(body)
    response.headers["Cache-Control"] = "no-cache"
    return response
