"""Erasure at the office (UK GDPR article 17): a person's rows, conflict copies and report line
are hard-deleted; what stays is a payload-free record that the erasure happened (who asked,
why, when, how many rows) and which laptops have confirmed their own purge.

Laptops hear of erasures in their team when they sync (`/erasures`), purge everything they
hold about the person (rows, drafts, outbox entries, conflict copies) and confirm. A laptop
offline during the erasure purges when it returns, before it sends anything; and the office
refuses any change about an erased person, so nothing waiting on a laptop brings them back.
The audit trail keeps its events (who looked, when): they name the person only by an id that,
after the erasure, leads nowhere.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Engine, delete, or_, select

from sp_desktop.domain.errors import ValidationError
from sp_desktop.domain.ids import new_id
from sp_desktop.server.accounts import DeviceContext, now_text
from sp_desktop.server.db import (
    advisers,
    conflicts,
    console_people,
    devices,
    erasure_confirmations,
    erasure_requests,
    erasures,
    person_scope,
    rows,
    write_transaction,
)
from sp_desktop.sync.protocol import (
    MAX_ERASURES,
    ErasureExchange,
    ErasureNotice,
    ErasureRequest,
)

ERASED_REASON = ("This person's records were erased at the office, so changes about them are "
                 "not kept. This laptop removes its copy at this sync.")


@dataclass(frozen=True, slots=True)
class Erasure:
    """What an erasure did: its record's id and the rows deleted per kind."""

    id: str
    person_id: str
    rows: int
    conflict_copies: int


def erase_person(engine: Engine, person_id: str, *, reason: str, by: str) -> Erasure:
    """Hard-deletes everything the office holds about one person, in one transaction, and keeps
    the payload-free record. A reason is required (it is what a data protection officer asks)."""
    if not reason.strip():
        raise ValidationError("reason", "Please say why this person's records are erased.")
    with write_transaction(engine) as conn:
        return erase_in(conn, person_id, reason=reason.strip(), by=by)


def erase_in(conn: Connection, person_id: str, *, reason: str, by: str) -> Erasure:
    held = conn.execute(
        select(erasures.c.id).where(erasures.c.person_id == person_id)).scalar_one_or_none()
    if held is not None:
        raise ValidationError("person", "This person's records were already erased.")
    team = conn.execute(select(person_scope.c.team_id)
                        .where(person_scope.c.person_id == person_id)).scalar_one_or_none()
    gone = conn.execute(delete(rows).where(or_(
        rows.c.person_id == person_id,
        (rows.c.table_name == "people") & (rows.c.row_id == person_id),
    ))).rowcount
    copies = conn.execute(delete(conflicts).where(conflicts.c.person_id == person_id)).rowcount
    conn.execute(delete(console_people).where(console_people.c.person_id == person_id))
    if gone == 0 and team is None:
        raise ValidationError("person", "The office holds no one with that identifier.")
    erasure_id = new_id()
    conn.execute(erasures.insert().values(
        id=erasure_id, person_id=person_id, team_id=team, reason=reason[:2000],
        erased_by=by[:200], erased_at=now_text(), rows_erased=gone))
    return Erasure(erasure_id, person_id, gone, copies)


def erased_among(conn: Connection, person_ids: Iterable[str]) -> set[str]:
    """Which of these people were erased (their changes are refused)."""
    wanted = sorted({p for p in person_ids if p})
    found: set[str] = set()
    for start in range(0, len(wanted), 500):
        found.update(conn.execute(select(erasures.c.person_id).where(
            erasures.c.person_id.in_(wanted[start:start + 500]))).scalars())
    return found


def exchange(
    engine: Engine,
    ctx: DeviceContext,
    confirmed: Iterable[str],
    requested: Iterable[ErasureRequest] = (),
) -> ErasureExchange:
    """Keeps this laptop's confirmations and its adviser's requests (for people of its own
    team), then names the erasures in its team it still owes."""
    with write_transaction(engine) as conn:
        for request in requested:
            team = conn.execute(select(person_scope.c.team_id).where(
                person_scope.c.person_id == request.person_id)).scalar_one_or_none()
            if team != ctx.team_id:
                continue  # not a person of this laptop's team: nothing to ask about
            conn.execute(delete(erasure_requests).where(
                erasure_requests.c.person_id == request.person_id,
                erasure_requests.c.device_id == ctx.device_id))
            adviser = conn.execute(select(advisers.c.name).where(
                advisers.c.id == ctx.adviser_id)).scalar_one()
            conn.execute(erasure_requests.insert().values(
                person_id=request.person_id, device_id=ctx.device_id, team_id=team,
                adviser=adviser, reason=request.reason[:2000], asked_at=request.asked_at[:32]))
        known = set(conn.execute(select(erasures.c.id).where(
            erasures.c.id.in_(sorted(set(confirmed))))).scalars())
        already = set(conn.execute(select(erasure_confirmations.c.erasure_id).where(
            erasure_confirmations.c.device_id == ctx.device_id,
            erasure_confirmations.c.erasure_id.in_(sorted(known)))).scalars())
        stamp = now_text()
        fresh = sorted(known - already)
        if fresh:
            conn.execute(erasure_confirmations.insert(), [
                {"erasure_id": e, "device_id": ctx.device_id, "confirmed_at": stamp}
                for e in fresh])
        done = select(erasure_confirmations.c.erasure_id).where(
            erasure_confirmations.c.device_id == ctx.device_id)
        owed = conn.execute(
            select(erasures.c.id, erasures.c.person_id)
            .where(or_(erasures.c.team_id == ctx.team_id, erasures.c.team_id.is_(None)),
                   erasures.c.id.not_in(done))
            .order_by(erasures.c.erased_at).limit(MAX_ERASURES)
        ).all()
    return ErasureExchange(erasures=tuple(ErasureNotice(r.id, r.person_id) for r in owed))


def confirmations(conn: Connection, erasure_id: str) -> list[dict[str, Any]]:
    """Every laptop of the erased person's team (active when asked) and whether it confirmed."""
    erasure = conn.execute(select(erasures).where(erasures.c.id == erasure_id)).mappings().one()
    confirmed = {r.device_id: r.confirmed_at for r in conn.execute(
        select(erasure_confirmations).where(erasure_confirmations.c.erasure_id == erasure_id))}
    team_devices = conn.execute(
        select(devices.c.id, advisers.c.name, devices.c.revoked_at)
        .join(advisers, advisers.c.id == devices.c.adviser_id)
        .where(advisers.c.team_id == erasure["team_id"])
        .order_by(devices.c.created_at)
    ).all()
    lines = [{"device_id": d.id, "adviser": d.name, "confirmed_at": confirmed.pop(d.id, None),
              "revoked": d.revoked_at is not None} for d in team_devices]
    lines += [{"device_id": device, "adviser": "", "confirmed_at": at, "revoked": False}
              for device, at in confirmed.items()]
    return lines


def pending_requests(conn: Connection) -> list[dict[str, Any]]:
    """Advisers' requests for erasure not yet acted on (the person is still held), oldest
    first."""
    done = select(erasures.c.person_id)
    return [dict(r) for r in conn.execute(
        select(erasure_requests).where(erasure_requests.c.person_id.not_in(done))
        .order_by(erasure_requests.c.asked_at)).mappings()]


def erasure_list(conn: Connection) -> list[dict[str, Any]]:
    """Every erasure, newest first (payload-free: ids, reason, who, when, how much)."""
    return [dict(r) for r in conn.execute(
        select(erasures).order_by(erasures.c.erased_at.desc())).mappings()]
