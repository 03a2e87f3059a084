"""What a photo's EXIF says: when it was taken, where (GPS), and which way is up.

Phones write these tags, but an upload may carry anything, so every reader here is
total: a missing, malformed or absurd value reads as "unknown" (None, or orientation 1),
never as an exception. EXIF GPS positions are WGS84 longitude/latitude; apps that write
GCJ-02 "offset" coordinates instead put a photo some 470 m off in Guang'an, which no
reader can tell from the tags.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from PIL import Image

EXIF_IFD = 0x8769
GPS_IFD = 0x8825
ORIENTATION = 0x0112
DATE_TIME_ORIGINAL = 0x9003
OFFSET_TIME_ORIGINAL = 0x9011
OFFSET_TIME = 0x9010
GPS_LATITUDE_REF, GPS_LATITUDE, GPS_LONGITUDE_REF, GPS_LONGITUDE = 1, 2, 3, 4
# A camera clock without a zone is local time; here that is China Standard Time.
LOCAL = ZoneInfo("Asia/Shanghai")
_OFFSET = re.compile(r"^([+-])(\d\d):(\d\d)$")
_STAMP = re.compile(r"^\d{4}:\d\d:\d\d \d\d:\d\d:\d\d")
# Orientation 1..8 → the transposition that makes the picture upright.
_UPRIGHT = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}


@dataclass(frozen=True)
class Facts:
    """What the EXIF tells; ``None``: not told, or not believable."""

    taken_at: dt.datetime | None = None
    longitude: float | None = None
    latitude: float | None = None
    orientation: int = 1

    @property
    def turned(self) -> bool:
        """Stored on its side: width and height swap when shown upright."""
        return self.orientation in (5, 6, 7, 8)


def read(exif: Image.Exif) -> Facts:
    """Time, position and orientation from Pillow's EXIF of an image."""
    position = gps_position(_ifd(exif, GPS_IFD))
    longitude, latitude = position if position else (None, None)
    return Facts(taken_at(_ifd(exif, EXIF_IFD)), longitude, latitude, orientation(exif))


def _ifd(exif: Image.Exif, tag: int) -> Mapping[int, Any]:
    try:
        ifd = exif.get_ifd(tag)
    except Exception:  # a broken offset inside the EXIF block: no such directory
        return {}
    return ifd if isinstance(ifd, Mapping) else {}


def taken_at(exif_ifd: Mapping[int, Any]) -> dt.datetime | None:
    """DateTimeOriginal with OffsetTimeOriginal (or OffsetTime); else China time."""
    stamp = _text(exif_ifd.get(DATE_TIME_ORIGINAL))
    if stamp is None or not _STAMP.match(stamp):
        return None
    try:
        naive = dt.datetime.strptime(stamp[:19], "%Y:%m:%d %H:%M:%S")
    except ValueError:  # 0000:00:00 00:00:00 and other impossible dates
        return None
    offset = _text(exif_ifd.get(OFFSET_TIME_ORIGINAL)) or _text(exif_ifd.get(OFFSET_TIME))
    zone = _zone(offset) if offset else None
    return naive.replace(tzinfo=zone or LOCAL)


def _zone(offset: str) -> dt.tzinfo | None:
    match = _OFFSET.match(offset)
    if not match:
        return None
    sign, hours, minutes = match.groups()
    delta = dt.timedelta(hours=int(hours), minutes=int(minutes))
    if delta > dt.timedelta(hours=14) or int(minutes) >= 60:
        return None
    return dt.timezone(-delta if sign == "-" else delta)


def gps_position(gps: Mapping[int, Any]) -> tuple[float, float] | None:
    """(longitude, latitude) in degrees, WGS84; None unless both are believable."""
    lat = _degrees(gps.get(GPS_LATITUDE), _text(gps.get(GPS_LATITUDE_REF)), "N", "S", 90)
    lon = _degrees(gps.get(GPS_LONGITUDE), _text(gps.get(GPS_LONGITUDE_REF)), "E", "W", 180)
    if lat is None or lon is None or (lat == 0 and lon == 0):  # 0, 0: a phone without a fix
        return None
    return lon, lat


def _degrees(value: Any, ref: str | None, plus: str, minus: str, limit: float) -> float | None:
    """Degrees, minutes, seconds (rationals) and a hemisphere letter as signed degrees."""
    if ref is None or ref.upper() not in (plus, minus):
        return None
    if not isinstance(value, Sequence) or isinstance(value, str | bytes) or len(value) != 3:
        return None
    parts = [_number(v) for v in value]
    if any(p is None or p < 0 for p in parts):
        return None
    degrees, minutes, seconds = parts
    if minutes >= 60 or seconds >= 60:
        return None
    total = degrees + minutes / 60 + seconds / 3600
    if total > limit:
        return None
    return -total if ref.upper() == minus else total


def _number(value: Any) -> float | None:
    """A rational (Pillow's IFDRational, a pair) or a number; None for x/0 and NaN."""
    try:
        if hasattr(value, "numerator") and hasattr(value, "denominator"):
            if value.denominator == 0:
                return None
            number = value.numerator / value.denominator
        elif isinstance(value, tuple) and len(value) == 2:
            number = value[0] / value[1] if value[1] else math.nan
        else:
            number = float(value)
    except (TypeError, ValueError, ZeroDivisionError, OverflowError):
        return None
    return number if math.isfinite(number) else None


def orientation(exif: Mapping[int, Any]) -> int:
    """The Orientation tag, 1 (upright) unless it is one of the eight defined values."""
    value = exif.get(ORIENTATION)
    return value if isinstance(value, int) and 1 <= value <= 8 else 1


def upright(image: Image.Image, orientation: int) -> Image.Image:
    """The picture as the camera was held (EXIF orientation applied)."""
    method = _UPRIGHT.get(orientation)
    return image.transpose(method) if method is not None else image


def _text(value: Any) -> str | None:
    if isinstance(value, bytes):
        value = value.decode("ascii", "replace")
    if not isinstance(value, str):
        return None
    return value.strip("\x00 ") or None
