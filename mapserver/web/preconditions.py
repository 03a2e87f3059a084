"""``If-Match`` for the write endpoints: the version a client last saw (``"v<n>"``)."""

from __future__ import annotations

import re

from flask import request

from mapserver.errors import PreconditionFailed, PreconditionRequired

TAG = re.compile(r'\s*(W/)?"([^"]*)"\s*(?:,|$)')


def if_match() -> int | None:
    """The version named by If-Match; None for ``*``."""
    header = request.headers.get("If-Match")
    if header is None:
        raise PreconditionRequired("需要 If-Match（先 GET 取得 ETag） If-Match required")
    if header.strip() == "*":
        return None
    for weak, tag in TAG.findall(header):
        match = re.fullmatch(r"v(\d{1,9})", tag)
        if match and not weak:
            return int(match.group(1))
    raise PreconditionFailed("If-Match 中没有版本号 If-Match names no version", header="If-Match")
