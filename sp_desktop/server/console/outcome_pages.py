"""The console's outcomes page and its exports (issue 13), for managers, service leads and
commissioners: charts drawn by the server as SVG (each with a title, a description and the
table beside it), every table as CSV or XLSX. Commissioners see counts under 5 as "fewer than
5" everywhere, in the page and in every export; nobody sees a name, note, NHS number or date
of birth, because the report tables do not hold them.
"""

from __future__ import annotations

import io
from datetime import date, timedelta
from html import escape
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request, Response
from markupsafe import Markup
from openpyxl import Workbook
from starlette.datastructures import UploadFile

from sp_desktop.server.console import (
    outcome_lines,
    outcome_pdf,
    outcome_population,
    outcomes,
    statistics,
)
from sp_desktop.server.console.auth import ConsoleRole, Viewer
from sp_desktop.server.console.web import NOT_FOUND, Console, audit_viewer, form_of, guard
from sp_desktop.server.db import read_transaction, write_transaction

# Past this many changes still to read after a page's share of the catch-up, the page says
# the report is being prepared (a first catch-up at 100,000 people takes minutes; `sp-server
# outcomes build` does it ahead of time) rather than showing half-made figures or timing out.
PREPARING_BACKLOG = outcome_lines.SEQ_SPAN

CHART_WIDTH = 640
BAR = 22


def _figure(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:.2f}"


def bar_chart(table: outcomes.Table) -> Markup:
    """A horizontal bar chart of a table's shown values, as accessible SVG: `role="img"`
    with a title and a description naming every bar, so a screen reader hears the figures
    (the table beside it has them too)."""
    values = table.chart
    if not values:
        return Markup("")
    ident = f"chart-{table.key}"
    label_width = 230
    top = max(abs(v) for _, v in values) or 1.0
    span = CHART_WIDTH - label_width - 70
    zero = label_width + (span // 2 if any(v < 0 for _, v in values) else 0)
    scale = (span // 2 if any(v < 0 for _, v in values) else span) / top
    height = BAR * len(values) + 10
    desc = "; ".join(f"{name}: {_figure(value)}" for name, value in values)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" class="chart" '
        f'viewBox="0 0 {CHART_WIDTH} {height}" width="{CHART_WIDTH}" height="{height}" '
        f'aria-labelledby="{ident}-t {ident}-d">',
        f'<title id="{ident}-t">{escape(table.title)}</title>',
        f'<desc id="{ident}-d">{escape(desc)}</desc>',
    ]
    for i, (name, value) in enumerate(values):
        y = 5 + i * BAR
        width = abs(value) * scale
        x = zero if value >= 0 else zero - width
        parts.append(
            f'<text x="{label_width - 6}" y="{y + 15}" text-anchor="end" '
            f'font-size="13" fill="#0b0c0c">{escape(name[:34])}</text>'
            f'<rect x="{x:.1f}" y="{y + 3}" width="{max(width, 1):.1f}" height="{BAR - 6}" '
            f'fill="#1d70b8"/>'
            f'<text x="{x + width + 4 if value >= 0 else x - 4:.1f}" y="{y + 15}" '
            f'text-anchor="{"start" if value >= 0 else "end"}" font-size="13" '
            f'fill="#0b0c0c">{_figure(value)}</text>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))


def _suppress(viewer: Viewer) -> bool:
    return viewer.role is ConsoleRole.COMMISSIONER


def _scope(viewer: Viewer) -> frozenset[int] | None:
    """Whose figures: a commissioner pays for the whole service and sees it all (as groups
    only); a manager their own teams; a service lead every team."""
    return None if viewer.role is ConsoleRole.COMMISSIONER else viewer.team_ids


def xlsx_of(table: outcomes.Table) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = table.key[:31]
    sheet.append(table.columns)
    for row in table.rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def add_outcome_pages(router: APIRouter, console: Console, any_role: Any) -> None:
    """Registers the outcomes page and its exports on the console's router."""
    engine = console.engine

    def preparing() -> bool:
        outcome_lines.catch_up(engine, max_steps=3)
        return outcome_lines.backlog(engine) > PREPARING_BACKLOG

    def read(viewer: Viewer, filters: outcomes.Filters) -> tuple[outcomes.Report, dict[str, Any]]:
        if preparing():
            raise Preparing()
        with read_transaction(engine) as conn:
            made = outcomes.build(conn, _scope(viewer), filters, suppress=_suppress(viewer))
            choices = outcomes.filter_choices(conn, _scope(viewer))
        return made, choices

    def preparing_page(request: Request, viewer: Viewer) -> Response:
        return console.render(request, "outcomes.html", viewer, preparing=True, report=None)

    @router.get("/outcomes")
    async def outcomes_page(request: Request, viewer: Viewer = any_role) -> Response:
        filters = outcomes.Filters.read(request.query_params)
        try:
            made, choices = await console.run(read, viewer, filters)
        except Preparing:
            return preparing_page(request, viewer)
        return console.render(
            request,
            "outcomes.html",
            viewer,
            report=made,
            filters=filters,
            choices=choices,
            label=outcomes.words,
            age_bands=list(outcomes.AGE_BANDS),
            condition_choices=outcomes.condition_choices(),
            charts={t.key: bar_chart(t) for t in made.tables},
            query=urlencode(filters.query()),
            suppressed=_suppress(viewer),
            last_month=(console.settings.today().replace(day=1) - timedelta(days=1)).isoformat()[
                :7
            ],
            shown=lambda n: statistics.shown(n, _suppress(viewer)),
        )

    @router.get("/outcomes/export/{name}")
    async def export(request: Request, name: str, viewer: Viewer = any_role) -> Response:
        key, _, kind = name.rpartition(".")
        if kind not in ("csv", "xlsx"):
            raise NOT_FOUND
        filters = outcomes.Filters.read(request.query_params)
        try:
            made, _ = await console.run(read, viewer, filters)
        except Preparing:
            return preparing_page(request, viewer)
        table = next((t for t in made.tables if t.key == key), None)
        if made.withheld:
            table = outcomes.Table(key, "", "", ["Note"], [[made.withheld_words]])
        if table is None:
            raise NOT_FOUND
        with write_transaction(engine) as conn:
            audit_viewer(conn, console, request, viewer, "exported outcomes", name)
        disposition = {"Content-Disposition": f'attachment; filename="outcomes-{key}.{kind}"'}
        if kind == "csv":
            return Response(table.csv(), media_type="text/csv; charset=utf-8", headers=disposition)
        return Response(
            xlsx_of(table),
            media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            headers=disposition,
        )

    def pdf_response(made: bytes, name: str) -> Response:
        return Response(
            made,
            media_type="application/pdf",
            headers={"Content-Disposition": f'inline; filename="{name}"'},
        )

    @router.get("/outcomes/report.pdf")
    async def report_pdf(request: Request, viewer: Viewer = any_role) -> Response:
        filters = outcomes.Filters.read(request.query_params)
        try:
            made, _ = await console.run(read, viewer, filters)
        except Preparing:
            return preparing_page(request, viewer)
        scope = "The whole service" if _scope(viewer) is None else "Your teams"
        with write_transaction(engine) as conn:
            audit_viewer(conn, console, request, viewer, "printed outcomes report")
        body = await console.run(outcome_pdf.report_pdf, made, console.settings.today(), scope)
        return pdf_response(body, "outcomes.pdf")

    def read_pack(viewer: Viewer, practice: str, month: str) -> outcome_pdf.PracticePack:
        bounds = outcomes.month_bounds(month)
        if bounds is None or not practice:
            raise NOT_FOUND
        if preparing():
            raise Preparing()
        scope, suppress = _scope(viewer), _suppress(viewer)
        at_practice = outcomes.Filters(practice=practice)
        with read_transaction(engine) as conn:
            month_end = date.fromisoformat(bounds[1])
            return outcome_pdf.PracticePack(
                practice=practice,
                month=month[:7],
                made_on=console.settings.today(),
                suppress=suppress,
                referred=outcomes.build(
                    conn,
                    scope,
                    outcomes.Filters(start=bounds[0], end=bounds[1], practice=practice),
                    suppress=suppress,
                ),
                practice_all=outcomes.build(conn, scope, at_practice, suppress=suppress),
                service=outcomes.build(conn, scope, outcomes.Filters(), suppress=suppress),
                waiting=outcomes.waiting(
                    conn, outcomes.people_where(scope, at_practice), month_end, suppress
                ),
                prescribed=outcomes.activity_tables(
                    conn, outcomes.people_where(scope, at_practice), suppress, started=bounds
                )[0],
            )

    @router.get("/outcomes/practice-pack.pdf")
    async def practice_pack(request: Request, viewer: Viewer = any_role) -> Response:
        practice = str(request.query_params.get("practice") or "")[:200]
        month = str(request.query_params.get("month") or "")[:7]
        try:
            pack = await console.run(read_pack, viewer, practice, month)
        except Preparing:
            return preparing_page(request, viewer)
        with write_transaction(engine) as conn:
            audit_viewer(conn, console, request, viewer, "printed practice pack", practice, month)
        body = await console.run(outcome_pdf.practice_pack_pdf, pack)
        return pdf_response(body, f"practice-pack-{month}.pdf")

    lead_only = guard(console, ConsoleRole.LEAD)

    def population_context() -> dict[str, Any]:
        with read_transaction(engine) as conn:
            return {"practices": outcome_population.loaded_practices(conn)}

    @router.get("/outcomes/population")
    async def population_page(request: Request, viewer: Viewer = lead_only) -> Response:
        held = await console.run(population_context)
        return console.render(request, "outcomes_population.html", viewer, **held)

    @router.post("/outcomes/population")
    async def population_upload(request: Request, viewer: Viewer = lead_only) -> Response:
        form = await form_of(request, viewer)
        upload = form.get("file")
        if not isinstance(upload, UploadFile) or not upload.filename:
            held = await console.run(population_context)
            return console.render(
                request,
                "outcomes_population.html",
                viewer,
                status=400,
                problems=["Choose a CSV file of registered populations to load."],
                **held,
            )
        data = await upload.read()
        name = upload.filename[-100:]

        def load() -> dict[str, Any]:
            reading = outcome_population.read_population(data)
            if reading.problems:
                return {"problems": reading.problems, "more_problems": reading.more_problems}
            with write_transaction(engine) as conn:
                kept = outcome_population.store(conn, reading, console.settings.today())
                audit_viewer(
                    conn,
                    console,
                    request,
                    viewer,
                    "loaded registered populations",
                    name,
                    f"{len(reading.practices())} practices, {kept} lines",
                )
            return {"loaded": len(reading.practices())}

        outcome = await console.run(load)
        held = await console.run(population_context)
        status = 400 if outcome.get("problems") else 200
        return console.render(
            request, "outcomes_population.html", viewer, status=status, **outcome, **held
        )


class Preparing(Exception):
    """The report tables are far behind (a first catch-up): the page says so."""
