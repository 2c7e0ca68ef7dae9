"""The adviser's run sheet for a day of visits, the directory snapshot beside it, and whether
the last sync with the office is too old to trust what is printed.

A read model of its own (STYLE: one owner per module): the visit pack asks for it, the visit
pack dialog asks for the sync warning before anything is printed.

What the store does not hold, the sheet does not invent: there is no appointment time (the
order is the day's list, with a space to write the time), and no lone-working or safety field
(the sheet says none is recorded and leaves room to write one).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import select

from sp_desktop.domain.choices import PreferredContact, PrescriptionStatus, VisitStatus
from sp_desktop.domain.people import Person
from sp_desktop.domain.prescribing import FollowUpKind
from sp_desktop.pdf import wording
from sp_desktop.pdf.run_sheet import DirectoryLine, RunSheet, RunSheetVisit
from sp_desktop.services.settings import SYNC_WARN_HOURS, Settings
from sp_desktop.services.sync_status import age_words, when_words
from sp_desktop.store.schema import follow_ups, prescriptions, services, visits
from sp_desktop.sync.client import sync_status

if TYPE_CHECKING:
    from sp_desktop.services.workspace import Workspace

_CONTACT_WORDS = {
    PreferredContact.PHONE: "prefers a phone call",
    PreferredContact.TEXT: "prefers a text message",
    PreferredContact.EMAIL: "prefers email",
    PreferredContact.LETTER: "prefers a letter",
    PreferredContact.VIA_CARER: "prefers contact through their carer",
}


def _name(person: Person) -> str:
    return f"{person.preferred_name or person.given_name} {person.family_name}".strip()


def sync_warning(
    ws: Workspace, *, now: datetime | None = None, settings: Settings | None = None
) -> str | None:
    """Words for the run sheet and the visit pack dialog when the last sync with the office is
    older than the office's limit (`SYNC_WARN_HOURS`), or None.

    A laptop never registered has no office copy to fall behind, so it gets no warning.
    """
    status = sync_status(ws.store)
    if not status.registered:
        return None
    moment = now or datetime.now(UTC)
    limit = (settings or Settings.in_folder(ws.store.folder)).get(SYNC_WARN_HOURS)
    last = status.last_success_at
    if last is None:
        return (
            "This laptop has not synced with the office yet, so nothing recorded at the office "
            "is in this pack. Sync before you set off if you can."
        )
    if moment - last <= timedelta(hours=limit):
        return None
    age = age_words((moment - last).total_seconds())
    return (
        f"This laptop last synced with the office {age} ago ({when_words(last, moment)}). "
        "Changes made at the office since then are not in this pack: sync before you set off "
        "if you can."
    )


def _phones(ws: Workspace, person: Person) -> tuple[str, ...]:
    """The person's number with how they like to be reached, then each carer's."""
    found: list[str] = []
    way = _CONTACT_WORDS.get(PreferredContact(person.preferred_contact), "")
    if person.phone.strip():
        found.append(f"{person.phone.strip()} ({way})" if way else person.phone.strip())
    elif way:
        found.append(f"No phone number ({way})")
    for carer_id in ws.people.carers_of(person.id):
        carer = ws.people.get(carer_id)
        number = carer.phone.strip() or "no phone number"
        found.append(f"Carer: {_name(carer)}, {number}")
    return tuple(found)


def _access(person: Person) -> tuple[str, ...]:
    access = person.access
    found = ["Large print"] if access.large_print else []
    if access.interpreter_language:
        found.append(f"Interpreter: {access.interpreter_language}")
    if access.hearing:
        found.append(f"Hearing: {access.hearing}")
    if access.sight:
        found.append(f"Sight: {access.sight}")
    return tuple(found)


def _due(ws: Workspace, person_id: str, day: date) -> tuple[str, ...]:
    """The follow-ups due that day with their notes, a visit already recorded for the day, and
    the person's steps whose date has come, so the conversation can pick them up."""
    found: list[str] = []
    with ws.store.read() as conn:
        for kind, notes in conn.execute(
            select(follow_ups.c.kind, follow_ups.c.notes)
            .where(
                follow_ups.c.person_id == person_id,
                follow_ups.c.due_on == day,
                follow_ups.c.done_on.is_(None),
                follow_ups.c.deleted.is_(False),
            )
            .order_by(follow_ups.c.created_at)
        ):
            words = FollowUpKind.LABELS.get(kind, str(kind).replace("_", " ").capitalize())
            found.append(f"{words}: {notes.strip()}" if notes and notes.strip() else words)
        visited = conn.execute(
            select(visits.c.status).where(
                visits.c.person_id == person_id,
                visits.c.visit_date == day,
                visits.c.deleted.is_(False),
            )
        ).first()
    if visited is not None:
        started = visited.status == VisitStatus.DRAFT.value
        found.append("Visit (already started)" if started else "Visit")
    for step in ws.visits.steps_of(person_id):
        if step.target_date is not None and step.target_date <= day and step.progress < 10:
            found.append(
                f"Step to look at: {step.words} (by {wording.long_date(step.target_date)})"
            )
    return tuple(dict.fromkeys(found))


def _directory(
    ws: Workspace, person_ids: Sequence[str], names: dict[str, str]
) -> tuple[DirectoryLine, ...]:
    """Every service with a running prescription for someone on the sheet, once each."""
    with ws.store.read() as conn:
        rows = conn.execute(
            select(
                prescriptions.c.person_id,
                services.c.id,
                services.c.name,
                services.c.organisation,
                services.c.contact_name,
                services.c.contact_phone,
                services.c.schedule,
                services.c.address,
                services.c.postcode,
                services.c.last_checked,
                services.c.active,
            )
            .join_from(prescriptions, services, prescriptions.c.service_id == services.c.id)
            .where(
                prescriptions.c.person_id.in_(list(person_ids)),
                prescriptions.c.deleted.is_(False),
                prescriptions.c.status == PrescriptionStatus.ACTIVE.value,
            )
            .order_by(services.c.name, services.c.id)
        ).all()
    lines: dict[str, DirectoryLine] = {}
    for row in rows:
        who = names[row.person_id]
        if row.id in lines:
            line = lines[row.id]
            if who not in line.for_people:
                lines[row.id] = replace(line, for_people=(*line.for_people, who))
            continue
        where = ", ".join(
            [part.strip() for part in (row.address or "").splitlines() if part.strip()]
            + ([row.postcode.strip()] if row.postcode and row.postcode.strip() else [])
        )
        named = ((row.contact_name or "").strip(), (row.contact_phone or "").strip())
        contact = ", ".join(part for part in named if part)
        lines[row.id] = DirectoryLine(
            name=row.name,
            organisation=(row.organisation or "").strip(),
            contact=contact,
            when=(row.schedule or "").strip(),
            where=where,
            last_checked=row.last_checked if isinstance(row.last_checked, date) else None,
            active=bool(row.active),
            for_people=(who,),
        )
    return tuple(lines.values())


def run_sheet_for(
    ws: Workspace,
    day: date,
    person_ids: Sequence[str],
    *,
    today: date | None = None,
    now: datetime | None = None,
    settings: Settings | None = None,
) -> RunSheet:
    """The adviser's pages for `day`: `person_ids` in the order given (the day's list)."""
    people = [ws.people.get(pid) for pid in person_ids]
    names = {p.id: _name(p) for p in people}
    stops = tuple(
        RunSheetVisit(
            name=names[p.id],
            born=p.date_of_birth,
            address=tuple(
                [line.strip() for line in p.address.splitlines() if line.strip()]
                + ([p.postcode.strip()] if p.postcode.strip() else [])
            ),
            phones=_phones(ws, p),
            access=_access(p),
            due=_due(ws, p.id, day),
        )
        for p in people
    )
    return RunSheet(
        day=day,
        adviser=ws.adviser.strip() or "Link worker",
        visits=stops,
        directory=_directory(ws, person_ids, names),
        sync_warning=sync_warning(ws, now=now, settings=settings),
        printed_on=today or date.today(),
    )
