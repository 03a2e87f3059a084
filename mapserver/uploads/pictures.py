"""An uploaded picture examined: what its bytes are, how large, what its EXIF says, and its
upright 320 px thumbnail; or a 4xx problem naming what is wrong with it.

Only the content counts: the format is what Pillow finds in the bytes (JPEG, PNG, WebP,
and HEIC with pillow-heif), never the file name or the client's content type. Pictures
over Pillow's pixel limit (``Image.MAX_IMAGE_PIXELS``, about 89 megapixels) are refused
from their header, before anything is decoded; a damaged or truncated file is refused
after the full decode the thumbnail needs.
"""

from __future__ import annotations

import hashlib
import io
import re
from dataclasses import dataclass

from PIL import Image, UnidentifiedImageError

from mapserver.errors import PayloadTooLarge, Unprocessable, UnsupportedMediaType
from mapserver.uploads import exif

try:  # HEIC, what iPhones take: only with the pillow-heif wheel
    import pillow_heif

    pillow_heif.register_heif_opener()
    HEIC = True
except ImportError:  # pragma: no cover - the wheel is in requirements.txt
    HEIC = False

# Pillow's format name → (media type, file extension).
FORMATS = {
    "JPEG": ("image/jpeg", "jpg"),
    "MPO": ("image/jpeg", "jpg"),  # phones' multi-picture JPEGs (portrait mode, depth)
    "PNG": ("image/png", "png"),
    "WEBP": ("image/webp", "webp"),
}
if HEIC:
    FORMATS["HEIF"] = ("image/heic", "heic")
OPENERS = [name for name in FORMATS if name != "MPO"]  # Pillow's JPEG opener gives MPO too
EXTENSIONS = dict(FORMATS.values())
ACCEPTED = "JPEG, PNG, WebP" + (", HEIC" if HEIC else "")
THUMBNAIL_PX = 320
MAX_PIXELS = Image.MAX_IMAGE_PIXELS  # about 89 megapixels: larger ones are refused
_HEIF_BRAND = re.compile(rb"^....ftyp(heic|heix|heim|heis|hevc|hevx|mif1|msf1)", re.S)


@dataclass(frozen=True)
class Picture:
    """An examined upload: its bytes, what they are, and its upright thumbnail."""

    data: bytes
    sha256: str
    media_type: str
    width: int  # as shown, EXIF orientation applied
    height: int
    facts: exif.Facts
    thumbnail: bytes

    @property
    def extension(self) -> str:
        return EXTENSIONS[self.media_type]


def bad_file(detail: str, code: str, kind: type = Unprocessable) -> Exception:
    return kind(detail, parameter="file", code=code)


def examine(data: bytes, max_bytes: int) -> Picture:
    """The upload as a picture, or a 4xx naming what is wrong with it."""
    if not data:
        raise bad_file("文件为空 The file is empty", "empty")
    if len(data) > max_bytes:
        raise bad_file(
            f"照片超过 {max_bytes} 字节 The photo is larger than {max_bytes} bytes",
            "too_large",
            PayloadTooLarge,
        )
    image = _open(data)
    width, height = image.size
    facts = _facts(image)
    thumbnail = _thumbnail(image, facts.orientation)
    if facts.turned:
        width, height = height, width
    media_type = FORMATS[image.format][0]
    sha = hashlib.sha256(data).hexdigest()
    return Picture(data, sha, media_type, width, height, facts, thumbnail)


def _open(data: bytes) -> Image.Image:
    try:
        image = Image.open(io.BytesIO(data), formats=OPENERS)
    except Image.DecompressionBombError:
        raise _too_many_pixels() from None
    except UnidentifiedImageError:
        if _HEIF_BRAND.match(data[:12]):
            raise bad_file(
                "本服务器不支持 HEIC 照片，请在手机上选择“兼容性最佳”(JPEG) "
                "HEIC is not supported on this server; send JPEG",
                "heic_unsupported",
                UnsupportedMediaType,
            ) from None
        raise bad_file(
            f"不是可识别的图片 Not an image this server reads (accepted: {ACCEPTED})",
            "not_an_image",
            UnsupportedMediaType,
        ) from None
    except Exception as exc:  # a header Pillow recognises but cannot parse
        raise bad_file(f"图片文件已损坏 Damaged image file: {exc}", "damaged") from None
    width, height = image.size
    if width * height > MAX_PIXELS:
        raise _too_many_pixels(width, height)
    return image


def _too_many_pixels(width: int = 0, height: int = 0) -> Exception:
    size = f" ({width}×{height})" if width else ""
    return bad_file(
        f"图片像素过多{size}，上限 {MAX_PIXELS} 像素 Too many pixels{size}; at most {MAX_PIXELS}",
        "too_many_pixels",
        PayloadTooLarge,
    )


def _facts(image: Image.Image) -> exif.Facts:
    try:
        tags = image.getexif()
    except Exception:  # an EXIF block too broken to parse says nothing
        return exif.Facts()
    return exif.read(tags)


def _thumbnail(image: Image.Image, orientation: int) -> bytes:
    """The whole picture decoded (a truncated file fails here), upright, ≤ 320 px, JPEG."""
    try:
        image.draft("RGB", (THUMBNAIL_PX, THUMBNAIL_PX))  # JPEG: decode at a smaller scale
        image.load()
        small = exif.upright(_rgb(image), orientation)
        small.thumbnail((THUMBNAIL_PX, THUMBNAIL_PX))
        out = io.BytesIO()
        small.save(out, "JPEG", quality=80, optimize=True)
    except Image.DecompressionBombError:
        raise _too_many_pixels(*image.size) from None
    except Exception as exc:
        raise bad_file(f"图片不完整或已损坏 Truncated or damaged image: {exc}", "damaged") from None
    return out.getvalue()


def _rgb(image: Image.Image) -> Image.Image:
    """Transparent parts on white: a thumbnail is a JPEG."""
    if image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info:
        rgba = image.convert("RGBA")
        white = Image.new("RGBA", rgba.size, "white")
        return Image.alpha_composite(white, rgba).convert("RGB")
    return image.convert("RGB")
