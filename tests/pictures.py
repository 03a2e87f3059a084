"""Photos made in the tests: JPEG, PNG, HEIC … with or without EXIF, never a download."""

from __future__ import annotations

import io

from PIL import Image


def picture(fmt="JPEG", size=(64, 48), colour=(200, 40, 40), exif=None, mode="RGB") -> bytes:
    image = Image.new(mode, size, colour)
    out = io.BytesIO()
    options = {"exif": exif.tobytes()} if exif is not None else {}
    image.save(out, fmt, **options)
    return out.getvalue()
