"""The editor page (``/edit``): county staff draw and edit their projects' sites.

The page is static (static/edit.html and its ES modules); like the battle map it gets
the layer catalog and settings inline, plus the editable fields as attributes.py
defines them, so the form always offers exactly what the write API accepts. Without a login the
request is sent to ``/login?next=/edit``; the page itself checks ``/auth/me`` too (a
session can end while it is open, or the page come from the cache).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Response, current_app, redirect, request

from mapserver import attributes, catalog, startpage
from mapserver.accounts import ROLE_TITLES
from mapserver.blueprints.auth import current_actor
from mapserver.blueprints.pages import page_config
from mapserver.layers import Layer
from mapserver.state import current
from mapserver.vocabulary import Vocabulary

EDITED_LAYER = "projects"
LOGIN = "/login?next=/edit"


def describe_fields(layer: Layer, vocab: Vocabulary) -> list[dict[str, Any]]:
    """The editable fields in form order: kind, required, length, unit and coded values."""
    out = []
    for field in attributes.FIELDS.values():
        prop = layer.properties[field.name]
        entry: dict[str, Any] = {
            "name": field.name,
            "title": prop.title,
            "kind": field.kind,
            "required": field.required,
        }
        if field.kind == "text":
            entry["max_length"] = field.max_length
        if prop.unit:
            entry["unit"] = prop.unit
        if field.kind == "code":
            entry["values"] = [{"code": k, "label": v} for k, v in vocab.labels(prop).items()]
        out.append(entry)
    return out


def edit_page() -> Response:
    if current_actor() is None:
        return redirect(LOGIN, 303)
    state = current()
    base = request.url_root.rstrip("/")
    layers = [catalog.describe(layer, state.vocabulary, base) for layer in state.layers.values()]
    fields = describe_fields(state.layer(EDITED_LAYER), state.vocabulary)
    html = Path(current_app.static_folder, "edit.html").read_text(encoding="utf-8")
    limits = {layer["id"]: layer["limit"]["max"] for layer in layers}
    preload = [f"/layers/{name}.geojson?limit={limits[name]}" for name in ("counties", "projects")]
    boot = {"layers": layers, "config": page_config(), "fields": fields, "roles": ROLE_TITLES}
    page = startpage.render(html, boot, preload)
    return Response(page, mimetype="text/html", headers={"Cache-Control": "no-cache"})
