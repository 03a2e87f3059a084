"""The HTML pages: the battle map."""

from __future__ import annotations

from flask import Blueprint, Response, current_app

bp = Blueprint("pages", __name__)


@bp.get("/")
def battle_map() -> Response:
    return current_app.send_static_file("index.html")
