"""The dispatch-meeting report (调度会): the figures, projects and records of one period for
the map's filters, gathered in one snapshot, and its tables (the same for the printable
page and the XLSX workbook).

Overview figures come from :mod:`mapserver.features.statistics` (the path of ``/stats``); lagging
projects from the projects layer's ``health`` (as of today); open problems and 点球
call-outs of the filtered projects from :mod:`mapserver.battle.record_lists`; the red/black list of
the period as published, or computed now while it is not; what changed (本期变化) from
:mod:`mapserver.features.changes` (the path of ``/changes``) over the period, or since the previous
month's end when no period is asked for.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from mapserver.battle import callouts, problem_list, ranking_periods, record_lists, staticmap
from mapserver.battle.ranking import RankingRules
from mapserver.errors import InvalidParameter, NotFound
from mapserver.features import admission, changes, query, query_sql, statistics
from mapserver.layers import Layer
from mapserver.store import periods
from mapserver.vocabulary import Vocabulary

LAGGING = ("seriously_lagging", "lagging")
PROJECTS = """SELECT t.code, t.name, t.county, t.owner_unit, t.status, t.health, t.days_late,
t.points_behind, t.annual_plan, t.year_to_date FROM battle_projects t WHERE {where}
ORDER BY array_position(CAST(:lagging AS text[]), t.health), t.days_late DESC NULLS LAST, t.code"""


@dataclass(frozen=True)
class Table:
    """One table of the report: a title, the column headers and the rows (plain values)."""

    name: str
    title: str
    headers: tuple[str, ...]
    rows: list[tuple]


def parse_period(text: str | None, today_month: str) -> periods.Period:
    """``period`` (month or quarter); this month when absent."""
    try:
        return periods.parse(text or today_month, ranking_periods.KINDS)
    except periods.PeriodError as exc:
        raise InvalidParameter(str(exc), parameter="period") from None


def gather(
    engine: sa.Engine,
    layer: Layer,
    vocab: Vocabulary,
    rules: RankingRules,
    period_text: str | None,
    filter_args: Mapping[str, Sequence[str]],
) -> dict[str, Any]:
    """The report's data: ``period``, ``stats``, ``lagging``, ``problems``, ``callouts``,
    ``ranking``, ``changes``, ``map`` and ``scope`` (the filters as labels)."""
    q = query.parse(layer, filter_args, vocab, paging=query.FILTERING)
    changes_q = query.parse(layer, changes.filters_of(filter_args), vocab, paging=())
    with engine.connect().execution_options(isolation_level="REPEATABLE READ") as conn:
        admission.admit(conn, q)
        period = parse_period(period_text, ranking_periods.this_month(conn))
        window = _window(period if period_text else None, periods.database_today(conn))
        projects = _projects(conn, q)
        codes = tuple(p["code"] for p in projects)
        doc = {
            "period": period.text,
            "today": periods.database_today(conn).isoformat(),
            "stats": statistics.compute(conn, q, vocab),
            "lagging": [p for p in projects if p["health"] in LAGGING],
            "problems": _unresolved(conn, codes),
            "callouts": _records(conn, callouts.KIND, codes, ("issued", "responded")),
            "map": staticmap.draw(conn, q),
            "changes": changes.compute(conn, changes_q, window, vocab),
        }
        doc["ranking"] = _ranking(engine, conn, period, rules)
    doc["scope"] = scope(layer, vocab, q)
    return doc


def _window(period: periods.Period | None, today: dt.date) -> changes.Window:
    """The period (after the day before it, up to its end or today), else the default."""
    if period is None:
        return changes.window(None, None, today)
    end = period.as_of(today)
    return changes.Window(min(period.start - dt.timedelta(days=1), end), end)


def _projects(conn: sa.Connection, q: query.FeatureQuery) -> list[dict[str, Any]]:
    where, params = query_sql.where_sql(q)
    rows = conn.execute(sa.text(PROJECTS.format(where=where)), {**params, "lagging": list(LAGGING)})
    return [record_lists.plain(r) for r in rows.mappings()]


def _records(conn: sa.Connection, kind, codes: tuple[str, ...], statuses: tuple[str, ...]) -> list:
    if not codes:
        return []
    q = record_lists.ListQuery(kind, {"project": codes, "status": statuses}, limit=10000)
    items = record_lists.listing(conn, q)["items"]
    return sorted(
        items,
        key=lambda r: (not r.get("overdue"), r.get("due_date") or r.get("deadline") or "9999"),
    )


def _unresolved(conn: sa.Connection, codes: tuple[str, ...]) -> list:
    """Problems open for the figures: open, or resolved without the city's approval."""
    listed = _records(conn, problem_list.KIND, codes, ("open", "resolved"))
    return [p for p in listed if p.get("review") != "approved"]


def _ranking(engine: sa.Engine, conn: sa.Connection, period: periods.Period, rules) -> dict:
    try:
        return ranking_periods.published(engine, period.text)
    except NotFound:
        return ranking_periods.compute(conn, period, rules)


def scope(layer: Layer, vocab: Vocabulary, q: query.FeatureQuery) -> list[tuple[str, str]]:
    """The filters as (title, labels) for the page's heading; empty: all projects."""
    out = []
    for name, codes in q.filters:
        prop = layer.properties[name]
        labels = vocab.labels(prop)
        out.append((prop.title or name, "、".join(labels.get(c, c) for c in codes)))
    return out


def _label(vocab: Vocabulary, layer: Layer, name: str, code: Any) -> str:
    return (
        vocab.labels(layer.properties[name]).get(str(code), str(code)) if code is not None else ""
    )


def tables(doc: Mapping[str, Any], layer: Layer, vocab: Vocabulary) -> list[Table]:
    """The report's tables, in order, with Chinese headers."""
    return [
        _overview(doc),
        change_table(doc["changes"], layer, vocab),
        _lagging(doc, layer, vocab),
        _problems(doc),
        _callouts(doc),
        *(_ranking_table(doc["ranking"], track) for track in ("county", "unit")),
    ]


def _problems(doc: Mapping[str, Any]) -> Table:
    headers = ("项目", "问题", "责任单位", "提出日期", "限办日期", "逾期")
    rows = [
        (p["project_name"], p["description"], p["responsible_unit"], p["raised_on"],
         p["due_date"] or "", "逾期" if p.get("overdue") else "")
        for p in doc["problems"]
    ]  # fmt: skip
    return Table("problems", "问题清单（未解决）", headers, rows)


def _callouts(doc: Mapping[str, Any]) -> Table:
    headers = ("项目", "责任单位", "要求", "下达日期", "期限", "状态")
    rows = [
        (c["project_name"], c["responsible_unit"], c["demand"], c["issued_on"], c["deadline"],
         f"逾期{c['days_overdue']}天" if c["overdue"] else _CALLOUT[c["status"]])
        for c in doc["callouts"]
    ]  # fmt: skip
    return Table("callouts", "点球（未办结）", headers, rows)


_CALLOUT = {"issued": "待办", "responded": "已答复", "closed": "已办结"}
_TRACKS = {"county": "县（市、区）", "unit": "责任单位"}
_LISTS = {"red": "红榜", "black": "黑榜", None: ""}


def _overview(doc: Mapping[str, Any]) -> Table:
    s = doc["stats"]
    rate = s.get("completion_rate")
    health = {g["code"]: g["count"] for g in s["groups"].get("health", [])}
    rows = [
        ("项目总数（个）", s["count"]),
        ("总投资（万元）", s["sums"]["total_investment"]),
        ("年度计划投资（万元）", s["sums"]["annual_plan"]),
        ("本年完成投资（已审核，万元）", s["sums"]["year_to_date"]),
        ("年度投资完成率（%）", None if rate is None else round(rate * 100, 2)),
        ("滞后项目（个）", health.get("lagging", 0)),
        ("严重滞后项目（个）", health.get("seriously_lagging", 0)),
        ("未解决问题（项）", len(doc["problems"])),
        ("未办结点球（项）", len(doc["callouts"])),
        ("其中逾期点球（项）", sum(1 for c in doc["callouts"] if c["overdue"])),
    ]
    return Table("overview", "总体情况", ("指标", "数值"), rows)


def _lagging(doc: Mapping[str, Any], layer: Layer, vocab: Vocabulary) -> Table:
    rows = [
        (p["code"], p["name"], _label(vocab, layer, "county", p["county"]), p["owner_unit"],
         _label(vocab, layer, "health", p["health"]), p["days_late"] or 0,
         round(p["points_behind"] or 0, 2))
        for p in doc["lagging"]
    ]  # fmt: skip
    headers = (
        "项目编号",
        "项目名称",
        "县（市、区）",
        "责任单位",
        "进度状态",
        "节点最长逾期（天）",
        "落后时序进度（百分点）",
    )
    return Table("lagging", "滞后项目", headers, rows)


def _ranking_table(doc: Mapping[str, Any], track: str) -> Table:
    ranked = doc["tracks"].get(track, {}).get("ranked", [])
    rows = [(e["rank"], e["name"] or e["key"], e["score"], _LISTS[e["list"]]) for e in ranked]
    state = "已发布" if doc.get("published") else "实时计算"
    title = f"红黑榜 · {_TRACKS[track]}（{doc['period']}，{state}）"
    return Table(f"ranking_{track}", title, ("名次", "名称", "得分", "榜单"), rows)


def today_text(doc: Mapping[str, Any]) -> str:
    day = dt.date.fromisoformat(doc["today"])
    return f"{day.year}年{day.month}月{day.day}日"


CHANGE_HEADERS = ("类别", "项目编号", "项目名称", "县（市、区）", "变化", "时间", "金额（万元）")
CHANGE_FIGURES = (
    ("new_projects", "新增项目（个）"),
    ("status_changes", "状态变更（次）"),
    ("became_lagging", "转为滞后（个）"),
    ("recovered", "恢复正常（个）"),
    ("investment", "新增审核通过投资（万元）"),
    ("problems_raised", "新提问题（项）"),
    ("problems_resolved", "解决问题（项）"),
    ("callouts_issued", "下达点球（项）"),
    ("callouts_answered", "答复点球（项）"),
    ("callouts_closed", "办结点球（项）"),
)
_EVENTS = {"raised": "新提问题", "resolved": "解决问题", "issued": "下达点球",
           "answered": "答复点球", "closed": "办结点球"}  # fmt: skip


def change_figures(changes_doc: Mapping[str, Any]) -> list[tuple[str, Any]]:
    """The counts of 本期变化 with their Chinese labels, in order."""
    return [(label, changes_doc["counts"][key]) for key, label in CHANGE_FIGURES]


def _when(at: str) -> str:
    return at[:16].replace("T", " ")


def change_table(c: Mapping[str, Any], layer: Layer, vocab: Vocabulary) -> Table:
    """本期变化: one row per change, grouped by kind (the same lists as ``/changes``)."""

    def coded(name: str, code: str | None) -> str:
        return _label(vocab, layer, name, code) if code else "（无）"

    def moved(name: str, was: str | None, now: str | None) -> str:
        return f"{coded(name, was)}→{coded(name, now)}"

    def row(kind: str, p: Mapping[str, Any], change: str = "", at: str = "", amount=None):
        county = coded("county", p["county"])
        return (kind, p["code"], p["name"], county, change, at and _when(at), amount)

    rows = [row("新增项目", p, coded("working_group", p["working_group"]), p["created_at"])
            for p in c["new_projects"]]  # fmt: skip
    rows += [row("状态变更", s, moved("status", s["from"], s["to"]), s["at"])
             for s in c["status_changes"]]  # fmt: skip
    for key, kind in (("became_lagging", "转为滞后"), ("recovered", "恢复正常")):
        rows += [row(kind, h, moved("health", h["health_from"], h["health_to"]))
                 for h in c[key]]  # fmt: skip
    rows += [row("审核通过投资", i, amount=i["amount"]) for i in c["investment"]["items"]]
    for doc, text in ((c["problems"], "description"), (c["callouts"], "demand")):
        rows += [row(_EVENTS[i["event"]], i, i[text], i["at"]) for i in doc["items"]]
    counts = "，".join(f"{label}{value}" for label, value in change_figures(c))
    title = f"本期变化（{c['from']} 之后至 {c['to']}）：{counts}"
    return Table("changes", title, CHANGE_HEADERS, rows)
