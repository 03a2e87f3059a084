"""``POST /import``: read a site from a KML/KMZ, zipped Shapefile, GeoPackage, GeoJSON or
DXF file and send it back as a preview (CRS84). Nothing is saved: the editor shows it,
and the user saves it through the write API with the same checks as any other edit."""

from __future__ import annotations

from flask import Response, jsonify, request

from mapserver.errors import InvalidParameter, PayloadTooLarge, Unprocessable
from mapserver.geo.crs import CrsError
from mapserver.uploads import imports
from mapserver.uploads.files import UploadError
from mapserver.web.auth import require_actor

FORM_OVERHEAD = 64 * 1024
TOO_LARGE = {"too_large"}
UNREADABLE = {"empty", "unreadable", "layer_not_found", "too_many_features", "crs_needed"}


def preview() -> Response:
    require_actor(write=True)
    request.max_content_length = imports.MAX_BYTES + FORM_OVERHEAD
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        raise InvalidParameter("请选择文件 Choose a file (form field 'file')", parameter="file")
    crs = request.form.get("crs") or None
    layer = request.form.get("layer") or None
    as_polygons = request.form.get("as_polygons", "false").lower() in ("true", "1", "on")
    try:
        result = imports.read_upload(
            upload.filename, upload.read(), crs=crs, layer=layer, as_polygons=as_polygons
        )
    except CrsError as exc:
        raise InvalidParameter(str(exc), parameter="crs") from None
    except UploadError as exc:
        if exc.code in TOO_LARGE:
            raise PayloadTooLarge(exc.message, code=exc.code) from None
        if exc.code in UNREADABLE:
            raise Unprocessable(exc.message, code=exc.code, parameter="file") from None
        raise InvalidParameter(exc.message, code=exc.code, parameter="file") from None
    return jsonify(imports.preview_collection(result))
