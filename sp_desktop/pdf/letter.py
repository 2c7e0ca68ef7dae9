"""The letter back to the referrer and GP, following the PRSB Social Prescribing standard's shape.

Its sections follow the standard's minimum dataset (person demographics, needs and concerns,
support offered, outcomes) and end with the SNOMED CT codes the practice should add.
"""

from __future__ import annotations

from typing import TypeAlias

from reportlab.lib.enums import TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.platypus import Flowable, KeepTogether, Spacer, Table

from sp_desktop.pdf import pages, wording
from sp_desktop.pdf.model import Change, LetterDocument, WellbeingOutcome
from sp_desktop.pdf.styles import (
    HEADING,
    RULE,
    TINT,
    Styles,
    letter_styles,
    marked,
    plain,
    table_style,
)
from sp_desktop.pdf.styles import text as para

#: What a table cell may hold: a paragraph, a stack of them, or nothing ("").
Cell: TypeAlias = Flowable | list[Flowable] | str


def _width(styles: Styles) -> float:
    return float(A4[0] - 2 * styles.margin)


def _right(style: ParagraphStyle) -> ParagraphStyle:
    return ParagraphStyle(f"{style.name}-right", parent=style, alignment=TA_RIGHT)


def _lines(lines: tuple[str, ...] | list[str], style: ParagraphStyle) -> list[Flowable]:
    return [para(line, style) for line in lines if line.strip()]


def _grid(
    rows: list[list[Cell]], widths: list[float], styles: Styles, *, header: bool = True
) -> Table:
    """A ruled table; with ``header`` the first row is a tinted heading repeated on a new page."""
    pad = styles.body.fontSize * 0.45
    table = Table(rows, colWidths=widths, repeatRows=1 if header else 0)
    commands: list[tuple[object, ...]] = [
        ("GRID", (0, 0), (-1, -1), 0.6, RULE),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("LEFTPADDING", (0, 0), (-1, -1), pad),
        ("RIGHTPADDING", (0, 0), (-1, -1), pad),
        ("TOPPADDING", (0, 0), (-1, -1), pad * 0.6),
        ("BOTTOMPADDING", (0, 0), (-1, -1), pad),
    ]
    if header:
        commands.append(("BACKGROUND", (0, 0), (-1, 0), TINT))
    else:
        commands.append(("BACKGROUND", (0, 0), (0, -1), TINT))
    table.setStyle(table_style(commands))
    return table


def _header(doc: LetterDocument, styles: Styles) -> list[Flowable]:
    worker = doc.link_worker
    width = _width(styles)
    right = _right(styles.small)
    sender: list[Flowable] = [
        para(worker.organisation, styles.title),
        para("Social prescribing service", styles.small),
    ]
    contact = _lines([worker.name, f"Phone {worker.phone}", worker.email], right)
    top = Table([[sender, contact]], colWidths=[width * 0.45, width * 0.55])
    top.setStyle(
        table_style(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
                ("RIGHTPADDING", (0, 0), (-1, -1), 0),
                ("LINEBELOW", (0, 0), (-1, 0), 1, HEADING),
                ("BOTTOMPADDING", (0, 0), (-1, -1), styles.body.fontSize * 0.6),
            ]
        )
    )
    referrer = doc.referrer
    recipient_lines = [f"{referrer.name}, {referrer.role}" if referrer.role else referrer.name]
    address = list(referrer.address_lines) or [referrer.organisation]
    recipient = _lines(recipient_lines + address, styles.lines)
    dated = [para(wording.long_date(doc.letter_date), _right(styles.body))]
    to = Table([[recipient, dated]], colWidths=[width * 0.6, width * 0.4])
    to.setStyle(
        table_style(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
                ("RIGHTPADDING", (0, 0), (-1, -1), 0),
            ]
        )
    )
    return [top, Spacer(1, styles.gap * 2), to, Spacer(1, styles.gap * 2)]


def _person(doc: LetterDocument, styles: Styles) -> list[Flowable]:
    person = doc.person
    nhs = wording.nhs_number(person.nhs_number) if person.nhs_number else "Not known"
    rows: list[list[Cell]] = [
        [para("Name", styles.body_bold), para(person.name, styles.body)],
        [
            para("Date of birth", styles.body_bold),
            para(wording.long_date(person.date_of_birth), styles.body),
        ],
        [para("NHS number", styles.body_bold), para(nhs, styles.body)],
        [para("Address", styles.body_bold), para(", ".join(person.address_lines), styles.body)],
    ]
    label = styles.body.fontSize * 9
    return [
        para("Private and confidential", styles.body_bold),
        para(f"Social prescribing outcome: {person.name}", styles.heading),
        _grid(rows, [label, _width(styles) - label], styles, header=False),
    ]


def _referral(doc: LetterDocument, styles: Styles) -> list[Flowable]:
    referrer = doc.referrer
    who = f"{referrer.name} ({referrer.role})" if referrer.role else referrer.name
    return [
        para("Referral", styles.heading),
        para(
            f"Referred by {who}, {referrer.organisation}, on "
            f"{wording.long_date(doc.referral_date)}.",
            styles.body,
        ),
        para(f"Reason for referral: {doc.referral_reason}", styles.body),
    ]


def _score(value: int | None) -> str:
    return "not recorded" if value is None else f"{value}"


def _concerns(doc: LetterDocument, styles: Styles) -> list[Flowable]:
    width = _width(styles)
    head = styles.body_bold
    rows: list[list[Cell]] = [
        [
            para("Area", head),
            para("In the person's words", head),
            para("First (0-10)", head),
            para("Latest (0-10)", head),
        ]
    ]
    for concern in doc.concerns:
        rows.append(
            [
                para(concern.domain, styles.body),
                para(f"\u201c{concern.words}\u201d", styles.body),
                para(_score(concern.severity_first), styles.body),
                para(_score(concern.severity_latest), styles.body),
            ]
        )
    numbers = styles.body.fontSize * 7.5
    area = width * 0.24
    return [
        para("Needs and concerns", styles.heading),
        para(
            "How much each concern bothered the person, from 0 (not at all) to 10 (very much).",
            styles.small,
        ),
        Spacer(1, styles.gap * 0.5),
        _grid(rows, [area, width - area - 2 * numbers, numbers, numbers], styles),
    ]


def _support(doc: LetterDocument, styles: Styles) -> list[Flowable]:
    width = _width(styles)
    head = styles.body_bold
    rows: list[list[Cell]] = [
        [
            para("Activity or service", head),
            para("Provider", head),
            para("Status", head),
            para("Started", head),
            para("Length", head),
        ]
    ]
    for offer in doc.support:
        rows.append(
            [
                para(offer.activity, styles.body),
                para(offer.provider, styles.body),
                para(wording.sentence_case(offer.status), styles.body),
                para(wording.long_date(offer.start_date) if offer.start_date else "", styles.body),
                para(wording.weeks(offer.weeks) if offer.weeks else "", styles.body),
            ]
        )
    status = styles.body.fontSize * 7.5
    started = styles.body.fontSize * 8.5
    length = styles.body.fontSize * 6
    rest = width - status - started - length
    return [
        para("Support offered", styles.heading),
        _grid(rows, [rest * 0.55, rest * 0.45, status, started, length], styles),
    ]


def _answer(score: int | None, band: str) -> str:
    if score is None:
        return "Preferred not to say"
    return f"{score} ({band})" if band.strip() else f"{score}"


def change_words(outcome: WellbeingOutcome) -> str:
    """ "Up 3: better", "Down 4: better" (anxiety), "No change", or "Not known" if declined."""
    change = outcome.change
    if change is Change.NOT_KNOWN or outcome.baseline_score is None or outcome.latest_score is None:
        return "Not known"
    if change is Change.SAME:
        return "No change"
    moved = outcome.latest_score - outcome.baseline_score
    direction = "Up" if moved > 0 else "Down"
    return f"{direction} {abs(moved)}: {change.value}"


def _wellbeing(doc: LetterDocument, styles: Styles) -> list[Flowable]:
    width = _width(styles)
    head = styles.body_bold
    first = (
        f"First ({wording.long_date(doc.wellbeing_baseline_date)})"
        if doc.wellbeing_baseline_date
        else "First"
    )
    latest = (
        f"Latest ({wording.long_date(doc.wellbeing_latest_date)})"
        if doc.wellbeing_latest_date
        else "Latest"
    )
    rows: list[list[Cell]] = [
        [
            para("ONS4 question", head),
            para(first, head),
            para(latest, head),
            para("Change", head),
        ]
    ]
    for outcome in doc.wellbeing:
        rows.append(
            [
                para(outcome.item, styles.body),
                para(_answer(outcome.baseline_score, outcome.baseline_band), styles.body),
                para(_answer(outcome.latest_score, outcome.latest_band), styles.body),
                para(change_words(outcome), styles.body),
            ]
        )
    item = width * 0.25
    rest = (width - item) / 3
    return [
        para("Wellbeing (ONS4)", styles.heading),
        para(
            "Each answer is from 0 to 10, with the ONS band in brackets. For anxiety a lower "
            "score is better, and the change column takes that into account. A question the "
            "person preferred not to answer is not scored.",
            styles.small,
        ),
        Spacer(1, styles.gap * 0.5),
        _grid(rows, [item, rest, rest, rest], styles),
    ]


def _other_measures(doc: LetterDocument, styles: Styles) -> list[Flowable]:
    """Other measures, first and latest, in the sentences the domain wrote."""
    story: list[Flowable] = [para("Other measures", styles.heading)]
    for found in doc.other_measures:
        story.append(para(found.title, styles.body_bold))
        story.extend(para(sentence, styles.body) for sentence in found.sentences)
        story.append(Spacer(1, styles.gap * 0.5))
    return story


def _outcome(doc: LetterDocument, styles: Styles) -> list[Flowable]:
    carries_on = {
        True: "Yes, the person plans to carry on with their activities.",
        False: "No, the person does not plan to carry on with their activities.",
        None: "Not known.",
    }[doc.carries_on]
    story: list[Flowable] = [para("Outcome", styles.heading)]
    story += [para(p.strip(), styles.body) for p in doc.outcome_text.split("\n\n") if p.strip()]
    story.append(para(f"Carrying on: {carries_on}", styles.body))
    return story


def _codes(doc: LetterDocument, styles: Styles) -> list[Flowable]:
    if not doc.codes:
        return []
    head = styles.body_bold
    rows: list[list[Cell]] = [[para("SNOMED CT code", head), para("Term", head)]]
    for code in doc.codes:
        rows.append([para(code.code, styles.body), para(code.term, styles.body)])
    code_col = styles.body.fontSize * 12
    return [
        KeepTogether(
            [
                para("For the GP record", styles.heading),
                para("Please add these SNOMED CT codes to the person's record:", styles.body),
                _grid(rows, [code_col, _width(styles) - code_col], styles),
            ]
        )
    ]


def _signature(doc: LetterDocument, styles: Styles) -> list[Flowable]:
    worker = doc.link_worker
    block: list[Flowable] = [
        Spacer(1, styles.gap),
        para("Yours sincerely", styles.body),
        Spacer(1, styles.gap * 2.5),
        marked(f"<b>{plain(worker.name, styles.lines, bold=True)}</b>", styles.lines),
        *_lines(
            [worker.role, worker.organisation, f"Phone {worker.phone}", worker.email], styles.lines
        ),
    ]
    practice = doc.practice
    if practice.name.strip() and practice.name.strip() != doc.referrer.organisation.strip():
        block += [
            Spacer(1, styles.gap),
            para("Copy to: " + ", ".join([practice.name, *practice.address_lines]), styles.small),
        ]
    return [KeepTogether(block)]


def _story(doc: LetterDocument) -> list[Flowable]:
    styles = letter_styles()
    person = doc.person
    footer = person.name
    if person.nhs_number:
        footer += f", NHS number {wording.nhs_number(person.nhs_number)}"
    story: list[Flowable] = [pages.section_start(pages.Section(footer=footer))]
    story += _header(doc, styles)
    story += _person(doc, styles)
    story += [
        Spacer(1, styles.gap),
        para(f"Dear {doc.referrer.name},", styles.body),
        para(
            f"Thank you for referring {person.name} to social prescribing. This letter "
            "summarises what mattered to them, the support they were offered, how their "
            "wellbeing changed and the codes to add to their GP record.",
            styles.body,
        ),
    ]
    story += _referral(doc, styles)
    if doc.concerns:
        story += _concerns(doc, styles)
    if doc.support:
        story += _support(doc, styles)
    if doc.wellbeing:
        story += _wellbeing(doc, styles)
    if doc.other_measures:
        story += _other_measures(doc, styles)
    story += _outcome(doc, styles)
    story += _codes(doc, styles)
    story += _signature(doc, styles)
    return story


def build_letter(doc: LetterDocument) -> bytes:
    """The referrer letter as PDF bytes."""
    metadata = pages.Metadata(
        title=f"Social prescribing outcome: {doc.person.name}",
        author=doc.link_worker.organisation.strip() or pages.CREATOR,
        subject="Message back to the referrer and GP practice about social prescribing",
    )
    return pages.render(_story(doc), letter_styles(), metadata)
