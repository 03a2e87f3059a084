"""The HTML pages and the settings the page needs."""

from __future__ import annotations

from flask import Blueprint, Response, current_app, jsonify

from mapserver.state import current

bp = Blueprint("pages", __name__)


@bp.get("/")
def battle_map() -> Response:
    return current_app.send_static_file("index.html")


@bp.get("/config")
def config() -> Response:
    s = current().settings
    return jsonify(
        {
            "tile_url": s.tile_url,
            "tile_attribution": s.tile_attribution,
            "kiosk_interval": s.kiosk_interval,
        }
    )
