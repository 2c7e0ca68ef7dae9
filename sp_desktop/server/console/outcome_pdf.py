"""The outcomes report and the monthly practice pack as PDFs, with the project's PDF code
(`sp_desktop.pdf`: its fonts, styles, page layout and footers), charts drawn as vectors.

Both are made from the same `outcomes.Report` tables the page shows (already suppressed for a
commissioner), so a board paper never says more than the page did.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from reportlab.graphics.charts.barcharts import HorizontalBarChart
from reportlab.graphics.shapes import Drawing
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.platypus import Flowable, Spacer, Table

from sp_desktop.pdf import fonts, pages, wording
from sp_desktop.pdf.styles import letter_styles, table_style
from sp_desktop.pdf.styles import text as para
from sp_desktop.server.console import outcomes
from sp_desktop.server.console import statistics as st

CAVEATS = (
    "People who have not yet answered a questionnaire a second time are not in the "
    "before-and-after figures; each table says how many they are. A change before and after "
    "support is not proof that the support caused it. Goals and concerns are the person's own "
    "and carry no targets."
)


def chart(table: outcomes.Table, width: float) -> Drawing | None:
    """A horizontal bar chart of a table's shown values (None when there is nothing to draw)."""
    values = table.chart[:20]
    if not values:
        return None
    height = 14 * len(values) + 30  # room below the bars for the value axis and its labels
    drawing = Drawing(width, height)
    drawing.initialFontName = fonts.MAIN
    bars = HorizontalBarChart()
    bars.x, bars.y = width * 0.38, 22
    bars.width, bars.height = width * 0.55, height - 30
    bars.data = [[v for _, v in reversed(values)]]
    bars.categoryAxis.categoryNames = [name[:40] for name, _ in reversed(values)]
    bars.categoryAxis.labels.fontName = fonts.MAIN
    bars.categoryAxis.labels.fontSize = 8
    bars.valueAxis.labels.fontName = fonts.MAIN
    bars.valueAxis.labels.fontSize = 8
    low = min(0.0, min(v for _, v in values))
    bars.valueAxis.valueMin = low
    bars.bars[0].fillColor = colors.HexColor("#1d70b8")
    drawing.add(bars)
    return drawing


def _table_flowables(table: outcomes.Table, width: float) -> list[Flowable]:
    styles = letter_styles()
    story: list[Flowable] = [para(table.title, styles.heading), para(table.explain, styles.small)]
    drawn = chart(table, width)
    if drawn is not None:
        story.extend([drawn, Spacer(1, styles.gap)])
    cells = [[para(c, styles.small) for c in table.columns]] + [
        [para(c, styles.small) for c in row] for row in table.rows
    ]
    if table.rows:
        story.append(
            Table(
                cells,
                repeatRows=1,
                colWidths=[width / len(table.columns)] * len(table.columns),
                style=table_style([("LINEBELOW", (0, 0), (-1, 0), 0.8, colors.black)]),
            )
        )
    else:
        story.append(para("Nothing recorded.", styles.small))
    story.append(Spacer(1, styles.gap))
    return story


def _width() -> float:
    return float(A4[0] - 2 * letter_styles().margin)


def _render(story: list[Flowable], title: str, subject: str) -> bytes:
    metadata = pages.Metadata(title=title, author=pages.CREATOR, subject=subject)
    return pages.render(story, letter_styles(), metadata, page_labels=True)


def report_pdf(report: outcomes.Report, made_on: date, scope: str) -> bytes:
    """The whole outcomes report for a board paper."""
    styles = letter_styles()
    title = "Social prescribing outcomes"
    story: list[Flowable] = [
        pages.section_start(pages.Section(footer=f"{title}, {wording.long_date(made_on)}")),
        para(title, styles.title),
        para(f"{scope}. Made on {wording.long_date(made_on)}.", styles.body),
        para(CAVEATS, styles.body),
    ]
    if report.withheld:
        story.append(para(report.withheld_words, styles.body))
        return _render(story, title, "Outcomes for a group of people, never a person")
    story.append(para(_waits_words(report.waits), styles.body))
    for table in report.tables:
        story.extend(_table_flowables(table, _width()))
    return _render(story, title, "Outcomes for a group of people, never a person")


def _waits_words(waits: outcomes.Waits) -> str:
    if waits.n < 5 or waits.median is None or waits.p90 is None:
        return "Time from referral to first contact: fewer than 5 people seen, too few to report."
    return (
        f"Time from referral to first contact: for {waits.n} people seen, half within "
        f"{waits.median:.0f} days (the median) and 9 in 10 within {waits.p90:.0f} days."
    )


@dataclass(frozen=True, slots=True)
class PracticePack:
    practice: str
    month: str  # YYYY-MM
    made_on: date
    referred: outcomes.Report  # referrals received in the month, at the practice
    practice_all: outcomes.Report  # everyone ever referred at the practice
    service: outcomes.Report  # the whole service
    waiting: Sequence[tuple[str, str]]  # how long, people (as text)
    prescribed: outcomes.Table  # activities prescribed (started) in the month
    suppress: bool = False  # a commissioner's pack: counts as they see them


def practice_pack_pdf(pack: PracticePack) -> bytes:
    """The monthly pack for a GP practice's meeting with the advisers."""
    styles = letter_styles()
    width = _width()
    title = f"{pack.practice}: social prescribing, {_month_words(pack.month)}"
    story: list[Flowable] = [
        pages.section_start(pages.Section(footer=title)),
        para(title, styles.title),
        para(
            f"The monthly pack for the practice's meeting with the social prescribing advisers. "
            f"Made on {wording.long_date(pack.made_on)}. Numbers for groups, never a person.",
            styles.body,
        ),
    ]
    month = _month_words(pack.month)
    if pack.practice_all.withheld:
        # a commissioner's pack for a practice of fewer than 10 people: no figure of its own
        story.append(para(f"Referrals received in {month}", styles.heading))
        story.append(para(pack.practice_all.withheld_words, styles.small))
    else:
        shown = (
            "" if pack.referred.withheld else f": {st.shown(pack.referred.people, pack.suppress)}"
        )
        story.append(para(f"Referrals received in {month}{shown}", styles.heading))
        if pack.referred.withheld:
            story.append(para(pack.referred.withheld_words, styles.small))
        for key in ("sources", "status"):
            story.extend(_found(pack.referred, key, width))
        story.append(para("People from the practice waiting to be seen", styles.heading))
        waiting = [["How long they have waited", "People"], *[list(w) for w in pack.waiting]]
        story.append(
            Table(
                [[para(c, styles.small) for c in row] for row in waiting],
                colWidths=[width * 0.6, width * 0.4],
                style=table_style([("LINEBELOW", (0, 0), (-1, 0), 0.8, colors.black)]),
            )
        )
        story.append(Spacer(1, styles.gap))
        story.extend(_table_flowables(pack.prescribed, width))
        for key in ("closed", "concerns", "steps", "stopped", "health_rate_all_ages"):
            story.extend(_found(pack.practice_all, key, width))
    story.append(para("The practice against the whole service", styles.heading))
    story.append(para(CAVEATS, styles.small))
    for label, made in (("This practice", pack.practice_all), ("Whole service", pack.service)):
        measures = _find(made, "measures")
        if measures is None:
            story.append(para(f"{label}: {made.withheld_words}", styles.small))
            continue
        renamed = outcomes.Table(
            measures.key,
            f"{label}: wellbeing before and after",
            measures.explain,
            measures.columns,
            measures.rows,
            measures.chart,
        )
        story.extend(_table_flowables(renamed, width))
    return _render(story, title, "A GP practice's monthly social prescribing pack")


def _find(report: outcomes.Report, key: str) -> outcomes.Table | None:
    return next((t for t in report.tables if t.key == key), None)


def _found(report: outcomes.Report, key: str, width: float) -> list[Flowable]:
    """A table's flowables, or nothing where the report holds no such table (withheld)."""
    table = _find(report, key)
    return [] if table is None else _table_flowables(table, width)


def _month_words(month: str) -> str:
    try:
        return date.fromisoformat(f"{month}-01").strftime("%B %Y")
    except ValueError:
        return month
