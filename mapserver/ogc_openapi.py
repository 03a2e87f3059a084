"""The OpenAPI 3.0 document of ``/ogc`` (``/ogc/api``), generated from the layer files.

Each collection gets its own paths so its filters list their codes; parts 2–4
add parameters and operations here as they land.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from mapserver.feed import GEOJSON
from mapserver.layers import Layer
from mapserver.ogc import DESCRIPTION, FORMATS, HTML, JSON, OPENAPI, SCHEMA, TITLE
from mapserver.query import temporal_column
from mapserver.vocabulary import Vocabulary

PROBLEM = "application/problem+json"
ANY_OBJECT = {"type": "object"}


def document(layers: Iterable[Layer], vocab: Vocabulary, root: str) -> dict[str, Any]:
    paths: dict[str, Any] = {
        "/": _get("landing", "着陆页 Landing page", JSON),
        "/conformance": _get("conformance", "符合性声明 Conformance", JSON),
        "/api": _get("api", "本 API 定义 This API definition", OPENAPI),
        "/collections": _get("collections", "要素集合 Collections", JSON),
    }
    for layer in layers:
        here = f"/collections/{layer.id}"
        paths[here] = _get(f"{layer.id}-collection", layer.title, JSON)
        paths[f"{here}/queryables"] = _get(f"{layer.id}-queryables", "可查询属性", SCHEMA)
        paths[f"{here}/items"] = _items(layer, vocab)
        paths[f"{here}/items/{{featureId}}"] = _item(layer)
    return {
        "openapi": "3.0.3",
        "info": {"title": TITLE, "description": DESCRIPTION, "version": "1.0.0"},
        "servers": [{"url": root}],
        "paths": paths,
        "components": {"parameters": {"f": _f()}},
    }


def _f() -> dict[str, Any]:
    return {
        "name": "f",
        "in": "query",
        "required": False,
        "description": "输出格式 Output format",
        "schema": {"type": "string", "enum": list(FORMATS)},
    }


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


def _items(layer: Layer, vocab: Vocabulary) -> dict[str, Any]:
    params = [
        _query("bbox", "minlon,minlat,maxlon,maxlat (CRS84)",
               {"type": "array", "minItems": 4, "maxItems": 4, "items": {"type": "number"}},
               style="form", explode=False),
        _query("limit", f"每页要素数，默认 {layer.default_limit}，超过 {layer.max_limit} 按最大值",
               {"type": "integer", "minimum": 1, "default": layer.default_limit}),
        _query("offset", "跳过的要素数", {"type": "integer", "minimum": 0, "default": 0}),
    ]  # fmt: skip
    if temporal_column(layer):
        params.append(_query("datetime", "更新时间 (RFC 3339 instant or interval)",
                             {"type": "string"}))  # fmt: skip
    for name in layer.filters:
        prop = layer.properties[name]
        codes = {"type": "string", "enum": list(vocab.labels(prop))}
        params.append(_query(name, prop.title, {"type": "array", "items": codes},
                             style="form", explode=False))  # fmt: skip
    return _get(f"{layer.id}-items", f"{layer.title}：要素", GEOJSON, params)


def _item(layer: Layer) -> dict[str, Any]:
    fid = {"name": "featureId", "in": "path", "required": True, "schema": {"type": "string"}}
    return _get(f"{layer.id}-item", f"{layer.title}：单个要素", GEOJSON, [fid])
