"""The adviser's own pages at the front of a visit pack: the day's run sheet and a snapshot of
the directory entries prescribed to the people on it.

For the link worker in the car, not for handing out: every visit's address, phone numbers,
access needs, what is due and the lone-working notes, in the day's order, with room to write
the time and a check-in; then the services those people were sent to, with when each entry was
last checked, since a list printed in the morning is all there is on a doorstep without signal.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from reportlab.lib.pagesizes import A4
from reportlab.platypus import Flowable, KeepTogether, Spacer, Table

from sp_desktop.pdf import pages, wording
from sp_desktop.pdf.model import DocumentDataError
from sp_desktop.pdf.styles import HEADING, RULE, TINT, Styles, letter_styles, table_style
from sp_desktop.pdf.styles import text as para

#: Directory entries not checked for this many days are flagged to check before recommending.
STALE_AFTER_DAYS = 183

NOT_FOR_HANDING_OUT = "Adviser's copy: keep it with you and shred it after the day"


@dataclass(frozen=True)
class RunSheetVisit:
    """One stop on the day's round.

    Attributes:
        name: as the adviser knows them.
        born: date of birth, so two people of one name are told apart at the door.
        address: the address lines, postcode last.
        phones: "07700 900123 (prefers a phone call)", "Carer: Halina Nowak, 07700 900456".
        access: access needs in words ("Large print", "Interpreter: Polish").
        due: what is due ("Review", "Check-in: ring after the trip", "Step to look at: ...").
        safety: lone-working notes; () when none are recorded.
    """

    name: str
    born: date | None
    address: tuple[str, ...]
    phones: tuple[str, ...]
    access: tuple[str, ...]
    due: tuple[str, ...]
    safety: tuple[str, ...] = ()


@dataclass(frozen=True)
class DirectoryLine:
    """A service prescribed to someone on the run sheet, as the directory has it today.

    Attributes:
        name: the service.
        organisation: who runs it.
        contact: who to ring ("Maggie, 0113 496 0001").
        when: its days and times.
        where: its address.
        last_checked: when the directory entry was last confirmed, or None if never.
        active: False when the directory now lists it as stopped.
        for_people: who on the run sheet it was prescribed to.
    """

    name: str
    organisation: str
    contact: str
    when: str
    where: str
    last_checked: date | None
    active: bool
    for_people: tuple[str, ...]


@dataclass(frozen=True)
class RunSheet:
    """The adviser's pages for one day.

    Attributes:
        day: the day of the visits.
        adviser: whose round it is.
        visits: the stops, in the day's order.
        directory: services prescribed to those people.
        sync_warning: words saying the last sync with the office is old, or None.
        printed_on: the date printed.
    """

    day: date
    adviser: str
    visits: tuple[RunSheetVisit, ...]
    directory: tuple[DirectoryLine, ...]
    sync_warning: str | None
    printed_on: date

    def __post_init__(self) -> None:
        if not self.visits:
            raise DocumentDataError("A run sheet needs at least one visit.")


def _width(styles: Styles) -> float:
    return float(A4[0] - 2 * styles.margin)


def _box(cells: list[Flowable], styles: Styles) -> Table:
    """A tinted, outlined box for a warning or a reminder the adviser must not miss."""
    table = Table([[cells]], colWidths=[_width(styles)])
    pad = styles.body.fontSize * 0.6
    table.setStyle(
        table_style(
            [
                ("BACKGROUND", (0, 0), (-1, -1), TINT),
                ("BOX", (0, 0), (-1, -1), 1.2, HEADING),
                ("LEFTPADDING", (0, 0), (-1, -1), pad * 1.4),
                ("RIGHTPADDING", (0, 0), (-1, -1), pad),
                ("TOPPADDING", (0, 0), (-1, -1), pad),
                ("BOTTOMPADDING", (0, 0), (-1, -1), pad * 0.5),
            ]
        )
    )
    return table


def last_checked_words(checked: date | None, today: date) -> str:
    """ "3 March 2026", or the same with a reason to ring first when it is old or unknown."""
    if checked is None:
        return "Never checked: ring before you recommend it"
    if (today - checked).days > STALE_AFTER_DAYS:
        return f"{wording.long_date(checked)}: over six months ago, ring before you recommend it"
    return wording.long_date(checked)


def _visit(number: int, visit: RunSheetVisit, styles: Styles) -> Flowable:
    """A stop: the name band with room to write the time, then what to know at the door."""
    details = [
        ("Address", ", ".join(visit.address) or "Not recorded"),
        ("Phone", "; ".join(visit.phones) or "Not recorded"),
        ("Access needs", "; ".join(visit.access) or "None recorded"),
        ("Due", "; ".join(visit.due) or "Nothing recorded"),
        (
            "Safety notes",
            "; ".join(visit.safety) or "None recorded. Write any here, and check in after.",
        ),
        ("Checked in", "at ______ with ______"),
    ]
    rows: list[list[Flowable | str]] = [
        [para(heading, styles.body_bold), para(words, styles.body)] for heading, words in details
    ]
    return KeepTogether(
        [_name_band(number, visit, styles), _details(rows, styles), Spacer(1, styles.gap)]
    )


def _name_band(number: int, visit: RunSheetVisit, styles: Styles) -> Table:
    width = _width(styles)
    time_col = styles.body.fontSize * 9
    born = f" (born {wording.long_date(visit.born)})" if visit.born else ""
    band = Table(
        [[para(f"{number}. {visit.name}{born}", styles.subheading), para("Time:", styles.body)]],
        colWidths=[width - time_col, time_col],
    )
    pad = styles.body.fontSize * 0.4
    band.setStyle(
        table_style(
            [
                ("BACKGROUND", (0, 0), (-1, -1), TINT),
                ("BOX", (0, 0), (-1, -1), 0.8, HEADING),
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                ("LEFTPADDING", (0, 0), (-1, -1), pad * 1.5),
                ("TOPPADDING", (0, 0), (-1, -1), pad),
                ("BOTTOMPADDING", (0, 0), (-1, -1), pad * 0.6),
            ]
        )
    )
    return band


def _details(rows: list[list[Flowable | str]], styles: Styles) -> Table:
    width = _width(styles)
    label = styles.body.fontSize * 8
    table = Table(rows, colWidths=[label, width - label])
    pad = styles.body.fontSize * 0.4
    table.setStyle(
        table_style(
            [
                ("BOX", (0, 0), (-1, -1), 0.8, HEADING),
                ("LINEBELOW", (0, 0), (-1, -2), 0.4, RULE),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LEFTPADDING", (0, 0), (-1, -1), pad * 1.5),
                ("RIGHTPADDING", (0, 0), (-1, -1), pad),
                ("TOPPADDING", (0, 0), (-1, -1), pad * 0.5),
                ("BOTTOMPADDING", (0, 0), (-1, -1), pad * 0.6),
            ]
        )
    )
    return table


def _directory(sheet: RunSheet, styles: Styles) -> list[Flowable]:
    width = _width(styles)
    head = styles.body_bold
    rows: list[list[Flowable | str]] = [
        [
            para("Service", head),
            para("Contact", head),
            para("When and where", head),
            para("Entry last checked", head),
        ]
    ]
    for line in sheet.directory:
        service = [para(line.name, styles.body_bold)]
        if line.organisation:
            service.append(para(line.organisation, styles.body))
        service.append(para("For " + ", ".join(line.for_people), styles.small))
        checked = last_checked_words(line.last_checked, sheet.printed_on)
        if not line.active:
            checked = "The directory now lists it as stopped. " + checked
        rows.append(
            [
                service,
                para(line.contact or "Not recorded", styles.body),
                para(
                    ", ".join(w for w in (line.when, line.where) if w) or "Not recorded",
                    styles.body,
                ),
                para(checked, styles.body),
            ]
        )
    widths = [width * 0.27, width * 0.22, width * 0.29, width * 0.22]
    table = Table(rows, colWidths=widths, repeatRows=1)
    pad = styles.body.fontSize * 0.4
    table.setStyle(
        table_style(
            [
                ("GRID", (0, 0), (-1, -1), 0.6, RULE),
                ("BACKGROUND", (0, 0), (-1, 0), TINT),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LEFTPADDING", (0, 0), (-1, -1), pad),
                ("RIGHTPADDING", (0, 0), (-1, -1), pad),
                ("TOPPADDING", (0, 0), (-1, -1), pad * 0.5),
                ("BOTTOMPADDING", (0, 0), (-1, -1), pad),
            ]
        )
    )
    lead: list[Flowable] = [
        para("Directory snapshot", styles.heading),
        para(
            "The services prescribed to the people on this sheet, as the directory had them "
            "when it was printed. Entries not checked for six months may have changed.",
            styles.body,
        ),
    ]
    if not sheet.directory:
        return [*lead, para("Nobody on this sheet has an activity prescribed.", styles.body)]
    # The heading and its words go with the table's first rows, never alone at a page foot.
    lead[-1].keepWithNext = 1
    return [*lead, table]


def run_sheet_story(sheet: RunSheet) -> list[Flowable]:
    """The adviser's pages as a numbered section of their own, to go before the printouts."""
    styles = letter_styles()
    when = wording.weekday_date(sheet.day)
    count = len(sheet.visits)
    story: list[Flowable] = [
        pages.section_start(
            pages.Section(
                footer=f"Run sheet for {when}. {NOT_FOR_HANDING_OUT}.",
                outline="Run sheet",
                # The pack's page size follows the printouts (large print if anyone's is);
                # the adviser's pages keep their own.
                footer_size=styles.footer_size,
            )
        ),
        para(f"Run sheet for {when}", styles.title),
        para(
            f"{sheet.adviser}: {count} {'visit' if count == 1 else 'visits'}, in the order of "
            f"the day's list. Printed {wording.long_date(sheet.printed_on)}. "
            f"{NOT_FOR_HANDING_OUT}.",
            styles.body,
        ),
        Spacer(1, styles.gap),
    ]
    if sheet.sync_warning:
        story += [
            _box(
                [
                    para("Check before you set off", styles.subheading),
                    para(sheet.sync_warning, styles.body),
                ],
                styles,
            ),
            Spacer(1, styles.gap),
        ]
    story += [
        _box(
            [
                para("Lone working", styles.subheading),
                para(
                    "Leave the addresses and the order of your visits with your office or "
                    "a colleague before you set off, and check in after each visit as your "
                    "scheme asks. Write the time you check in on each visit below.",
                    styles.body,
                ),
            ],
            styles,
        ),
        Spacer(1, styles.gap),
    ]
    story += [_visit(n, v, styles) for n, v in enumerate(sheet.visits, start=1)]
    story += _directory(sheet, styles)
    return story
