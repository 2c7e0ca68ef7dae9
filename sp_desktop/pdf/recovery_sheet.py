"""The recovery key sheet: one printed A4 page for the office to keep, never a file on the laptop.

The key is the only way back in after a forgotten passphrase, so it must not sit beside the data
it opens. The app prints this page (or shows the key to write down); it never saves it. The PDF
is built in memory and handed straight to the printer.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.platypus import Flowable, Spacer, Table

from sp_desktop.pdf import pages, wording
from sp_desktop.pdf.styles import HEADING, RULE, TINT, letter_styles, make_style, table_style
from sp_desktop.pdf.styles import text as para

KEEP_IT_SAFE = (
    "This key is the only way back in if the passphrase is ever forgotten. It will not be shown "
    "again. Print it or write it down now, and give it to your office (or keep it somewhere "
    "locked) — never in the laptop bag or stuck to the laptop. Anyone with the key and the "
    "laptop could open it."
)
_KEY_SIZE = 24  # large and bold: it is read aloud over the phone and typed in by hand


def key_lines(recovery_key: str) -> str:
    """The key on two lines of four groups, so no line break falls inside a group."""
    groups = recovery_key.split("-")
    half = (len(groups) + 1) // 2
    return "-".join(groups[:half]) + "-\n" + "-".join(groups[half:])


@dataclass(frozen=True, slots=True)
class RecoverySheet:
    """What the sheet says.

    Attributes:
        recovery_key: the key as shown on screen (groups of four characters).
        adviser: whose laptop the key opens.
        store_id: the store's id, so the office can match a key to a laptop.
        issued: the day the key was made; a newer key replaces every older one.
    """

    recovery_key: str
    adviser: str
    store_id: str
    issued: date


def _story(sheet: RecoverySheet) -> list[Flowable]:
    styles = letter_styles()
    key_style = make_style(
        "recovery-key", styles.body_bold.fontName, _KEY_SIZE, leading=1.3, textColor=HEADING
    )
    width = float(A4[0] - 2 * styles.margin)
    key_box = Table(
        [[para(key_lines(sheet.recovery_key), key_style)]],
        colWidths=[width],
        style=table_style(
            [
                ("BACKGROUND", (0, 0), (-1, -1), TINT),
                ("BOX", (0, 0), (-1, -1), 1, RULE),
                ("TOPPADDING", (0, 0), (-1, -1), 4 * mm),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 4 * mm),
                ("LEFTPADDING", (0, 0), (-1, -1), 5 * mm),
            ]
        ),
    )
    facts = Table(
        [
            [para("Laptop of", styles.body_bold), para(sheet.adviser or "—", styles.body)],
            [para("Store", styles.body_bold), para(sheet.store_id, styles.body)],
            [para("Made on", styles.body_bold), para(wording.long_date(sheet.issued), styles.body)],
        ],
        colWidths=[width * 0.25, width * 0.75],
        style=table_style([]),
    )
    filled_in = Table(
        [
            [para("Given to", styles.body_bold), para("", styles.body)],
            [para("On (date)", styles.body_bold), para("", styles.body)],
            [para("Kept where", styles.body_bold), para("", styles.body)],
        ],
        colWidths=[width * 0.25, width * 0.75],
        rowHeights=[10 * mm] * 3,
        style=table_style([("LINEBELOW", (1, 0), (1, -1), 0.6, RULE)]),
    )
    return [
        pages.section_start(pages.Section(footer="SP Desktop recovery key: keep it locked away")),
        para("SP Desktop recovery key", styles.title),
        para(KEEP_IT_SAFE, styles.body),
        Spacer(1, styles.gap),
        key_box,
        Spacer(1, styles.gap * 2),
        facts,
        Spacer(1, styles.gap),
        para(
            "A newer recovery key for the same store replaces this one: this key then opens "
            "nothing and the sheet can be shredded.",
            styles.body,
        ),
        para("For the office", styles.heading),
        filled_in,
    ]


def build_recovery_sheet(sheet: RecoverySheet) -> bytes:
    """The one-page sheet as PDF bytes, in memory only."""
    metadata = pages.Metadata(
        title="SP Desktop recovery key",
        author=pages.CREATOR,
        subject="The key that opens an SP Desktop store when its passphrase is forgotten",
    )
    return pages.render(_story(sheet), letter_styles(), metadata)
