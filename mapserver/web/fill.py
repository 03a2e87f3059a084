"""The county's reporting page (``/fill``) and the city's review queue (``/review``).

Both pages are static (static/fill.html, static/review.html and their ES modules) and
talk only to the records API (docs/battle.md); what a user may do is decided there, the
pages only offer it. Without a login the request goes to the login page and comes back
to the same address (the project in the query included).
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote

from flask import Response, current_app, redirect, request

from mapserver.web.auth import current_actor


def _page(name: str) -> Response:
    if current_actor() is None:
        here = request.path + (f"?{request.query_string.decode()}" if request.query_string else "")
        return redirect(f"/login?next={quote(here, safe='/')}", 303)
    html = Path(current_app.static_folder, name).read_text(encoding="utf-8")
    return Response(html, mimetype="text/html", headers={"Cache-Control": "no-cache"})


def fill_page() -> Response:
    """填报: the to-do list of the county's projects, or one project's reporting page."""
    return _page("fill.html")


def review_page() -> Response:
    """审核: everything submitted, oldest first (dispatchers and administrators)."""
    return _page("review.html")
