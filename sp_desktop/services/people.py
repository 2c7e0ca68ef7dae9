"""People and their referrals: create, edit, view (audited), consent, and who cares for whom."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, RowMapping, select

from sp_desktop.domain.choice_lists import conditions_from_text, conditions_text
from sp_desktop.domain.choices import (
    Consent,
    Ethnicity,
    Gender,
    PreferredContact,
    ReferralSource,
    ReferralStatus,
)
from sp_desktop.domain.errors import ValidationError
from sp_desktop.domain.ids import new_id
from sp_desktop.domain.nhs_number import NhsNumber
from sp_desktop.domain.people import AccessNeeds, Person, Referral
from sp_desktop.domain.text import fold
from sp_desktop.services.workspace import Changes
from sp_desktop.store.changes import now_text
from sp_desktop.store.schema import follow_ups, people, referrals

if TYPE_CHECKING:
    from sp_desktop.services.workspace import Workspace

FIRST_CONTACT_DAYS = 7  # schemes aim to contact a new referral within a week


def person_row(person: Person) -> dict[str, Any]:
    return {
        "id": person.id,
        "given_name": person.given_name.strip(),
        "family_name": person.family_name.strip(),
        "preferred_name": person.preferred_name,
        "date_of_birth": person.date_of_birth,
        "nhs_number": person.nhs_number.digits if person.nhs_number else None,
        "gender": person.gender.value if person.gender else None,
        "ethnicity": person.ethnicity.value if person.ethnicity else None,
        "gp_practice": person.gp_practice,
        "address": person.address,
        "postcode": person.postcode.upper().strip(),
        "phone": person.phone,
        "email": person.email,
        "preferred_contact": person.preferred_contact.value,
        "carer_of_id": person.carer_of_id,
        "large_print": person.access.large_print,
        "interpreter_language": person.access.interpreter_language,
        "hearing_needs": person.access.hearing,
        "sight_needs": person.access.sight,
        "team": person.team,
        "adviser": person.adviser,
        "conditions": conditions_text(person.conditions),
        "search_key": fold(
            " ".join(filter(None, (person.given_name, person.preferred_name, person.family_name)))
        ),
    }


def person_from_row(row: RowMapping) -> Person:
    return Person(
        id=row["id"],
        given_name=row["given_name"],
        family_name=row["family_name"],
        preferred_name=row["preferred_name"],
        date_of_birth=row["date_of_birth"],
        nhs_number=NhsNumber(row["nhs_number"]) if row["nhs_number"] else None,
        gender=Gender(row["gender"]) if row["gender"] else None,
        ethnicity=Ethnicity(row["ethnicity"]) if row["ethnicity"] else None,
        gp_practice=row["gp_practice"],
        address=row["address"],
        postcode=row["postcode"],
        phone=row["phone"],
        email=row["email"],
        preferred_contact=PreferredContact(row["preferred_contact"]),
        carer_of_id=row["carer_of_id"],
        access=AccessNeeds(
            large_print=row["large_print"],
            interpreter_language=row["interpreter_language"],
            hearing=row["hearing_needs"],
            sight=row["sight_needs"],
        ),
        team=row["team"],
        adviser=row["adviser"],
        conditions=conditions_from_text(row.get("conditions")),
    )


def referral_row(referral: Referral) -> dict[str, Any]:
    return {
        "id": referral.id,
        "person_id": referral.person_id,
        "source": referral.source.value,
        "referrer_name": referral.referrer_name,
        "referrer_organisation": referral.referrer_organisation,
        "reason": referral.reason,
        "received_on": referral.received_on,
        "consent": referral.consent.value,
        "consent_on": referral.consent_on,
        "status": referral.status.value,
    }


def referral_from_row(row: RowMapping) -> Referral:
    return Referral(
        id=row["id"],
        person_id=row["person_id"],
        source=ReferralSource(row["source"]),
        received_on=row["received_on"],
        referrer_name=row["referrer_name"],
        referrer_organisation=row["referrer_organisation"],
        reason=row["reason"],
        consent=Consent(row["consent"]),
        consent_on=row["consent_on"],
        status=ReferralStatus(row["status"]),
    )


class PeopleService:
    """Creating and editing people; every view and change leaves an audit event."""

    def __init__(self, ws: Workspace) -> None:
        self.ws = ws

    def create(self, **fields: Any) -> Changes:
        """Validates through the domain (raises ValidationError naming the field) then saves."""
        fields.setdefault("team", self.ws.team)
        fields.setdefault("adviser", self.ws.adviser)
        person = Person(id=fields.pop("id", None) or new_id(), **fields)
        with self.ws.write() as conn:
            self._check_carer_link(conn, person)
            self.ws.changes.insert(conn, people, person_row(person), person.id)
            self.ws.audit(conn, "created", "person", person.id, person.id)
        return Changes(frozenset({person.id}), frozenset({"people"}), (person.id,))

    def update(self, person_id: str, **changes: Any) -> Changes:
        """Edits named fields; the result is validated whole before anything is written."""
        with self.ws.write() as conn:
            person = replace(self._get(conn, person_id), **changes)
            self._check_carer_link(conn, person)
            changed = self.ws.changes.update(conn, people, person_id, person_row(person), person_id)
            if changed:
                self.ws.audit(conn, "changed", "person", person_id, person_id)
        return Changes(frozenset({person_id}) if changed else frozenset(), frozenset({"people"}))

    def get(self, person_id: str) -> Person:
        with self.ws.store.read() as conn:
            return self._get(conn, person_id)

    def view(self, person_id: str) -> Person:
        """Opening someone's record is itself audited: who looked, when, from which device.
        Read first, then the event written: the reading never waits for the writer."""
        person = self.get(person_id)
        self.record_view(person_id)
        return person

    def record_view(self, person_id: str) -> None:
        """The "viewed" audit event alone, written after the record was read and shown."""
        with self.ws.write() as conn:
            self.ws.audit(conn, "viewed", "person", person_id, person_id)

    def delete(self, person_id: str) -> Changes:
        with self.ws.write() as conn:
            self.ws.changes.delete(conn, people, person_id, person_id)
            self.ws.audit(conn, "deleted", "person", person_id, person_id)
        return Changes(frozenset({person_id}), frozenset({"people"}))

    def request_erasure(self, person_id: str, reason: str) -> Changes:
        """Deleting a person for good is an erasure a manager confirms at the office: this asks
        for it (handed in at the next sync, audited). Nothing is removed here until the office
        erases them; then every laptop purges them."""
        from sp_desktop.sync import erasure
        from sp_desktop.sync.protocol import ErasureRequest

        words = reason.strip()
        if not words:
            raise ValidationError("reason", "Please say why their records should be erased.")
        if len(words) > 2000:
            raise ValidationError("reason", "The reason is longer than 2,000 characters.")
        with self.ws.write() as conn:
            self._get(conn, person_id)
            asked = [r for r in erasure.requests(conn) if r.person_id != person_id]
            asked.append(ErasureRequest(person_id, words, now_text()))
            erasure.set_requests(conn, asked)
            self.ws.audit(conn, "erasure_requested", "person", person_id, person_id)
        return Changes(frozenset({person_id}), frozenset())

    def erasure_requested(self, person_id: str) -> bool:
        """Whether this laptop has asked for the person's erasure and not yet handed it in."""
        from sp_desktop.sync import erasure

        with self.ws.store.read() as conn:
            return any(r.person_id == person_id for r in erasure.requests(conn))

    def _get(self, conn: Connection, person_id: str) -> Person:
        row = (
            conn.execute(
                select(people).where(people.c.id == person_id, people.c.deleted.is_(False))
            )
            .mappings()
            .one_or_none()
        )
        if row is None:
            raise ValidationError("person", "That person is no longer on this caseload.")
        return person_from_row(row)

    def _check_carer_link(self, conn: Connection, person: Person) -> None:
        if person.carer_of_id is None:
            return
        found = conn.execute(
            select(people.c.id).where(
                people.c.id == person.carer_of_id, people.c.deleted.is_(False)
            )
        ).first()
        if found is None:
            raise ValidationError("carer_of_id", "The person they care for is not on the caseload.")

    # --- referrals ---------------------------------------------------------------------------

    def record_referral(self, person_id: str, **fields: Any) -> Changes:
        """A new referral; consent declined closes it (the letter then codes 'declined')."""
        consent = Consent(fields.get("consent", Consent.PENDING))
        if consent is Consent.DECLINED:
            fields["status"] = ReferralStatus.DECLINED
        elif consent is Consent.GIVEN:
            fields.setdefault("status", ReferralStatus.ACTIVE)
        referral = Referral(id=new_id(), person_id=person_id, **fields)
        with self.ws.write() as conn:
            self._get(conn, person_id)
            self.ws.changes.insert(conn, referrals, referral_row(referral), person_id)
            if referral.status in (ReferralStatus.NEW, ReferralStatus.ACTIVE):
                due = referral.received_on + timedelta(days=FIRST_CONTACT_DAYS)
                self.ws.changes.insert(
                    conn,
                    follow_ups,
                    {"person_id": person_id, "due_on": due, "kind": "first_contact"},
                    person_id,
                )
            self.ws.audit(conn, "created", "referral", referral.id, person_id)
        return Changes(
            frozenset({person_id}), frozenset({"referrals", "follow_ups"}), (referral.id,)
        )

    def set_consent(self, referral_id: str, consent: Consent, on: date) -> Changes:
        with self.ws.write() as conn:
            row = (
                conn.execute(select(referrals).where(referrals.c.id == referral_id))
                .mappings()
                .one()
            )
            status = {
                Consent.DECLINED: ReferralStatus.DECLINED,
                Consent.GIVEN: ReferralStatus.ACTIVE,
                Consent.PENDING: ReferralStatus.NEW,
            }[consent]
            referral = replace(
                referral_from_row(row), consent=consent, consent_on=on, status=status
            )
            self.ws.changes.update(
                conn, referrals, referral_id, referral_row(referral), referral.person_id
            )
            if consent is Consent.DECLINED:
                _close_open_follow_ups(self.ws, conn, referral.person_id, on)
            self.ws.audit(conn, "changed", "referral", referral_id, referral.person_id)
        return Changes(frozenset({referral.person_id}), frozenset({"referrals"}))

    def referrals_of(self, person_id: str) -> list[Referral]:
        with self.ws.store.read() as conn:
            rows = conn.execute(
                select(referrals)
                .where(referrals.c.person_id == person_id, referrals.c.deleted.is_(False))
                .order_by(referrals.c.received_on.desc())
            ).mappings()
            return [referral_from_row(r) for r in rows]

    def find(self, typed: str) -> Person:
        """The person an NHS number (spaces or none) or a record id names, for scripts.

        Refused in words when nobody matches, or when one NHS number is on two records.
        """
        text = typed.strip()
        digits = text.replace(" ", "")
        with self.ws.store.read() as conn:
            if digits.isdigit():
                number = NhsNumber.parse(text).digits
                rows = (
                    conn.execute(
                        select(people.c.id).where(
                            people.c.nhs_number == number, people.c.deleted.is_(False)
                        )
                    )
                    .scalars()
                    .all()
                )
                if len(rows) > 1:
                    raise ValidationError(
                        "person", "Two records have that NHS number: give the record id instead."
                    )
            else:
                rows = (
                    conn.execute(
                        select(people.c.id).where(people.c.id == text, people.c.deleted.is_(False))
                    )
                    .scalars()
                    .all()
                )
        if not rows:
            raise ValidationError("person", "Nobody on this caseload has that NHS number or id.")
        return self.get(rows[0])

    # --- carers --------------------------------------------------------------------------------

    def set_carer_of(self, carer_id: str, cared_for_id: str | None) -> Changes:
        """Links a person as carer of someone else on the caseload, or clears it with None.

        The Changes name the people cared for before and after as well as the carer: their
        pages say who cares for them, so they redraw too.
        """
        if cared_for_id == carer_id:
            raise ValidationError("carer_of_id", "A person cannot be their own carer.")
        before = self.get(carer_id).carer_of_id
        changes = self.update(carer_id, carer_of_id=cared_for_id)
        if not changes.people:
            return changes
        others = frozenset(p for p in (before, cared_for_id) if p is not None)
        return changes | Changes(others, frozenset({"people"}))

    def carers_of(self, person_id: str) -> list[str]:
        """Ids of the people on the caseload who care for this person."""
        with self.ws.store.read() as conn:
            return list(
                conn.execute(
                    select(people.c.id).where(
                        people.c.carer_of_id == person_id, people.c.deleted.is_(False)
                    )
                ).scalars()
            )


def _close_open_follow_ups(ws: Workspace, conn: Connection, person_id: str, on: date) -> None:
    open_ids = (
        conn.execute(
            select(follow_ups.c.id).where(
                follow_ups.c.person_id == person_id,
                follow_ups.c.done_on.is_(None),
                follow_ups.c.deleted.is_(False),
            )
        )
        .scalars()
        .all()
    )
    for follow_up_id in open_ids:
        ws.changes.update(conn, follow_ups, follow_up_id, {"done_on": on}, person_id)
