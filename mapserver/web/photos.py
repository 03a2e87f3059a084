"""``/battle/photos``: site photos (现场照片), see docs/photos.md.

| request | answer |
|---|---|
| ``POST /battle/photos`` multipart: file, project, report?, caption? | 201, the photo |
| ``GET /battle/photos?project=&county=&limit=&offset=`` | list, newest first |
| ``GET /battle/photos/<id>`` | the photo's metadata |
| ``GET /battle/photos/<id>/original`` and ``/thumbnail`` | the image |
| ``DELETE /battle/photos/<id>`` | 204 (soft delete) |

Writes need ``require_actor(write=True)``; who may write what is checked by ``photos``
and again by the database.
"""

from __future__ import annotations

from collections.abc import Collection
from pathlib import Path

from flask import Response, request, send_file, url_for

from mapserver.battle import photos
from mapserver.errors import InvalidParameter, NotFound, PayloadTooLarge
from mapserver.store.writes import Writer
from mapserver.web.auth import require_actor
from mapserver.web.records import json_response, known_codes
from mapserver.web.state import current

FORM_OVERHEAD = 64 * 1024  # the other form fields and the multipart framing
PARAMETERS = ("project", "county", "limit", "offset")
MAX_LIMIT = 1000
YEAR = 365 * 24 * 3600


def index() -> Response:
    query = _query()
    with current().engine.connect() as conn:
        body = photos.listing(conn, query, _base())
    return json_response(body)


def one(photo_id: int) -> Response:
    with current().engine.connect() as conn:
        body = photos.one(conn, photo_id, _base())
    return json_response(body)


def create() -> Response:
    state = current()
    limit = state.settings.photo_max_bytes
    request.max_content_length = limit + FORM_OVERHEAD  # the body limit, for this route
    actor = require_actor(write=True)
    if (request.content_length or 0) > limit + FORM_OVERHEAD:
        raise PayloadTooLarge(
            f"照片超过 {limit} 字节 The photo is larger than {limit} bytes", parameter="file"
        )
    upload = _upload(limit)
    writer = Writer(state.engine, actor, state.settings.write_role)
    store = photos.MediaStore(state.settings.media_dir)
    photo_id = photos.create(writer, store, upload, limit, state.settings.photo_site_m)
    with state.engine.connect() as conn:
        body = photos.one(conn, photo_id, _base())
    return json_response(body, {"Location": url_for("photos.one", photo_id=photo_id)}, 201)


def _upload(limit: int) -> photos.Upload:
    file = request.files.get("file")
    if file is None:
        raise InvalidParameter("请选择照片 Choose a photo (form field 'file')", parameter="file")
    data = file.stream.read(limit + 1)
    report = request.form.get("report") or None
    if report is not None and not (report.isascii() and report.isdigit() and len(report) < 19):
        raise photos.field_error("report", "应为填报编号 must be an investment report id")
    return photos.Upload(
        project=(request.form.get("project") or "").strip(),
        data=data,
        report=int(report) if report else None,
        caption=request.form.get("caption"),
        original_name=file.filename,
    )


def delete(photo_id: int) -> Response:
    state = current()
    writer = Writer(state.engine, require_actor(write=True), state.settings.write_role)
    photos.delete(writer, photo_id)
    return Response(status=204)


def original(photo_id: int) -> Response:
    with current().engine.connect() as conn:
        sha, media_type = photos.stored(conn, photo_id)
    path = photos.MediaStore(current().settings.media_dir).original(sha, media_type)
    return _file(path, media_type, sha)


def thumbnail(photo_id: int) -> Response:
    with current().engine.connect() as conn:
        sha, _ = photos.stored(conn, photo_id)
    path = photos.MediaStore(current().settings.media_dir).thumbnail(sha)
    return _file(path, "image/jpeg", sha + ".thumb")


def _file(path: Path, media_type: str, etag: str) -> Response:
    """Content named by its hash never changes: a strong ETag and a year of caching."""
    if not path.is_file():
        raise NotFound("照片文件不在存储中 The photo's file is missing from the media store")
    response = send_file(path, mimetype=media_type, etag=etag, max_age=YEAR, conditional=True)
    response.cache_control.public = True
    response.cache_control.immutable = True
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


def _query() -> photos.PhotoQuery:
    args = request.args.to_dict(flat=False)
    for name, values in args.items():
        if name not in PARAMETERS:
            raise InvalidParameter(
                f"unknown parameter {name!r}", parameter=name, allowed=list(PARAMETERS)
            )
        if len(values) != 1:
            raise InvalidParameter(f"parameter {name!r} given {len(values)} times", parameter=name)
    one = {name: values[0] for name, values in args.items()}
    counties = known_codes()["county"]
    return photos.PhotoQuery(
        projects=_codes("project", one.get("project"), None),
        counties=_codes("county", one.get("county"), counties),
        limit=_whole("limit", one.get("limit"), 100, 1),
        offset=_whole("offset", one.get("offset"), 0, 0),
    )


def _codes(name: str, raw: str | None, allowed: Collection[str] | None) -> tuple[str, ...]:
    if raw is None:
        return ()
    codes = tuple(dict.fromkeys(code.strip() for code in raw.split(",")))
    for code in codes:
        if not code or len(code) > 64 or (allowed is not None and code not in allowed):
            raise InvalidParameter(
                f"{name}: unknown code {code[:64]!r}",
                parameter=name,
                allowed=None if allowed is None else sorted(allowed),
            )
    return codes


def _whole(name: str, raw: str | None, default: int, minimum: int) -> int:
    if raw is None:
        return default
    if not (raw.isascii() and raw.isdigit() and len(raw) < 10) or int(raw) < minimum:
        raise InvalidParameter(f"{name} must be a whole number ≥ {minimum}", parameter=name)
    if name == "limit" and int(raw) > MAX_LIMIT:
        raise InvalidParameter(f"limit is at most {MAX_LIMIT}", parameter=name, maximum=MAX_LIMIT)
    return int(raw)


def _base() -> str:
    return url_for("photos.index").rstrip("/")
