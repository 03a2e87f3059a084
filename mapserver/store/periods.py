"""Periods of the battle map: a month (``2026-04``), a quarter (``2026-Q2``) or a year
(``2026``), and the day it is in Guang'an.

The database decides "today" for everything it derives (``mapserver_today()``, migration
0005), and :func:`database_today` reads it; :func:`today` is the same day on the app's
clock (no rehearsal day), for the demo loader.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import sqlalchemy as sa

ZONE = ZoneInfo("Asia/Shanghai")  # Guang'an's clock, whatever the server's is
PATTERN = re.compile(r"^(\d{4})(?:-(0[1-9]|1[0-2])|-Q([1-4]))?$")
KINDS = ("month", "quarter", "year")


class PeriodError(ValueError):
    """Not a period this server knows (the message says what is)."""


@dataclass(frozen=True)
class Period:
    text: str  # as written: 2026-04, 2026-Q2, 2026
    kind: str  # month | quarter | year
    start: dt.date
    end: dt.date  # the last day, inclusive

    def as_of(self, today: dt.date) -> dt.date:
        """The day figures are taken on: the period's last day, or today if that is earlier."""
        return min(self.end, today)


def parse(text: str, kinds: tuple[str, ...] = KINDS) -> Period:
    """``2026-04``, ``2026-Q2`` or ``2026``; ``kinds`` limits which are accepted."""
    match = PATTERN.match(text.strip()) if isinstance(text, str) else None
    year = int(match.group(1)) if match else 0
    if match is None or not 1900 <= year <= 2999:
        raise PeriodError(f"period {str(text)[:30]!r}: expected {_forms(kinds)}")
    if match.group(2):
        month = int(match.group(2))
        period = Period(
            f"{year}-{month:02d}", "month", dt.date(year, month, 1), month_end(year, month)
        )
    elif match.group(3):
        quarter = int(match.group(3))
        first = 3 * quarter - 2
        start, end = dt.date(year, first, 1), month_end(year, first + 2)
        period = Period(f"{year}-Q{quarter}", "quarter", start, end)
    else:
        period = Period(str(year), "year", dt.date(year, 1, 1), dt.date(year, 12, 31))
    if period.kind not in kinds:
        raise PeriodError(f"period {text!r}: expected {_forms(kinds)}")
    return period


def _forms(kinds: tuple[str, ...]) -> str:
    examples = {"month": "YYYY-MM (2026-04)", "quarter": "YYYY-Qn (2026-Q2)", "year": "YYYY"}
    return " or ".join(examples[k] for k in kinds)


def month_end(year: int, month: int) -> dt.date:
    following = dt.date(year + month // 12, month % 12 + 1, 1)
    return following - dt.timedelta(days=1)


def parse_month(text: str) -> dt.date:
    """A report month, ``YYYY-MM`` (or ``YYYY-MM-01``), as its first day."""
    if isinstance(text, str) and re.fullmatch(r"\d{4}-\d{2}-01", text.strip()):
        text = text.strip()[:7]
    return parse(text, ("month",)).start


def day_of_year(day: dt.date) -> int:
    return day.timetuple().tm_yday


def days_in_year(year: int) -> int:
    return day_of_year(dt.date(year, 12, 31))


def today() -> dt.date:
    """Today in Guang'an."""
    return dt.datetime.now(ZONE).date()


def database_today(conn: sa.Connection) -> dt.date:
    """The day the database derives with: Guang'an's date, or a rehearsal day."""
    return conn.execute(sa.text("SELECT mapserver_today()")).scalar_one()
