"""Consent first: recording a person's answer, and reading what holds now (`ws.consent`).

The rule itself is enforced where changes are written (`store.consent`), so every write path
obeys it; this service is how an answer is recorded and how screens ask before they write.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from sp_desktop.domain.changes import OpKind
from sp_desktop.domain.choices import (
    Consent,
    ConsentDecision,
    ConsentMethod,
    ReferralStatus,
)
from sp_desktop.domain.consent import ConsentRecord, refusal
from sp_desktop.domain.errors import ValidationError
from sp_desktop.domain.ids import new_id
from sp_desktop.services.workspace import Changes
from sp_desktop.store import consent as gate
from sp_desktop.store.schema import consents, people, referrals

if TYPE_CHECKING:
    from sp_desktop.services.workspace import Workspace

_OPEN = (ReferralStatus.NEW.value, ReferralStatus.ACTIVE.value)


def consent_from_row(row: Mapping[Any, Any]) -> ConsentRecord:
    return ConsentRecord(
        id=row["id"],
        person_id=row["person_id"],
        decision=ConsentDecision(row["decision"]),
        recording=bool(row["recording"]),
        share_gp=bool(row["share_gp"]),
        share_services=bool(row["share_services"]),
        method=ConsentMethod(row["method"]),
        given_on=row["given_on"],
        recorded_by=row["recorded_by"],
        notes=row["notes"] or "",
    )


class ConsentService:
    """Records answers (append-only) and says what a person's consent allows."""

    def __init__(self, ws: Workspace) -> None:
        self.ws = ws

    def record(
        self,
        person_id: str,
        decision: ConsentDecision | str,
        *,
        method: ConsentMethod | str,
        recording: bool = False,
        share_gp: bool = False,
        share_services: bool = False,
        given_on: date | None = None,
        notes: str = "",
    ) -> Changes:
        """Writes one answer, in this laptop's adviser's name, audited; an open referral still
        saying "not asked yet" takes the answer too (declined closes it, as before)."""
        record = ConsentRecord(
            id=new_id(),
            person_id=person_id,
            decision=ConsentDecision(decision),
            recording=recording,
            share_gp=share_gp,
            share_services=share_services,
            method=ConsentMethod(method),
            given_on=given_on or date.today(),
            recorded_by=self.ws.adviser or "",
            notes=notes,
        )
        row: dict[str, Any] = {
            "id": record.id,
            "person_id": person_id,
            "decision": record.decision.value,
            "recording": record.recording,
            "share_gp": record.share_gp,
            "share_services": record.share_services,
            "method": record.method.value,
            "given_on": record.given_on,
            "recorded_by": record.recorded_by,
            "notes": record.notes,
        }
        tables = {"consents"}
        with self.ws.write() as conn:
            found = conn.execute(
                select(people.c.id).where(people.c.id == person_id, people.c.deleted.is_(False))
            ).first()
            if found is None:
                raise ValidationError("person", "That person is no longer on this caseload.")
            self.ws.changes.insert(conn, consents, row, person_id, kind=OpKind.APPEND)
            answer = {
                ConsentDecision.GIVEN: Consent.GIVEN,
                ConsentDecision.DECLINED: Consent.DECLINED,
            }.get(record.decision)
            if answer is not None:
                waiting = conn.execute(
                    select(referrals.c.id).where(
                        referrals.c.person_id == person_id,
                        referrals.c.deleted.is_(False),
                        referrals.c.consent == Consent.PENDING.value,
                        referrals.c.status.in_(_OPEN),
                    )
                ).scalars()
                for referral_id in list(waiting):
                    status = (ReferralStatus.ACTIVE if answer is Consent.GIVEN
                              else ReferralStatus.DECLINED)
                    self.ws.changes.update(
                        conn, referrals, referral_id,
                        {"consent": answer.value, "consent_on": record.given_on,
                         "status": status.value},
                        person_id,
                    )
                    tables.add("referrals")
            self.ws.audit(conn, "consent", "consent", record.id, person_id)
        return Changes(frozenset({person_id}), frozenset(tables), (record.id,))

    def current(self, person_id: str) -> ConsentRecord | None:
        """The recorded answer that holds now (None: no consent record yet)."""
        with self.ws.store.read() as conn:
            row = gate.latest_consents(conn, [person_id]).get(person_id)
        return None if row is None or row.get("from_referral") else consent_from_row(row)

    def summary(self, person_id: str) -> str:
        """What the person's page says about consent, in one sentence."""
        with self.ws.store.read() as conn:
            row = gate.latest_consents(conn, [person_id]).get(person_id)
        if row is None:
            return "Consent not asked yet: nothing about them can be recorded until it is."
        if row.get("from_referral"):
            return ("Agreed to take part (on the referral); what they agreed to share is not "
                    "recorded yet.")
        return consent_from_row(row).describe()

    def history(self, person_id: str) -> list[ConsentRecord]:
        """Every answer, newest first."""
        with self.ws.store.read() as conn:
            rows = conn.execute(
                select(consents)
                .where(consents.c.person_id == person_id, consents.c.deleted.is_(False))
                .order_by(consents.c.given_on.desc(), consents.c.hlc.desc())
            ).mappings()
            return [consent_from_row(r) for r in rows]

    def refusal(self, person_id: str) -> str | None:
        """Why nothing personal may be recorded for this person now, in words; None if it may.
        Screens ask this before starting a visit or a write, and ask for consent if needed."""
        with self.ws.store.read() as conn:
            return refusal(gate.latest_consents(conn, [person_id]).get(person_id))

    def gp_sharing_withheld(self, person_id: str) -> bool:
        """Whether the person's recorded consent rules out telling their GP how it went (no
        sharing agreed, declined or withdrawn). With no consent record, the referral's own
        answer stands: the letter then says only what the referral says."""
        with self.ws.store.read() as conn:
            row = gate.latest_consents(conn, [person_id]).get(person_id)
        return row is not None and not (row["recording"] and row["share_gp"])

