"""The training store: a synthetic caseload so newcomers and benchmarks see the app working.

Every person is invented from word lists in resources/words, NHS numbers come only from the
never-issued 999 range and phone numbers from Ofcom's drama range, so demo data can never be
mistaken for a real person.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Table

from sp_desktop.domain.choice_lists import condition_keys, conditions_text
from sp_desktop.domain.choices import (
    ClosingOutcome,
    Ethnicity,
    Gender,
    PreferredContact,
    ReferralSource,
    VisitPlace,
)
from sp_desktop.domain.ids import new_id
from sp_desktop.domain.measures import answers_to_text
from sp_desktop.domain.nhs_number import check_digit
from sp_desktop.domain.prescribing import DEFAULT_REVIEW_WEEKS
from sp_desktop.domain.text import fold
from sp_desktop.resource_files import resource_lines
from sp_desktop.services.demo_directory import demo_services
from sp_desktop.services.settings import (
    LINK_WORKER_EMAIL,
    LINK_WORKER_ORGANISATION,
    LINK_WORKER_PHONE,
    Settings,
)
from sp_desktop.services.workspace import Workspace
from sp_desktop.store.keyfile import Argon2Params
from sp_desktop.store.schema import (
    answers,
    attendance,
    closing_reviews,
    concern_ratings,
    concerns,
    consents,
    follow_ups,
    people,
    prescriptions,
    referrals,
    services,
    step_progress,
    steps,
    visits,
)
from sp_desktop.sync.client import META_TRAINING
from sp_desktop.sync.protocol import OpKind

DEFAULT_PEOPLE = 150
DEFAULT_SERVICES = 200
DEMO_PASSPHRASE = "demo store only - not for real people"
# The demo adviser's work contact, so printouts work at once: Ofcom's drama range and a reserved
# domain, like every other number and address in the demo.
DEMO_WORK_PHONE = "0115 496 0000"
DEMO_WORK_EMAIL = "link.workers@example.org"
DEMO_ORGANISATION = "Demo Link Workers"
_FACT_TABLES = {
    "concern_ratings", "step_progress", "answers", "closing_reviews", "consents", "attendance",
}
# How common each long-term condition is among people referred (older, often several at once);
# a key missing from resources/conditions.json (a scheme's own list) is simply never drawn.
_CONDITION_WEIGHTS = {
    "hypertension": 30, "arthritis": 26, "diabetes": 14, "hearing_loss": 14,
    "chronic_kidney_disease": 10, "depression": 12, "coronary_heart_disease": 9,
    "atrial_fibrillation": 8, "copd": 8, "frailty": 10, "sight_loss": 8, "asthma": 6,
    "cancer": 6, "heart_failure": 5, "stroke_or_tia": 5, "dementia": 4,
    "severe_mental_illness": 1, "learning_disability": 1, "other": 3,
}
# Why people stopped going, roughly as advisers hear it.
_STOP_WEIGHTS = {
    "health": 30, "transport": 14, "did_not_suit": 14, "cost": 6, "group_ended": 8,
    "moved_away": 3, "found_something_else": 8, "no_longer_needed": 10, "other": 7,
}
_ETHNICITY_WEIGHTS = {
    Ethnicity.WHITE_BRITISH: 70,
    Ethnicity.WHITE_IRISH: 4,
    Ethnicity.WHITE_OTHER: 6,
    Ethnicity.ASIAN_INDIAN: 4,
    Ethnicity.ASIAN_PAKISTANI: 3,
    Ethnicity.ASIAN_BANGLADESHI: 2,
    Ethnicity.BLACK_CARIBBEAN: 3,
    Ethnicity.BLACK_AFRICAN: 2,
    Ethnicity.ASIAN_CHINESE: 1,
    Ethnicity.MIXED_OTHER: 1,
    Ethnicity.PREFER_NOT_TO_SAY: 4,
}
_SOURCE_WEIGHTS = {
    ReferralSource.GP: 40,
    ReferralSource.PRACTICE_NURSE: 15,
    ReferralSource.PHARMACIST: 6,
    ReferralSource.SOCIAL_WORKER: 8,
    ReferralSource.COMMUNITY_MENTAL_HEALTH: 6,
    ReferralSource.RISK_STRATIFICATION: 8,
    ReferralSource.HOSPITAL_DISCHARGE: 7,
    ReferralSource.SELF: 8,
    ReferralSource.OTHER: 2,
}


def _words(name: str) -> list[str]:
    return resource_lines("words", name)


def synthetic_nhs_number(rng: random.Random) -> str:
    """A valid number from the 999 range, which the NHS never issues."""
    while True:
        first_nine = "999" + "".join(str(rng.randrange(10)) for _ in range(6))
        digit = check_digit(first_nine)
        if digit is not None:
            return first_nine + str(digit)


@dataclass
class _Batch:
    """Rows per table, written with one executemany each (the demo's bulk path)."""

    rows: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

    def add(self, table: Table, row: dict[str, Any]) -> str:
        row.setdefault("id", new_id())
        self.rows.setdefault(table.name, []).append(row)
        return str(row["id"])


@dataclass
class _Generator:
    """`rng` draws everything the demo drew before conditions and sessions existed; `extra`
    draws those, so the same seed still gives the same people (tests open them by position)."""

    rng: random.Random
    today: date
    service_ids: list[str]
    batch: _Batch = field(default_factory=_Batch)
    signer: str = "Demo Adviser"  # visits are signed in the store's own adviser's name
    extra: random.Random = field(default_factory=lambda: random.Random(0))
    # conditions of people who agreed to notes being kept: written after their consent
    conditions: dict[str, list[str]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.female = _words("given_names_female.txt")
        self.male = _words("given_names_male.txt")
        self.family = _words("family_names.txt")
        self.streets = _words("streets.txt")
        self.towns = [t.split("|") for t in _words("towns.txt")]
        self.practices = _words("practices.txt")
        self.concerns = [c.split("|", 1) for c in _words("concerns.txt")]
        self.steps = _words("steps.txt")
        self.what_matters = _words("what_matters.txt")

    def person(self, team: str, adviser: str) -> None:
        rng = self.rng
        female = rng.random() < 2 / 3
        given = rng.choice(self.female if female else self.male)
        family = rng.choice(self.family)
        age = min(99, max(55, int(rng.triangular(60, 97, 83))))
        born = self.today - timedelta(days=age * 365 + rng.randrange(365))
        town, area = rng.choice(self.towns)
        preferred = given.split()[0] if rng.random() < 0.1 else None
        person_id = self.batch.add(
            people,
            {
                "given_name": given,
                "family_name": family,
                "preferred_name": preferred,
                "date_of_birth": born,
                "nhs_number": synthetic_nhs_number(rng),
                "gender": (Gender.FEMALE if female else Gender.MALE).value,
                "ethnicity": rng.choices(
                    list(_ETHNICITY_WEIGHTS), list(_ETHNICITY_WEIGHTS.values())
                )[0].value,
                "gp_practice": rng.choice(self.practices),
                "address": f"{rng.randrange(1, 140)} {rng.choice(self.streets)}\n{town}",
                "postcode": f"{area}{rng.randrange(1, 20)} {rng.randrange(1, 10)}"
                f"{rng.choice('ABDEFGHJLNPQRSTUWXYZ')}{rng.choice('ABDEFGHJLNPQRSTUWXYZ')}",
                "phone": f"07700 900{rng.randrange(1000):03d}",
                "email": "",
                "preferred_contact": rng.choice(list(PreferredContact)).value,
                "large_print": rng.random() < 0.3,
                "interpreter_language": rng.choice(["Polish", "Punjabi", "Bengali", "Cantonese"])
                if rng.random() < 0.05
                else None,
                "hearing_needs": "Hard of hearing: face her and speak clearly"
                if rng.random() < 0.15
                else None,
                "sight_needs": None,
                "team": team,
                "adviser": adviser,
                "search_key": fold(" ".join(filter(None, (given, preferred, family)))),
            },
        )
        self.journey(person_id, age)

    def long_term_conditions(self, age: int) -> list[str]:
        """Plausible conditions for an age: at 80 and over typically two to four."""
        offered = condition_keys()
        weights = {k: w for k, w in _CONDITION_WEIGHTS.items() if k in offered}
        extra = self.extra
        if age >= 80:
            count = extra.choices([1, 2, 3, 4, 5], [10, 30, 30, 22, 8])[0]
        elif age >= 65:
            count = extra.choices([0, 1, 2, 3], [15, 35, 35, 15])[0]
        else:
            count = extra.choices([0, 1, 2], [35, 45, 20])[0]
        chosen: set[str] = set()
        while len(chosen) < min(count, len(weights)):
            chosen.add(extra.choices(list(weights), list(weights.values()))[0])
        return sorted(chosen)

    def journey(self, person_id: str, age: int = 80) -> None:
        rng, today = self.rng, self.today
        received = today - timedelta(days=rng.randrange(2, 220))
        roll = rng.random()
        consent = "given" if roll < 0.85 else ("declined" if roll < 0.9 else "pending")
        status = {"given": "active", "declined": "declined", "pending": "new"}[consent]
        self.batch.add(
            referrals,
            {
                "person_id": person_id,
                "source": rng.choices(list(_SOURCE_WEIGHTS), list(_SOURCE_WEIGHTS.values()))[
                    0
                ].value,
                "referrer_name": rng.choice(
                    [
                        "Dr A. Patel",
                        "Dr S. Hughes",
                        "Nurse J. Okafor",
                        "K. Mensah (pharmacist)",
                        "L. Wright (social worker)",
                    ]
                ),
                "referrer_organisation": rng.choice(self.practices),
                "reason": rng.choice(
                    [
                        "Lonely since bereavement",
                        "Low mood and isolation",
                        "Frequent GP visits, would benefit from community support",
                        "Recently discharged, lives alone",
                        "Money worries",
                    ]
                ),
                "received_on": received,
                "consent": consent,
                "consent_on": (
                    None if consent == "pending" else min(received + timedelta(days=3), today)
                ),
                "status": status,
            },
        )
        if consent != "pending":
            # Consent first: what they agreed to, when, how and asked by whom.
            given = consent == "given"
            self.batch.add(
                consents,
                {
                    "person_id": person_id,
                    "decision": consent,
                    "recording": given,
                    # From the date, not the generator: the same seed gives the same people
                    # as before consent was recorded (tests open them by position).
                    "share_gp": given and received.toordinal() % 10 != 0,
                    "share_services": given,
                    "method": "phone" if received.toordinal() % 3 == 0 else "in_person",
                    "given_on": min(received + timedelta(days=3), today),
                    "recorded_by": self.signer,
                },
            )
        if consent == "given":
            self.conditions[person_id] = self.long_term_conditions(age)
        if consent != "given":
            if consent == "pending":
                self.batch.add(
                    follow_ups,
                    {
                        "person_id": person_id,
                        "kind": "first_contact",
                        "due_on": received + timedelta(days=7),
                    },
                )
            return
        first_visit = received + timedelta(days=rng.randrange(3, 14))
        visit_dates = [first_visit]
        while visit_dates[-1] + timedelta(days=21) < today and rng.random() < 0.6:
            visit_dates.append(visit_dates[-1] + timedelta(days=rng.randrange(14, 42)))
        visit_dates = [d for d in visit_dates if d <= today]
        if not visit_dates:
            self.batch.add(
                follow_ups,
                {
                    "person_id": person_id,
                    "kind": "first_contact",
                    "due_on": received + timedelta(days=7),
                },
            )
            return
        first_visit_id = ""
        for number, day in enumerate(visit_dates):
            domain, words = rng.choice(self.concerns)
            visit_id = self.batch.add(
                visits,
                {
                    "person_id": person_id,
                    "visit_date": day,
                    "place": rng.choices(list(VisitPlace), [70, 15, 10, 5])[0].value,
                    "notes": json.dumps({domain: words}, ensure_ascii=False),
                    "what_matters": rng.choice(self.what_matters) if number == 0 else "",
                    "status": "signed",
                    "signed_by": self.signer,
                    "signed_at": f"{day}T16:00:00Z",
                },
            )
            first_visit_id = first_visit_id or visit_id
            self.assessment(person_id, day, "baseline" if number == 0 else "review")
        for domain, words in rng.sample(self.concerns, rng.randrange(1, 4)):
            self.rated(
                concerns,
                concern_ratings,
                "concern_id",
                person_id,
                visit_dates,
                {"visit_id": first_visit_id, "domain": domain, "words": words},
                "severity",
                lambda v: max(0, v - self.rng.randrange(0, 3)),
                rng.randrange(5, 11),
            )
        for words in rng.sample(self.steps, rng.randrange(1, 4)):
            self.rated(
                steps,
                step_progress,
                "step_id",
                person_id,
                visit_dates,
                {
                    "visit_id": first_visit_id,
                    "words": words,
                    "target_date": visit_dates[0] + timedelta(weeks=rng.randrange(4, 16)),
                },
                "progress",
                lambda v: min(10, v + self.rng.randrange(0, 4)),
                0,
            )
        self.prescribe(person_id, visit_dates)

    def rated(
        self,
        table: Table,
        history: Table,
        key: str,
        person_id: str,
        days: list[date],
        row: dict[str, Any],
        value_field: str,
        evolve: Callable[[int], int],
        start: int,
    ) -> None:
        value = start
        subject_id = new_id()
        for day in days:
            self.batch.add(
                history, {"person_id": person_id, key: subject_id, "rated_on": day, "value": value}
            )
            last = value
            value = evolve(value)
        self.batch.add(table, {"id": subject_id, "person_id": person_id, **row, value_field: last})

    def assessment(self, person_id: str, day: date, context: str) -> None:
        rng = self.rng

        def score(low: int, high: int) -> int | None:
            return None if rng.random() < 0.04 else rng.randrange(low, high + 1)

        boost = 0 if context == "baseline" else 2
        ons4 = {
            "life_satisfaction": score(2 + boost, 7 + boost),
            "worthwhile": score(2 + boost, 8),
            "happiness": score(2 + boost, 8 + boost // 2),
            "anxiety": score(2, 9 - boost),
        }
        self.batch.add(
            answers,
            {
                "person_id": person_id,
                "measure": "ons4",
                "taken_on": day,
                "context": context,
                "answers": answers_to_text(ons4),
            },
        )

    def sessions(
        self, person_id: str, prescription_id: str, start: date, last: date, stopped: bool
    ) -> None:
        """Weekly sessions from the start, mostly went and some missed, up to `last` (the
        planned end, or the day they stopped going, said why)."""
        extra, day = self.extra, start
        while day < last and day < self.today:
            went = extra.random() < 0.8
            self.batch.add(attendance, {
                "person_id": person_id, "prescription_id": prescription_id, "session_on": day,
                "status": "attended" if went else "missed", "reason": "",
                "stopped_because": None,
            })
            day += timedelta(weeks=1)
        if stopped and last <= self.today:
            self.batch.add(attendance, {
                "person_id": person_id, "prescription_id": prescription_id, "session_on": last,
                "status": "stopped", "reason": "",
                "stopped_because": extra.choices(list(_STOP_WEIGHTS),
                                                 list(_STOP_WEIGHTS.values()))[0],
            })

    def prescribe(self, person_id: str, visit_dates: list[date]) -> None:
        rng, today = self.rng, self.today
        if len(visit_dates) < 2 or not self.service_ids:
            return
        start = visit_dates[1]
        weeks = rng.choice([8, 10, 12, 12, 12, 16])
        end = start + timedelta(weeks=weeks)
        ended = end < today and rng.random() < 0.7
        row: dict[str, Any] = {
            "person_id": person_id,
            "service_id": rng.choice(self.service_ids),
            "start_date": start,
            "weeks": weeks,
            "accompany_first": rng.random() < 0.4,
            "provider_referral": rng.choice(["sent", "accepted", "accepted", "accepted"]),
            "status": "ended" if ended else "active",
            "adviser": "Demo Adviser",
        }
        accepted = row["provider_referral"] == "accepted"
        # Half of those whose activity has ended stopped going part-way, and said why.
        stopped_on = None
        if ended and accepted and self.extra.random() < 0.5:
            stopped_on = start + timedelta(weeks=self.extra.randrange(1, weeks))
            row["ended_on"] = stopped_on
        prescription_id = self.batch.add(prescriptions, row)
        if accepted:
            self.sessions(person_id, prescription_id, start, stopped_on or end,
                          stopped_on is not None)
        for due in [start + timedelta(weeks=w) for w in DEFAULT_REVIEW_WEEKS] + [end]:
            self.batch.add(
                follow_ups,
                {
                    "person_id": person_id,
                    "prescription_id": prescription_id,
                    "due_on": due,
                    "kind": "end" if due == end else "review",
                    "done_on": due if due < today - timedelta(days=rng.randrange(0, 20)) else None,
                },
            )
        if ended:
            self.assessment(person_id, end, "exit")
            outcome = rng.choices(list(ClosingOutcome), [70, 5, 8, 3, 6, 8])[0]
            self.batch.add(
                closing_reviews,
                {
                    "person_id": person_id,
                    "closed_on": end,
                    "outcome": outcome.value,
                    # A re-referral says where to: the same rule the form and the office apply.
                    "reason": "Community mental health team"
                    if outcome is ClosingOutcome.RE_REFERRED
                    else "",
                    "carries_on": rng.random() < 0.6,
                },
            )


def populate(
    ws: Workspace,
    people_count: int,
    *,
    seed: int = 1,
    today: date | None = None,
    service_count: int = DEFAULT_SERVICES,
) -> None:
    """Fills a workspace with a synthetic caseload, in batches of one transaction each."""
    rng = random.Random(seed)
    extra = random.Random(seed * 7919 + 1)  # conditions and sessions (see _Generator)
    day = today or date.today()
    with ws.write() as conn:
        service_rows = demo_services(service_count, rng)
        # The directory belongs to the office: a local copy, never queued for upload.
        service_ids = ws.changes.insert_many(
            conn, services, service_rows, [None] * len(service_rows), queue=False
        )
    done = 0
    while done < people_count:
        chunk = min(1000, people_count - done)
        generator = _Generator(rng, day, service_ids, signer=ws.adviser or "Demo Adviser",
                               extra=extra)
        for _ in range(chunk):
            generator.person(ws.team, ws.adviser)
        _write(ws, generator.batch, generator.conditions)
        done += chunk


def _write(ws: Workspace, batch: _Batch, conditions: dict[str, list[str]]) -> None:
    order = [
        people,
        referrals,
        consents,
        visits,
        concerns,
        concern_ratings,
        steps,
        step_progress,
        answers,
        prescriptions,
        follow_ups,
        attendance,
        closing_reviews,
    ]
    with ws.write() as conn:
        for table in order:
            rows = batch.rows.get(table.name, [])
            kind = OpKind.APPEND if table.name in _FACT_TABLES else OpKind.UPSERT
            ws.changes.insert_many(
                conn,
                table,
                rows,
                [r.get("person_id", r["id"]) for r in rows]
                if table is not people
                else [r["id"] for r in rows],
                kind=kind,
            )
            if table is consents:
                # Health details after consent: their conditions are recorded once they agreed.
                for person_id, keys in conditions.items():
                    if keys:
                        ws.changes.update(conn, people, person_id,
                                          {"conditions": conditions_text(keys)}, person_id)
        ws.audit_many(
            conn, (("created", "person", r["id"], r["id"]) for r in batch.rows.get("people", []))
        )


TRAINING_BANNER = (
    "Training copy: every person here is made up, and nothing in it is ever sent to the office."
)


def is_training_copy(ws: Workspace) -> bool:
    """Whether this store was made by `sp-desktop demo` (shown on every screen)."""
    return ws.store.meta(META_TRAINING) == "1"


def create_demo_store(
    folder: Path,
    passphrase: str,
    people_count: int = DEFAULT_PEOPLE,
    *,
    seed: int = 1,
    params: Argon2Params | None = None,
) -> Workspace:
    """A new encrypted training store in `folder`, filled with synthetic people.

    Its settings get the demo adviser's work contact details, through the same writer as the
    Settings dialog, so a newcomer can print a journey straight away.
    """
    ws, _recovery_key = Workspace.create(
        folder, passphrase, adviser="Demo Adviser", team="Demo team", params=params
    )
    # Marked before anything is in it: the app shows it on every screen, and the office
    # refuses to register or sync it (its made-up people must never mix with real ones).
    with ws.write() as conn:
        ws.store.set_meta(conn, META_TRAINING, "1")
    populate(ws, people_count, seed=seed)
    settings = Settings.in_folder(folder)
    settings.set(LINK_WORKER_PHONE, DEMO_WORK_PHONE)
    settings.set(LINK_WORKER_EMAIL, DEMO_WORK_EMAIL)
    settings.set(LINK_WORKER_ORGANISATION, DEMO_ORGANISATION)
    return ws
