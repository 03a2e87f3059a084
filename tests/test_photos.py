"""Site photos over HTTP: formats, EXIF time and position, on/off site, thumbnails, bad
files refused with nothing stored, the county rule in the app and in the database."""

from __future__ import annotations

import dataclasses
import hashlib
import io
import os
import struct
import zlib
from fractions import Fraction
from pathlib import Path

import pillow_heif
import pyproj
import pytest
import sqlalchemy as sa
from PIL import Image
from PIL.TiffImagePlugin import IFDRational
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from mapserver.accounts import users
from mapserver.accounts.roles import Actor
from mapserver.errors import ConfigError
from mapserver.settings import ROOT, Settings
from mapserver.store import claims
from tests.battle import GUANG_AN, OTHER, OWN, YUECHI, auth, battle_env
from tests.pictures import picture

PASSWORD = "correct horse battery"
GEOD = pyproj.Geod(ellps="WGS84")


@pytest.fixture
def env(fresh_url, tmp_path):
    """(client, engine, tokens, ids, media): the battle env with its own media store."""
    with battle_env(fresh_url) as (client, engine, tokens, ids):
        state = client.application.extensions["mapserver"]
        use_settings(client, media_dir=tmp_path / "media")
        try:
            yield client, engine, tokens, ids, tmp_path / "media"
        finally:
            client.application.extensions["mapserver"] = state


# ---- pictures made here -------------------------------------------------------------


def dms(value: float) -> tuple[IFDRational, ...]:
    """Degrees as EXIF writes them: degrees, minutes, seconds to 1/10000."""
    degrees = int(value)
    minutes = int((value - degrees) * 60)
    seconds = round(((value - degrees) * 60 - minutes) * 60 * 10000)
    return IFDRational(degrees, 1), IFDRational(minutes, 1), IFDRational(seconds, 10000)


def degrees(parts) -> float:
    """The exact value of the rationals written (what the database should hold)."""
    d, m, s = (Fraction(p.numerator, p.denominator) for p in parts)
    return float(d + m / 60 + s / 3600)


def tags(lon=None, lat=None, taken=None, orientation=None, gps=None) -> Image.Exif:
    exif = Image.Exif()
    if orientation:
        exif[0x0112] = orientation
    if lon is not None:
        gps = {1: "N", 2: dms(lat), 3: "E", 4: dms(lon)}
    if gps:
        exif.get_ifd(0x8825).update(gps)
    if taken:
        exif.get_ifd(0x8769).update({0x9003: taken})
    return exif


def noisy_jpeg(size=(800, 600)) -> bytes:
    image = Image.frombytes("RGB", size, os.urandom(size[0] * size[1] * 3))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=90)
    return out.getvalue()


def png_claiming(width: int, height: int) -> bytes:
    """A tiny PNG whose header claims ``width`` × ``height`` pixels."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    body = (
        chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\x00" * 64)) + chunk(b"IEND", b"")
    )
    return b"\x89PNG\r\n\x1a\n" + body


# ---- helpers --------------------------------------------------------------------------


def upload(client, token, data, project=OWN, name="photo.jpg", headers=None, **form):
    fields = {"file": (io.BytesIO(data), name), "project": project, **form}
    return client.post(
        "/battle/photos",
        data=fields,
        headers={**auth(token), **(headers or {})},
        content_type="multipart/form-data",
    )


def site_point(engine, code) -> tuple[float, float]:
    sql = "SELECT ST_X(ST_PointOnSurface(geom)), ST_Y(ST_PointOnSurface(geom)) FROM projects WHERE code = :c"
    with engine.connect() as conn:
        return tuple(conn.execute(sa.text(sql), {"c": code}).one())


def stored_files(media: Path) -> set[str]:
    return {str(p.relative_to(media)) for p in media.rglob("*")} if media.exists() else set()


def photo_count(engine) -> int:
    with engine.connect() as conn:
        return conn.execute(sa.text("SELECT count(*) FROM photos")).scalar_one()


def row(engine, photo_id):
    sql = "SELECT *, ST_X(location) AS x, ST_Y(location) AS y FROM photos WHERE id = :id"
    with engine.connect() as conn:
        return conn.execute(sa.text(sql), {"id": photo_id}).mappings().one()


def insert_photo(engine, code: str) -> int:
    """A photo row written directly, as the loader would (owner, no acting user)."""
    sql = (
        "INSERT INTO photos (project_id, sha256, media_type, bytes, width, height, site,"
        " uploaded_by) SELECT id, :sha, 'image/jpeg', 10, 4, 3, 'no_location', 'loader'"
        " FROM projects WHERE code = :c RETURNING id"
    )
    with engine.begin() as conn:
        return conn.execute(sa.text(sql), {"sha": "a" * 64, "c": code}).scalar_one()


# ---- uploads that work ---------------------------------------------------------------


def test_on_site_photo_with_time_position_files_and_history(env):
    client, engine, tokens, _ids, media = env
    lon, lat = site_point(engine, OWN)
    exif = tags(lon, lat, taken="2026:11:30 14:05:06")
    data = picture(exif=exif)
    response = upload(
        client, tokens["county_editor"], data, caption=" 主体封顶 ", name="DCIM/相册/IMG_1.jpg"
    )
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert list(body) == [
        "id", "project", "report", "url", "thumbnail_url", "taken_at", "site", "distance_m",
        "longitude", "latitude", "width", "height", "media_type", "bytes", "caption",
        "uploaded_by", "uploaded_at",
    ]  # fmt: skip
    assert body["site"] == "on_site" and body["distance_m"] < 1
    assert body["taken_at"] == "2026-11-30T14:05:06+08:00"
    assert (body["project"], body["caption"], body["uploaded_by"]) == (
        OWN,
        "主体封顶",
        "u_county_editor",
    )
    assert (body["width"], body["height"], body["media_type"], body["bytes"]) == (
        64,
        48,
        "image/jpeg",
        len(data),
    )
    assert response.headers["Location"].endswith(f"/battle/photos/{body['id']}")
    stored = row(engine, body["id"])
    assert stored["x"] == pytest.approx(degrees(dms(lon)), abs=1e-7)
    assert stored["y"] == pytest.approx(degrees(dms(lat)), abs=1e-7)
    assert stored["original_name"] == "IMG_1.jpg"
    sha = hashlib.sha256(data).hexdigest()
    assert stored["sha256"] == sha
    assert (media / sha[:2] / sha[2:4] / f"{sha}.jpg").read_bytes() == data
    assert (media / sha[:2] / sha[2:4] / f"{sha}.thumb.jpg").is_file()
    assert client.get(body["url"]).data == data
    assert client.get(f"/battle/photos/{body['id']}").get_json() == body
    with engine.connect() as conn:
        history = conn.execute(
            sa.text(
                "SELECT op, actor FROM record_history WHERE table_name = 'photos' AND row_id = :id"
            ),
            {"id": body["id"]},
        ).all()
        logged = conn.execute(
            sa.text("SELECT count(*) FROM change_log WHERE layer = 'photos' AND feature_id = :id"),
            {"id": str(body["id"])},
        ).scalar_one()
    assert [tuple(h) for h in history] == [("create", "u_county_editor")] and logged == 1


def test_off_site_distance_is_ellipsoidal(env):
    client, engine, tokens, _ids, _media = env
    sql = (
        "SELECT code, ST_X(geom), ST_Y(geom) FROM projects"
        " WHERE GeometryType(geom) = 'POINT' AND deleted_at IS NULL ORDER BY code LIMIT 1"
    )
    with engine.connect() as conn:
        code, x, y = conn.execute(sa.text(sql)).one()
    lon, lat = x + 0.01, y + 0.04  # about 4.5 km north, 1 km east
    response = upload(client, tokens["dispatcher"], picture(exif=tags(lon, lat)), project=code)
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    expected = GEOD.inv(degrees(dms(lon)), degrees(dms(lat)), x, y)[2]
    assert 4000 < expected < 6000
    assert body["site"] == "off_site"
    assert body["distance_m"] == pytest.approx(expected, abs=0.05)


def test_no_exif_is_no_location(env):
    client, _engine, tokens, _ids, _media = env
    body = upload(client, tokens["admin"], picture()).get_json()
    assert (body["site"], body["taken_at"], body["distance_m"]) == ("no_location", None, None)
    assert body["longitude"] is None and body["latitude"] is None


@pytest.mark.parametrize(
    "gps",
    [
        {
            1: "N",
            2: (IFDRational(30, 0), IFDRational(1, 1), IFDRational(0, 1)),
            3: "E",
            4: dms(106.6),
        },
        {1: "N", 2: dms(30.5), 3: "E", 4: (IFDRational(0, 0),) * 3},
        {1: "Q", 2: dms(30.5), 3: "E", 4: dms(106.6)},
    ],
    ids=["zero-denominator", "all-zero-denominators", "bad-ref"],
)
def test_garbage_gps_is_no_location_not_an_error(env, gps):
    client, _engine, tokens, _ids, _media = env
    response = upload(client, tokens["admin"], picture(exif=tags(gps=gps)))
    assert response.status_code == 201 and response.get_json()["site"] == "no_location"


def test_garbage_exif_block_is_ignored(env):
    client, _engine, tokens, _ids, _media = env
    data = picture()
    garbage = b"Exif\x00\x00MM\x00\x2a\xff\xff\xff\xf0" + os.urandom(40)
    segment = b"\xff\xe1" + struct.pack(">H", len(garbage) + 2) + garbage
    response = upload(client, tokens["admin"], data[:2] + segment + data[2:])
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["site"] == "no_location"


def test_thumbnail_is_upright_and_the_original_as_uploaded(env):
    client, _engine, tokens, _ids, _media = env
    image = red_left_half()
    out = io.BytesIO()
    image.save(out, "JPEG", exif=tags(orientation=6))
    data = out.getvalue()
    body = upload(client, tokens["admin"], data).get_json()
    assert (body["width"], body["height"]) == (200, 400)
    thumb = Image.open(io.BytesIO(client.get(body["thumbnail_url"]).data))
    assert thumb.size == (160, 320)
    assert_red_on_top(thumb)
    original = client.get(body["url"])
    assert original.data == data and Image.open(io.BytesIO(original.data)).size == (400, 200)


def red_left_half() -> Image.Image:
    """400×200, left half red: with orientation 6 (camera turned clockwise) red is on top."""
    image = Image.new("RGB", (400, 200), (0, 0, 255))
    image.paste((255, 0, 0), (0, 0, 200, 200))
    return image


def assert_red_on_top(thumb: Image.Image) -> None:
    top, bottom = thumb.getpixel((80, 40)), thumb.getpixel((80, 280))
    assert top[0] > 200 and top[2] < 60 and bottom[2] > 200 and bottom[0] < 60


def heic(exif: Image.Exif) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 48), (10, 120, 10)).save(out, "HEIF", exif=exif.tobytes())
    return out.getvalue()


@pytest.mark.parametrize(
    ("fmt", "media_type", "extension"),
    [("PNG", "image/png", "png"), ("WEBP", "image/webp", "webp"), ("HEIF", "image/heic", "heic")],
)
def test_png_webp_heic(env, fmt, media_type, extension):
    assert pillow_heif.__version__  # HEIC is supported here (pillow-heif installed)
    client, engine, tokens, _ids, media = env
    exif = tags(*site_point(engine, OWN), taken="2026:05:01 08:00:00")
    data = (
        heic(exif) if fmt == "HEIF" else picture(fmt, mode="RGBA", colour=(0, 0, 0, 0), exif=exif)
    )
    response = upload(client, tokens["admin"], data, name="x.jpg")  # the name does not matter
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert (body["media_type"], body["site"]) == (media_type, "on_site")
    assert body["taken_at"] == "2026-05-01T08:00:00+08:00"
    sha = hashlib.sha256(data).hexdigest()
    assert (media / sha[:2] / sha[2:4] / f"{sha}.{extension}").read_bytes() == data
    original = client.get(body["url"])
    assert original.mimetype == media_type and original.data == data
    thumb = client.get(body["thumbnail_url"])
    assert thumb.mimetype == "image/jpeg" and Image.open(io.BytesIO(thumb.data)).format == "JPEG"


def test_image_responses_are_immutable_with_strong_etags(env):
    client, _engine, tokens, _ids, _media = env
    data = picture()
    body = upload(client, tokens["admin"], data).get_json()
    sha = hashlib.sha256(data).hexdigest()
    for url, etag, media_type in (
        (body["url"], sha, "image/jpeg"),
        (body["thumbnail_url"], f"{sha}.thumb", "image/jpeg"),
    ):
        response = client.get(url)
        assert response.status_code == 200 and response.mimetype == media_type
        assert response.headers["ETag"] == f'"{etag}"'
        assert "max-age=31536000" in response.headers["Cache-Control"]
        assert "immutable" in response.headers["Cache-Control"]
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert client.get(url, headers={"If-None-Match": f'"{etag}"'}).status_code == 304


def test_same_picture_twice_is_two_photos_one_file(env):
    client, _engine, tokens, _ids, media = env
    data = picture()
    first = upload(client, tokens["admin"], data).get_json()
    files = stored_files(media)
    second = upload(client, tokens["admin"], data).get_json()
    assert first["id"] != second["id"] and stored_files(media) == files


# ---- bad files: a clear 4xx, no row, no file -------------------------------------------

LIMIT = 15 * 1024 * 1024
BAD = [
    ("not-an-image", b"%PDF-1.4 not a picture at all", 415, "not_an_image"),
    ("svg", b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>', 415, "not_an_image"),
    ("empty", b"", 422, "empty"),
    ("truncated-jpeg", noisy_jpeg()[:30000], 422, "damaged"),
    ("too-large", b"\xff\xd8\xff" + b"\x00" * LIMIT, 413, "too_large"),
    ("bomb", png_claiming(100_000, 100_000), 413, "too_many_pixels"),
    ("bomb-below-pillow-error", png_claiming(10_000, 10_000), 413, "too_many_pixels"),
    ("png-zero-width", png_claiming(0, 5), 415, "not_an_image"),
]  # fmt: skip


@pytest.mark.parametrize(("data", "status", "code"), [b[1:] for b in BAD], ids=[b[0] for b in BAD])
def test_bad_files_are_refused_and_nothing_stored(env, data, status, code):
    client, engine, tokens, _ids, media = env
    before = photo_count(engine), stored_files(media)
    response = upload(client, tokens["admin"], data)
    assert response.status_code == status, response.get_json()
    assert response.mimetype == "application/problem+json"
    problem = response.get_json()
    assert (problem["code"], problem["parameter"]) == (code, "file")
    assert (photo_count(engine), stored_files(media)) == before


def test_a_body_over_the_photo_limit_is_refused_before_it_is_read(env):
    client, engine, tokens, _ids, media = env
    response = upload(client, tokens["admin"], b"\x00" * (LIMIT + 200_000))
    assert response.status_code == 413 and response.mimetype == "application/problem+json"
    assert str(LIMIT) in response.get_json()["detail"]
    assert photo_count(engine) == 0 and stored_files(media) == set()


def test_photo_uploads_may_exceed_the_general_body_limit(env):
    client, _engine, tokens, _ids, _media = env
    settings = client.application.extensions["mapserver"].settings
    data = noisy_jpeg((3200, 2400))
    assert settings.max_body_bytes < len(data) < settings.photo_max_bytes
    assert upload(client, tokens["admin"], data).status_code == 201


@pytest.mark.parametrize(
    ("form", "status", "name"),
    [
        ({"project": ""}, 422, "project"),
        ({"project": "NO-SUCH"}, 422, "project"),
        ({"caption": "字" * 501}, 422, "caption"),
        ({"report": "abc"}, 422, "report"),
        ({"report": "{investment_reports_other}"}, 422, "report"),
        ({"report": "999999"}, 422, "report"),
    ],
)
def test_bad_fields(env, form, status, name):
    client, engine, tokens, ids, media = env
    form = {
        k: v.format(investment_reports_other=ids[("investment_reports", "other")])
        for k, v in form.items()
    }
    response = upload(client, tokens["admin"], picture(), **form)
    assert response.status_code == status and response.get_json()["parameter"] == name
    assert photo_count(engine) == 0 and stored_files(media) == set()


def test_no_file_field(env):
    client, _engine, tokens, _ids, _media = env
    response = client.post("/battle/photos", data={"project": OWN}, headers=auth(tokens["admin"]))
    assert response.status_code == 400 and response.get_json()["parameter"] == "file"


def test_report_of_the_same_project(env):
    client, engine, tokens, _ids, _media = env
    sql = (
        "INSERT INTO investment_reports (project_id, month, amount)"
        " SELECT id, '2020-01-01', 1 FROM projects WHERE code = :c RETURNING id"
    )
    with engine.begin() as conn:
        report = conn.execute(sa.text(sql), {"c": OWN}).scalar_one()
    response = upload(client, tokens["county_editor"], picture(), report=str(report))
    assert response.status_code == 201 and response.get_json()["report"] == report


# ---- who may: every role × own / other county ----------------------------------------

ROLES = ["admin", "dispatcher", "county_editor", "viewer", "anonymous", "revoked"]


def may(role, where):
    return role in ("admin", "dispatcher") or (role == "county_editor" and where == "own")


def refusal(role):
    return 401 if role in ("anonymous", "revoked") else 403


@pytest.mark.parametrize("role", ROLES)
def test_upload_and_delete_matrix(env, role):
    client, engine, tokens, _ids, media = env
    for n, (where, code) in enumerate((("own", OWN), ("other", OTHER))):
        before = photo_count(engine), stored_files(media)
        response = upload(client, tokens[role], picture(colour=(n * 90, 10, 10)), project=code)
        if may(role, where):
            assert response.status_code == 201, (where, response.get_json())
        else:
            assert response.status_code == refusal(role), (where, response.get_json())
            assert response.mimetype == "application/problem+json"
            assert (photo_count(engine), stored_files(media)) == before
        photo_id = insert_photo(engine, code)
        response = client.delete(f"/battle/photos/{photo_id}", headers=auth(tokens[role]))
        deleted = row(engine, photo_id)["deleted_at"] is not None
        if may(role, where):
            assert response.status_code == 204 and deleted
            assert client.get(f"/battle/photos/{photo_id}").status_code == 404
        else:
            assert response.status_code == refusal(role) and not deleted


@pytest.mark.parametrize("role", ["admin", "dispatcher", "county_editor", "viewer"])
def test_the_database_refuses_when_the_app_checks_are_bypassed(env, monkeypatch, role):
    from mapserver.battle import photos
    from mapserver.web import auth as auth_bp
    from mapserver.web import photos as photos_bp

    monkeypatch.setattr(photos_bp, "require_actor", lambda write: auth_bp.current_actor())
    monkeypatch.setattr(photos, "check_permission", lambda *args: None)
    client, engine, tokens, _ids, _media = env
    for n, (where, code) in enumerate((("own", OWN), ("other", OTHER))):
        count = photo_count(engine)
        response = upload(client, tokens[role], picture(colour=(n * 90, 10, 10)), project=code)
        photo_id = insert_photo(engine, code)
        deleting = client.delete(f"/battle/photos/{photo_id}", headers=auth(tokens[role]))
        if may(role, where):
            assert response.status_code == 201 and deleting.status_code == 204
        else:
            for refused in (response, deleting):
                assert refused.status_code == 403, (where, refused.get_json())
                assert "数据库拒绝" in refused.get_json()["detail"]
            assert photo_count(engine) == count + 1  # the row inserted directly only
            assert row(engine, photo_id)["deleted_at"] is None


def test_the_write_role_may_only_add_and_soft_delete(env):
    _client, engine, _tokens, ids, _media = env
    photo_id = insert_photo(engine, OWN)
    for sql in (
        "UPDATE photos SET caption = 'x' WHERE id = :id",
        "UPDATE photos SET sha256 = repeat('b', 64) WHERE id = :id",
        "DELETE FROM photos WHERE id = :id",
    ):
        with (
            pytest.raises(sa.exc.ProgrammingError, match="permission denied"),
            engine.begin() as conn,
        ):
            conn.execute(sa.text("SET LOCAL ROLE mapserver_app"))
            claims.claim(conn, Actor(0, "u_admin", "admin"))  # as the app signs it
            conn.execute(sa.text(sql), {"id": photo_id})
    other_report = ids[("investment_reports", "other")]
    with (
        pytest.raises(sa.exc.IntegrityError, match="is not one of project"),
        engine.begin() as conn,
    ):
        conn.execute(
            sa.text("UPDATE photos SET report_id = :r WHERE id = :id"),
            {"r": other_report, "id": photo_id},
        )


def test_session_upload_needs_the_csrf_token(env):
    client, engine, _tokens, _ids, _media = env
    users.create_user(engine, "photo_editor", "county_editor", GUANG_AN, password=PASSWORD)
    token = client.get("/login", headers={"Accept": "application/json"}).get_json()["csrf_token"]
    credentials = {"username": "photo_editor", "password": PASSWORD}
    assert (
        client.post("/login", json=credentials, headers={"X-CSRFToken": token}).status_code == 200
    )
    csrf = client.get("/auth/me").get_json()["csrf_token"]
    assert upload(client, None, picture()).status_code in (400, 403)
    assert photo_count(engine) == 0
    response = upload(client, None, picture(), headers={"X-CSRFToken": csrf})
    assert response.status_code == 201 and response.get_json()["uploaded_by"] == "photo_editor"


# ---- lists -----------------------------------------------------------------------------


def test_list_newest_first_filters_and_paging(env):
    client, engine, tokens, _ids, _media = env
    posted = {}
    for n, (code, taken) in enumerate(
        [
            (OWN, "2026:03:01 10:00:00"),
            (OWN, "2026:05:01 10:00:00"),
            (OTHER, "2026:04:01 10:00:00"),
            (OWN, None),
        ]
    ):
        exif = tags(taken=taken) if taken else None
        body = upload(
            client, tokens["admin"], picture(colour=(n * 50, 0, 0), exif=exif), project=code
        ).get_json()
        posted[(code, taken)] = body["id"]
    with engine.connect() as conn:  # the expected order, straight from the table
        expected = (
            conn.execute(
                sa.text(
                    "SELECT id FROM photos ORDER BY coalesce(taken_at, uploaded_at) DESC, id DESC"
                )
            )
            .scalars()
            .all()
        )
    listed = client.get("/battle/photos").get_json()
    assert [p["id"] for p in listed["items"]] == expected
    assert (listed["numberMatched"], listed["numberReturned"]) == (4, 4)
    own = client.get(f"/battle/photos?project={OWN}").get_json()
    assert {p["project"] for p in own["items"]} == {OWN} and own["numberMatched"] == 3
    assert [p["id"] for p in client.get(f"/battle/photos?county={YUECHI}").get_json()["items"]] == [
        posted[(OTHER, "2026:04:01 10:00:00")]
    ]
    page = client.get(f"/battle/photos?project={OWN},{OTHER}&limit=2&offset=1").get_json()
    assert [p["id"] for p in page["items"]] == expected[1:3] and page["numberMatched"] == 4
    gone = posted[(OWN, "2026:03:01 10:00:00")]
    assert client.delete(f"/battle/photos/{gone}", headers=auth(tokens["admin"])).status_code == 204
    assert gone not in [p["id"] for p in client.get("/battle/photos").get_json()["items"]]


def test_a_deleted_projects_photos_are_kept_but_not_shown(env):
    client, engine, tokens, _ids, media = env
    body = upload(client, tokens["admin"], picture(), project=OTHER).get_json()
    with engine.begin() as conn:
        conn.execute(
            sa.text("UPDATE projects SET deleted_at = now(), deleted_by = 'x' WHERE code = :c"),
            {"c": OTHER},
        )
    assert client.get("/battle/photos").get_json()["numberMatched"] == 0
    assert client.get(body["url"]).status_code == 404
    assert row(engine, body["id"])["deleted_at"] is None and len(stored_files(media)) > 0
    with engine.begin() as conn:
        conn.execute(
            sa.text("UPDATE projects SET deleted_at = NULL, deleted_by = NULL WHERE code = :c"),
            {"c": OTHER},
        )
    assert client.get(body["url"]).status_code == 200


@pytest.mark.parametrize(
    "query",
    [
        "colour=red",
        "county=999999",
        "limit=0",
        "limit=100000",
        "offset=-1",
        "project=",
        "limit=1&limit=2",
    ],
)
def test_bad_list_parameters(env, query):
    client = env[0]
    response = client.get(f"/battle/photos?{query}")
    assert response.status_code == 400 and response.mimetype == "application/problem+json"


def test_unknown_photo_is_404(env):
    client, _engine, tokens, _ids, _media = env
    for url in (
        "/battle/photos/999",
        "/battle/photos/999/original",
        "/battle/photos/999/thumbnail",
    ):
        assert client.get(url).status_code == 404
    assert client.delete("/battle/photos/999", headers=auth(tokens["admin"])).status_code == 404


def test_photos_as_a_read_only_layer(env):
    client, engine, tokens, _ids, _media = env
    lon, lat = site_point(engine, OWN)
    placed = upload(client, tokens["admin"], picture(exif=tags(lon, lat))).get_json()
    upload(client, tokens["admin"], picture(colour=(1, 2, 3)))  # no position: not on the map
    admin = auth(tokens["admin"])  # the layer is read: login (layers/photos.yaml)
    assert client.get("/layers/photos.geojson").status_code == 401
    doc = client.get("/layers/photos.geojson", headers=admin).get_json()
    [feature] = doc["features"]
    assert feature["id"] == str(placed["id"])
    assert feature["geometry"]["coordinates"] == pytest.approx(
        [placed["longitude"], placed["latitude"]], abs=1e-7
    )
    assert feature["properties"]["project"] == OWN and feature["properties"]["site"] == "on_site"
    assert feature["properties"]["thumbnail_url"] == placed["thumbnail_url"]
    item = client.get(f"/ogc/collections/photos/items/{placed['id']}?f=json", headers=admin)
    item = item.get_json()
    assert item["properties"]["site"] == "on_site"
    refused = client.delete(
        f"/ogc/collections/photos/items/{placed['id']}", headers=auth(tokens["admin"])
    )
    assert refused.status_code == 405
    client.delete(placed["url"].rsplit("/", 1)[0], headers=auth(tokens["admin"]))
    assert client.get("/layers/photos.geojson", headers=admin).get_json()["features"] == []


# ---- settings ----------------------------------------------------------------------------


def test_photo_settings_are_read_and_validated():
    s = Settings.load(
        {
            "MAPSERVER_MEDIA_DIR": "/srv/media",
            "MAPSERVER_PHOTO_MAX_BYTES": "1000",
            "MAPSERVER_PHOTO_SITE_M": "50.5",
        }
    )
    assert (s.media_dir, s.photo_max_bytes, s.photo_site_m) == (Path("/srv/media"), 1000, 50.5)
    assert Settings.load({}).media_dir == ROOT / "var" / "media"
    assert (Settings.load({}).photo_max_bytes, Settings.load({}).photo_site_m) == (
        15 * 1024 * 1024,
        500.0,
    )
    with pytest.raises(ConfigError, match="MAPSERVER_PHOTO_MAX_BYTES"):
        Settings.load({"MAPSERVER_PHOTO_MAX_BYTES": "15MB"})


def use_settings(client, **changes) -> None:
    state = client.application.extensions["mapserver"]
    settings = dataclasses.replace(state.settings, **changes)
    client.application.extensions["mapserver"] = dataclasses.replace(state, settings=settings)


def test_photo_limit_and_site_distance_follow_the_settings(env):
    client, engine, tokens, _ids, _media = env
    use_settings(client, photo_max_bytes=20_000, photo_site_m=10_000.0)
    big = noisy_jpeg((200, 200))
    assert len(big) > 20_000
    response = upload(client, tokens["admin"], big)
    assert response.status_code == 413 and "20000" in response.get_json()["detail"]
    lon, lat = site_point(engine, OWN)
    body = upload(client, tokens["admin"], picture(exif=tags(lon + 0.03, lat))).get_json()
    assert body["site"] == "on_site" and 500 < body["distance_m"] < 10_000  # off site by default


def test_a_turned_heic_is_turned_once():
    """libheif turns a HEIC upright itself (pillow-heif then reads orientation 1)."""
    from mapserver.uploads import pictures

    out = io.BytesIO()
    red_left_half().save(out, "HEIF", exif=tags(orientation=6).tobytes())
    examined = pictures.examine(out.getvalue(), LIMIT)
    thumb = Image.open(io.BytesIO(examined.thumbnail))
    assert (examined.width, examined.height, thumb.size) == (200, 400, (160, 320))
    assert_red_on_top(thumb)


def chunked_upload(client, token, data: bytes):
    """A multipart upload sent in chunks (no Content-Length), as some mobile clients do."""
    file = FileStorage(io.BytesIO(data), filename="big.jpg", content_type="image/jpeg")
    boundary, body = encode_multipart({"file": file, "project": OWN})
    headers = {**auth(token), "Transfer-Encoding": "chunked"}
    content_type = f"multipart/form-data; boundary={boundary}"
    return client.post(
        "/battle/photos",
        input_stream=io.BytesIO(body),
        headers=headers,
        content_type=content_type,
        environ_overrides={"CONTENT_LENGTH": ""},  # the test client would size it
    )


def test_chunked_uploads_meet_the_photo_limit_not_the_body_limit(env):
    client, engine, tokens, _ids, media = env
    data = noisy_jpeg((3200, 2400))
    assert client.application.extensions["mapserver"].settings.max_body_bytes < len(data)
    response = chunked_upload(client, tokens["admin"], data)
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["bytes"] == len(data)
    before = photo_count(engine), stored_files(media)
    response = chunked_upload(client, tokens["admin"], b"\xff" * (LIMIT + 100_000))
    assert response.status_code == 413 and response.get_json()["limit"] > LIMIT
    assert (photo_count(engine), stored_files(media)) == before
