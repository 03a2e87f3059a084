"""Deterministic demo projects for Guang'an (演示数据).

Every run with the same seed and count yields the same projects, byte for byte,
so tests can check the feed against the generator's own output. All rows carry
``demo = true`` and a 【演示数据】 note; none of them is a real project.
"""

from __future__ import annotations

import datetime as dt
import math
import random
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from decimal import Decimal

import shapely
from shapely.geometry import LineString, Point, Polygon
from shapely.geometry.base import BaseGeometry

from mapserver.demo.boundaries import Region

SEED = 20260101
WORKING_GROUPS = {
    "transport": "交通运输基础设施推进组",
    "industry": "产业项目推进组",
    "urban": "城乡建设推进组",
    "social": "社会民生推进组",
    "ecology": "生态环保推进组",
    "energy": "能源水利推进组",
}
# 9-step cycle: 4 under construction, 2 preparing, 1 each of the others.
STATUS_CYCLE = (
    "under_construction",
    "preparing",
    "under_construction",
    "completed",
    "under_construction",
    "reserve",
    "preparing",
    "under_construction",
    "suspended",
)
TOWNS = {
    "511602": "协兴 浓洒 龙安 悦来 花桥 大安 石笋 郑山 枣山 官盛",
    "511603": "奎阁 大佛寺 龙滩 观阁 桂兴 广兴 代市 观塘 虎城",
    "511621": "九龙 朝阳 顾县 苟角 罗渡 坪滩 中和 白庙 酉溪 伏龙",
    "511622": "沿口 中心 街子 飞龙 乐善 万善 烈面 三溪 猛山 清平",
    "511623": "鼎屏 柑子 兴仁 石永 丰禾 高滩 坛同 合流 御临 柳塘",
    "511681": "双河 古桥 天池 禄市 永兴 明月 庆华 高兴 溪口",
}
# (name template, geometry kind, owner-unit suffix) per working group.
TEMPLATES = {
    "transport": [
        ("{a}至{b}快速通道", "line", "交通运输局"),
        ("{a}—{b}一级公路改建工程", "line", "交通运输局"),
        ("{a}综合客运枢纽", "point", "交通运输局"),
        ("{a}港区作业区", "polygon", "港航发展中心"),
    ],
    "industry": [
        ("{a}新材料产业园", "polygon", "经济和信息化局"),
        ("{a}智能制造基地", "polygon", "经济和信息化局"),
        ("{a}食品加工产业园", "polygon", "经济和信息化局"),
        ("{a}电子信息产业项目", "point", "投资促进局"),
    ],
    "urban": [
        ("{a}片区城市更新", "polygon", "住房和城乡建设局"),
        ("{a}老旧小区改造", "polygon", "住房和城乡建设局"),
        ("{a}城市道路管网改造", "line", "住房和城乡建设局"),
        ("{a}公共停车场", "point", "住房和城乡建设局"),
    ],
    "social": [
        ("{a}中学新建工程", "point", "教育和体育局"),
        ("{a}中心卫生院迁建", "point", "卫生健康局"),
        ("{a}养老服务中心", "polygon", "民政局"),
        ("{a}全民健身中心", "polygon", "教育和体育局"),
    ],
    "ecology": [
        ("{a}湿地公园", "polygon", "生态环境局"),
        ("{a}污水处理厂扩建", "polygon", "生态环境局"),
        ("{a}河段综合治理", "line", "水务局"),
        ("{a}生活垃圾转运站", "point", "住房和城乡建设局"),
    ],
    "energy": [
        ("{a}110千伏输变电工程", "line", "发展和改革局"),
        ("{a}至{b}天然气管道", "line", "发展和改革局"),
        ("{a}水库工程", "polygon", "水务局"),
        ("{a}分布式光伏电站", "polygon", "发展和改革局"),
    ],
}
LEADERS = ("陈立新", "王建国", "刘志强", "杨华", "赵文斌", "周平", "黄静", "吴涛")
NOTE = "【演示数据】由生成器按固定种子产生，不代表真实项目。"


@dataclass(frozen=True)
class DemoProject:
    code: str
    name: str
    level: str
    working_group: str
    county: str
    status: str
    owner_unit: str
    leader: str
    total_investment: Decimal
    annual_plan: Decimal
    completed_this_year: Decimal
    planned_start: dt.date
    planned_end: dt.date
    description: str
    geom: BaseGeometry | None


def generate(
    counties: Mapping[str, Region], n: int = 100, seed: int = SEED
) -> Iterator[DemoProject]:
    """``n`` projects spread over every county, group and status, deterministically."""
    rng = random.Random(seed)
    adcodes = sorted(counties)
    groups = list(WORKING_GROUPS)
    width = max(3, len(str(n)))
    shapes = _Shapes(counties, rng)
    for i in range(n):
        county = adcodes[i % len(adcodes)]
        group = groups[(i // len(adcodes) + i) % len(groups)]
        status = STATUS_CYCLE[(i // len(adcodes)) % len(STATUS_CYCLE)]
        template, kind, unit = rng.choice(TEMPLATES[group])
        towns = TOWNS[county].split()
        a, b = rng.sample(towns, 2)
        name = template.format(a=a, b=b)
        no_site = status == "reserve" and i % 2 == 1
        geom = (
            None if no_site else shapes.make(kind, county, crossing=kind == "line" and i % 4 == 0)
        )
        yield DemoProject(
            code=f"GA-{2024 + i % 3}-{i + 1:0{width}d}",
            name=name,
            level="provincial" if rng.random() < 0.3 else "municipal",
            working_group=group,
            county=county,
            status=status,
            owner_unit=counties[county].name + unit,
            leader=rng.choice(LEADERS),
            description=f"{NOTE}{counties[county].name}{name}。",
            geom=geom,
            **_money_and_dates(rng, status),
        )


def _money_and_dates(rng: random.Random, status: str) -> dict:
    total = math.exp(rng.uniform(math.log(5_000), math.log(800_000)))
    plan = total * rng.uniform(0.1, 0.4)
    share = {
        "completed": rng.uniform(1.0, 1.15),
        "under_construction": rng.uniform(0.2, 1.1),
        "preparing": rng.uniform(0, 0.2),
        "suspended": rng.uniform(0, 0.3),
    }.get(status, 0.0)
    start = dt.date(2023, 1, 1) + dt.timedelta(days=rng.randrange(0, 4 * 365))
    end = start + dt.timedelta(days=rng.randrange(365, 5 * 365))
    return {
        "total_investment": _money(total),
        "annual_plan": _money(plan),
        "completed_this_year": _money(plan * share),
        "planned_start": start,
        "planned_end": end,
    }


def _money(value: float) -> Decimal:
    return Decimal(f"{value:.2f}")


class _Shapes:
    """Random sites inside (points, polygons) or across (lines) a county."""

    def __init__(self, counties: Mapping[str, Region], rng: random.Random) -> None:
        self.rng = rng
        self.counties = counties
        # Shrunk by ~300 m so rounding to 1e-6° can never push a vertex out.
        self.inner = {k: shapely.buffer(r.boundary, -0.003) for k, r in counties.items()}
        for geom in self.inner.values():
            shapely.prepare(geom)

    def make(self, kind: str, county: str, crossing: bool = False) -> BaseGeometry:
        maker = {"point": self._point, "polygon": self._polygon, "line": self._line}[kind]
        for _ in range(200):
            geom = maker(county, crossing) if kind == "line" else maker(county)
            if geom is not None and geom.is_valid:
                return geom
        raise RuntimeError(f"could not place a {kind} in {county}")

    def _inside(self, county: str) -> tuple[float, float]:
        minx, miny, maxx, maxy = self.inner[county].bounds
        while True:
            x, y = self.rng.uniform(minx, maxx), self.rng.uniform(miny, maxy)
            if self.inner[county].contains(Point(x, y)):
                return x, y

    def _point(self, county: str) -> BaseGeometry:
        x, y = self._inside(county)
        return _rounded(Point(x, y))

    def _polygon(self, county: str) -> BaseGeometry | None:
        cx, cy = self._inside(county)
        radius = self.rng.uniform(0.002, 0.01)
        k = self.rng.randrange(5, 11)
        step = 2 * math.pi / k
        angles = [j * step + self.rng.uniform(-0.3, 0.3) * step for j in range(k)]
        radii = [radius * self.rng.uniform(0.5, 1.0) for _ in angles]
        ring = [(cx + r * math.cos(t), cy + 0.9 * r * math.sin(t)) for t, r in zip(angles, radii)]
        poly = _rounded(Polygon(ring))
        return poly if self.inner[county].contains(poly) else None

    def _line(self, county: str, crossing: bool) -> BaseGeometry | None:
        x, y = self._inside(county)
        if crossing:
            # Head for the nearest border and run on past it, as a road to a neighbour does.
            border = self.counties[county].boundary.boundary
            tx, ty = border.interpolate(border.project(Point(x, y))).coords[0]
            heading = math.atan2(ty - y, tx - x)
            steps, step = 8, max(0.03, 1.4 * math.hypot(tx - x, ty - y)) / 8
        else:
            heading = self.rng.uniform(0, 2 * math.pi)
            steps, step = self.rng.randrange(3, 8), self.rng.uniform(0.004, 0.012)
        coords = [(x, y)]
        for _ in range(steps):
            heading += self.rng.uniform(-0.35, 0.35)
            x, y = x + step * math.cos(heading), y + step * math.sin(heading)
            coords.append((x, y))
        line = _rounded(LineString(coords))
        region = self.counties[county].boundary
        if crossing:
            return line if line.intersects(region) and not region.contains(line) else None
        return line if self.inner[county].contains(line) else None


def _rounded(geom: BaseGeometry) -> BaseGeometry:
    return shapely.set_precision(geom, 1e-6)
