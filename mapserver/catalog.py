"""Describing layers to clients: titles, filters with their labels, style, links."""

from __future__ import annotations

from typing import Any

from mapserver.feed import GEOJSON
from mapserver.layers import Layer
from mapserver.vocabulary import Vocabulary


def describe(layer: Layer, vocab: Vocabulary, base: str) -> dict[str, Any]:
    """The JSON description of one layer, as ``/layers`` lists it."""
    return {
        "id": layer.id,
        "title": layer.title,
        "description": layer.description,
        "properties": [_property(p) for p in layer.properties.values()],
        "filters": [
            {
                "name": name,
                "title": layer.properties[name].title,
                "values": _values(layer, name, vocab),
            }
            for name in layer.filters
        ],
        "limit": {"default": layer.default_limit, "max": layer.max_limit},
        "style": dict(layer.style),
        "legend_title": layer.legend_title,
        "popup": list(layer.popup),
        "map_properties": None if layer.map_properties is None else list(layer.map_properties),
        "tiles": {
            "url": f"{base}/ogc/collections/{layer.id}/tiles/WebMercatorQuad/{{z}}/{{y}}/{{x}}",
            "max_zoom": layer.tiles.max_zoom,
            "screen_threshold": layer.tiles.screen_threshold,
        },
        "links": [
            {
                "rel": "self",
                "type": "application/json",
                "href": f"{base}/layers/{layer.id}",
            },
            {
                "rel": "items",
                "type": GEOJSON,
                "href": f"{base}/layers/{layer.id}.geojson",
            },
        ],
    }


def _values(layer: Layer, name: str, vocab: Vocabulary) -> list[dict[str, str]]:
    return [{"code": k, "label": v} for k, v in vocab.labels(layer.properties[name]).items()]


def _property(prop: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"name": prop.name, "title": prop.title}
    if prop.unit:
        out["unit"] = prop.unit
    if prop.coded:
        out["label_property"] = f"{prop.name}_label"
    return out
