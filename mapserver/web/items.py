"""Writing items: OGC API – Features Part 4 (create, replace, update, delete) for projects,
plus each project's history and restoring a revision. The browser editor uses these too.

Optimistic locking: GET an item for its ``ETag`` (``"v<version>"``); PUT, PATCH, DELETE and
restore need it back in ``If-Match`` (428 without, 412 when someone saved first).
"""

from __future__ import annotations

from flask import Flask, Response, current_app, json, request
from werkzeug.routing import BaseConverter

from mapserver.editing import projects as editing
from mapserver.errors import (
    InvalidParameter,
    NotFound,
    PayloadTooLarge,
    UnsupportedMediaType,
)
from mapserver.features.feed import GEOJSON
from mapserver.geo import ogc_crs
from mapserver.geo.extent import SiteExtent
from mapserver.ogc import documents as ogc
from mapserver.web.auth import require_actor
from mapserver.web.preconditions import if_match
from mapserver.web.state import current


class FeatureIdConverter(BaseConverter):
    """A feature id in one path segment, without control characters: what the GET rule's
    ``path`` converter takes, so ``items/%0D%0Ax`` is 404 for every method, not 405."""

    regex = r"[^/\x00-\x1f\x7f]+"


def init_app(app: Flask) -> None:
    """The city's extent, which every written geometry must fall in."""
    site_extent = SiteExtent.from_setting(app.extensions["mapserver"].settings.site_extent)
    app.extensions.setdefault("site_extent", site_extent)


BODY_TYPES = ("application/geo+json", "application/json", "application/merge-patch+json")


def _editor(collection_id: str, *, write: bool = True) -> editing.Editor:
    state = current()
    layer = state.layer(collection_id)
    if layer.id not in editing.EDITABLE:
        raise NotFound(f"图层 {layer.id!r} 只读 collection {layer.id!r} is read-only")
    actor = require_actor(write=write)
    s = state.settings
    extent = current_app.extensions["site_extent"]
    return editing.Editor(
        state.engine, layer, state.vocabulary, actor, s.county_tolerance_m, s.write_role, extent
    )


def _body() -> bytes:
    limit = current().settings.max_body_bytes
    if request.content_length is not None and request.content_length > limit:
        raise PayloadTooLarge(f"请求体超过 {limit} 字节 body larger than {limit} bytes")
    if request.mimetype not in BODY_TYPES:
        raise UnsupportedMediaType(
            f"Content-Type {request.mimetype or '(none)'!r} 不支持", allowed=list(BODY_TYPES)
        )
    return request.get_data(cache=False)


def _payload(ed: editing.Editor, *, complete: bool) -> editing.Payload:
    crs = request.headers.get("Content-Crs") or request.args.get("crs")
    repair = request.args.get("repair", "false").lower()
    if repair not in ("true", "false", "1", "0"):
        raise InvalidParameter("repair 应为 true 或 false", parameter="repair")
    body = _body()
    return editing.read_payload(
        ed, body, complete=complete, crs=crs, repair=repair in ("true", "1")
    )


def _saved(ed: editing.Editor, saved: editing.Saved, status: int) -> Response:
    """The item as the read side renders it, with its new ETag (and what repair changed)."""
    here = f"{request.url_root.rstrip('/')}/ogc/collections/{ed.layer.id}/items/{saved.code}"
    with current().engine.connect() as conn:
        q = ogc.item_query(ed.layer, saved.code, ogc_crs.DEFAULT)
        text = ogc.item(conn, q, here, here.rsplit("/", 2)[0])
    if saved.notes:
        doc = json.loads(text)
        doc["notes"] = list(saved.notes)
        text = json.dumps(doc, ensure_ascii=False)
    headers = {"ETag": editing.etag(saved.version), "Cache-Control": "no-cache"}
    headers["Content-Crs"] = f"<{ogc_crs.DEFAULT.uri}>"
    if status == 201:
        headers["Location"] = here
    return Response(text, status, mimetype=GEOJSON, headers=headers)


def create(collection_id: str) -> Response:
    ed = _editor(collection_id)
    return _saved(ed, editing.create(ed, _payload(ed, complete=True)), 201)


def replace(collection_id: str, feature_id: str) -> Response:
    ed = _editor(collection_id)
    payload, version = _payload(ed, complete=True), if_match()
    return _saved(ed, editing.change(ed, feature_id, payload, version, replace=True), 200)


def update(collection_id: str, feature_id: str) -> Response:
    ed = _editor(collection_id)
    payload, version = _payload(ed, complete=False), if_match()
    return _saved(ed, editing.change(ed, feature_id, payload, version, replace=False), 200)


def delete(collection_id: str, feature_id: str) -> Response:
    ed = _editor(collection_id)
    saved = editing.delete(ed, feature_id, if_match())
    return Response(status=204, headers={"ETag": editing.etag(saved.version)})


def history(collection_id: str, feature_id: str) -> Response:
    ed = _editor(collection_id, write=False)
    args = request.args.to_dict(flat=False)
    ogc.negotiate(args.pop("f", None), ogc.JSON, formats=("json",))  # JSON only
    ogc.no_other_parameters(args)
    revisions = editing.history(ed.engine, feature_id)
    body = f'{{"code":{json.dumps(feature_id)},"revisions":{revisions}}}'
    return Response(body, mimetype="application/json", headers={"Cache-Control": "no-cache"})


def restore(collection_id: str, feature_id: str, revision: int) -> Response:
    ed = _editor(collection_id)
    return _saved(ed, editing.restore(ed, feature_id, revision, if_match()), 200)
