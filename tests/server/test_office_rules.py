"""The office checks every pushed change against the laptop's own rules (issue 18's findings,
reproduced against a real server on loopback): an invalid change is refused on its own with a
reason in words, the rest of the batch applies, nothing invalid is stored or served, and no
stamp can break a team's pulls."""

from __future__ import annotations

import json
from datetime import date, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from sp_desktop.domain.hlc import MAX_CLOCK_AHEAD_MS, HlcStamp, wall_now_ms
from sp_desktop.domain.ids import new_id
from sp_desktop.server import db
from sp_desktop.server.sync import stamp_time
from sp_desktop.server.testing import Enrolled, RunningServer, enrol, stored_rows, with_consent
from sp_desktop.sync.protocol import PROTOCOL_VERSION, SYNC_PATH

TODAY = date.today().isoformat()
_wall = [wall_now_ms() - 3_600_000]


def stamp(device: str) -> str:
    _wall[0] += 1
    return str(HlcStamp(_wall[0], 0, device))


def op(who: Enrolled, table: str, fields: dict[str, Any], *, person: str | None = None,
       row: str | None = None, kind: str = "upsert", hlc: str | None = None) -> dict[str, Any]:
    row = row or new_id()
    if table == "people":
        person = person or row
    elif person is not None and "person_id" not in fields:
        fields = {"person_id": person, **fields}
    return {"op": new_id(), "table": table, "row": row, "person": person, "kind": kind,
            "fields": fields, "base": {}, "hlc": hlc or stamp(who.device_id)}


def new_person(who: Enrolled, **fields: Any) -> dict[str, Any]:
    return op(who, "people", {"given_name": "Ada", "family_name": "Lovelace",
                              "date_of_birth": "1941-02-03", **fields})


def new_visit(who: Enrolled, person: str, **fields: Any) -> dict[str, Any]:
    return op(who, "visits", {"visit_date": TODAY, "place": "home", **fields}, person=person)


def assessment(who: Enrolled, person: str, **scores: Any) -> dict[str, Any]:
    values = {"life_satisfaction": 5, "worthwhile": 5, "happiness": 5, "anxiety": 5, **scores}
    return op(who, "assessments", {"assessed_on": TODAY, "context": "baseline", **values},
              person=person, kind="append")


def answers_op(who: Enrolled, person: str, measure: str, given: Any) -> dict[str, Any]:
    """Any measure's answers, as a laptop of schema 0007 or later sends them."""
    text = given if isinstance(given, str) else json.dumps(given)
    return op(who, "answers", {"measure": measure, "taken_on": TODAY, "context": "baseline",
                               "answers": text}, person=person, kind="append")


def sync(server: RunningServer, who: Enrolled, ops: list[dict[str, Any]] | None = None,
         cursor: int = 0) -> httpx.Response:
    return httpx.post(server.url + SYNC_PATH, headers=who.headers, timeout=30,
                      json={"protocol": PROTOCOL_VERSION, "cursor": cursor,
                            "ops": with_consent(who, ops or [])})


def acks_of(answer: httpx.Response) -> dict[str, dict[str, Any]]:
    assert answer.status_code == 200, answer.text
    return {a["op"]: a for a in answer.json()["acks"]}


def stored(server: RunningServer, *row_ids: str) -> set[str]:
    return {key[1] for key in stored_rows(server.database_url) if key[1] in set(row_ids)}


@pytest.fixture
def ann(server: RunningServer) -> Enrolled:
    return enrol(server)


@pytest.fixture
def person(server: RunningServer, ann: Enrolled) -> str:
    created = new_person(ann)
    assert acks_of(sync(server, ann, [created]))[created["op"]]["status"] == "applied"
    return str(created["row"])


def _spoiled(who: Enrolled, person: str, case: str) -> dict[str, Any]:
    if case == "ons4-99":
        return assessment(who, person, happiness=99)
    if case == "ons4-minus-5":
        return assessment(who, person, anxiety=-5)
    if case == "name-2**64":
        return new_person(who, given_name=2**64)
    if case == "visit-date-not-a-date":
        return new_visit(who, person, visit_date="not a date")
    if case == "place-moon":
        return new_visit(who, person, place="moon")
    if case == "progress-lots":
        return op(who, "steps", {"words": "Phone my brother", "progress": "lots"}, person=person)
    if case == "unknown-column":
        return new_person(who, favourite_colour="blue")
    if case == "assessment-400-days-ahead":
        return op(who, "assessments", {"assessed_on": (date.today() + timedelta(days=400))
                                       .isoformat(), "context": "baseline"},
                  person=person, kind="append")
    if case == "answers-happiness-99":
        return answers_op(who, person, "ons4", {"life_satisfaction": 5, "worthwhile": 5,
                                                "happiness": 99, "anxiety": 5})
    if case == "answers-unknown-item":
        return answers_op(who, person, "ons_loneliness", {"lonely": 2, "sad": 1})
    if case == "answers-unknown-measure":
        return answers_op(who, person, "phq9", {"q1": 1})
    if case == "answers-not-json":
        return answers_op(who, person, "ons4", "{happiness: 5")
    if case == "note-200443":
        return new_visit(who, person, notes=json.dumps({"connection": "x" * 150_000}),
                         what_matters="y" * 50_443)
    if case == "no-date-of-birth":
        return op(who, "people", {"given_name": "Ada", "family_name": "Lovelace"})
    if case == "condition-gout":  # not in resources/conditions.json: the same rule as the laptop
        return new_person(who, conditions='["copd","gout"]')
    raise AssertionError(case)


@pytest.mark.parametrize("case", [
    "ons4-99", "ons4-minus-5", "name-2**64", "visit-date-not-a-date", "place-moon",
    "progress-lots", "unknown-column", "assessment-400-days-ahead", "note-200443",
    "no-date-of-birth", "answers-happiness-99", "answers-unknown-item", "answers-unknown-measure",
    "answers-not-json", "condition-gout",
])
def test_an_invalid_value_is_refused_on_its_own_and_the_rest_of_the_batch_applies(
    server: RunningServer, ann: Enrolled, person: str, case: str
) -> None:
    bad = _spoiled(ann, person, case)
    before, after = new_visit(ann, person), assessment(ann, person)
    acks = acks_of(sync(server, ann, [before, bad, after]))
    refused = acks[bad["op"]]
    assert refused["status"] == "rejected" and refused["code"] == "invalid"
    assert refused["reason"][0].isupper() and refused["reason"].endswith(".")
    assert "Input should" not in refused["reason"] and "Traceback" not in refused["reason"]
    assert acks[before["op"]]["status"] == acks[after["op"]]["status"] == "applied"
    assert stored(server, before["row"], bad["row"], after["row"]) == {before["row"],
                                                                        after["row"]}
    # A teammate's laptop never receives it.
    ben = enrol(server, team=ann.team, new_team=False)
    assert bad["row"] not in {c["row"] for c in sync(server, ben).json()["changes"]}


def test_the_ons4_reason_names_the_item(server: RunningServer, ann: Enrolled,
                                        person: str) -> None:
    bad = assessment(ann, person, happiness=99)
    reason = acks_of(sync(server, ann, [bad]))[bad["op"]]["reason"]
    assert reason == "Happiness yesterday is a whole number from 0 to 10."


def test_a_child_of_a_person_the_office_does_not_hold_is_refused(
    server: RunningServer, ann: Enrolled
) -> None:
    ghost = new_id()
    orphans = [new_visit(ann, ghost), assessment(ann, ghost)]
    fine = new_person(ann)
    acks = acks_of(sync(server, ann, [*orphans, fine]))
    for orphan in orphans:
        assert acks[orphan["op"]]["status"] == "rejected"
        assert acks[orphan["op"]]["code"] == "unknown_parent"
    assert acks[fine["op"]]["status"] == "applied"
    assert stored(server, ghost, *(o["row"] for o in orphans)) == set()


def test_a_person_and_their_records_in_one_batch_are_all_stored(
    server: RunningServer, ann: Enrolled
) -> None:
    created = new_person(ann)
    person = created["row"]
    visit = new_visit(ann, person)
    concern = op(ann, "concerns", {"visit_id": visit["row"], "domain": "connection",
                                   "words": "Lonely", "severity": 7}, person=person)
    rating = op(ann, "concern_ratings", {"concern_id": concern["row"], "rated_on": TODAY,
                                         "value": 7}, person=person, kind="append")
    acks = acks_of(sync(server, ann, [created, visit, concern, rating]))
    assert {a["status"] for a in acks.values()} == {"applied"}


def test_a_concern_of_a_missing_or_someone_elses_visit_is_refused(
    server: RunningServer, ann: Enrolled, person: str
) -> None:
    other = new_person(ann, given_name="Ben")
    theirs = new_visit(ann, other["row"])
    assert {a["status"] for a in acks_of(sync(server, ann, [other, theirs])).values()} == {
        "applied"}
    missing = op(ann, "concerns", {"visit_id": new_id(), "domain": "connection",
                                   "words": "Lonely", "severity": 7}, person=person)
    crossed = op(ann, "concerns", {"visit_id": theirs["row"], "domain": "connection",
                                   "words": "Lonely", "severity": 7}, person=person)
    acks = acks_of(sync(server, ann, [missing, crossed]))
    assert acks[missing["op"]]["code"] == "unknown_parent"
    assert acks[missing["op"]]["reason"] == "The visit it refers to is not at the office."
    assert acks[crossed["op"]]["status"] == "rejected"
    assert "someone else's" in acks[crossed["op"]]["reason"]
    assert stored(server, missing["row"], crossed["row"]) == set()


def test_another_teams_person_cannot_be_linked_or_given_records(server: RunningServer) -> None:
    ann, bob = enrol(server), enrol(server)
    bobs = new_person(bob)
    acks_of(sync(server, bob, [bobs]))
    carer = new_person(ann, carer_of_id=bobs["row"])
    visit = new_visit(ann, bobs["row"])
    acks = acks_of(sync(server, ann, [carer, visit]))
    assert acks[carer["op"]]["code"] == acks[visit["op"]]["code"] == "other_team"
    assert stored(server, carer["row"], visit["row"]) == set()


def test_an_edit_that_leaves_the_merged_row_invalid_is_refused(
    server: RunningServer, ann: Enrolled, person: str
) -> None:
    visit = new_visit(ann, person)
    acks_of(sync(server, ann, [visit]))
    unsigned = op(ann, "visits", {"status": "signed"}, person=person, row=visit["row"])
    unsigned["fields"].pop("person_id")
    fine = op(ann, "visits", {"what_matters": "My garden"}, person=person, row=visit["row"])
    fine["fields"].pop("person_id")
    acks = acks_of(sync(server, ann, [unsigned, fine]))
    assert acks[unsigned["op"]]["reason"] == "A signed visit names who signed it."
    assert acks[fine["op"]]["status"] == "applied"
    held: Any = stored_rows(server.database_url)[("visits", visit["row"])]["fields"]
    assert held.get("status") != "signed" and held["what_matters"] == "My garden"


# --- stamps -------------------------------------------------------------------------------


@pytest.mark.parametrize("wall", [999_999_999_999_999, 4_102_444_800_000],
                         ids=["year-33658", "year-2100"])
def test_a_stamp_far_ahead_of_the_office_clock_is_refused_and_the_team_still_syncs(
    server: RunningServer, ann: Enrolled, person: str, wall: int
) -> None:
    ahead = new_person(ann)
    ahead["hlc"] = str(HlcStamp(wall, 0, ann.device_id))
    fine = new_person(ann)
    acks = acks_of(sync(server, ann, [ahead, fine]))
    assert acks[ahead["op"]]["status"] == "rejected"
    assert acks[ahead["op"]]["code"] == "clock_ahead"
    assert "clock" in acks[ahead["op"]]["reason"]
    assert acks[fine["op"]]["status"] == "applied"
    assert stored(server, ahead["row"]) == set()
    for who in (ann, enrol(server, team=ann.team, new_team=False)):
        assert sync(server, who).status_code == 200


def test_a_stamp_within_the_margin_is_accepted(server: RunningServer, ann: Enrolled) -> None:
    skewed = new_person(ann)
    skewed["hlc"] = str(HlcStamp(wall_now_ms() + MAX_CLOCK_AHEAD_MS // 2, 0, ann.device_id))
    assert acks_of(sync(server, ann, [skewed]))[skewed["op"]]["status"] == "applied"


def test_stamp_time_never_raises() -> None:
    assert stamp_time("999999999999999-0000-dev") == ""
    assert stamp_time("garbage") == ""
    assert stamp_time(str(HlcStamp(1_795_500_000_000, 0, "dev"))).startswith("2026-")


def _store_raw_row(server: RunningServer, team: str, hlc: str, fields: str = '{"a": 1}') -> str:
    """A row written straight into the office database, as an older server let one in."""
    engine = db.make_engine(server.database_url, pool_size=1)
    row_id = new_id()
    try:
        with db.write_transaction(engine) as conn:
            team_id = conn.execute(select(db.teams.c.id).where(db.teams.c.name == team)).scalar()
            seq = conn.execute(
                db.counters.update().where(db.counters.c.name == db.SEQ_COUNTER)
                .values(value=db.counters.c.value + 1).returning(db.counters.c.value)
            ).scalar_one()
            conn.execute(db.rows.insert().values(
                table_name="people", row_id=row_id, person_id=row_id, team_id=team_id,
                fields=fields, versions=json.dumps({"given_name": hlc}), deleted=False,
                hlc=hlc, origin_device="dev", created_hlc=hlc, seq=seq))
    finally:
        engine.dispose()
    return row_id


@pytest.mark.parametrize("hlc", ["999999999999999-0000-dev", "000000000000001-zz00-dev",
                                 str(HlcStamp(4_102_444_800_000, 0, "dev"))],
                         ids=["year-33658", "unreadable", "year-2100"])
def test_a_stored_row_that_cannot_be_served_is_quarantined_and_everything_else_flows(
    server: RunningServer, ann: Enrolled, person: str, hlc: str
) -> None:
    bad = _store_raw_row(server, ann.team, hlc)
    later = new_person(ann, given_name="Later")
    acks_of(sync(server, ann, [later]))
    for who in (ann, enrol(server, team=ann.team, new_team=False)):
        answer = sync(server, who)
        assert answer.status_code == 200
        body = answer.json()
        rows = {c["row"] for c in body["changes"]}
        assert {person, later["row"]} <= rows and bad not in rows
        assert body["quarantined"] == 1
    log = server.log_text()
    assert "pull quarantined rows=1" in log and "Ada" not in log


def test_answers_to_any_measure_are_checked_by_its_definition(
    server: RunningServer, ann: Enrolled, person: str
) -> None:
    """The office reads the same definition file as the laptop (domain/measures.py)."""
    fine = answers_op(ann, person, "ucla3", {"lack_companionship": 3, "left_out": None,
                                             "isolated": 1})
    bad = answers_op(ann, person, "ucla3", {"lack_companionship": 3, "left_out": 0,
                                            "isolated": 1})
    acks = acks_of(sync(server, ann, [fine, bad]))
    assert acks[fine["op"]]["status"] == "applied"
    assert acks[bad["op"]]["reason"] == "Feeling left out is a whole number from 1 to 3."


# --- long-term conditions and why someone stopped (schema 0009) ----------------------------


def test_conditions_are_checked_stored_and_reach_a_teammate(
    server: RunningServer, ann: Enrolled, person: str
) -> None:
    edit = op(ann, "people", {"conditions": '["copd","diabetes"]'}, row=person)
    gout = op(ann, "people", {"conditions": '["gout"]'}, row=person)
    acks = acks_of(sync(server, ann, [edit, gout]))
    assert acks[edit["op"]]["status"] == "applied"
    assert acks[gout["op"]]["reason"] == (
        "The long-term conditions: 'gout' is not one of the choices offered.")
    ben = enrol(server, team=ann.team, new_team=False)
    pulled = [c for c in sync(server, ben).json()["changes"] if c["row"] == person]
    assert [c["fields"]["conditions"] for c in pulled] == ['["copd","diabetes"]']


def test_conditions_need_the_persons_consent_at_the_office(
    server: RunningServer, ann: Enrolled
) -> None:
    """Health details: the office applies the laptop's consent gate again."""
    unasked = new_person(ann)
    answer = httpx.post(server.url + SYNC_PATH, headers=ann.headers, timeout=30, json={
        "protocol": PROTOCOL_VERSION, "cursor": 0,
        "ops": [unasked, op(ann, "people", {"conditions": "[]"}, row=unasked["row"]),
                (told := op(ann, "people", {"conditions": '["asthma"]'}, row=unasked["row"]))]})
    acks = acks_of(answer)
    assert acks[unasked["op"]]["status"] == "applied"  # the referral itself needs no consent
    assert acks[told["op"]]["status"] == "rejected" and acks[told["op"]]["code"] == "no_consent"


def _activity(server: RunningServer, ann: Enrolled, person: str) -> str:
    manager = enrol(server, team=ann.team, new_team=False, role="manager")
    service = new_id()
    published = httpx.post(server.url + "/directory", headers=manager.headers, timeout=30,
                           json={"protocol": PROTOCOL_VERSION,
                                 "entries": [{"id": service, "name": "Walking group",
                                              "category": "physical_activity"}]})
    assert published.status_code == 200 and published.json()["rejected"] == 0, published.text
    prescription = op(ann, "prescriptions", {"service_id": service, "start_date": TODAY},
                      person=person)
    assert acks_of(sync(server, ann, [prescription]))[prescription["op"]]["status"] == "applied"
    return str(prescription["row"])


def test_a_stopped_session_says_why_and_an_older_laptops_stop_is_still_taken(
    server: RunningServer, ann: Enrolled, person: str
) -> None:
    prescription = _activity(server, ann, person)

    def session(**fields: Any) -> dict[str, Any]:
        return op(ann, "attendance", {"prescription_id": prescription, "session_on": TODAY,
                                      "status": "stopped", "reason": "", **fields},
                  person=person, kind="append")

    unsaid = session(stopped_because=None)
    bored = session(stopped_because="bored")
    went = session(status="attended", stopped_because="health")
    said = session(stopped_because="transport", reason="The bus no longer runs")
    older = session(reason="Too far to walk")  # a laptop before 0009: no such field at all
    acks = acks_of(sync(server, ann, [unsaid, bored, went, said, older]))
    assert acks[unsaid["op"]]["reason"] == "Please choose why they stopped."
    assert acks[bored["op"]]["reason"] == "Why they stopped is not one of the choices offered."
    assert acks[went["op"]]["reason"].startswith("A reason for stopping is only given when")
    assert acks[said["op"]]["status"] == acks[older["op"]]["status"] == "applied"
    assert stored(server, *(o["row"] for o in (unsaid, bored, went, said, older))) == {
        said["row"], older["row"]}
    # The older laptop's row sent again (a retry under a new op id) is still fine.
    again = {**older, "op": new_id(), "hlc": stamp(ann.device_id)}
    assert acks_of(sync(server, ann, [again]))[again["op"]]["status"] == "applied"
