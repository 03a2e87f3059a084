"""``GET /battle/reviews?county=``: the review queue (待审核), oldest first, for the
dispatchers and administrators who approve or return what counties submitted
(``PATCH /battle/investment/<id>`` or ``/battle/problems/<id>`` with ``review``)."""

from __future__ import annotations

from flask import Response, request

from mapserver.accounts.roles import ROLE_TITLES
from mapserver.battle import review_queue
from mapserver.errors import Forbidden, InvalidParameter
from mapserver.web.auth import require_login
from mapserver.web.records import json_response, known_codes
from mapserver.web.state import current


def index() -> Response:
    actor = require_login(csrf=False)
    if not actor.city_wide:
        raise Forbidden(f"{ROLE_TITLES[actor.role]}不能审核 Only the city reviews", role=actor.role)
    unknown = set(request.args) - {"county"}
    if unknown:
        name = sorted(unknown)[0]
        raise InvalidParameter(f"unknown parameter {name!r}", parameter=name, allowed=["county"])
    county = request.args.get("county")
    if county is not None and county not in known_codes()["county"]:
        raise InvalidParameter(f"county: unknown code {county[:64]!r}", parameter="county")
    with current().engine.connect() as conn:
        body = review_queue.queue(conn, county)
    return json_response(body)
