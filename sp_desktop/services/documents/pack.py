"""Visit packs: everyone due on a day, and their printouts in one PDF with the adviser's pages."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

from sqlalchemy import select

from sp_desktop.pdf import wording
from sp_desktop.pdf.model import PlanDocument
from sp_desktop.pdf.plan import build_visit_pack
from sp_desktop.services.documents.plan import plan_for
from sp_desktop.services.documents.shared import (
    BuiltDocument,
    ContactDetails,
    DocumentKind,
    DocumentNotPossible,
    build_pdf,
    page_count,
    read_contact,
    safe_file_name,
)
from sp_desktop.services.run_sheet import run_sheet_for
from sp_desktop.store.schema import follow_ups, people, visits

if TYPE_CHECKING:
    from sp_desktop.services.workspace import Workspace

_FOLLOW_UP_WORDS = {
    "first_contact": "First contact",
    "review": "Review",
    "end": "End-of-activity review",
    "check_in": "Check-in",
}


@dataclass(frozen=True, slots=True)
class DueVisit:
    """Someone with a visit or follow-up on a given day: a line in the visit pack's list.

    Attributes:
        person_id: who.
        name: as the adviser knows them (preferred name first).
        postcode: where, so the day's route can be checked at a glance.
        reasons: what is due ("Review", "Visit"), in the adviser's words.
        large_print: whether their printout is in large print by default (their access needs).
    """

    person_id: str
    name: str
    postcode: str
    reasons: tuple[str, ...]
    large_print: bool


def due_on(ws: Workspace, day: date) -> list[DueVisit]:
    """Everyone with an open follow-up due on `day` or a visit recorded for that day, by name.

    Follow-ups (due_on) are the schedule; a visit record dated that day counts too, so a visit
    started early, or arranged for that day, is not left out of the pack.
    """
    reasons: dict[str, list[str]] = {}
    with ws.store.read() as conn:
        for person_id, kind in conn.execute(
            select(follow_ups.c.person_id, follow_ups.c.kind)
            .where(
                follow_ups.c.due_on == day,
                follow_ups.c.done_on.is_(None),
                follow_ups.c.deleted.is_(False),
            )
            .order_by(follow_ups.c.created_at)
        ):
            words = _FOLLOW_UP_WORDS.get(kind, str(kind).replace("_", " ").capitalize())
            reasons.setdefault(person_id, []).append(words)
        for (person_id,) in conn.execute(
            select(visits.c.person_id).where(
                visits.c.visit_date == day, visits.c.deleted.is_(False)
            )
        ):
            reasons.setdefault(person_id, []).append("Visit")
        if not reasons:
            return []
        rows = conn.execute(
            select(
                people.c.id,
                people.c.given_name,
                people.c.preferred_name,
                people.c.family_name,
                people.c.postcode,
                people.c.large_print,
            )
            .where(people.c.id.in_(list(reasons)), people.c.deleted.is_(False))
            .order_by(people.c.family_name, people.c.given_name, people.c.id)
        ).mappings()
        return [
            DueVisit(
                person_id=row["id"],
                name=f"{row['preferred_name'] or row['given_name']} {row['family_name']}",
                postcode=row["postcode"] or "",
                reasons=tuple(dict.fromkeys(reasons[row["id"]])),
                large_print=bool(row["large_print"]),
            )
            for row in rows
        ]


def visit_pack_for(
    ws: Workspace,
    day: date,
    *,
    person_ids: Iterable[str] | None = None,
    large_print: bool | None = None,
    contact: ContactDetails | None = None,
) -> list[PlanDocument]:
    """The printouts of everyone due on `day` (or of `person_ids` among them), in list order.

    Each printout is as of that day: its next visit is the one after it, and it carries that
    date, because it is handed over then. `large_print` None keeps each person's own choice.
    """
    return _pack(ws, day, _pack_ids(ws, day, person_ids), large_print, contact)


def _pack_ids(ws: Workspace, day: date, person_ids: Iterable[str] | None) -> list[str]:
    """Who is in the pack, in the order of the day's list (a choice can only narrow it)."""
    due = [d.person_id for d in due_on(ws, day)]
    if person_ids is None:
        return due
    wanted = set(person_ids)
    return [pid for pid in due if pid in wanted]


def _pack(
    ws: Workspace,
    day: date,
    person_ids: Sequence[str],
    large_print: bool | None,
    contact: ContactDetails | None,
) -> list[PlanDocument]:
    details = contact if contact is not None else read_contact(ws.store.folder)
    return [
        plan_for(ws, pid, large_print=large_print, today=day, contact=details) for pid in person_ids
    ]


def visit_pack_pdf(
    ws: Workspace,
    day: date,
    *,
    person_ids: Iterable[str] | None = None,
    large_print: bool | None = None,
    contact: ContactDetails | None = None,
    adviser_pages: bool = True,
) -> BuiltDocument:
    """Everyone's printouts for `day` in one PDF (see :func:`visit_pack_for`).

    With `adviser_pages` the pack starts with the adviser's own run sheet and directory
    snapshot (see :mod:`sp_desktop.services.run_sheet`), numbered apart from the printouts.
    """
    chosen = _pack_ids(ws, day, person_ids)
    docs = _pack(ws, day, chosen, large_print, contact)
    if not docs:
        raise DocumentNotPossible(
            f"Nobody has a visit or follow-up due on {wording.weekday_date(day)}."
        )
    sheet = run_sheet_for(ws, day, chosen) if adviser_pages else None
    pdf = build_pdf(DocumentKind.VISIT_PACK, build_visit_pack, docs, sheet)
    sizes = {doc.large_print for doc in docs}
    return BuiltDocument(
        kind=DocumentKind.VISIT_PACK,
        pdf=pdf,
        title=f"Visit pack for {wording.weekday_date(day)}",
        file_name=safe_file_name("Visit pack", wording.long_date(day)),
        person_ids=tuple(chosen),
        large_print=sizes.pop() if len(sizes) == 1 else None,
        page_count=page_count(pdf),
    )
