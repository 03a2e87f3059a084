"""What the feed benchmark requests, and the same SQL for PostgreSQL alone.

A :class:`Query` is a set of ``/layers`` query parameters, possibly depending on
the table size. A :class:`Target` is one HTTP rendering of the feed (today
``/layers/projects.geojson``; the OGC API items path of issue #5 goes in
:data:`TARGETS` next to it). PostgreSQL alone is always given the statement
that the ``/layers`` feed runs, built by the app's own query builder, so its
bytes are the app's ``features`` array byte for byte.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from urllib.parse import urlencode

import psycopg
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from mapserver.features import query, query_sql
from mapserver.layers import Layer
from mapserver.vocabulary import Vocabulary

LAYER = "projects"
# Chosen on the 100,000-project table (seed demo.SEED): 200–500 features there.
# The run prints and records the real count for every size.
BBOX = "106.40,30.50,106.44,30.54"
BBOX_RANGE = (200, 500)


@dataclass(frozen=True)
class Query:
    """One benchmarked request; ``params(n)`` gives its parameters on an n-row table."""

    name: str
    title: str
    params: Callable[[int], Mapping[str, str]]


QUERIES: tuple[Query, ...] = (
    Query("limit100", "(a) first page, `limit=100`", lambda n: {"limit": "100"}),
    Query(
        "county_status",
        "(b) county + status, `county=511621&status=under_construction&limit=1000`",
        lambda n: {"county": "511621", "status": "under_construction", "limit": "1000"},
    ),
    Query("bbox", f"(c) bbox `{BBOX}`", lambda n: {"bbox": BBOX, "limit": "1000"}),
    Query("limit10000", "(d) `limit=10000`", lambda n: {"limit": "10000"}),
    Query(
        "single",
        "(e) one feature, `limit=1&offset=n/2`",
        lambda n: {"limit": "1", "offset": str(n // 2)},
    ),
)


@dataclass(frozen=True)
class Target:
    """One HTTP path serving the feed; ``translate`` maps /layers parameters to its own."""

    name: str
    title: str
    path: str
    translate: Callable[[Mapping[str, str]], Mapping[str, str]] = field(default=dict)

    def url(self, base: str, params: Mapping[str, str]) -> str:
        return f"{base}{self.path}?{urlencode(self.translate(params))}"


TARGETS: dict[str, Target] = {
    "layers": Target("layers", "/layers feed", f"/layers/{LAYER}.geojson"),
    # Issue #5 §8: same query builder, OGC rendering (adds timeStamp and more links).
    # (e) stays limit=1&offset=n/2 here too, so the two paths compare like for like.
    "ogc": Target("ogc", "OGC API items", f"/ogc/collections/{LAYER}/items"),
}


def feature_query(layer: Layer, vocab: Vocabulary, params: Mapping[str, str]) -> query.FeatureQuery:
    """The app's own parsed query for these parameters."""
    return query.parse(layer, {k: [v] for k, v in params.items()}, vocab)


def pg_statement(engine: Engine, q: query.FeatureQuery) -> str:
    """The feed's feature SQL, aggregated into one text value, parameters as literals.

    The app asks for ``limit + 1`` rows to learn whether a next page exists;
    here ``limit`` is exact, so the value equals the ``features`` array the app
    sends. Literals are rendered by psycopg itself (client-side binding).
    """
    sql, params = query_sql.features_sql(q)
    text = literal_sql(engine, sql, {**params, "limit": q.limit})
    return f"SELECT string_agg(f, ',') FROM ({text}) AS s(f)"


def literal_sql(engine: Engine, sql: str, params: Mapping[str, object]) -> str:
    """``sql`` with its ``:name`` parameters as literals, rendered by psycopg itself
    (client-side binding): one statement pgbench can run."""
    compiled = sa.text(sql).compile(dialect=engine.dialect)
    values = compiled.construct_params(dict(params))
    raw = engine.raw_connection()
    try:
        return psycopg.ClientCursor(raw.driver_connection).mogrify(compiled.string, values)
    finally:
        raw.close()
