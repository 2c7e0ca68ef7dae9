"""Makes the encrypted fixture store of schema 0001 (run once; the output is committed).

Written with plain SQL against migration 0001 only, so it stays a faithful first-schema store
however the code evolves. Every later schema must open and upgrade it (tests/store).
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

from sp_desktop.store import migrations
from sp_desktop.store.database import _engine, database_path, keyfile_path
from sp_desktop.store.keyfile import Argon2Params, KeyFile

PASSPHRASE = "first schema fixture"
STORE_ID = "01a20c00-0000-7000-8000-000000000001"
DEVICE = "0fixture0device0000000000000001"
STAMP = f"001795500000000-0000-{DEVICE}"
NOW = "2026-11-24T09:00:00.000+00:00"
PERSON = "01a20c00-0000-7000-8000-0000000000a1"
REFERRAL = "01a20c00-0000-7000-8000-0000000000b1"
VISIT = "01a20c00-0000-7000-8000-0000000000c1"
ASSESSMENT = "01a20c00-0000-7000-8000-0000000000d1"
STEP = "01a20c00-0000-7000-8000-0000000000e1"
SERVICE = "01a20c00-0000-7000-8000-0000000000f1"
PRESCRIPTION = "01a20c00-0000-7000-8000-0000000000f2"


def _meta(table_id: str) -> dict[str, object]:
    return {
        "id": table_id,
        "created_at": NOW,
        "updated_at": NOW,
        "hlc": STAMP,
        "versions": json.dumps({"*": STAMP}),
        "deleted": 0,
        "origin_device": DEVICE,
    }


ROWS: list[tuple[str, dict[str, object]]] = [
    (
        "people",
        {
            **_meta(PERSON),
            "given_name": "Siobhán",
            "family_name": "Ó Briain",
            "preferred_name": None,
            "date_of_birth": "1940-05-17",
            "nhs_number": "9990000018",
            "gender": "female",
            "ethnicity": "white_irish",
            "gp_practice": "Castle Hill Surgery",
            "address": "4 Mill Lane\nGreystone",
            "postcode": "GS4 2AB",
            "phone": "07700 900123",
            "email": "",
            "preferred_contact": "phone",
            "carer_of_id": None,
            "large_print": 1,
            "interpreter_language": None,
            "hearing_needs": None,
            "sight_needs": None,
            "team": "North",
            "adviser": "Fixture Adviser",
            "search_key": "siobhan o briain",
        },
    ),
    (
        "referrals",
        {
            **_meta(REFERRAL),
            "person_id": PERSON,
            "source": "gp",
            "referrer_name": "Dr A. Patel",
            "referrer_organisation": "Castle Hill Surgery",
            "reason": "Lonely since bereavement",
            "received_on": "2026-10-01",
            "consent": "given",
            "consent_on": "2026-10-03",
            "status": "active",
        },
    ),
    (
        "visits",
        {
            **_meta(VISIT),
            "person_id": PERSON,
            "visit_date": "2026-10-10",
            "place": "home",
            "notes": json.dumps({"connection": "Misses the choir"}),
            "what_matters": "Singing again",
            "status": "signed",
            "signed_at": NOW,
            "signed_by": "Fixture Adviser",
            "corrects_visit_id": None,
        },
    ),
    (
        "assessments",
        {
            **_meta(ASSESSMENT),
            "person_id": PERSON,
            "assessed_on": "2026-10-10",
            "context": "baseline",
            "life_satisfaction": 4,
            "worthwhile": 5,
            "happiness": 3,
            "anxiety": None,
        },
    ),
    (
        "steps",
        {
            **_meta(STEP),
            "person_id": PERSON,
            "visit_id": VISIT,
            "words": "Go to the choir once",
            "target_date": "2026-12-01",
            "progress": 2,
        },
    ),
    (
        "services",
        {
            **_meta(SERVICE),
            "name": "Greystone Community Choir",
            "organisation": "Greystone Arts",
            "description": "Friendly singing group",
            "category": "social activity",
            "wellbeing_tags": json.dumps(["connect"]),
            "address": "Church Hall, Church Lane",
            "postcode": "GS1 1AA",
            "area": "Greystone",
            "contact_name": "Ann",
            "contact_phone": "07700 900456",
            "contact_email": "",
            "schedule": "Tuesdays 14:00-15:30",
            "cost": "Free",
            "free": 1,
            "step_free": 1,
            "accessibility": "Ramp at side door",
            "how_to_refer": "Phone Ann",
            "waiting_weeks": None,
            "active": 1,
            "last_checked": "2026-09-01",
        },
    ),
    (
        "prescriptions",
        {
            **_meta(PRESCRIPTION),
            "person_id": PERSON,
            "service_id": SERVICE,
            "start_date": "2026-10-14",
            "weeks": 12,
            "accompany_first": 1,
            "provider_referral": "accepted",
            "waiting_weeks": None,
            "declined_reason": "",
            "status": "active",
            "adviser": "Fixture Adviser",
            "team": "North",
        },
    ),
    (
        "follow_ups",
        {
            **_meta("01a20c00-0000-7000-8000-0000000000f3"),
            "person_id": PERSON,
            "prescription_id": PRESCRIPTION,
            "due_on": "2026-12-09",
            "kind": "end",
            "done_on": None,
            "notes": "",
        },
    ),
]


def make(folder: Path) -> None:
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    keyfile, data_key, _recovery = KeyFile.create(
        STORE_ID, PASSPHRASE, Argon2Params(memory_kib=8192, iterations=1, lanes=1)
    )
    engine = _engine(database_path(folder), lambda: data_key, keyfile.page_size, writer=True)
    migrations.upgrade(engine, "0001")
    with engine.begin() as conn:
        for key, value in (
            ("store_id", STORE_ID),
            ("device_id", DEVICE),
            ("adviser", "Fixture Adviser"),
            ("team", "North"),
            ("created_at", NOW),
            ("hlc_last", STAMP),
        ):
            conn.exec_driver_sql("INSERT INTO store_meta (key, value) VALUES (?, ?)", (key, value))
        for table, row in ROWS:
            columns = ", ".join(row)
            marks = ", ".join("?" * len(row))
            conn.exec_driver_sql(
                f"INSERT INTO {table} ({columns}) VALUES ({marks})", tuple(row.values())
            )
    raw = engine.raw_connection()
    raw.driver_connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # type: ignore[union-attr]
    raw.close()
    engine.dispose()
    for extra in ("-wal", "-shm"):
        database_path(folder).with_name(database_path(folder).name + extra).unlink(missing_ok=True)
    keyfile.save(keyfile_path(folder))


if __name__ == "__main__":
    make(Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).parent / "schema-0001")
