"""OGC API – Tiles documents of a collection (tileset list, tileset metadata) and its
TileJSON 3.0, from plain arguments. A tileset asked for with filters describes the
filtered tiles: its tile URL template carries the same query string.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from mapserver.features import tiles
from mapserver.layers import Layer
from mapserver.ogc.documents import CRS84, JSON, link

MATRIX_SET_URI = f"http://www.opengis.net/def/tilematrixset/OGC/1.0/{tiles.MATRIX_SET}"
MERCATOR = "http://www.opengis.net/def/crs/EPSG/0/3857"
REL_TILING = "http://www.opengis.net/def/rel/ogc/1.0/tiling-scheme"
FORMATS = ("json", "tilejson")  # ``f`` of the tileset metadata
TEMPLATE = "{tileMatrix}/{tileRow}/{tileCol}"
FIELD_TYPES = {"int4": "Number", "int8": "Number", "float8": "Number", "bool": "Boolean"}
OWN_FIELDS = {
    "id": "要素标识 feature id (plain features)",
    "count": "本瓦片计数的要素数：聚合点为其要素数，普通要素在拥有其代表点的瓦片为 1、其余为 0",
    "cluster": "聚合点 cluster of features (true)",
}


def _query(query: str) -> str:
    return f"?{query}" if query else ""


def scheme_url(root: str) -> str:
    """Where this server serves WebMercatorQuad's definition (``root``: the ``/ogc`` URL)."""
    return f"{root}/tileMatrixSets/{tiles.MATRIX_SET}"


def tilesets(layer: Layer, here: str, query: str, root: str) -> dict[str, Any]:
    """``…/tiles``: the layer's one tileset, in WebMercatorQuad."""
    tileset = f"{here}/{tiles.MATRIX_SET}{_query(query)}"
    return {
        "links": [link(f"{here}{_query(query)}", "self", JSON, f"{layer.title}：矢量瓦片集")],
        "tilesets": [
            {
                "title": f"{layer.title}（{tiles.MATRIX_SET}）",
                "dataType": "vector",
                "crs": MERCATOR,
                "tileMatrixSetURI": MATRIX_SET_URI,
                "links": [
                    link(tileset, "self", JSON, "瓦片集元数据 Tileset metadata"),
                    link(scheme_url(root), REL_TILING, JSON, "瓦片矩阵集 Tile matrix set"),
                ],
            }
        ],
    }


def tileset(
    layer: Layer, here: str, query: str, bbox: list[float] | None, fields: Mapping[str, str],
    root: str,
) -> dict[str, Any]:  # fmt: skip
    """``…/tiles/WebMercatorQuad``: OGC tileset metadata (dataType vector, MVT tiles)."""
    q = _query(query)
    tile_url = f"{here}/{TEMPLATE}{q}"
    as_tilejson = f"{here}?{query}&f=tilejson" if query else f"{here}?f=tilejson"
    out: dict[str, Any] = {
        "title": f"{layer.title}（{tiles.MATRIX_SET}）",
        "description": layer.description,
        "dataType": "vector",
        "crs": MERCATOR,
        "tileMatrixSetURI": MATRIX_SET_URI,
        "layers": [{
            "id": layer.id, "title": layer.title, "dataType": "vector",
            "minTileMatrix": "0", "maxTileMatrix": str(layer.tiles.max_zoom),
            "propertiesSchema": {"type": "object", "properties": {
                name: {"description": text} for name, text in fields.items()}},
        }],
        "links": [
            link(f"{here}{q}", "self", JSON, "瓦片集元数据 Tileset metadata"),
            link(scheme_url(root), REL_TILING, JSON, "瓦片矩阵集 Tile matrix set"),
            {**link(tile_url, "item", tiles.MVT, "矢量瓦片 Mapbox Vector Tile"), "templated": True},
            link(as_tilejson, "alternate", JSON, "TileJSON 3.0"),
        ],
    }  # fmt: skip
    if bbox:
        out["boundingBox"] = {"lowerLeft": bbox[:2], "upperRight": bbox[2:], "crs": CRS84}
    return out


def tilejson(
    layer: Layer, here: str, query: str, bbox: list[float] | None, fields: Mapping[str, str]
) -> dict[str, Any]:
    """The same tileset as TileJSON 3.0.0 (MapLibre, QGIS, GDAL read it)."""
    out: dict[str, Any] = {
        "tilejson": "3.0.0",
        "name": layer.title,
        "description": layer.description,
        "tiles": [f"{here}/{{z}}/{{y}}/{{x}}{_query(query)}"],
        "minzoom": 0,
        "maxzoom": layer.tiles.max_zoom,
        "vector_layers": [{"id": layer.id, "description": layer.title, "minzoom": 0,
                           "maxzoom": layer.tiles.max_zoom, "fields": dict(fields)}],
    }  # fmt: skip
    if bbox:
        out["bounds"] = bbox
        out["center"] = [
            (bbox[0] + bbox[2]) / 2,
            (bbox[1] + bbox[3]) / 2,
            min(10, layer.tiles.max_zoom),
        ]
    return out


def fields(layer: Layer) -> dict[str, str]:
    """Attribute name -> description, as TileJSON's ``vector_layers[].fields`` wants."""
    out = {name: OWN_FIELDS[name] for name in ("id", "count", "cluster")}
    for name in tiles.attributes(layer):
        prop = layer.properties[name]
        kind = FIELD_TYPES.get(tiles.attribute_type(layer, name), "String")
        out[name] = f"{prop.title} ({kind}{', ' + prop.unit if prop.unit else ''})"
    return out


def matrix_set() -> dict[str, Any]:
    """WebMercatorQuad as an OGC 2D Tile Matrix Set 2.0 JSON document, served here so that
    a client on a network without internet can read what ``tileMatrixSetURI`` names."""
    matrices = []
    for z in range(25):
        cell = 2 * tiles.ORIGIN / 256 / (1 << z)
        matrices.append({
            "id": str(z), "scaleDenominator": cell / 0.00028, "cellSize": cell,
            "cornerOfOrigin": "topLeft", "pointOfOrigin": [-tiles.ORIGIN, tiles.ORIGIN],
            "tileWidth": 256, "tileHeight": 256, "matrixWidth": 1 << z, "matrixHeight": 1 << z,
        })  # fmt: skip
    return {
        "id": tiles.MATRIX_SET,
        "title": "Google Maps Compatible for the World",
        "uri": MATRIX_SET_URI,
        "crs": MERCATOR,
        "orderedAxes": ["X", "Y"],
        "wellKnownScaleSet": "http://www.opengis.net/def/wkss/OGC/1.0/GoogleMapsCompatible",
        "tileMatrices": matrices,
    }


def matrix_sets(here: str) -> dict[str, Any]:
    """``/ogc/tileMatrixSets``: the one tile matrix set served."""
    own = f"{here}/{tiles.MATRIX_SET}"
    return {
        "links": [link(here, "self", JSON, "瓦片矩阵集 Tile matrix sets")],
        "tileMatrixSets": [{"id": tiles.MATRIX_SET, "title": "Google Maps Compatible for the World",
                            "uri": MATRIX_SET_URI, "crs": MERCATOR,
                            "links": [link(own, "self", JSON, tiles.MATRIX_SET)]}],
    }  # fmt: skip
