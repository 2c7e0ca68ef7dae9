"""The fair floor for the plan printout: plain reportlab laying out the same pages.

Same A4 page, margins, fonts (embedded the same way, fallback face word by word), paragraph
styles, tables, bars and "Page 1 of 2" footers as `sp_desktop.pdf.plan`, from the same
`PlanDocument`, written straight against reportlab with no project layout code: no section
markers, no page labels, no outline. The words are made by the same `wording` helpers so both
sides set exactly the same text. What is left between the two is the cost of our own layout
code, which is what the ratio is meant to show.
"""

from __future__ import annotations

import io
from typing import Any

from reportlab.graphics.shapes import Drawing, Rect
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    BaseDocTemplate,
    Frame,
    KeepTogether,
    PageTemplate,
    Paragraph,
    Spacer,
    Table,
    TableStyle,
)
from reportlab.platypus.flowables import _listWrapOn

from sp_desktop.pdf import fonts, wording
from sp_desktop.pdf.model import PlanDocument
from sp_desktop.pdf.styles import (
    BAR_NOW,
    BAR_THEN,
    BAR_TRACK,
    HEADING,
    INK,
    RULE,
    TINT,
    plan_styles,
)

_CHANGE = {
    "better": "Better than before.",
    "same": "About the same as before.",
    "worse": "Not as good as before.",
}


def _p(words: str, style: ParagraphStyle) -> Paragraph:
    bold = style.fontName in (fonts.MAIN_BOLD, fonts.MAIN_BOLD_ITALIC)
    return Paragraph(fonts.markup(words, bold=bold, size=style.fontSize), style)


def _bar(width: float, height: float, filled: int, fill: Any) -> Drawing:
    drawing = Drawing(width, height)
    drawing.initialFontName = fonts.MAIN
    stroke, radius = 0.9, height / 3
    drawing.add(
        Rect(
            stroke / 2,
            stroke / 2,
            width - stroke,
            height - stroke,
            rx=radius,
            ry=radius,
            fillColor=BAR_TRACK,
            strokeColor=INK,
            strokeWidth=stroke,
        )
    )
    if filled:
        drawing.add(
            Rect(
                stroke / 2,
                stroke / 2,
                (width - stroke) * min(filled, 10) / 10,
                height - stroke,
                rx=radius,
                ry=radius,
                fillColor=fill,
                strokeColor=INK,
                strokeWidth=stroke,
            )
        )
    return drawing


def _style(*commands: tuple[object, ...]) -> TableStyle:
    return TableStyle([("FONT", (0, 0), (-1, -1), fonts.MAIN), *commands])


class _KeepUnlessWasteful(KeepTogether):  # type: ignore[misc]
    """reportlab's KeepTogether, except that a card which would leave at least `waste` points
    empty by moving on whole splits between its rows instead (as the plan does)."""

    def __init__(self, flowables: list[Any], *, waste: float) -> None:
        super().__init__(flowables)
        self._waste = waste

    def split(self, aW: float, aH: float) -> list[Any]:  # noqa: N803
        if getattr(self, "_wrapInfo", None) != (aW, aH):
            self.wrap(aW, aH)
        if self._H > aH >= self._waste:
            tables = [i for i, f in enumerate(self._content) if isinstance(f, Table)]
            if tables:
                at = tables[0]
                before, after = self._content[:at], self._content[at + 1 :]
                _, used = _listWrapOn(before, aW, self.canv) if before else (0, 0)
                parts = self._content[at].splitOn(self.canv, aW, aH - used - 1)
                if len(parts) > 1:
                    return [*before, *parts, *after]
        return list(super().split(aW, aH))


def _footer(words: str, size: float, margin: float) -> tuple[Paragraph, float, float]:
    """The footer's words wrapped beside the widest page number, and the height of its rule
    above the page's bottom edge (as the plan's page set-up places them)."""
    style = ParagraphStyle("footer", fontName=fonts.MAIN, fontSize=size, leading=size * 1.2)
    room = A4[0] - 2 * margin - pdfmetrics.stringWidth("Page 88 of 88", fonts.MAIN, size)
    para = Paragraph(fonts.markup(words, size=size), style)
    _, height = para.wrap(room - size * 2, A4[1])
    height = max(float(height), size * 1.2)
    top = margin * 0.55 - (size * 1.2 - size) + height + size * 0.5
    return para, height, top


def _numbered_canvas(words: str, size: float, margin: float) -> type[Canvas]:
    """reportlab's usual "Page x of y" recipe: hold the pages, draw footers on save."""

    class Numbered(Canvas):  # type: ignore[misc]
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._saved: list[dict[str, Any]] = []

        def showPage(self) -> None:  # noqa: N802
            self._saved.append(dict(self.__dict__))
            self._startPage()

        def save(self) -> None:
            total = len(self._saved)
            for number, state in enumerate(self._saved, start=1):
                self.__dict__.update(state)
                width = self._pagesize[0]
                para, height, top = _footer(words, size, margin)
                self.saveState()
                self.setStrokeColor(RULE)
                self.setLineWidth(0.6)
                self.line(margin, top, width - margin, top)
                self.setFillColor(INK)
                self.setFont(fonts.MAIN, size)
                self.drawRightString(width - margin, top - size * 1.5, f"Page {number} of {total}")
                para.wrapOn(self, width - 2 * margin, A4[1])
                para.drawOn(self, margin, top - size * 0.5 - height)
                self.restoreState()
                super().showPage()
            super().save()

    return Numbered


def floor_plan(doc: PlanDocument) -> bytes:
    s = plan_styles(doc.large_print)
    body, bold, fs = s.body, s.body_bold, s.body.fontSize
    width = float(A4[0] - 2 * s.margin)
    w = doc.link_worker
    story: list[Any] = [
        _p(f"Your journey with {w.organisation}", s.title),
        _p(f"For {doc.person_name}", s.subheading),
        Spacer(1, s.gap * 0.3),
        _p(
            f"Hello {(doc.preferred_name or doc.person_name).strip()}. This is a reminder of what "
            "we talked about: what matters to you, the steps you chose and the activities you "
            "might like to try. Keep it somewhere handy.",
            body,
        ),
        Spacer(1, s.gap * 0.5),
    ]
    contact: list[Any] = [_p(w.name, bold)]
    if w.organisation.strip():
        contact.append(_p(w.organisation, body))
    contact.append(Paragraph(f"Phone <b>{fonts.markup(w.phone, bold=True, size=fs)}</b>", body))
    if w.email.strip():
        contact.append(_p(f"Email {w.email}", body))
    contact.append(
        _p("Ring if you have a question, if something changes, or if you would like to talk.", body)
    )
    nxt: list[Any]
    if doc.next_visit is None:
        nxt = [_p(f"{w.name} will ring you to arrange your next visit.", body)]
    elif doc.next_contact_by_phone:
        nxt = [
            _p(wording.appointment(doc.next_visit), bold),
            _p(f"{w.name} will ring you then.", body),
            _p(f"If that day no longer suits you, ring {w.name} on {w.phone}.", body),
        ]
    else:
        nxt = [_p(wording.appointment(doc.next_visit), bold)]
        if doc.next_visit_place and doc.next_visit_place.strip():
            nxt.append(_p(doc.next_visit_place, body))
        nxt.append(_p(f"If that time no longer suits you, ring {w.name} on {w.phone}.", body))
    nxt_label = "Your next phone call" if doc.next_contact_by_phone else "Your next visit"
    sections = [(_p("Your link worker", bold), contact), (_p(nxt_label, bold), nxt)]
    label = fs * 9.5
    pad = fs * 0.5
    box: list[tuple[object, ...]] = [
        ("BACKGROUND", (0, 0), (-1, -1), TINT),
        ("BOX", (0, 0), (-1, -1), 1, HEADING),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("LEFTPADDING", (0, 0), (-1, -1), pad * 1.5),
        ("RIGHTPADDING", (0, 0), (-1, -1), pad),
        ("TOPPADDING", (0, 0), (-1, -1), pad * 1.2),
        ("BOTTOMPADDING", (0, 0), (-1, -1), pad * 0.2),
    ]
    if label <= width * 0.3:
        glance = Table([list(r) for r in sections], colWidths=[label, width - label])
        box.append(("LINEBELOW", (0, 0), (-1, 0), 0.6, HEADING))
    else:
        stacked: list[Any] = []
        for head, details in sections:
            stacked += [[head], [details]]
        glance = Table(stacked, colWidths=[width])
        box += [
            ("LINEBELOW", (0, 1), (-1, 1), 0.6, HEADING),
            ("TOPPADDING", (0, 1), (-1, 1), 0),
            ("TOPPADDING", (0, 3), (-1, 3), 0),
        ]
    glance.setStyle(_style(*box))
    story.append(glance)
    if doc.what_matters.strip():
        story.append(_p("What matters to you", s.heading))
        story += [_p(p.strip(), body) for p in doc.what_matters.split("\n\n") if p.strip()]
    if doc.steps:
        number_col = s.subheading.fontSize * 2.2
        body_col = width - number_col
        cards = []
        for n, step in enumerate(doc.steps, start=1):
            parts: list[Any] = [_p(step.words, body)]
            if step.progress is not None:
                bar_w = min(body_col * 0.5, 75 * mm * fs / 12.5)
                row = Table(
                    [
                        [
                            _bar(bar_w, s.bar_height, step.progress, BAR_NOW),
                            _p(wording.progress_words(step.progress), bold),
                        ]
                    ],
                    colWidths=[bar_w + fs, body_col - bar_w - fs],
                )
                row.setStyle(
                    _style(
                        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                        ("LEFTPADDING", (0, 0), (-1, -1), 0),
                        ("BOTTOMPADDING", (0, 0), (-1, -1), fs * 0.3),
                    )
                )
                parts.append(row)
            if step.target_date is not None:
                parts.append(
                    _p(f"Aiming to do this by {wording.long_date(step.target_date)}", body)
                )
            t = Table([[_p(f"{n}", s.subheading), parts]], colWidths=[number_col, body_col])
            t.setStyle(
                _style(
                    ("VALIGN", (0, 0), (-1, -1), "TOP"),
                    ("LEFTPADDING", (0, 0), (-1, -1), 0),
                    ("RIGHTPADDING", (0, 0), (-1, -1), 0),
                    ("TOPPADDING", (0, 0), (-1, -1), 0),
                    ("BOTTOMPADDING", (0, 0), (-1, -1), s.gap * 0.6),
                )
            )
            cards.append([t])
        lead = [
            _p("Your steps", s.heading),
            _p("The bar shows how far along you are.", body),
            Spacer(1, s.gap * 0.4),
        ]
        story += [KeepTogether([*lead, *cards[0]]), *(KeepTogether(c) for c in cards[1:])]
    if doc.activities:
        label_col = fs * 8.6
        cards = []
        for a in doc.activities:
            head: list[Any] = [_p(a.name, s.subheading)]
            if a.organisation.strip():
                head.append(_p(f"Run by {a.organisation}", body))
            rows: list[Any] = [[head, ""]]
            facts = [
                ("Where", a.where),
                ("When", a.when),
                ("Who to contact", a.contact),
                ("Cost", a.cost),
                ("Getting there", a.getting_there),
            ]
            if a.start_date is not None or a.weeks is not None:
                start = wording.weekday_date(a.start_date) if a.start_date is not None else ""
                length = f"for {wording.weeks(a.weeks)}" if a.weeks is not None else ""
                facts.append(
                    ("Starting", f"{start}, {length}" if start and length else start or length)
                )
            facts.append(
                (
                    "First time",
                    "Your link worker will come with you."
                    if a.link_worker_comes_first_time
                    else "You will go on your own.",
                )
            )
            rows += [[_p(k, bold), _p(v, body)] for k, v in facts if v.strip()]
            p2 = fs * 0.6
            t = Table(rows, colWidths=[label_col, width - label_col], repeatRows=1)
            t.setStyle(
                _style(
                    ("SPAN", (0, 0), (-1, 0)),
                    ("BACKGROUND", (0, 0), (-1, 0), TINT),
                    ("BOX", (0, 0), (-1, -1), 1, HEADING),
                    ("LINEBELOW", (0, 0), (-1, 0), 1, HEADING),
                    ("VALIGN", (0, 0), (-1, -1), "TOP"),
                    ("LEFTPADDING", (0, 0), (-1, -1), p2 * 1.2),
                    ("RIGHTPADDING", (0, 0), (-1, -1), p2),
                    ("TOPPADDING", (0, 0), (-1, -1), p2 * 0.4),
                    ("TOPPADDING", (0, 0), (-1, 0), p2),
                    ("TOPPADDING", (0, 1), (-1, 1), p2),
                    ("BOTTOMPADDING", (0, -1), (-1, -1), p2 * 0.8),
                )
            )
            cards.append([t, Spacer(1, s.gap)])
        waste = (A4[1] - 2 * s.margin) * 0.2  # a card may leave at most a fifth of a page
        story += [
            _KeepUnlessWasteful([_p("Your activities", s.heading), *cards[0]], waste=waste),
            *(_KeepUnlessWasteful(c, waste=waste) for c in cards[1:]),
        ]
    if doc.wellbeing:
        then = doc.wellbeing_then_date is not None
        if then and doc.wellbeing_then_date and doc.wellbeing_now_date:
            when = (
                f"You answered these questions on {wording.long_date(doc.wellbeing_then_date)}"
                f" (then) and again on {wording.long_date(doc.wellbeing_now_date)} (now)."
            )
        elif doc.wellbeing_now_date:
            when = f"You answered these questions on {wording.long_date(doc.wellbeing_now_date)}."
        else:
            when = "These are your answers to four questions about how you feel."
        label_col = fs * 4
        bar_col = min(width * 0.42, 80 * mm * fs / 12.5)
        items = []
        for line in doc.wellbeing:
            answers = [("Then", line.then_score, line.then_words, BAR_THEN)] if then else []
            answers.append(("Now", line.now_score, line.now_words, BAR_NOW))
            rows, spans = [], []
            for r, (name, score, words, colour) in enumerate(answers):
                if score is None:
                    rows.append([_p(name, bold), _p("You preferred not to say", body), ""])
                    spans.append(("SPAN", (1, r), (2, r)))
                else:
                    rows.append(
                        [
                            _p(name, bold),
                            _bar(bar_col - fs, s.bar_height, score, colour),
                            _p(wording.sentence_case(words), body),
                        ]
                    )
            change = _CHANGE.get(line.change.value) if then else None
            rest = width - label_col - bar_col
            words_col = rest if change is None else max(rest * 0.42, fs * 5.5)
            widths = [label_col, bar_col, words_col]
            if change is not None:
                for cells in rows:
                    cells.append("")
                rows[0][3] = _p(change, body)
                spans.append(("SPAN", (3, 0), (3, len(rows) - 1)))
                widths.append(width - label_col - bar_col - words_col)
            t = Table(rows, colWidths=widths)
            t.setStyle(
                _style(
                    ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                    ("LEFTPADDING", (0, 0), (-1, -1), 0),
                    ("TOPPADDING", (0, 0), (-1, -1), fs * 0.15),
                    ("BOTTOMPADDING", (0, 0), (-1, -1), fs * 0.15),
                    *spans,
                )
            )
            parts = [_p(line.question, s.subheading)]
            if line.lower_is_better:
                parts.append(_p("For this one, a shorter bar is better.", body))
            parts.append(t)
            parts.append(Spacer(1, s.gap * 0.8))
            items.append(parts)
        lead = [
            _p("How you said you were feeling", s.heading),
            _p(f"{when} The longer the bar, the more you felt it.", body),
            Spacer(1, s.gap * 0.4),
        ]
        story += [KeepTogether([*lead, *items[0]]), *(KeepTogether(i) for i in items[1:])]

    buffer = io.BytesIO()
    footer = f"For {doc.person_name}, printed {wording.long_date(doc.printed_on)}"
    _para, _height, top = _footer(footer, s.footer_size, s.margin)
    template = BaseDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=s.margin,
        rightMargin=s.margin,
        topMargin=s.margin,
        bottomMargin=max(s.margin, top + s.footer_size * 1.5),
        title=doc.person_name,
        author=w.organisation,
        creator="floor",
        lang="en-GB",
        initialFontName=fonts.MAIN,
        initialFontSize=fs,
        initialLeading=body.leading,
    )
    frame = Frame(
        template.leftMargin,
        template.bottomMargin,
        template.width,
        template.height,
        leftPadding=0,
        rightPadding=0,
        topPadding=0,
        bottomPadding=0,
    )
    template.addPageTemplates([PageTemplate(id="page", frames=[frame])])
    template.build(story, canvasmaker=_numbered_canvas(footer, s.footer_size, s.margin))
    return buffer.getvalue()
