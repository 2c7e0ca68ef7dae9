"""Consent first at the office (issue 14): the office trusts nothing a device sends, so a
forged batch that records notes about a person without their consent is refused op by op, with
the code and the same words the laptop's gate gives, and the rest of the batch applies; a
consent record earlier in the same batch lets what follows through. Raw HTTP against a real
server on loopback, SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date
from typing import Any

import httpx

from sp_desktop.domain.consent import NEVER_ASKED, WITHDRAWN
from sp_desktop.domain.hlc import HlcStamp, wall_now_ms
from sp_desktop.domain.ids import new_id
from sp_desktop.server.testing import Enrolled, RunningServer, enrol, stored_rows
from sp_desktop.sync.protocol import PROTOCOL_VERSION, SYNC_PATH, RejectCode

TODAY = date.today().isoformat()
_wall = [wall_now_ms() - 3_600_000]


def _op(who: Enrolled, table: str, fields: dict[str, Any], person: str,
        kind: str = "upsert") -> dict[str, Any]:
    _wall[0] += 1
    row = person if table == "people" else new_id()
    if table != "people":
        fields = {"person_id": person, **fields}
    return {"op": new_id(), "table": table, "row": row, "person": person, "kind": kind,
            "fields": fields, "base": {}, "hlc": str(HlcStamp(_wall[0], 0, who.device_id))}


def _person(who: Enrolled) -> dict[str, Any]:
    return _op(who, "people", {"given_name": "Ada", "family_name": "Lovelace",
                               "date_of_birth": "1941-02-03"}, new_id())


def _visit(who: Enrolled, person: str) -> dict[str, Any]:
    return _op(who, "visits", {"visit_date": TODAY, "place": "home"}, person)


def _consent(who: Enrolled, person: str, decision: str = "given") -> dict[str, Any]:
    agreed = decision == "given"
    return _op(who, "consents", {
        "decision": decision, "recording": agreed, "share_gp": agreed,
        "share_services": agreed, "method": "in_person", "given_on": TODAY,
        "recorded_by": who.name}, person, kind="append")


def _push(server: RunningServer, who: Enrolled, ops: list[dict[str, Any]]) -> dict[str, Any]:
    answer = httpx.post(server.url + SYNC_PATH, headers=who.headers, timeout=30,
                        json={"protocol": PROTOCOL_VERSION, "cursor": 0, "ops": ops})
    assert answer.status_code == 200, answer.text
    return {ack["op"]: ack for ack in answer.json()["acks"]}


def _stored(server: RunningServer) -> set[str]:
    return {row for _table, row in stored_rows(server.database_url)}


def test_notes_without_consent_are_refused_and_the_rest_of_the_batch_applies(
    server: RunningServer,
) -> None:
    who = enrol(server)
    unasked, agreed = _person(who), _person(who)
    unasked_id, agreed_id = unasked["row"], agreed["row"]
    refused_visit = _visit(who, unasked_id)
    consent = _consent(who, agreed_id)
    allowed_visit = _visit(who, agreed_id)
    acks = _push(server, who, [unasked, refused_visit, agreed, consent, allowed_visit])

    refused = acks[refused_visit["op"]]
    assert refused["status"] == "rejected"
    assert refused["code"] == RejectCode.NO_CONSENT.value
    assert refused["reason"] == NEVER_ASKED  # the laptop's own words
    for accepted in (unasked, agreed, consent, allowed_visit):
        assert acks[accepted["op"]]["status"] == "applied", acks[accepted["op"]]
    held = _stored(server)
    assert refused_visit["row"] not in held
    assert {unasked_id, agreed_id, consent["row"], allowed_visit["row"]} <= held


def test_consent_held_at_the_office_from_an_earlier_push_counts_and_withdrawal_stops(
    server: RunningServer,
) -> None:
    who = enrol(server)
    person = _person(who)
    person_id = person["row"]
    acks = _push(server, who, [person, _consent(who, person_id)])
    assert all(ack["status"] == "applied" for ack in acks.values())

    later = _visit(who, person_id)
    assert _push(server, who, [later])[later["op"]]["status"] == "applied"

    withdrawn = _consent(who, person_id, "withdrawn")
    after = _visit(who, person_id)
    acks = _push(server, who, [withdrawn, after])
    assert acks[withdrawn["op"]]["status"] == "applied"
    assert acks[after["op"]]["code"] == RejectCode.NO_CONSENT.value
    assert acks[after["op"]]["reason"] == WITHDRAWN
    assert after["row"] not in _stored(server)
