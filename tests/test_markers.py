"""Every test that needs a tool besides PostgreSQL says so with a marker (tests/conftest.py),
so ``pytest -m "not browser"`` is a complete run wherever Chromium is missing."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parent
NEEDS = {
    "browser": re.compile(r"\b(chromium|open_page|wait_ready)\(|def test_\w+\([^)]*\bdriver\b"),
    "gdal": re.compile(r"\bogr(info|2ogr)\b|\bgdal_translate\b"),
    "clients": re.compile(r"\bowslib\b"),
}


@pytest.mark.parametrize("path", sorted(TESTS.glob("test_*.py")), ids=lambda p: p.name)
def test_modules_that_need_a_tool_are_marked(path):
    source = path.read_text(encoding="utf-8")
    for name, uses in NEEDS.items():
        if uses.search(source):
            assert f"pytest.mark.{name}" in source, f"{path.name} needs pytest.mark.{name}"
