"""``/ogc/tileMatrixSets``: the tile matrix set the vector tiles use (WebMercatorQuad),
served locally so that clients without internet access can resolve it (docs/tiles.md)."""

from __future__ import annotations

from flask import Response, json, request

from mapserver.errors import InvalidParameter
from mapserver.features import tiles, tilesets
from mapserver.ogc.documents import no_other_parameters


def _json(body: dict) -> Response:
    args = request.args.to_dict(flat=False)
    if args.pop("f", ["json"]) != ["json"]:
        raise InvalidParameter("f: only json is offered here", parameter="f", allowed=["json"])
    no_other_parameters(args)
    return Response(json.dumps(body, ensure_ascii=False), content_type="application/json")


def matrix_sets() -> Response:
    return _json(tilesets.matrix_sets(request.base_url))


def matrix_set(tms: str) -> Response:
    tiles.check_matrix_set(tms)
    return _json(tilesets.matrix_set())
