"""Laptop retention, the store side: which people this laptop retired (purged because their
case closed more than the set number of days ago, see `domain.retention`), purging them with
the erasure's own walk, and keeping the office's copies of them from coming back through a pull
until a new referral reopens them. Not an erasure: the office keeps them, nothing is confirmed.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from datetime import date

from sqlalchemy import Connection, select

from sp_desktop.domain.retention import closed_beyond, latest_by_person
from sp_desktop.store.schema import closing_reviews, outbox, referrals, store_meta
from sp_desktop.sync.erasure import purge

META_RETIRED = "retention.retired"  # ids of the people this laptop purged by retention


def retired(conn: Connection) -> dict[str, date]:
    """The people retired here, each with the date their case closed."""
    found = conn.execute(
        select(store_meta.c.value).where(store_meta.c.key == META_RETIRED)
    ).scalar_one_or_none()
    held = json.loads(found) if found else {}
    return {str(p): date.fromisoformat(str(d)) for p, d in held.items()}


def set_retired(conn: Connection, people: Mapping[str, date]) -> None:
    conn.execute(store_meta.delete().where(store_meta.c.key == META_RETIRED))
    if people:
        value = json.dumps({p: d.isoformat() for p, d in sorted(people.items())})
        conn.execute(store_meta.insert().values(key=META_RETIRED, value=value))


def out_of_scope(conn: Connection, today: date, keep_days: int) -> dict[str, date]:
    """The people held here whose case closed more than `keep_days` before `today`, each
    with the date it closed."""
    closed = latest_by_person(
        conn.execute(
            select(closing_reviews.c.person_id, closing_reviews.c.closed_on).where(
                closing_reviews.c.deleted.is_(False)
            )
        )
    )
    referred = latest_by_person(
        conn.execute(
            select(referrals.c.person_id, referrals.c.received_on).where(
                referrals.c.deleted.is_(False), referrals.c.person_id.in_(list(closed))
            )
        )
    )
    return {p: closed[p] for p in closed_beyond(closed, referred, today, keep_days)}


def retire_closed(conn: Connection, today: date, keep_days: int) -> list[str]:
    """Purges every person out of scope, but those with a change still waiting to be sent
    (nothing typed is lost: they go at a later run, once the office has it); returns them."""
    waiting = {
        str(person or row_id)
        for person, row_id in conn.execute(select(outbox.c.person_id, outbox.c.row_id))
    }
    closed = out_of_scope(conn, today, keep_days)
    gone = sorted(set(closed) - waiting)
    for person in gone:
        purge(conn, person)
    if gone:
        set_retired(conn, {**retired(conn), **{p: closed[p] for p in gone}})
    return gone


def reopened(conn: Connection, referred: Iterable[tuple[str, date]]) -> set[str]:
    """People retired here with a referral received after their case closed (a new one, at
    the office): they are back in scope. Their rows come back with the next consistency
    check's repair."""
    held = retired(conn)
    back = {person for person, received in referred if person in held and received > held[person]}
    if back:
        set_retired(conn, {p: d for p, d in held.items() if p not in back})
    return back
