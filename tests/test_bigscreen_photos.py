"""Site photos (现场照片) in the big screen's detail panel, in headless Chromium: the
project's latest four from /battle/photos, each with its day and its place mark (现场,
偏离 Xm, 无定位), and a new upload shown while the panel is open. Expected from the API.
"""

from __future__ import annotations

import io
from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from PIL import Image
from PIL.TiffImagePlugin import IFDRational

from mapserver.accounts import credentials, users
from mapserver.store.db import make_engine
from tests.browser import get_json, hook, open_page, serve, severe_logs, wait_for

pytestmark = pytest.mark.browser

CODE = "GA-2024-001"


def dms(value: float) -> tuple[IFDRational, ...]:
    degrees = int(value)
    minutes = int((value - degrees) * 60)
    seconds = round(((value - degrees) * 60 - minutes) * 60 * 10000)
    return IFDRational(degrees, 1), IFDRational(minutes, 1), IFDRational(seconds, 10000)


def jpeg(lon: float | None, lat: float | None, taken: str | None, colour: tuple) -> bytes:
    """A small JPEG with, as asked, EXIF position and time of taking."""
    exif = Image.Exif()
    if lon is not None:
        exif.get_ifd(0x8825).update({1: "N", 2: dms(lat), 3: "E", 4: dms(lon)})
    if taken:
        exif.get_ifd(0x8769).update({0x9003: taken})
    out = io.BytesIO()
    Image.new("RGB", (80, 60), colour).save(out, "JPEG", exif=exif.tobytes())
    return out.getvalue()


@pytest.fixture
def site(fresh_url, make_app, tmp_path) -> Iterator[tuple]:
    app = make_app(database_url=fresh_url, media_dir=tmp_path / "media")
    engine = make_engine(fresh_url, 2)
    account, _ = users.create_user(engine, "bs_photos", "admin")
    token = credentials.issue_token(engine, account.id, "test")[1]
    try:
        with serve(app) as url:
            yield url, engine, app.test_client(), token
    finally:
        engine.dispose()


def upload(client, token: str, data: bytes) -> int:
    response = client.post(
        "/battle/photos",
        data={"file": (io.BytesIO(data), "site.jpg"), "project": CODE},
        headers={"Authorization": f"Bearer {token}"},
        content_type="multipart/form-data",
    )
    assert response.status_code == 201, response.get_json()
    return response.get_json()["id"]


def mark(photo: dict) -> str:
    if photo["site"] == "on_site":
        return "现场"
    if photo["site"] == "off_site":
        return f"偏离 {round(photo['distance_m'])}m"
    return "无定位"


def shown(driver) -> list[tuple[int, str, str]]:
    return driver.execute_script(
        "return [...document.querySelectorAll('#detail .photos li')].map((li) => [Number(li.dataset.id),"
        " li.querySelector('.photo-day').textContent, li.querySelector('.photo-site').textContent])"
    )


def test_detail_shows_the_latest_site_photos(driver, site):
    url, engine, client, token = site
    with engine.connect() as conn:
        lon, lat = conn.execute(
            sa.text(
                "SELECT ST_X(p), ST_Y(p) FROM projects, ST_PointOnSurface(geom) p WHERE code = :c"
            ),
            {"c": CODE},
        ).one()
    pictures = [
        jpeg(lon, lat, "2026:11:01 09:00:00", (200, 40, 40)),  # on the site
        jpeg(lon, lat + 0.02, "2026:11:05 09:00:00", (40, 200, 40)),  # ~2.2 km north
        jpeg(None, None, "2026:11:09 09:00:00", (40, 40, 200)),  # no position
        jpeg(lon + 0.0005, lat, "2026:11:12 09:00:00", (200, 200, 40)),  # ~50 m east
        jpeg(lon, lat, "2026:10:01 09:00:00", (90, 90, 90)),  # the oldest: not among four
    ]
    for data in pictures:
        upload(client, token, data)
    open_page(driver, f"{url}/?project={CODE}")
    wait_for(lambda: hook(driver, "detail") == "complete")
    wait_for(lambda: hook(driver, "photos") == "4")
    items = get_json(f"{url}/battle/photos?project={CODE}&limit=4")["items"]
    expected = [(p["id"], (p["taken_at"] or "")[:10] or "时间未知", mark(p)) for p in items]
    assert [tuple(s) for s in shown(driver)] == expected
    assert {p["site"] for p in items} == {"on_site", "off_site", "no_location"}
    images = (
        "return [...document.querySelectorAll('#detail .photos img')]"
        ".map((i) => [i.complete && i.naturalWidth > 0, i.src])"
    )
    loaded = wait_for(
        lambda: (found := driver.execute_script(images)) and all(ok for ok, _ in found) and found
    )
    assert all(src.startswith(url + "/") for _, src in loaded)
    wait_for(lambda: hook(driver, "connection") == "open")
    newest = upload(client, token, jpeg(lon, lat, "2026:12:01 09:00:00", (10, 10, 10)))
    # One look per check: the list is rebuilt when a photo arrives (full, then empty, then full).
    wait_for(lambda: (now := shown(driver)) and now[0][0] == newest and len(now) == 4)
    assert not severe_logs(driver)
