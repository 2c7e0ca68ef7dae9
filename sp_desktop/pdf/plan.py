"""The person's own printout of their journey, and a visit pack of everyone's in one PDF.

Written for someone in their eighties reading at the kitchen table: plain English, the person's
own words, pictures that carry words beside them, and the link worker's phone number near the top.
"""

from __future__ import annotations

from collections.abc import Sequence

from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.platypus import Flowable, KeepTogether, PageBreak, Spacer, Table
from reportlab.platypus.flowables import _listWrapOn

from sp_desktop.pdf import pages, wording
from sp_desktop.pdf.drawings import bar
from sp_desktop.pdf.model import Change, PlanActivity, PlanDocument, PlanStep, WellbeingLine
from sp_desktop.pdf.run_sheet import RunSheet, run_sheet_story
from sp_desktop.pdf.styles import (
    BAR_NOW,
    BAR_THEN,
    HEADING,
    TINT,
    Styles,
    marked,
    plain,
    plan_styles,
    table_style,
)
from sp_desktop.pdf.styles import text as para

_CHANGE_WORDS = {
    Change.BETTER: "Better than before.",
    Change.SAME: "About the same as before.",
    Change.WORSE: "Not as good as before.",
}


def _frame_width(styles: Styles) -> float:
    return float(A4[0] - 2 * styles.margin)


def _greeting(doc: PlanDocument) -> str:
    return (doc.preferred_name or doc.person_name).strip()


def _next_contact_label(doc: PlanDocument) -> str:
    return "Your next phone call" if doc.next_contact_by_phone else "Your next visit"


def _next_contact(doc: PlanDocument, styles: Styles) -> list[Flowable]:
    """When the link worker next comes or rings, in words that match which it is."""
    worker = doc.link_worker
    if doc.next_visit is None:
        return [para(f"{worker.name} will ring you to arrange your next visit.", styles.body)]
    when = wording.appointment(doc.next_visit)
    if doc.next_contact_by_phone:
        # A call needs no place and no warning that someone will come to the door.
        return [
            para(when, styles.body_bold),
            para(f"{worker.name} will ring you then.", styles.body),
            para(
                f"If that day no longer suits you, ring {worker.name} on {worker.phone}.",
                styles.body,
            ),
        ]
    parts = [para(when, styles.body_bold)]
    if doc.next_visit_place and doc.next_visit_place.strip():
        parts.append(para(doc.next_visit_place, styles.body))
    parts.append(
        para(
            f"If that time no longer suits you, ring {worker.name} on {worker.phone}.", styles.body
        )
    )
    return parts


def _at_a_glance(doc: PlanDocument, styles: Styles) -> Flowable:
    """Who to ring and when they next come, at the top where a quick look finds them.

    Everything about the link worker and the next visit is here, once: a second copy at the
    end of the printout cost a page and said nothing new.
    """
    worker = doc.link_worker
    contact: list[Flowable] = [para(worker.name, styles.body_bold)]
    if worker.organisation.strip():
        contact.append(para(worker.organisation, styles.body))
    contact.append(
        marked(f"Phone <b>{plain(worker.phone, styles.body, bold=True)}</b>", styles.body)
    )
    if worker.email.strip():
        contact.append(para(f"Email {worker.email}", styles.body))
    contact.append(
        para(
            "Ring if you have a question, if something changes, or if you would like to talk.",
            styles.body,
        )
    )
    sections = [
        (para("Your link worker", styles.body_bold), contact),
        (para(_next_contact_label(doc), styles.body_bold), _next_contact(doc, styles)),
    ]
    width = _frame_width(styles)
    label = styles.body.fontSize * 9.5
    pad = styles.body.fontSize * 0.5
    commands: list[tuple[object, ...]] = [
        ("BACKGROUND", (0, 0), (-1, -1), TINT),
        ("BOX", (0, 0), (-1, -1), 1, HEADING),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("LEFTPADDING", (0, 0), (-1, -1), pad * 1.5),
        ("RIGHTPADDING", (0, 0), (-1, -1), pad),
        ("TOPPADDING", (0, 0), (-1, -1), pad * 1.2),
        ("BOTTOMPADDING", (0, 0), (-1, -1), pad * 0.2),
    ]
    if label <= width * 0.3:
        # Labels beside their details, as a form is read.
        table = Table([list(row) for row in sections], colWidths=[label, width - label])
        commands.append(("LINEBELOW", (0, 0), (-1, 0), 0.6, HEADING))
    else:
        # In large print a label column would leave the details a narrow strip, breaking an
        # email address over three lines: labels go above, details get the full width.
        rows: list[list[Flowable | list[Flowable]]] = []
        for heading, details in sections:
            rows += [[heading], [details]]
        table = Table(rows, colWidths=[width])
        commands += [
            ("LINEBELOW", (0, 1), (-1, 1), 0.6, HEADING),
            ("TOPPADDING", (0, 1), (-1, 1), 0),
            ("TOPPADDING", (0, 3), (-1, 3), 0),
        ]
    table.setStyle(table_style(commands))
    return table


class _KeepUnlessWasteful(KeepTogether):  # type: ignore[misc]  # reportlab has no types
    """Keep an item on one page, unless moving it on would leave a big hole.

    A whole activity card moved to the next page left a third of a page blank, twice in the
    standard plan. When at least ``waste`` points are free the card splits between its rows
    instead, its name band repeated at the top of the next page.
    """

    def __init__(self, flowables: list[Flowable], *, waste: float) -> None:
        super().__init__(flowables)
        self._waste = waste

    def split(self, aW: float, aH: float) -> list[Flowable]:  # noqa: N803  # reportlab's names
        if getattr(self, "_wrapInfo", None) != (aW, aH):
            self.wrap(aW, aH)
        if self._H > aH >= self._waste:
            tables = [i for i, f in enumerate(self._content) if isinstance(f, Table)]
            if tables:
                # What comes before the card (a section heading) stays with its first part.
                at = tables[0]
                before, after = self._content[:at], self._content[at + 1 :]
                _, used = _listWrapOn(before, aW, self.canv) if before else (0, 0)
                parts = self._content[at].splitOn(self.canv, aW, aH - used - 1)
                if len(parts) > 1:
                    return [*before, *parts, *after]
        return list(super().split(aW, aH))


def _lead_in(lead: list[Flowable], items: list[list[Flowable]]) -> list[Flowable]:
    """Keep each item on one page, and a section's heading and introduction with its first item.

    Items are plain lists, not KeepTogether: reportlab measures a nested KeepTogether as
    infinitely tall, which would push every section onto a fresh page.
    """
    if not items:
        return lead
    return [KeepTogether([*lead, *items[0]]), *(KeepTogether(item) for item in items[1:])]


def _what_matters(doc: PlanDocument, styles: Styles) -> list[Flowable]:
    paragraphs = [p.strip() for p in doc.what_matters.replace("\r\n", "\n").split("\n\n")]
    story: list[Flowable] = [para("What matters to you", styles.heading)]
    story += [para(p, styles.body) for p in paragraphs if p]
    for correction in doc.what_matters_corrections:
        # After the signed words, never in place of them: the record shows what was said then.
        story.append(KeepTogether([
            para(f"Correction added by {correction.written_by} on "
                 f"{wording.long_date(correction.written_on)}:", styles.body_bold),
            *(para(p.strip(), styles.body)
              for p in correction.words.replace("\r\n", "\n").split("\n\n") if p.strip()),
        ]))
    return story


def _step(number: int, step: PlanStep, styles: Styles) -> Flowable:
    """One step: its number, the person's words, how far along it is, and when they aim for."""
    width = _frame_width(styles)
    number_col = styles.subheading.fontSize * 2.2
    body_col = width - number_col
    parts: list[Flowable] = [para(step.words, styles.body)]
    if step.progress is not None:
        # About 75 mm at 12.5 pt, growing with the type but never past half the column.
        bar_width = min(body_col * 0.5, 75 * mm * styles.body.fontSize / 12.5)
        gutter = styles.body.fontSize
        progress = Table(
            [
                [
                    bar(bar_width, styles.bar_height, step.progress, BAR_NOW),
                    para(wording.progress_words(step.progress), styles.body_bold),
                ]
            ],
            colWidths=[bar_width + gutter, body_col - bar_width - gutter],
        )
        progress.setStyle(
            table_style(
                [
                    ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                    ("LEFTPADDING", (0, 0), (-1, -1), 0),
                    ("BOTTOMPADDING", (0, 0), (-1, -1), styles.body.fontSize * 0.3),
                ]
            )
        )
        parts.append(progress)
    if step.target_date is not None:
        parts.append(
            para(f"Aiming to do this by {wording.long_date(step.target_date)}", styles.body)
        )
    table = Table([[para(f"{number}", styles.subheading), parts]], colWidths=[number_col, body_col])
    table.setStyle(
        table_style(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
                ("RIGHTPADDING", (0, 0), (-1, -1), 0),
                ("TOPPADDING", (0, 0), (-1, -1), 0),
                ("BOTTOMPADDING", (0, 0), (-1, -1), styles.gap * 0.6),
            ]
        )
    )
    return table


def _steps(doc: PlanDocument, styles: Styles) -> list[Flowable]:
    lead: list[Flowable] = [
        para("Your steps", styles.heading),
        para("The bar shows how far along you are.", styles.body),
        Spacer(1, styles.gap * 0.4),
    ]
    steps = [[_step(n, s, styles)] for n, s in enumerate(doc.steps, start=1)]
    return _lead_in(lead, steps)


def _activity_rows(activity: PlanActivity) -> list[tuple[str, str]]:
    rows = [
        ("Where", activity.where),
        ("When", activity.when),
        ("Who to contact", activity.contact),
        ("Cost", activity.cost),
        ("Getting there", activity.getting_there),
    ]
    if activity.start_date is not None or activity.weeks is not None:
        start = (
            f"{wording.weekday_date(activity.start_date)}"
            if activity.start_date is not None
            else ""
        )
        length = f"for {wording.weeks(activity.weeks)}" if activity.weeks is not None else ""
        rows.append(("Starting", f"{start}, {length}" if start and length else start or length))
    rows.append(
        (
            "First time",
            "Your link worker will come with you."
            if activity.link_worker_comes_first_time
            else "You will go on your own.",
        )
    )
    return [(label, value) for label, value in rows if value.strip()]


def _activity(activity: PlanActivity, styles: Styles) -> Flowable:
    """An activity as a boxed card: its name on a tinted band, then what to know, label by label."""
    width = _frame_width(styles)
    label_col = styles.body.fontSize * 8.6
    heading: list[Flowable] = [para(activity.name, styles.subheading)]
    if activity.organisation.strip():
        heading.append(para(f"Run by {activity.organisation}", styles.body))
    rows: list[list[Flowable | list[Flowable] | str]] = [[heading, ""]]
    for label, value in _activity_rows(activity):
        rows.append([para(label, styles.body_bold), para(value, styles.body)])
    pad = styles.body.fontSize * 0.6
    table = Table(rows, colWidths=[label_col, width - label_col], repeatRows=1)
    table.setStyle(
        table_style(
            [
                ("SPAN", (0, 0), (-1, 0)),
                ("BACKGROUND", (0, 0), (-1, 0), TINT),
                ("BOX", (0, 0), (-1, -1), 1, HEADING),
                ("LINEBELOW", (0, 0), (-1, 0), 1, HEADING),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LEFTPADDING", (0, 0), (-1, -1), pad * 1.2),
                ("RIGHTPADDING", (0, 0), (-1, -1), pad),
                ("TOPPADDING", (0, 0), (-1, -1), pad * 0.4),
                ("TOPPADDING", (0, 0), (-1, 0), pad),
                ("TOPPADDING", (0, 1), (-1, 1), pad),
                ("BOTTOMPADDING", (0, -1), (-1, -1), pad * 0.8),
            ]
        )
    )
    return table


def _activities(doc: PlanDocument, styles: Styles) -> list[Flowable]:
    cards = [[_activity(activity, styles), Spacer(1, styles.gap)] for activity in doc.activities]
    story = _lead_in([para("Your activities", styles.heading)], cards)
    # A fifth of a page is the most a card may leave empty by moving on whole.
    waste = (A4[1] - 2 * styles.margin) * 0.2
    return [_KeepUnlessWasteful(item._content, waste=waste) for item in story]


def _feeling(line: WellbeingLine, show_then: bool, styles: Styles) -> list[Flowable]:
    """One question: a "then" bar and a "now" bar, each labelled and each with its words, and
    beside them whether things got better, so the answer sits next to what it is about."""
    width = _frame_width(styles)
    label_col = styles.body.fontSize * 4
    bar_col = min(width * 0.42, 80 * mm * styles.body.fontSize / 12.5)
    change = _CHANGE_WORDS.get(line.change) if show_then else None
    rest = width - label_col - bar_col
    words_col = rest if change is None else max(rest * 0.42, styles.body.fontSize * 5.5)
    rows: list[list[Flowable | str]] = []
    answers = [("Then", line.then_score, line.then_words, BAR_THEN)] if show_then else []
    answers.append(("Now", line.now_score, line.now_words, BAR_NOW))
    spans: list[tuple[object, ...]] = []
    for row, (label, score, words, colour) in enumerate(answers):
        if score is None:
            # No bar at all (an empty one would read as zero); the words sit where it would be.
            said = para("You preferred not to say", styles.body)
            rows.append([para(label, styles.body_bold), said, ""])
            spans.append(("SPAN", (1, row), (2, row)))
        else:
            rows.append(
                [
                    para(label, styles.body_bold),
                    bar(bar_col - styles.body.fontSize, styles.bar_height, score, colour),
                    para(wording.sentence_case(words), styles.body),
                ]
            )
    widths = [label_col, bar_col, words_col]
    if change is not None:
        for cells in rows:
            cells.append("")
        rows[0][3] = para(change, styles.body)
        spans.append(("SPAN", (3, 0), (3, len(rows) - 1)))
        widths.append(width - label_col - bar_col - words_col)
    table = Table(rows, colWidths=widths)
    table.setStyle(
        table_style(
            [
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
                ("TOPPADDING", (0, 0), (-1, -1), styles.body.fontSize * 0.15),
                ("BOTTOMPADDING", (0, 0), (-1, -1), styles.body.fontSize * 0.15),
                *spans,
            ]
        )
    )
    parts: list[Flowable] = [para(line.question, styles.subheading)]
    if line.lower_is_better:
        # Said before the bars, so the reader knows how to read them before looking.
        parts.append(para("For this one, a shorter bar is better.", styles.body))
    parts.append(table)
    parts.append(Spacer(1, styles.gap * 0.8))
    return parts


def _feelings(doc: PlanDocument, styles: Styles) -> list[Flowable]:
    show_then = doc.wellbeing_then_date is not None
    if show_then and doc.wellbeing_then_date and doc.wellbeing_now_date:
        when = (
            f"You answered these questions on {wording.long_date(doc.wellbeing_then_date)} "
            f"(then) and again on {wording.long_date(doc.wellbeing_now_date)} (now)."
        )
    elif doc.wellbeing_now_date:
        when = f"You answered these questions on {wording.long_date(doc.wellbeing_now_date)}."
    else:
        when = "These are your answers to four questions about how you feel."
    lead: list[Flowable] = [
        para("How you said you were feeling", styles.heading),
        para(f"{when} The longer the bar, the more you felt it.", styles.body),
        Spacer(1, styles.gap * 0.4),
    ]
    feelings = [_feeling(line, show_then, styles) for line in doc.wellbeing]
    return _lead_in(lead, feelings) + _other_measures(doc, styles)


def _other_measures(doc: PlanDocument, styles: Styles) -> list[Flowable]:
    """Other questionnaires, then and now, in the sentences the domain wrote: never a bare score."""
    story: list[Flowable] = []
    for found in doc.other_measures:
        story.append(para(found.title, styles.subheading))
        story.extend(para(sentence, styles.body) for sentence in found.sentences)
        story.append(Spacer(1, styles.gap * 0.8))
    return story


def _story(doc: PlanDocument) -> list[Flowable]:
    """The flowables for one person's printout, starting a numbered section of its own."""
    styles = plan_styles(doc.large_print)
    worker = doc.link_worker
    footer = f"For {doc.person_name}, printed {wording.long_date(doc.printed_on)}"
    story: list[Flowable] = [
        pages.section_start(
            pages.Section(footer=footer, outline=doc.person_name, footer_size=styles.footer_size)
        ),
        para(f"Your journey with {worker.organisation}", styles.title),
        para(f"For {doc.person_name}", styles.subheading),
        Spacer(1, styles.gap * 0.3),
        para(
            f"Hello {_greeting(doc)}. This is a reminder of what we talked about: what matters to "
            "you, the steps you chose and the activities you might like to try. "
            "Keep it somewhere handy.",
            styles.body,
        ),
        Spacer(1, styles.gap * 0.5),
        _at_a_glance(doc, styles),
    ]
    if doc.what_matters.strip():
        story += _what_matters(doc, styles)
    if doc.steps:
        story += _steps(doc, styles)
    if doc.activities:
        story += _activities(doc, styles)
    if doc.wellbeing:
        story += _feelings(doc, styles)
    elif doc.other_measures:
        story += [para("How you said you were feeling", styles.heading)]
        story += _other_measures(doc, styles)
    return story


def _metadata(doc: PlanDocument) -> pages.Metadata:
    return pages.Metadata(
        title=f"Your journey with {doc.link_worker.organisation}: {doc.person_name}",
        author=doc.link_worker.organisation.strip() or pages.CREATOR,
        subject="What matters to you, your steps, your activities and your next visit",
    )


def build_plan(doc: PlanDocument) -> bytes:
    """One person's printout as PDF bytes, in large print if ``doc.large_print``."""
    return pages.render(_story(doc), plan_styles(doc.large_print), _metadata(doc))


def build_visit_pack(docs: Sequence[PlanDocument], run_sheet: RunSheet | None = None) -> bytes:
    """Everyone's printouts in one PDF, in the order given, each starting on a new page.

    Page numbers restart for each person ("Page 1 of 2"), and the viewer's sidebar and page
    labels name the person, so the link worker can print the day's visits in one go and still
    hand each person only their own pages. With ``run_sheet`` the adviser's own pages (the
    day's round and a directory snapshot) come first, numbered on their own.
    """
    if not docs:
        raise ValueError("A visit pack needs at least one person's printout.")
    story: list[Flowable] = run_sheet_story(run_sheet) if run_sheet is not None else []
    for doc in docs:
        if story:
            story.append(PageBreak())
        story += _story(doc)
    first = docs[0]
    organisation = first.link_worker.organisation.strip()
    metadata = pages.Metadata(
        title=f"Visit pack printed {wording.long_date(first.printed_on)}",
        author=organisation or pages.CREATOR,
        subject=("Run sheet and journey" if run_sheet is not None else "Journey")
        + f" printouts for {len(docs)} "
        + ("person" if len(docs) == 1 else "people"),
    )
    # Both print sizes share margins, so one pack can mix them; the page set-up leaves room for
    # the larger footer if anyone's printout is in large print.
    page_styles = plan_styles(any(doc.large_print for doc in docs))
    return pages.render(story, page_styles, metadata, page_labels=True)
