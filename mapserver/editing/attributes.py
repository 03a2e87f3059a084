"""The editable properties of a project, and checking what a client sends for them.

The read side exposes what layers/projects.yaml lists; the write side accepts these
fields only. Coded fields (level, working group, county, status) take the codes the
layer's vocabulary knows; read-only properties a client echoes back from a GET
(version, labels, measures) are ignored; anything else is refused by name.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from mapserver.errors import Unprocessable
from mapserver.layers import Layer
from mapserver.vocabulary import Vocabulary

MAX_AMOUNT = Decimal("999999999999.99")  # numeric(14, 2), in 万元


@dataclass(frozen=True)
class Field:
    name: str
    kind: str  # text | code | amount | date
    required: bool
    max_length: int = 200


FIELDS = {
    f.name: f
    for f in (
        Field("name", "text", True),
        Field("level", "code", True),
        Field("working_group", "code", True),
        Field("county", "code", True),
        Field("status", "code", True),
        Field("owner_unit", "text", True),
        Field("leader", "text", False, 100),
        Field("total_investment", "amount", True),
        Field("annual_plan", "amount", True),
        Field("completed_this_year", "amount", True),
        Field("planned_start", "date", False),
        Field("planned_end", "date", False),
        Field("description", "text", False, 4000),
    )
}
READ_ONLY = {"code", "version", "created_at", "updated_at", "demo", "deleted_at", "deleted_by"}
MEASURES = {"area_mu", "area_ha", "perimeter_km", "length_km"}


def _fail(name: str, message: str) -> Unprocessable:
    return Unprocessable(f"属性 {name}：{message}", property=name, pointer=f"/properties/{name}")


def check(layer: Layer, vocab: Vocabulary, given: Any, *, complete: bool) -> dict[str, Any]:
    """The editable values in ``given`` (a Feature's ``properties``), checked and typed.

    ``complete``: every required field must be there (create, replace); otherwise only
    the fields given are checked (patch).
    """
    if not isinstance(given, Mapping):
        raise Unprocessable(
            "properties 必须是对象 properties must be an object", pointer="/properties"
        )
    out: dict[str, Any] = {}
    for name, value in given.items():
        if name in FIELDS:
            out[name] = _value(layer, vocab, FIELDS[name], value)
        elif not _echoed(layer, name):
            raise _fail(
                name, f"不可编辑或不存在 unknown or not editable; editable: {sorted(FIELDS)}"
            )
    if complete:
        missing = [f.name for f in FIELDS.values() if f.required and out.get(f.name) is None]
        if missing:
            raise _fail(missing[0], f"必填 required (missing: {', '.join(missing)})")
    return out


def check_dates(values: Mapping[str, Any]) -> None:
    """Planned end not before planned start (on the merged record)."""
    start, end = values.get("planned_start"), values.get("planned_end")
    if start and end and end < start:
        raise _fail("planned_end", f"计划完工 {end} 早于计划开工 {start} ends before it starts")


def _echoed(layer: Layer, name: str) -> bool:
    """A read-only property a client may send back unchanged from a GET: the layer's own
    (labels, derived figures such as ``health`` or ``year_to_date``) that are not editable."""
    base = name.removesuffix("_label")
    return name in READ_ONLY or name in MEASURES or base in layer.properties


def _value(layer: Layer, vocab: Vocabulary, f: Field, value: Any) -> Any:
    if value is None:
        if f.required:
            raise _fail(f.name, "不能为空 must not be null")
        return None
    if f.kind == "code":
        codes = vocab.labels(layer.properties[f.name])
        if not isinstance(value, str) or value not in codes:
            raise _fail(f.name, f"无效代码 {str(value)[:50]!r}; allowed: {list(codes)}")
        return value
    try:
        return typed(f, value)
    except ValueError as exc:
        raise _fail(f.name, str(exc)) from None


def typed(f: Field, value: Any) -> Any:
    """A text, amount or date field's value, checked; ValueError says what is wrong."""
    if f.kind == "text":
        return _text(f, value)
    if f.kind == "amount":
        return _amount(value)
    return _date(value)


def _text(f: Field, value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError("必须是文本 must be a string")
    text = value.strip()
    if f.required and not text:
        raise ValueError("不能为空 must not be empty")
    if len(text) > f.max_length or "\x00" in text:
        raise ValueError(f"过长或含非法字符 longer than {f.max_length} or has NUL")
    return text


def _amount(value: Any) -> Decimal:
    not_number = "必须是数字（万元） must be a number (10k yuan)"
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise ValueError(not_number)
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        raise ValueError(not_number) from None
    if not amount.is_finite() or (isinstance(value, float) and not math.isfinite(value)):
        raise ValueError("必须是有限数 must be finite")
    if amount < 0 or amount > MAX_AMOUNT:
        raise ValueError(f"超出范围 out of range 0…{MAX_AMOUNT}")
    return amount.quantize(Decimal("0.01"))


def _date(value: Any) -> dt.date:
    try:
        if not isinstance(value, str):
            raise ValueError
        return dt.date.fromisoformat(value)
    except ValueError:
        raise ValueError(f"日期格式应为 YYYY-MM-DD, got {str(value)[:30]!r}") from None
