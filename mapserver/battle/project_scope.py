"""The projects a battle list is scoped to: ``project.<filter>=codes`` parameters.

The big screen in tile mode holds no projects, so its lists (问题清单, 点球, 红黑榜) ask the
server to narrow them to the page's filter. The names after ``project.`` are the projects
layer's ``filters`` (the layer file's allowlist) and their codes are checked by the feed's
parser, so the scope selects exactly the projects the feed and the tiles select.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

import sqlalchemy as sa

from mapserver.errors import InvalidParameter
from mapserver.features import query
from mapserver.features.query import FeatureQuery
from mapserver.features.query_sql import where_sql
from mapserver.layers import Layer
from mapserver.vocabulary import Vocabulary

PREFIX = "project."


def names(args: Mapping[str, Any]) -> list[str]:
    """The scope's parameter names in ``args`` (for the callers' unknown-parameter checks)."""
    return [name for name in args if name.startswith(PREFIX)]


def parse(
    layer: Layer, args: Mapping[str, Sequence[str]], vocab: Vocabulary
) -> FeatureQuery | None:
    """The ``project.*`` parameters of ``args`` as a query of the projects layer (None: none
    given); a bad one is a 400 naming it, ``project.`` included."""
    scoped = {name[len(PREFIX) :]: args[name] for name in names(args)}
    if not scoped:
        return None
    allowed = [PREFIX + f for f in layer.filters]
    for name in scoped:
        if name not in layer.filters:
            message = f"unknown parameter {PREFIX + name[:50]!r}"
            raise InvalidParameter(message, parameter=PREFIX + name, allowed=allowed)
    try:
        return query.parse(layer, scoped, vocab, paging=())
    except InvalidParameter as exc:
        extra = {**exc.extra, "parameter": PREFIX + str(exc.extra.get("parameter", ""))}
        raise InvalidParameter(f"{PREFIX}{exc.detail}", **extra) from None


def condition(scope: FeatureQuery, column: str) -> tuple[str, dict[str, Any]]:
    """SQL: ``column`` (a trusted expression holding project codes) is one of the scope's
    projects. Its parameters are named ``scope_…`` so they meet no caller's."""
    layer = scope.layer
    where, params = where_sql(scope)
    for name in params:
        where = re.sub(rf"(?<!:):{name}\b", f":scope_{name}", where)
    subquery = f'SELECT t."{layer.id_column}" FROM "{layer.table}" t WHERE {where}'
    return f"{column} IN ({subquery})", {f"scope_{k}": v for k, v in params.items()}


def values(conn: sa.Connection, scope: FeatureQuery, column: str) -> set[Any]:
    """The distinct values of a property of the projects layer (a name the caller checked
    against ``layer.properties``) among the scope's projects."""
    if column not in scope.layer.properties:
        raise ValueError(f"{column!r} is not a property of {scope.layer.id}")
    where, params = where_sql(scope)
    sql = f'SELECT DISTINCT t."{column}" FROM "{scope.layer.table}" t WHERE {where}'
    return {row[0] for row in conn.execute(sa.text(sql), params)}
