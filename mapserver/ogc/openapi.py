"""The OpenAPI 3.0 document of ``/ogc`` (``/ogc/api``), generated from the layer files.

Each collection gets its own paths so its filters list their codes and its
``sortby``/``properties`` their names; Part 2 adds ``crs``/``bbox-crs``, Part 3
``filter``/``filter-lang``/``filter-crs``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from mapserver.cql import syntax as cql
from mapserver.editing.projects import EDITABLE
from mapserver.features.feed import GEOJSON
from mapserver.features.query import (
    DATETIME,
    FEATURE_ID,
    SEARCH,
    SEARCH_MAX,
    temporal_column,
)
from mapserver.features.tiles import MATRIX_SET, MVT
from mapserver.features.tilesets import FORMATS as TILESET_FORMATS
from mapserver.geo import ogc_crs
from mapserver.layers import Layer
from mapserver.ogc import downloads
from mapserver.ogc.documents import (
    DESCRIPTION,
    FORMATS,
    HTML,
    ITEMS_FORMATS,
    JSON,
    OPENAPI,
    SCHEMA,
    TITLE,
)
from mapserver.vocabulary import Vocabulary

PROBLEM = "application/problem+json"
WHOLE = 999_999_999_999  # the largest limit or offset read (12 digits)
ANY_OBJECT = {"type": "object"}


def document(layers: Iterable[Layer], vocab: Vocabulary, root: str) -> dict[str, Any]:
    paths: dict[str, Any] = {
        "/": _get("landing", "着陆页 Landing page", JSON),
        "/conformance": _get("conformance", "符合性声明 Conformance", JSON),
        "/api": _get("api", "本 API 定义 This API definition", OPENAPI),
        "/collections": _get("collections", "要素集合 Collections", JSON),
        "/tileMatrixSets": _tiles_get(
            "tileMatrixSets", "瓦片矩阵集 Tile matrix sets", ("json",), JSON_OK, []
        ),
        "/tileMatrixSets/{tileMatrixSetId}": _tiles_get(
            "tileMatrixSet", "瓦片矩阵集定义 (OGC 2D TMS 2.0 JSON)", ("json",), JSON_OK, [TMS]
        ),
    }
    for layer in layers:
        here = f"/collections/{layer.id}"
        paths[here] = _get(f"{layer.id}-collection", layer.title, JSON)
        paths[f"{here}/queryables"] = _get(f"{layer.id}-queryables", "可查询属性", SCHEMA)
        paths[f"{here}/items"] = _items(layer, vocab)
        paths[f"{here}/items/{{featureId}}"] = _item(layer)
        _add_tiles(paths, here, layer, vocab)
        if layer.id in EDITABLE:
            _add_writes(paths, here, layer)
    return {
        "openapi": "3.0.3",
        "info": {"title": TITLE, "description": DESCRIPTION, "version": "1.0.0"},
        "servers": [{"url": root}],
        "paths": paths,
        "components": {
            "parameters": {
                "f": _f(),
                "f-items": _f(ITEMS_FORMATS, ITEMS_F),
                "crs": _crs("crs", "输出坐标参考系 Output CRS"),
            },
            "securitySchemes": SECURITY_SCHEMES,
        },
    }


def _f(formats: tuple[str, ...] = FORMATS, description: str = "输出格式 Output format") -> dict:
    return {
        "name": "f",
        "in": "query",
        "required": False,
        "description": description,
        "schema": {"type": "string", "enum": list(formats)},
    }


ITEMS_F = (
    "输出格式 Output format: json (GeoJSON, paged), html, or a file of every matching feature "
    "(no paging; limit/offset only if given): csv (UTF-8 with BOM, WKT in crs, 经度/纬度 WGS84), "
    "gpkg (GeoPackage in crs), kml (WGS84 only)"
)
FILES = {d.media: {"schema": {"type": "string", "format": "binary"}}
         for d in downloads.FORMATS.values()}  # fmt: skip


def _responses(media: str, not_found: bool = False) -> dict[str, Any]:
    problem = {"content": {PROBLEM: {"schema": ANY_OBJECT}}}
    out = {
        "200": {
            "description": "OK (HTML with f=html or Accept: text/html)",
            "content": {media: {"schema": ANY_OBJECT}, HTML: {"schema": {"type": "string"}}},
        },
        "400": {"description": "参数无效 Invalid parameter", **problem},
        "406": {"description": "格式不支持 Not acceptable", **problem},
    }
    if media == GEOJSON:
        crs = {"description": "坐标参考系 CRS of the geometry: <uri>", "schema": {"type": "string"}}
        out["200"]["headers"] = {"Content-Crs": crs}
    if not_found:
        out["404"] = {"description": "未找到 Not found", **problem}
    return out


def _get(op: str, summary: str, media: str, params: list | None = None) -> dict[str, Any]:
    return {
        "get": {
            "operationId": op,
            "summary": summary,
            "parameters": [{"$ref": "#/components/parameters/f"}, *(params or [])],
            "responses": _responses(media, not_found=params is not None),
        }
    }


def _query(name: str, description: str, schema: dict, **extra: Any) -> dict[str, Any]:
    return {"name": name, "in": "query", "required": False, "description": description,
            "schema": schema, **extra}  # fmt: skip


def _crs(name: str, description: str) -> dict[str, Any]:
    schema = {
        "type": "string",
        "format": "uri",
        "enum": ogc_crs.URIS,
        "default": ogc_crs.DEFAULT.uri,
    }
    return _query(name, description, schema)


def _names(names: list[str]) -> dict[str, Any]:
    return {"type": "array", "items": {"type": "string", "enum": names}}


# ``q`` as the server takes it: something besides spaces, no control characters.
SEARCH_PATTERN = (r"^[^\u0000-\u001f\u007f-\u009f]*[^\s\u0000-\u001f\u007f-\u009f]"
                  r"[^\u0000-\u001f\u007f-\u009f]*$")  # fmt: skip


def _items(layer: Layer, vocab: Vocabulary) -> dict[str, Any]:
    params = [
        _query("bbox", "minx,miny,maxx,maxy in bbox-crs, its axis order (default CRS84 lon/lat)",
               {"type": "array", "minItems": 4, "maxItems": 4, "items": {"type": "number"}},
               style="form", explode=False),
        _crs("bbox-crs", "bbox 的坐标参考系 CRS of bbox"),
        _query("limit", f"每页要素数，默认 {layer.default_limit}，超过 {layer.max_limit} 按最大值"
               "（文件下载：默认全部，最多为最大值的 10 倍）",
               {"type": "integer", "minimum": 1, "maximum": WHOLE, "default": layer.default_limit}),
        _query("offset", "跳过的要素数",
               {"type": "integer", "minimum": 0, "maximum": WHOLE, "default": 0}),
    ]  # fmt: skip
    if temporal_column(layer):
        params.append(_query("datetime", "更新时间 (RFC 3339 instant or interval)",
                             {"type": "string", "pattern": DATETIME}))  # fmt: skip
    names = list(layer.properties)
    signed = [f"{sign}{n}" for n in [FEATURE_ID, *names] for sign in ("", "+", "-")]
    params += [
        {"$ref": "#/components/parameters/crs"},
        *_filter_params(),
        _query("sortby", "排序 sort keys: name (+ ascending) or -name",
               {**_names(signed), "minItems": 1}, style="form", explode=False),
        _query("properties", "只返回这些属性 only these properties", _names(names),
               style="form", explode=False),
        _query(SEARCH, "搜索 search: the id or one of "
               f"{', '.join(layer.search) or '(no other property)'} contains this text "
               "(case-insensitive; %, _ and \\ literal)",
               {"type": "string", "maxLength": SEARCH_MAX, "pattern": SEARCH_PATTERN}),
        *_code_params(layer, vocab),
    ]  # fmt: skip
    out = _get(f"{layer.id}-items", f"{layer.title}：要素", GEOJSON, params)
    out["get"]["parameters"][0] = {"$ref": "#/components/parameters/f-items"}
    out["get"]["responses"]["200"]["content"].update(FILES)
    return out


def _filter_params() -> list[dict[str, Any]]:
    return [
        _query("filter", "CQL2 过滤条件 filter (queryables: see …/queryables)",
               {"type": "string", "maxLength": cql.MAX_BYTES}),
        _query("filter-lang", "过滤语言 filter language",
               {"type": "string", "enum": list(cql.LANGS), "default": cql.LANGS[0]}),
        _crs("filter-crs", "过滤条件中几何的坐标参考系 CRS of geometries in filter"),
    ]  # fmt: skip


def _code_params(layer: Layer, vocab: Vocabulary) -> list[dict[str, Any]]:
    """The layer's code filters (``status=a,b``), each listing its codes."""
    out = []
    for name in layer.filters:
        prop = layer.properties[name]
        codes = {"type": "string", "enum": list(vocab.labels(prop))}
        out.append(_query(name, prop.title, {"type": "array", "items": codes, "minItems": 1},
                          style="form", explode=False))  # fmt: skip
    return out


def _item(layer: Layer) -> dict[str, Any]:
    fid = {"name": "featureId", "in": "path", "required": True, "schema": {"type": "string"}}
    crs = {"$ref": "#/components/parameters/crs"}
    return _get(f"{layer.id}-item", f"{layer.title}：单个要素", GEOJSON, [fid, crs])


# -- Part 4: create, replace, update, delete (docs/editing.md) ------------------------------

SECURITY_SCHEMES = {
    "bearer": {"type": "http", "scheme": "bearer", "description": "API token (gams_…)"},
    "session": {
        "type": "apiKey",
        "in": "cookie",
        "name": "session",
        "description": "login session (/login); writes also need the X-CSRFToken header",
    },
}
SECURED = [{"bearer": []}, {"session": []}]
WRITE_ERRORS = {
    "400": "请求有误 Bad request (e.g. JSON with NaN)",
    "401": "未登录 Not authenticated",
    "403": "无权操作 Forbidden (role or county rule)",
    "404": "未找到 Not found",
    "413": "请求体过大 Payload too large",
    "415": "内容类型不支持 Unsupported media type",
    "422": "几何或属性无效 Invalid geometry or property (with location)",
}
LOCKING_ERRORS = {
    "412": "版本已变化 Stale If-Match",
    "428": "缺少 If-Match",
}


def _header(name: str, description: str, required: bool = False) -> dict[str, Any]:
    return {"name": name, "in": "header", "required": required,
            "description": description, "schema": {"type": "string"}}  # fmt: skip


def _write(op: str, summary: str, ok: str, *, locked: bool, body: bool = True) -> dict[str, Any]:
    problem = {"content": {PROBLEM: {"schema": ANY_OBJECT}}}
    errors = {**WRITE_ERRORS, **(LOCKING_ERRORS if locked else {})}
    responses = {code: {"description": text, **problem} for code, text in errors.items()}
    etag = {"ETag": {"description": '新版本 "v<version>"', "schema": {"type": "string"}}}
    responses[ok] = {"description": "OK", "headers": etag}
    if ok in ("200", "201"):
        responses[ok]["content"] = {GEOJSON: {"schema": ANY_OBJECT}}
    params = [_header("If-Match", '"v<version>" from GET (or *)', required=True)] if locked else []
    if body:
        params += [
            _header("Content-Crs", "输入坐标参考系 input CRS, e.g. <EPSG:4524>, gcj02"),
            _query("repair", "用 make_valid 修复无效几何", {"type": "boolean", "default": False}),
        ]
    out: dict[str, Any] = {"operationId": op, "summary": summary, "parameters": params,
                           "responses": responses, "security": SECURED}  # fmt: skip
    if body:
        media = {m: {"schema": ANY_OBJECT} for m in (GEOJSON, JSON)}
        out["requestBody"] = {"required": True, "content": media}
    return out


def _add_writes(paths: dict[str, Any], here: str, layer: Layer) -> None:
    fid = {"name": "featureId", "in": "path", "required": True, "schema": {"type": "string"}}
    paths[f"{here}/items"]["post"] = _write(
        f"{layer.id}-create", "新建要素 Create", "201", locked=False
    )
    item = paths[f"{here}/items/{{featureId}}"]
    for method, summary, ok in (("put", "替换 Replace", "200"), ("patch", "修改 Update", "200")):
        item[method] = _write(f"{layer.id}-{method}", summary, ok, locked=True)
        item[method]["parameters"].insert(0, fid)
    item["delete"] = _write(
        f"{layer.id}-delete", "删除（可恢复） Delete", "204", locked=True, body=False
    )
    item["delete"]["parameters"].insert(0, fid)
    history = _get(f"{layer.id}-history", "修订历史 History", JSON, [fid])
    history["get"]["security"] = SECURED
    history["get"]["parameters"][0] = _f(("json",), "输出格式 Output format (JSON only)")
    del history["get"]["responses"]["200"]["content"][HTML]
    history["get"]["responses"]["401"] = {
        "description": WRITE_ERRORS["401"],
        "content": {PROBLEM: {"schema": ANY_OBJECT}},
    }
    paths[f"{here}/items/{{featureId}}/history"] = history
    rev = {"name": "revision", "in": "path", "required": True, "schema": {"type": "integer"}}
    restore = _write(f"{layer.id}-restore", "恢复到此修订 Restore", "200", locked=True, body=False)
    restore["parameters"][:0] = [fid, rev]
    paths[f"{here}/items/{{featureId}}/history/{{revision}}/restore"] = {"post": restore}


# -- OGC API – Tiles (docs/tiles.md) ----------------------------------------------------------


JSON_OK = {"200": {"description": "OK", "content": {JSON: {"schema": ANY_OBJECT}}}}


def _path(name: str, schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"name": name, "in": "path", "required": True, "description": description,
            "schema": schema}  # fmt: skip


def _tiles_get(op: str, summary: str, formats: tuple[str, ...], ok: dict, params: list) -> dict:
    problem = {"content": {PROBLEM: {"schema": ANY_OBJECT}}}
    responses = {
        **ok,
        "400": {"description": "参数无效 Invalid parameter", **problem},
        "404": {"description": "未找到 Not found (or outside the tile matrix)", **problem},
    }
    f = _f(formats, "输出格式 Output format")
    return {"get": {"operationId": op, "summary": summary, "parameters": [f, *params],
                    "responses": responses}}  # fmt: skip


TMS = _path("tileMatrixSetId", {"type": "string", "enum": [MATRIX_SET]}, "瓦片矩阵集")


def _add_tiles(paths: dict[str, Any], here: str, layer: Layer, vocab: Vocabulary) -> None:
    """``…/tiles`` (list), ``…/tiles/{tileMatrixSetId}`` (metadata or TileJSON) and the tiles,
    each taking the feed's filters."""
    filters = [*_filter_params(), *_code_params(layer, vocab)]
    top = layer.tiles.max_zoom
    place = [
        _path("tileMatrix", {"type": "integer", "minimum": 0, "maximum": top}, "缩放级别 zoom"),
        _path("tileRow", {"type": "integer", "minimum": 0, "maximum": (1 << top) - 1}, "行 y"),
        _path("tileCol", {"type": "integer", "minimum": 0, "maximum": (1 << top) - 1}, "列 x"),
    ]
    tile_ok = {
        "200": {"description": "矢量瓦片 Mapbox Vector Tile (ETag; 304 to If-None-Match)",
                "content": {MVT: {"schema": {"type": "string", "format": "binary"}}}},
        "204": {"description": "空瓦片 Empty tile: nothing to draw here"},
        "304": {"description": "未变化 Not modified (If-None-Match)"},
    }  # fmt: skip
    paths[f"{here}/tiles"] = _tiles_get(
        f"{layer.id}-tilesets", f"{layer.title}：矢量瓦片集", ("json",), JSON_OK, filters
    )
    paths[f"{here}/tiles/{{tileMatrixSetId}}"] = _tiles_get(
        f"{layer.id}-tileset", "瓦片集元数据 (OGC) 或 TileJSON 3.0 (f=tilejson)",
        TILESET_FORMATS, JSON_OK, [TMS, *filters],
    )  # fmt: skip
    paths[f"{here}/tiles/{{tileMatrixSetId}}/{{tileMatrix}}/{{tileRow}}/{{tileCol}}"] = _tiles_get(
        f"{layer.id}-tile", f"{layer.title}：矢量瓦片", ("mvt",), tile_ok, [TMS, *place, *filters]
    )
