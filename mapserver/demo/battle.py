"""Deterministic battle-map demo data (演示数据) for the demo projects.

Milestones, monthly investment reports (January to the current month), problems and 点球
call-outs, placed relative to the day they are made so that the health mix is the same
on any day: most tracked projects on track, about a quarter lagging, a few seriously
lagging. The same projects, day and seed give the same records. Every text starts with
【演示数据】 and every row is marked ``demo``.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from mapserver.battle import health
from mapserver.demo.projects import DemoProject

SEED = 20260601
MARK = "【演示数据】"
TRACKED = ("preparing", "under_construction", "suspended")
NODES = ("前期手续办结", "施工许可取得", "开工建设", "主体工程完工", "竣工验收")
CATEGORIES = {
    "要素保障": "项目用能指标尚未落实，影响设备安装进度",
    "用地保障": "建设用地报批材料待补充，土地尚未交付",
    "资金保障": "专项债券资金到位滞后，施工单位垫资压力大",
    "手续办理": "施工许可所需环评批复仍在办理中",
    "征地拆迁": "沿线 3 户房屋征收补偿协议尚未签订",
}
# Points behind the time-line (from, to) and days the open milestone is late (from, to).
ARCHETYPES = {
    "on_track": [(-12, 6, 0, 0)],
    "lagging": [(12, 22, 0, 0), (-5, 6, 3, 25)],
    "seriously": [(28, 45, 0, 0), (0, 8, 35, 120)],
}
DEMANDS = ("限期完成用地报批并交付施工场地", "限期落实资金并恢复正常施工", "限期完成征地拆迁扫尾")


@dataclass
class BattleDemo:
    milestones: list[dict] = field(default_factory=list)
    reports: list[dict] = field(default_factory=list)
    problems: list[dict] = field(default_factory=list)
    callouts: list[dict] = field(default_factory=list)
    ytd: dict[str, Decimal] = field(default_factory=dict)  # code -> completed this year


def generate(projects: Sequence[DemoProject], today: dt.date, seed: int = SEED) -> BattleDemo:
    """The records for ``projects`` as of ``today``."""
    rng = random.Random(seed)
    out = BattleDemo()
    for p in projects:
        late, ytd = _plan(rng, p, today)
        out.ytd[p.code] = ytd
        out.milestones += _milestones(rng, p, today, late)
        out.reports += _reports(rng, p.code, ytd, today)
    tracked = [p for p in projects if p.status in TRACKED]
    for p in rng.sample(tracked, min(18, len(tracked))):
        out.problems.append(_problem(rng, p, today))
    for p in rng.sample(tracked, min(10, len(tracked))):
        out.callouts.append(_callout(rng, p, today))
    _reviews(random.Random(seed + 1), out, today)
    return out


RETURNED = f"{MARK}金额与现场形象进度不符，请核实后重新提交"


def _reviews(rng: random.Random, out: BattleDemo, today: dt.date) -> None:
    """Everything approved but a few of this month's reports and two resolutions, which
    wait for review, and two returned reports: the review queue is not empty at first."""
    for r in out.reports:
        r |= {"review": "approved", "return_reason": None}
    for q in out.problems:
        q |= {"review": "approved" if q["status"] == "resolved" else None, "return_reason": None}
    current = [r for r in out.reports if r["month"] == today.replace(day=1)]
    picked = rng.sample(current, min(7, len(current)))
    for r in picked[:5]:
        r["review"] = "submitted"
    for r in picked[5:]:
        r |= {"review": "returned", "return_reason": RETURNED}
    resolved = [q for q in out.problems if q["status"] == "resolved"]
    for q in rng.sample(resolved, min(2, len(resolved))):
        q["review"] = "submitted"


def _plan(rng: random.Random, p: DemoProject, today: dt.date) -> tuple[int, Decimal]:
    """Days the open milestone is late (0: none) and the year-to-date investment."""
    if p.status not in TRACKED:
        return 0, p.completed_this_year
    draw = rng.random()
    kind = "seriously" if p.status == "suspended" and draw < 0.35 else None
    kind = kind or ("on_track" if draw < 0.64 else "lagging" if draw < 0.91 else "seriously")
    elapsed = float(health.elapsed_share(today))
    low, high, late_low, late_high = rng.choice(ARCHETYPES[kind])
    if late_high == 0 and 100 * elapsed < high + 1:  # early in the year nobody is that far
        low, high, late_low, late_high = ARCHETYPES[kind][-1]  # behind: a late milestone
    gap, late = rng.uniform(low, high), rng.randint(late_low, late_high)
    share = elapsed - gap / 100
    ytd = Decimal(f"{float(p.annual_plan) * min(max(share, 0.0), 1.2):.2f}")
    return late, ytd


def _milestones(rng: random.Random, p: DemoProject, today: dt.date, late: int) -> list[dict]:
    if p.status == "reserve":
        return []
    step = rng.randint(60, 120)
    if p.status == "completed":
        first = today - dt.timedelta(days=step * 4 + rng.randint(10, 60))
    elif late:
        first = today - dt.timedelta(days=late + step * rng.randint(0, 2))
    else:
        first = today - dt.timedelta(days=rng.randint(20, 2 * step))
    rows = []
    for i, name in enumerate(NODES[1:] if p.status != "preparing" else NODES[:4]):
        planned = first + dt.timedelta(days=i * step)
        actual = None
        if planned < today and planned != today - dt.timedelta(days=late):
            slip = rng.randint(5, 20) if rng.random() < 0.2 else rng.randint(-10, 0)
            actual = min(planned + dt.timedelta(days=slip), today)
        note = f"{MARK}{'已完成' if actual else '按计划推进'}"
        rows.append({"code": p.code, "name": name, "planned_date": planned,
                     "actual_date": actual, "note": note})  # fmt: skip
    return rows


def _reports(rng: random.Random, code: str, ytd: Decimal, today: dt.date) -> list[dict]:
    """January to this month, adding up to ``ytd`` exactly."""
    if ytd <= 0 and rng.random() < 0.5:
        return []
    weights = [rng.uniform(0.5, 1.5) for _ in range(today.month)]
    amounts = [Decimal(f"{float(ytd) * w / sum(weights):.2f}") for w in weights[:-1]]
    amounts.append(ytd - sum(amounts, Decimal(0)))
    if amounts[-1] < 0:
        amounts = [Decimal(0)] * (today.month - 1) + [ytd]
    return [
        {"code": code, "month": dt.date(today.year, m, 1), "amount": a,
         "remarks": f"{MARK}{today.year}年{m}月完成投资"}
        for m, a in enumerate(amounts, 1)
    ]  # fmt: skip


def _problem(rng: random.Random, p: DemoProject, today: dt.date) -> dict:
    category = rng.choice(list(CATEGORIES))
    raised = today - dt.timedelta(days=rng.randint(5, 120))
    due = raised + dt.timedelta(days=rng.randint(15, 45))
    resolved = rng.random() < 0.45
    unit = p.owner_unit
    if category == "用地保障":
        unit = p.owner_unit[:3] + "自然资源和规划局"
    resolved_on = min(due + dt.timedelta(days=rng.randint(-10, 10)), today) if resolved else None
    return {
        "code": p.code,
        "description": f"{MARK}{CATEGORIES[category]}",
        "category": category,
        "raised_on": raised,
        "responsible_unit": unit,
        "due_date": due,
        "status": "resolved" if resolved else "open",
        "resolution": f"{MARK}已协调解决" if resolved else None,
        "resolved_on": max(resolved_on, raised) if resolved_on else None,
    }


def _callout(rng: random.Random, p: DemoProject, today: dt.date) -> dict:
    issued = today - dt.timedelta(days=rng.randint(3, 60))
    deadline = issued + dt.timedelta(days=rng.randint(7, 20))
    draw = rng.random()
    status = "issued" if draw < 0.45 else "responded" if draw < 0.8 else "closed"
    answered = min(issued + dt.timedelta(days=rng.randint(2, 25)), today)
    return {
        "code": p.code,
        "responsible_unit": p.owner_unit,
        "issued_by": "dispatcher",
        "issued_on": issued,
        "deadline": deadline,
        "demand": f"{MARK}{rng.choice(DEMANDS)}",
        "status": status,
        "response": None if status == "issued" else f"{MARK}已制定整改方案并落实",
        "responded_on": None if status == "issued" else answered,
        "closed_on": answered if status == "closed" else None,
    }
