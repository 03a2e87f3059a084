"""The battle-map page with what it needs before its first request, built in.

The page used to ask for ``/layers`` and ``/config`` once its modules had run, and only
then for the data: a chain of round trips on every load. Now the catalog and settings
travel inside the HTML, and ``<link rel=preload>`` starts the page's first data requests
while the browser is still fetching the modules. The preloaded URLs are exactly the ones
the page builds itself (static/js/common/api.js, map/urlstate.js); one that does not match
is only fetched twice, never wrong.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from html import escape
from typing import Any
from urllib.parse import quote_plus

BOOT_ID = "boot"
BASEMAP_LAYERS = ("counties", "city")


def _query(pairs: Sequence[tuple[str, str]]) -> str:
    """Like the page's URLSearchParams().toString() with commas left as they are."""
    return "&".join(f"{quote_plus(k)}={quote_plus(v, safe=',')}" for k, v in pairs)


def _filters(layer: Mapping[str, Any], args: Mapping[str, Sequence[str]]) -> list[tuple[str, str]]:
    """The page's readFilters(): known codes only, in vocabulary order."""
    pairs = []
    for f in layer["filters"]:
        asked = {code for value in args.get(f["name"], ()) for code in value.split(",")}
        codes = [v["code"] for v in f["values"] if v["code"] in asked]
        if codes:
            pairs.append((f["name"], ",".join(codes)))
    return pairs


def first_requests(
    catalog: Sequence[Mapping[str, Any]],
    args: Mapping[str, Sequence[str]],
    records: bool = True,
    many: bool = False,
) -> list[str]:
    """The URLs the page requests first for this page URL's query ``args`` (the battle
    records' only if the reader may read them: ``records``). With ``many`` projects (more
    than the tile threshold, the boot data's ``many_projects``) the page waits for /stats
    before it asks for any GeoJSON, and mostly asks for none (tile mode): no feed preload,
    which would download a page of features only to drop it."""
    layers = {layer["id"]: layer for layer in catalog}
    urls = []
    for layer_id in BASEMAP_LAYERS:
        if layer_id in layers:
            limit = layers[layer_id]["limit"]["max"]
            urls.append(f"/layers/{layer_id}.geojson?limit={limit}")
    projects = layers.get("projects")
    if projects:
        filters = _filters(projects, args)
        only = projects.get("map_properties")
        # the page asks no more than the tile threshold (above it the tiles are used)
        threshold = (projects.get("tiles") or {}).get("screen_threshold")
        limit = min(projects["limit"]["max"], threshold or projects["limit"]["max"])
        tail = [("limit", str(limit))]
        tail += [("properties", ",".join(only)), ("labels", "false")] if only else []
        urls += [] if many else [f"/layers/projects.geojson?{_query([*filters, *tail])}"]
        urls.append(f"/stats?{_query(filters)}" if filters else "/stats")
        urls += battle_requests(filters) if records else []
    return urls


def battle_requests(filters: Sequence[tuple[str, str]]) -> list[str]:
    """The battle panels' first requests (static/js/map/battle.js, problems.js): the
    red/black list, the published periods, the open 点球 call-outs and the open problems of
    the page's counties and working groups."""
    named = dict(filters)
    area = [(n, named[n]) for n in ("county", "working_group") if n in named]
    callouts = _query([("status", "issued,responded"), ("limit", "10000"), *area])
    problems = _query([("status", "open"), ("limit", "10000"), *area])
    return [
        "/battle/ranking",
        "/battle/ranking/periods",
        f"/battle/callouts?{callouts}",
        f"/battle/problems?{problems}",
    ]


def _script_json(value: Any) -> str:
    """JSON that cannot end the <script> element it sits in."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def render(html: str, boot: Mapping[str, Any], preload: Sequence[str]) -> str:
    """``html`` with the boot data and the preload links added at the end of <head>."""
    links = "".join(
        f'  <link rel="preload" as="fetch" crossorigin="anonymous" href="{escape(url)}">\n'
        for url in preload
    )
    data = f'  <script type="application/json" id="{BOOT_ID}">{_script_json(boot)}</script>\n'
    head, sep, rest = html.partition("</head>")
    if not sep:
        raise ValueError("index.html has no </head>")
    return head + links + data + sep + rest
