"""Counts and sums for a filtered layer, through the feed's own WHERE clause.

One statement with GROUPING SETS gives the total and every breakdown from the
same snapshot, so the panel's figures always add up to what the map shows.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from mapserver.features import admission
from mapserver.features.query import FeatureQuery
from mapserver.features.query_sql import where_sql
from mapserver.vocabulary import Vocabulary


def stats_sql(q: FeatureQuery) -> tuple[str, dict]:
    spec = q.layer.stats
    where, params = where_sql(q)
    cols = [f't."{g}"' for g in spec.group_by]
    grouping = f"GROUPING({', '.join(cols)})" if cols else "0"
    sums = "".join(f', sum(t."{s}")' for s in spec.sums)
    sets = ", ".join([*(f"({c})" for c in cols), "()"])
    select = ", ".join([grouping, *cols, "count(*)"]) + sums
    return (
        f'SELECT {select} FROM "{q.layer.table}" t WHERE {where} GROUP BY GROUPING SETS ({sets})',
        params,
    )


def compute(conn: sa.Connection, q: FeatureQuery, vocab: Vocabulary) -> dict[str, Any]:
    """The statistics document (see docs/api.md)."""
    admission.admit(conn, q)
    spec = q.layer.stats
    sql, params = stats_sql(q)
    n = len(spec.group_by)
    groups: dict[str, dict[str, dict]] = {g: {} for g in spec.group_by}
    total: dict[str, Any] = {"count": 0, **{s: 0.0 for s in spec.sums}}
    for row in conn.execute(sa.text(sql), params):
        figures = _figures(row[1 + n :], spec.sums)
        bits = row[0]
        if bits == (1 << n) - 1:  # the () set: every column rolled up
            total = figures
            continue
        for i, name in enumerate(spec.group_by):
            if not bits & (1 << (n - 1 - i)):
                groups[name][str(row[1 + i])] = figures
    out: dict[str, Any] = {"layer": q.layer.id, "count": total["count"]}
    out["sums"] = {s: total[s] for s in spec.sums}
    if spec.ratio:
        den = total[spec.ratio["denominator"]]
        out[spec.ratio["name"]] = round(total[spec.ratio["numerator"]] / den, 4) if den else None
    out["groups"] = {name: _listed(q, name, found, vocab) for name, found in groups.items()}
    return out


def _figures(values: tuple, sums: tuple[str, ...]) -> dict[str, Any]:
    out: dict[str, Any] = {"count": values[0]}
    for name, value in zip(sums, values[1:]):
        out[name] = round(float(value), 2) if value is not None else 0.0
    return out


def _listed(q: FeatureQuery, name: str, found: dict, vocab: Vocabulary) -> list[dict]:
    """Every code in vocabulary order, zero where nothing matched."""
    zero = {"count": 0, **{s: 0.0 for s in q.layer.stats.sums}}
    labels = vocab.labels(q.layer.properties[name])
    rows = [
        {"code": code, "label": label, **found.get(code, zero)} for code, label in labels.items()
    ]
    rows += [{"code": c, "label": None, **f} for c, f in found.items() if c not in labels]
    return rows
