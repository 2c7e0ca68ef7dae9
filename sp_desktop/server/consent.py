"""Consent first at the office: the office trusts nothing a device sends, so a pushed change
that records something personal about a person is refused unless the consent the office holds
for them allows it, decided by `domain.consent.change_refusal`, the same function the
laptop's gate runs. Consent records (and referrals' "agreed to take part") earlier in the same
batch count, in the order the laptop wrote them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import orjson
from sqlalchemy import Connection, select

from sp_desktop.domain.consent import REFERRAL_AGREED, change_refusal, needs_consent, supersedes
from sp_desktop.domain.rows import ROWS, RowRules
from sp_desktop.server.db import rows
from sp_desktop.sync.merge import RowState
from sp_desktop.sync.protocol import ChangeOp

_CHUNK = 500
CONSENTS = "consents"
REFERRALS = "referrals"


class HeldConsents:
    """The consent held now for each person a batch touches, kept current as it applies."""

    def __init__(self, conn: Connection, person_ids: Iterable[str]) -> None:
        self._held: dict[str, Mapping[Any, Any]] = {}
        wanted = sorted({p for p in person_ids if p})
        agreed: set[str] = set()
        for start in range(0, len(wanted), _CHUNK):
            found = conn.execute(
                select(rows.c.table_name, rows.c.person_id, rows.c.fields, rows.c.hlc).where(
                    rows.c.table_name.in_((CONSENTS, REFERRALS)),
                    rows.c.person_id.in_(wanted[start : start + _CHUNK]),
                    rows.c.deleted.is_(False),
                )
            )
            for table, person, text, hlc in found:
                fields = orjson.loads(text)
                if table == REFERRALS:
                    if fields.get("consent") == "given":
                        agreed.add(person)
                    continue
                self._note(person, {**fields, "hlc": hlc})
        for person in agreed:
            self._held.setdefault(person, REFERRAL_AGREED)

    def _note(self, person: str, consent: Mapping[Any, Any]) -> None:
        if supersedes(consent, self._held.get(person)):
            self._held[person] = consent

    def refusal(self, op: ChangeOp, person: str | None) -> str | None:
        """Why this change may not be stored under the person's consent (None: it may)."""
        rules = ROWS.get(op.table)
        if rules is None or person is None or not op.fields:
            return None
        return change_refusal(rules, op.fields, self._held.get(person))

    def applied(self, person: str | None, row: RowState) -> None:
        """A change was stored: a consent record (or a referral's "agreed") holds from now."""
        if person is None or row.deleted:
            return
        if row.table == CONSENTS:
            self._note(person, {**row.fields, "hlc": row.hlc})
        elif row.table == REFERRALS and row.fields.get("consent") == "given":
            self._held.setdefault(person, REFERRAL_AGREED)


def asks_consent(op: ChangeOp) -> bool:
    """Whether this change depends on the person's consent at all (only those people's
    consents are read)."""
    rules: RowRules | None = ROWS.get(op.table)
    return rules is not None and bool(op.fields) and needs_consent(rules, op.fields)
