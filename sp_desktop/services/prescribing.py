"""Prescribing activities from the directory, with the follow-ups that drive the caseload views."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

from sqlalchemy import RowMapping, select

from sp_desktop.domain.choices import PrescriptionStatus, ProviderReferral
from sp_desktop.domain.ids import new_id
from sp_desktop.domain.prescribing import DEFAULT_WEEKS, Prescription
from sp_desktop.services.workspace import Changes
from sp_desktop.store.schema import follow_ups, prescriptions

if TYPE_CHECKING:
    from sp_desktop.services.workspace import Workspace


def prescription_from_row(row: RowMapping) -> Prescription:
    return Prescription(
        id=row["id"],
        person_id=row["person_id"],
        service_id=row["service_id"],
        start_date=row["start_date"],
        weeks=row["weeks"],
        accompany_first=row["accompany_first"],
        provider_referral=ProviderReferral(row["provider_referral"]),
        waiting_weeks=row["waiting_weeks"],
        declined_reason=row["declined_reason"],
        status=PrescriptionStatus(row["status"]),
        adviser=row["adviser"],
        team=row["team"],
    )


class PrescribingService:
    def __init__(self, ws: Workspace) -> None:
        self.ws = ws

    def prescribe(
        self,
        person_id: str,
        service_id: str,
        start_date: date,
        *,
        weeks: int = DEFAULT_WEEKS,
        accompany_first: bool = False,
    ) -> Changes:
        """A prescription plus its default reviews (2 and 6 weeks, and at the end)."""
        prescription = Prescription(
            id=new_id(),
            person_id=person_id,
            service_id=service_id,
            start_date=start_date,
            weeks=weeks,
            accompany_first=accompany_first,
            adviser=self.ws.adviser,
            team=self.ws.team,
        )
        with self.ws.write() as conn:
            self.ws.changes.insert(
                conn,
                prescriptions,
                {
                    "id": prescription.id,
                    "person_id": person_id,
                    "service_id": service_id,
                    "start_date": start_date,
                    "weeks": weeks,
                    "accompany_first": accompany_first,
                    "provider_referral": prescription.provider_referral.value,
                    "status": prescription.status.value,
                    "adviser": prescription.adviser,
                    "team": prescription.team,
                },
                person_id,
            )
            reviews = prescription.review_dates()
            self.ws.changes.insert_many(
                conn,
                follow_ups,
                [
                    {
                        "person_id": person_id,
                        "prescription_id": prescription.id,
                        "due_on": due,
                        "kind": "end" if due == prescription.end_date else "review",
                    }
                    for due in reviews
                ],
                [person_id] * len(reviews),
            )
            self.ws.audit(conn, "created", "prescription", prescription.id, person_id)
        return Changes(
            frozenset({person_id}), frozenset({"prescriptions", "follow_ups"}), (prescription.id,)
        )

    def of_person(self, person_id: str) -> list[Prescription]:
        with self.ws.store.read() as conn:
            rows = conn.execute(
                select(prescriptions)
                .where(prescriptions.c.person_id == person_id, prescriptions.c.deleted.is_(False))
                .order_by(prescriptions.c.start_date)
            ).mappings()
            return [prescription_from_row(r) for r in rows]
