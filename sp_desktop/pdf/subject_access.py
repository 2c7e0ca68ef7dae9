"""The subject access copy as a readable PDF: every record held about one person, table by table,
each field named in words, built from plain data (the service gathers it by walking the schema)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date

from reportlab.lib.pagesizes import A4
from reportlab.platypus import Flowable, Spacer, Table

from sp_desktop.pdf import pages, wording
from sp_desktop.pdf.styles import letter_styles, table_style
from sp_desktop.pdf.styles import text as para

ABOUT = (
    "This is a copy of everything this record system holds about you, as you asked for it "
    "(UK GDPR article 15). Each part below is one kind of record; each record lists what it "
    "holds. Codes and identifiers are how the system links records together."
)


@dataclass(frozen=True, slots=True)
class SubjectAccessCopy:
    """What the copy says: who it is about, when it was made, by whom, and the records (table
    name in words -> rows of (field, value) pairs as text)."""

    name: str
    made_on: date
    made_by: str
    source: str  # "this laptop" or "the office"
    sections: Mapping[str, Sequence[Sequence[tuple[str, str]]]]


def _story(copy: SubjectAccessCopy) -> list[Flowable]:
    styles = letter_styles()
    width = float(A4[0] - 2 * styles.margin)
    story: list[Flowable] = [
        pages.section_start(pages.Section(footer=f"Records held about {copy.name}")),
        para(f"Records held about {copy.name}", styles.title),
        para(ABOUT, styles.body),
        para(f"Made on {wording.long_date(copy.made_on)} by {copy.made_by}, from "
             f"{copy.source}.", styles.body),
    ]
    for title, records in copy.sections.items():
        story.append(para(f"{title} ({len(records)})", styles.heading))
        for record in records:
            rows = [[para(field, styles.small), para(value or "—", styles.small)]
                    for field, value in record]
            if rows:
                story.append(Table(rows, colWidths=[width * 0.3, width * 0.7],
                                   style=table_style([])))
                story.append(Spacer(1, styles.gap / 2))
    return story


def build_subject_access(copy: SubjectAccessCopy) -> bytes:
    """The copy as PDF bytes, in memory only."""
    metadata = pages.Metadata(
        title=f"Records held about {copy.name}",
        author=pages.CREATOR,
        subject="A copy of a person's records (subject access request)",
    )
    return pages.render(_story(copy), letter_styles(), metadata, page_labels=True)
