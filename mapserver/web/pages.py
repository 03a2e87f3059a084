"""The HTML pages and the settings the page needs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Response, current_app, jsonify, redirect, request

from mapserver.basemap import sources as basemap
from mapserver.errors import Unauthorized
from mapserver.features import catalog, feed
from mapserver.web import reading, screens, startpage
from mapserver.web.auth import current_actor
from mapserver.web.basemap import configured as basemap_files
from mapserver.web.state import current


def page_config() -> dict[str, Any]:
    """The settings a page needs (/config; also inline in the battle map and the editor)."""
    s = current().settings
    return {
        "tile_url": s.tile_url,
        "tile_attribution": s.tile_attribution,
        "basemaps": basemap.page_choices(
            basemap_files(),
            s.tianditu_key,
            s.tile_url,
            s.tile_attribution,
        ),
        "kiosk_interval": s.kiosk_interval,
    }


OPTIONAL_APIS = {"photos": "/battle/photos", "changes": "/changes"}


def offered_apis() -> list[str]:
    """The optional APIs this server has (site photos, 本期变化) and the reader may read,
    and ``records`` when the reader may read the battle records: the page asks for no
    other, so a server without them costs no failed request (and no console error)."""
    if not reading.may_read_records():
        return []
    rules = {rule.rule for rule in current_app.url_map.iter_rules()}
    return ["records", *(name for name, path in OPTIONAL_APIS.items() if path in rules)]


def page_user() -> dict[str, Any] | None:
    """Who is looking (the session's user), for links only they may follow (填报); None
    for anyone else. The page asks nothing itself: an anonymous /auth/me is a 401."""
    try:
        actor = current_actor()
    except Unauthorized:
        return None
    if actor is None:
        return None
    return {"role": actor.role, "county": actor.county, "can_edit": actor.can_edit}


def few_projects() -> bool:
    """Whether the projects are few enough for GeoJSON mode whatever the filter (the
    planner's estimate, read once a minute): only then are the battle lists' first requests
    known before the page runs. In tile mode the page asks the server for the first rows
    instead (docs/tiles.md), and a preload of every open record would be wasted; nor does
    the page start the feed before /stats has said which mode (boot's ``many_projects``)."""
    layer = current().layer("projects")
    with current().engine.connect() as conn:
        return feed.cheap_count(conn, layer.table, layer.tiles.screen_threshold)


def battle_map() -> Response:
    if "screen" in request.args:
        return screens.exchange(request.args["screen"])
    if reading.screen_revoked():
        return redirect(screens.REVOKED_PATH, 303)
    if "projects" not in {layer.id for layer in reading.readable_layers()}:
        return redirect("/login?next=/", 303)  # a server whose map is internal
    vocabulary, base = current().vocabulary, request.url_root.rstrip("/")
    layers = [catalog.describe(layer, vocabulary, base) for layer in reading.readable_layers()]
    apis, few = offered_apis(), few_projects()
    html = Path(current_app.static_folder, "index.html").read_text(encoding="utf-8")
    boot = {"layers": layers, "config": page_config(), "user": page_user(), "apis": apis}
    page = startpage.render(
        html,
        {**boot, "many_projects": not few},
        startpage.first_requests(
            layers, request.args.to_dict(flat=False), "records" in apis and few, many=not few
        ),
    )
    headers = {"Cache-Control": "no-cache", "Vary": "Cookie"}
    response = Response(page, mimetype="text/html", headers=headers)
    token = reading.screen_token()
    return screens.keep(response, token) if reading.current_reader().via == "screen" else response


def config() -> Response:
    return jsonify(page_config())
