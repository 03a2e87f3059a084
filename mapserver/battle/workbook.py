"""The report's tables as an XLSX workbook (openpyxl): one sheet per table, Chinese
headers in bold, the table's title as the sheet's first row."""

from __future__ import annotations

import io
from collections.abc import Sequence

from openpyxl import Workbook
from openpyxl.styles import Font

from mapserver.battle.report import Table

SHEETS = {
    "overview": "总体情况",
    "changes": "本期变化",
    "lagging": "滞后项目",
    "problems": "问题清单",
    "callouts": "点球",
    "ranking_county": "红黑榜-县区",
    "ranking_unit": "红黑榜-责任单位",
}


def build(tables: Sequence[Table]) -> bytes:
    """The workbook's bytes: sheet per table; row 1 the title, row 2 the headers."""
    book = Workbook()
    book.remove(book.active)
    for table in tables:
        sheet = book.create_sheet(SHEETS.get(table.name, table.name)[:31])
        sheet.append([table.title])
        sheet["A1"].font = Font(bold=True, size=13)
        sheet.append(list(table.headers))
        for cell in sheet[2]:
            cell.font = Font(bold=True)
        for row in table.rows:
            sheet.append(list(row))
        for i, header in enumerate(table.headers):
            width = max([len(str(header)), *(len(str(r[i])) for r in table.rows[:200])])
            sheet.column_dimensions[chr(65 + i)].width = min(60, 2 * width + 2)
        sheet.freeze_panes = "A3"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
