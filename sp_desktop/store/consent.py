"""Consent first, enforced where changes are written: the newest consent record of a person
decides whether anything personal may be written about them.

`ChangeWriter` calls `check_may_record` for every insert and every edit of a synced table, so
no write path (a service, a bulk load, a restore) can record personal content for a person who
has not agreed to it, or has declined or withdrawn. Which tables and fields are personal
content is said once, in `domain.rows` (`RowRules.records_personal`); the decision itself is
`domain.consent.change_refusal`, which the office applies to every pushed change too. This
module keeps only the SQL that finds the consent held now.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy import Connection, select

from sp_desktop.domain.consent import (
    REFERRAL_AGREED,
    change_refusal,
    needs_consent,
)
from sp_desktop.domain.errors import ConsentNeeded
from sp_desktop.domain.rows import RowRules
from sp_desktop.store.schema import consents, referrals

# SQLite allows 32,766 bound parameters; bulk loads ask about people in chunks well below it.
_CHUNK = 900


def latest_consents(
    conn: Connection, person_ids: Iterable[str]
) -> dict[str, Mapping[Any, Any]]:
    """What each person's consent is now: their newest consent record (by date of the answer,
    then clock stamp), else `REFERRAL_AGREED` when a referral of theirs says they agreed;
    people never asked are absent."""
    wanted = sorted(set(person_ids))
    newest: dict[str, Mapping[Any, Any]] = {}
    for start in range(0, len(wanted), _CHUNK):
        chunk = wanted[start : start + _CHUNK]
        rows = conn.execute(
            select(consents)
            .where(consents.c.person_id.in_(chunk), consents.c.deleted.is_(False))
            .order_by(consents.c.person_id, consents.c.given_on, consents.c.hlc)
        ).mappings()
        for row in rows:
            newest[row["person_id"]] = row  # ordered oldest first: the last one wins
        unrecorded = [person_id for person_id in chunk if person_id not in newest]
        if unrecorded:
            agreed = conn.execute(
                select(referrals.c.person_id).where(
                    referrals.c.person_id.in_(unrecorded),
                    referrals.c.deleted.is_(False),
                    referrals.c.consent == "given",
                )
            ).scalars()
            newest.update(dict.fromkeys(agreed, REFERRAL_AGREED))
    return newest


def check_may_record(
    conn: Connection, rules: RowRules, changes: Sequence[tuple[str | None, Mapping[str, Any]]]
) -> None:
    """Raises ConsentNeeded when any (person id, fields) change of `rules.table` records
    personal content, or shares with a provider, without the person's consent to it."""
    personal = [
        (person_id, fields)
        for person_id, fields in changes
        if person_id is not None and needs_consent(rules, fields)
    ]
    if not personal:
        return
    held = latest_consents(conn, (person_id for person_id, _fields in personal))
    for person_id, fields in personal:
        words = change_refusal(rules, fields, held.get(str(person_id)))
        if words is not None:
            raise ConsentNeeded(str(person_id), words)
