"""``/report``: the dispatch-meeting report (调度会), printable, and as an XLSX workbook.

| request | answer |
|---|---|
| ``GET /report?period=2026-04&working_group=&status=&county=&health=&overdue=&paper=A3`` | the page (print: A4, or A3) |
| ``GET /report.xlsx?period=…`` (same filters) | the same tables, one sheet each |

``period``: a month ``YYYY-MM`` or a quarter ``YYYY-Qn``; this month when absent. The section
本期变化 covers the period asked for, else the window ``/changes`` takes by default.
"""  # noqa: E501

from __future__ import annotations

from flask import Response, render_template, request

from mapserver.battle import report, workbook
from mapserver.web.replication import reads
from mapserver.web.state import current


def _gather() -> tuple[dict, list[report.Table]]:
    state = current()
    args = request.args.to_dict(flat=False)
    period = args.pop("period", [None])
    args.pop("paper", None)  # the page's paper size (A4 | A3), not a filter
    layer = state.layer("projects")
    doc = report.gather(reads(), layer, state.vocabulary, state.rules.ranking, period[-1], args)
    return doc, report.tables(doc, layer, state.vocabulary)


def page() -> Response:
    doc, tables = _gather()
    xlsx_url = f"report.xlsx?{request.query_string.decode('ascii', 'replace')}"
    today = report.today_text(doc)
    paper = "A3" if request.args.get("paper", "").upper() == "A3" else "A4"
    html = render_template(
        "report/report.html",
        doc=doc,
        tables=tables,
        today=today,
        xlsx=xlsx_url,
        paper=paper,
        change_figures=report.change_figures(doc["changes"]),
    )
    return Response(html, mimetype="text/html", headers={"Cache-Control": "no-cache"})


def xlsx() -> Response:
    doc, tables = _gather()
    name = f"dispatch-report-{doc['period']}.xlsx"
    return Response(
        workbook.build(tables),
        mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={
            "Content-Disposition": f'attachment; filename="{name}"',
            "Cache-Control": "no-cache",
        },
    )
