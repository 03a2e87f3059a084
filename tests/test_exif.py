"""Reading EXIF: time, GPS and orientation, and garbage read as "unknown", never raised."""

from __future__ import annotations

import datetime as dt

import pytest
from PIL import Image
from PIL.TiffImagePlugin import IFDRational as R

from mapserver.uploads import exif

CST = dt.timezone(dt.timedelta(hours=8))


def tags(gps=None, exif_ifd=None, orientation=None) -> Image.Exif:
    """An EXIF block as Pillow reads it from a file (written, then read back)."""
    written = Image.Exif()
    if orientation is not None:
        written[exif.ORIENTATION] = orientation
    written.get_ifd(exif.GPS_IFD).update(gps or {})
    written.get_ifd(exif.EXIF_IFD).update(exif_ifd or {})
    read = Image.Exif()
    read.load(b"Exif\x00\x00" + written.tobytes())
    return read


def position(lat, lat_ref, lon, lon_ref):
    return {1: lat_ref, 2: lat, 3: lon_ref, 4: lon}


GUANG_AN = position(
    (R(30, 1), R(28, 1), R(123456, 10000)), "N", (R(106, 1), R(38, 1), R(15, 2)), "E"
)


def test_position_from_degrees_minutes_seconds():
    facts = exif.read(tags(gps=GUANG_AN))
    assert facts.latitude == pytest.approx(30 + 28 / 60 + 12.3456 / 3600, abs=1e-12)
    assert facts.longitude == pytest.approx(106 + 38 / 60 + 7.5 / 3600, abs=1e-12)


def test_southern_and_western_hemispheres_are_negative():
    gps = position((R(33, 1), R(52, 1), R(0, 1)), "S", (R(151, 1), R(12, 1), R(0, 1)), "W")
    facts = exif.read(tags(gps=gps))
    assert facts.latitude == pytest.approx(-(33 + 52 / 60)) and facts.longitude < -151


@pytest.mark.parametrize(
    "gps",
    [
        position((R(30, 0), R(28, 1), R(0, 1)), "N", (R(106, 1), R(38, 1), R(0, 1)), "E"),
        position((R(30, 1), R(28, 1), R(0, 0)), "N", (R(106, 1), R(0, 0), R(0, 1)), "E"),
        position((R(30, 1), R(28, 1), R(0, 1)), "X", (R(106, 1), R(38, 1), R(0, 1)), "E"),
        position((R(30, 1), R(28, 1), R(0, 1)), "N", (R(106, 1), R(38, 1), R(0, 1)), ""),
        position((R(95, 1), R(0, 1), R(0, 1)), "N", (R(106, 1), R(38, 1), R(0, 1)), "E"),
        position((R(30, 1), R(75, 1), R(0, 1)), "N", (R(106, 1), R(38, 1), R(0, 1)), "E"),
        position((R(0, 1), R(0, 1), R(0, 1)), "N", (R(0, 1), R(0, 1), R(0, 1)), "E"),
        position((R(30, 1),), "N", (R(106, 1), R(38, 1), R(0, 1)), "E"),
        {1: "N", 2: (R(30, 1), R(28, 1), R(0, 1))},
    ],
    ids=["zero-denominator-degrees", "zero-denominator-seconds", "bad-ref", "empty-ref",
         "latitude-95", "75-minutes", "null-island", "one-part", "no-longitude"],
)  # fmt: skip
def test_garbage_gps_is_no_position(gps):
    facts = exif.read(tags(gps=gps))
    assert facts.longitude is None and facts.latitude is None


def test_gps_readers_take_any_mapping():
    assert exif.gps_position({}) is None
    assert exif.gps_position({1: b"N\x00", 2: [1, 2, 3], 3: 5, 4: None}) is None
    assert exif.gps_position({1: "N", 2: "30/1", 3: "E", 4: (106, 0, 0)}) is None
    assert exif.gps_position({1: "N", 2: (1, 2, 3), 3: "E", 4: ((106, 1), (0, 1), (0, 1))}) == (
        106.0,
        pytest.approx(1 + 2 / 60 + 3 / 3600),
    )


def test_time_with_and_without_offset():
    original = {exif.DATE_TIME_ORIGINAL: "2026:11:30 14:05:06"}
    assert exif.read(tags(exif_ifd=original)).taken_at == dt.datetime(
        2026, 11, 30, 14, 5, 6, tzinfo=CST
    )
    with_offset = {**original, exif.OFFSET_TIME_ORIGINAL: "-03:30"}
    taken = exif.read(tags(exif_ifd=with_offset)).taken_at
    assert taken.utcoffset() == -dt.timedelta(hours=3, minutes=30)
    only_offset_time = {**original, exif.OFFSET_TIME: "+00:00"}
    assert exif.read(tags(exif_ifd=only_offset_time)).taken_at.utcoffset() == dt.timedelta(0)


def test_time_zone_defaults_to_china():
    taken = exif.taken_at(
        {exif.DATE_TIME_ORIGINAL: "2026:01:02 03:04:05", exif.OFFSET_TIME: "soon"}
    )
    assert taken.utcoffset() == dt.timedelta(hours=8)
    assert taken.tzinfo.key == "Asia/Shanghai"


@pytest.mark.parametrize(
    "stamp", ["0000:00:00 00:00:00", "2026:13:01 00:00:00", "yesterday", "", b"\xff\xfe", 42, None]
)
def test_garbage_time_is_no_time(stamp):
    assert exif.taken_at({exif.DATE_TIME_ORIGINAL: stamp}) is None


@pytest.mark.parametrize(
    ("value", "expected"), [(6, 6), (1, 1), (0, 1), (9, 1), ("6", 1), (None, 1)]
)
def test_orientation(value, expected):
    assert exif.orientation({} if value is None else {exif.ORIENTATION: value}) == expected


def test_upright_turns_a_sideways_picture():
    # Orientation 6: the camera was turned clockwise; the stored picture's left is the top.
    stored = Image.new("RGB", (4, 2), "blue")
    stored.putpixel((0, 0), (255, 0, 0))
    shown = exif.upright(stored, 6)
    assert shown.size == (2, 4)
    assert shown.getpixel((1, 0)) == (255, 0, 0)  # top right
    assert exif.upright(stored, 1) is stored


def test_broken_exif_directory_reads_as_nothing():
    broken = Image.Exif()
    broken.load(
        b"Exif\x00\x00MM\x00\x2a\x00\x00\x00\x08\x00\x02\x88\x25\x00\x04\x00\x00\x00\x01\xff\xff\xff\x00"
    )
    facts = exif.read(broken)
    assert facts == exif.Facts()
