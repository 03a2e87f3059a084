"""Site photos (现场照片): the media store, and their rows written through
:mod:`mapserver.store.writes` and read back.

An upload is examined by :mod:`mapserver.uploads.pictures`; the file and its thumbnail are written
atomically (temporary file, rename) into a content-addressed store before the row, inside
the write's transaction. If the row then fails, the files stay unreferenced, which is
harmless: they are named by their content, and an upload of the same picture reuses them.
Photos are deleted softly; their files are never removed.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path, PurePosixPath
from typing import Any

import sqlalchemy as sa

from mapserver.accounts.roles import ROLE_TITLES, Actor
from mapserver.errors import Forbidden, NotFound, Unprocessable
from mapserver.store.writes import Writer
from mapserver.uploads import exif
from mapserver.uploads.pictures import EXTENSIONS, Picture, examine

MAX_CAPTION = 500
_SHA256 = re.compile(r"^[0-9a-f]{64}$")


@dataclass(frozen=True)
class Upload:
    """What the client sent with the file."""

    project: str
    data: bytes
    report: int | None = None
    caption: str | None = None
    original_name: str | None = None


@dataclass(frozen=True)
class MediaStore:
    """Files named by their SHA-256 under ``root``: ``ab/cd/<sha256>.<ext>`` and
    ``ab/cd/<sha256>.thumb.jpg``. Content never changes, so nothing is ever rewritten."""

    root: Path

    def original(self, sha256: str, media_type: str) -> Path:
        return self._folder(sha256) / f"{sha256}.{EXTENSIONS[media_type]}"

    def thumbnail(self, sha256: str) -> Path:
        return self._folder(sha256) / f"{sha256}.thumb.jpg"

    def _folder(self, sha256: str) -> Path:
        if not _SHA256.match(sha256):
            raise ValueError(f"not a SHA-256: {sha256!r}")
        return self.root / sha256[:2] / sha256[2:4]

    def put(self, picture: Picture) -> None:
        _write(self.original(picture.sha256, picture.media_type), picture.data)
        _write(self.thumbnail(picture.sha256), picture.thumbnail)


def _write(path: Path, data: bytes) -> None:
    """Atomically: readers see the whole file or none (an existing one is the same)."""
    if path.is_file() and path.stat().st_size == len(data):
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=".upload-")
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(temporary, 0o644)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


# ---- rows ----------------------------------------------------------------------------

INSERT = """
INSERT INTO photos (project_id, report_id, sha256, media_type, bytes, width, height,
                    original_name, caption, taken_at, location, distance_m, site, uploaded_by)
SELECT p.id, :report, :sha256, :media_type, :bytes, :width, :height,
       :original_name, :caption, :taken_at, g.point, d.metres,
       CASE WHEN g.point IS NULL THEN 'no_location'
            WHEN d.metres <= :site_m THEN 'on_site' ELSE 'off_site' END,
       :actor
FROM projects p
CROSS JOIN LATERAL (SELECT ST_SetSRID(ST_MakePoint(CAST(:lon AS float8), CAST(:lat AS float8)),
                                      4326) AS point) g
CROSS JOIN LATERAL (SELECT round(ST_Distance(g.point::geography, p.geom::geography)::numeric, 2)
                    AS metres) d
WHERE p.id = :project_id
RETURNING id
"""


def check_permission(actor: Actor, county: str) -> None:
    """County editors: their own county's projects; dispatchers and admins: any (the
    database checks it again)."""
    if not actor.can_edit:
        raise Forbidden(f"{ROLE_TITLES[actor.role]}不能修改数据", role=actor.role)
    if not actor.city_wide and county != actor.county:
        raise Forbidden(
            f"该项目属于 {county}，您只能管理 {actor.county} 的照片 Project is in county {county}",
            county=county,
        )


def field_error(name: str, message: str) -> Unprocessable:
    return Unprocessable(f"{name}：{message}", property=name, parameter=name)


def create(w: Writer, store: MediaStore, upload: Upload, max_bytes: int, site_m: float) -> int:
    """A new photo of a project (by code); its id. Files first, then the row."""
    caption = _caption(upload.caption)
    with w.transaction() as conn:
        project = _project(conn, upload.project)
        check_permission(w.actor, project["county"])
        if upload.report is not None:
            _check_report(conn, upload.report, project["id"])
        picture = examine(upload.data, max_bytes)
        store.put(picture)
        facts = picture.facts
        values = {
            "project_id": project["id"], "report": upload.report, "sha256": picture.sha256,
            "media_type": picture.media_type, "bytes": len(picture.data),
            "width": picture.width, "height": picture.height,
            "original_name": _file_name(upload.original_name), "caption": caption,
            "taken_at": facts.taken_at, "lon": facts.longitude, "lat": facts.latitude,
            "site_m": site_m, "actor": w.actor.username,
        }  # fmt: skip
        return conn.execute(sa.text(INSERT), values).scalar_one()


def _project(conn: sa.Connection, code: str) -> Mapping[str, Any]:
    if not code or len(code) > 64:
        raise field_error("project", "必填，项目编码 required: a project code")
    row = conn.execute(
        sa.text("SELECT id, county FROM projects WHERE code = :c AND deleted_at IS NULL"),
        {"c": code},
    ).mappings()
    found = row.one_or_none()
    if found is None:
        raise field_error("project", f"没有项目 no project {code!r}")
    return found


def _check_report(conn: sa.Connection, report: int, project_id: int) -> None:
    sql = "SELECT project_id FROM investment_reports WHERE id = :r"
    owner = conn.execute(sa.text(sql), {"r": report}).scalar_one_or_none()
    if owner != project_id:
        raise field_error(
            "report", f"该项目没有月度投资填报 {report} no such report of the project"
        )


def _caption(caption: str | None) -> str | None:
    caption = (caption or "").strip()
    if len(caption) > MAX_CAPTION:
        raise field_error("caption", f"最多 {MAX_CAPTION} 字 at most {MAX_CAPTION} characters")
    return caption or None


def _file_name(name: str | None) -> str | None:
    """The last part of the client's file name, printable, at most 200 characters."""
    base = PurePosixPath((name or "").replace("\\", "/")).name
    return "".join(ch for ch in base if ch.isprintable())[:200] or None


def delete(w: Writer, photo_id: int) -> None:
    """Soft delete: the row stays (and the file), marked deleted by the actor."""
    with w.transaction() as conn:
        row = conn.execute(
            sa.text(
                "SELECT p.county FROM photos ph JOIN projects p ON p.id = ph.project_id"
                f" WHERE {VISIBLE} AND ph.id = :id FOR UPDATE OF ph"
            ),
            {"id": photo_id},
        ).one_or_none()
        if row is None:
            raise _no_photo(photo_id)
        check_permission(w.actor, row.county)
        conn.execute(
            sa.text("UPDATE photos SET deleted_at = now(), deleted_by = :a WHERE id = :id"),
            {"a": w.actor.username, "id": photo_id},
        )


def _no_photo(photo_id: int) -> NotFound:
    return NotFound(f"没有这张照片 no photo {photo_id}", parameter="id")


# ---- reading -------------------------------------------------------------------------

VISIBLE = "ph.deleted_at IS NULL AND p.deleted_at IS NULL"
SELECT = (
    "SELECT ph.*, p.code AS project, ST_X(ph.location) AS longitude,"
    " ST_Y(ph.location) AS latitude FROM photos ph JOIN projects p ON p.id = ph.project_id"
    f" WHERE {VISIBLE}"
)
NEWEST_FIRST = (
    " ORDER BY coalesce(ph.taken_at, ph.uploaded_at) DESC, ph.uploaded_at DESC, ph.id DESC"
)


@dataclass(frozen=True)
class PhotoQuery:
    projects: Sequence[str] = ()
    counties: Sequence[str] = ()
    limit: int = 100
    offset: int = 0


def listing(conn: sa.Connection, q: PhotoQuery, base: str) -> dict[str, Any]:
    """``{"items", "numberMatched", "numberReturned"}``, newest first."""
    where, params = "", {}
    if q.projects:
        where += " AND p.code = ANY(:projects)"
        params["projects"] = list(q.projects)
    if q.counties:
        where += " AND p.county = ANY(:counties)"
        params["counties"] = list(q.counties)
    page = " LIMIT :limit OFFSET :offset"
    rows = conn.execute(
        sa.text(SELECT + where + NEWEST_FIRST + page),
        {**params, "limit": q.limit, "offset": q.offset},
    ).mappings()
    items = [representation(row, base) for row in rows]
    count = f"SELECT count(*) FROM ({SELECT}{where}) s"
    matched = conn.execute(sa.text(count), params).scalar_one()
    return {"items": items, "numberMatched": matched, "numberReturned": len(items)}


def one(conn: sa.Connection, photo_id: int, base: str) -> dict[str, Any]:
    row = conn.execute(sa.text(SELECT + " AND ph.id = :id"), {"id": photo_id}).mappings()
    found = row.one_or_none()
    if found is None:
        raise _no_photo(photo_id)
    return representation(found, base)


def stored(conn: sa.Connection, photo_id: int) -> tuple[str, str]:
    """(sha256, media type) of a photo that is not deleted."""
    sql = "SELECT sha256, media_type FROM photos ph JOIN projects p ON p.id = ph.project_id"
    row = conn.execute(sa.text(f"{sql} WHERE {VISIBLE} AND ph.id = :id"), {"id": photo_id})
    found = row.one_or_none()
    if found is None:
        raise _no_photo(photo_id)
    return found.sha256, found.media_type


FIELDS = ("id", "project", "report", "url", "thumbnail_url", "taken_at", "site", "distance_m")
FIELDS += ("longitude", "latitude", "width", "height", "media_type", "bytes", "caption")
FIELDS += ("uploaded_by", "uploaded_at")


def representation(row: Mapping[str, Any], base: str) -> dict[str, Any]:
    """A photo as the API shows it; ``base``: the URL path of ``/battle/photos``."""
    values = {**row, "report": row["report_id"]}
    values["url"] = f"{base}/{row['id']}/original"
    values["thumbnail_url"] = f"{base}/{row['id']}/thumbnail"
    out = {}
    for name in FIELDS:
        value = values[name]
        if isinstance(value, dt.datetime):
            value = value.astimezone(exif.LOCAL).isoformat()
        elif isinstance(value, Decimal):
            value = float(value)
        out[name] = value
    return out
