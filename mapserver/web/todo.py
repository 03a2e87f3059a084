"""``GET /battle/todo?county=&month=``: a county's to-do list for a month's reporting (填报)
— per project, what is still missing. Logged in; county editors see their own county."""

from __future__ import annotations

from flask import Response, request

from mapserver.battle import todo
from mapserver.store import periods
from mapserver.web.auth import require_login
from mapserver.web.records import json_response, known_codes
from mapserver.web.state import current


def index() -> Response:
    actor = require_login(csrf=False)
    counties = list(known_codes()["county"])
    with current().engine.connect() as conn:
        today = periods.database_today(conn)
        month, county = todo.parse(request.args.to_dict(flat=False), actor, counties, today)
        body = todo.todo(conn, month, county)
    return json_response(body)
