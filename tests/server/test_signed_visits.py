"""Signed means signed, at the office (issue 18): with a valid token alone no device can rewrite a
signed visit's words, signer or signing time, nor delete it; nobody signs or writes a correction
in someone else's name; a correction is an addendum taken only from its own author's team.
Every change here is sent by raw HTTP, as a tester with a token of their own would send it."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import httpx
import pytest

from sp_desktop.domain.hlc import HlcStamp, wall_now_ms
from sp_desktop.domain.ids import new_id
from sp_desktop.server.testing import Enrolled, RunningServer, enrol, stored_rows, with_consent
from sp_desktop.sync.protocol import PROTOCOL_VERSION, SYNC_PATH

TODAY = date.today().isoformat()
_wall = [wall_now_ms() - 3_600_000]


def stamp(who: Enrolled) -> str:
    _wall[0] += 1
    return str(HlcStamp(_wall[0], 0, who.device_id))


def new_op(who: Enrolled, table: str, fields: dict[str, Any], person: str, *,
           kind: str = "upsert", row: str | None = None) -> dict[str, Any]:
    row = row or new_id()
    if table == "people":
        person = row
    else:
        fields = {"person_id": person, **fields}
    return {"op": new_id(), "table": table, "row": row, "person": person, "kind": kind,
            "fields": fields, "base": {}, "hlc": stamp(who)}


def change(who: Enrolled, earlier: dict[str, Any], fields: dict[str, Any], *,
           base: dict[str, str] | None = None, kind: str = "upsert") -> dict[str, Any]:
    """An edit of the row `earlier` made, based on the stamps that op left (a clean edit)."""
    seen = base if base is not None else dict.fromkeys(fields, earlier["hlc"])
    return {"op": new_id(), "table": earlier["table"], "row": earlier["row"],
            "person": earlier["person"], "kind": kind, "fields": fields, "base": seen,
            "hlc": stamp(who)}


def signing(who: Enrolled, visit: dict[str, Any], name: str | None = None) -> dict[str, Any]:
    return change(who, visit, {"status": "signed", "signed_by": name or who.name,
                               "signed_at": datetime.now(UTC).isoformat(timespec="seconds")})


def push(server: RunningServer, who: Enrolled, *ops: dict[str, Any]) -> dict[str, dict[str, Any]]:
    answer = httpx.post(server.url + SYNC_PATH, headers=who.headers, timeout=30,
                        json={"protocol": PROTOCOL_VERSION, "cursor": 0,
                              "ops": with_consent(who, ops)})
    assert answer.status_code == 200, answer.text
    return {a["op"]: a for a in answer.json()["acks"]}


def held(server: RunningServer, op: dict[str, Any]) -> dict[str, Any]:
    return stored_rows(server.database_url)[(op["table"], op["row"])]


@pytest.fixture
def ann(server: RunningServer) -> Enrolled:
    return enrol(server)


@pytest.fixture
def ben(server: RunningServer, ann: Enrolled) -> Enrolled:
    return enrol(server, team=ann.team, new_team=False)


@pytest.fixture
def person(server: RunningServer, ann: Enrolled) -> str:
    created = new_op(ann, "people", {"given_name": "Edith", "family_name": "Jones",
                                     "date_of_birth": "1938-05-01"}, "")
    assert push(server, ann, created)[created["op"]]["status"] == "applied"
    return str(created["row"])


@pytest.fixture
def visit(server: RunningServer, ann: Enrolled, person: str) -> dict[str, Any]:
    """Ann's visit with Edith, her words in it, not signed yet."""
    made = new_op(ann, "visits", {"visit_date": TODAY, "place": "home",
                                  "what_matters": "Her garden", "notes": "{}",
                                  "status": "draft"}, person)
    assert push(server, ann, made)[made["op"]]["status"] == "applied"
    return made


@pytest.fixture
def signed(server: RunningServer, ann: Enrolled, visit: dict[str, Any]) -> dict[str, Any]:
    sign = signing(ann, visit)
    assert push(server, ann, sign)[sign["op"]]["status"] == "applied"
    return visit


@pytest.mark.parametrize("rewrite", ["what_matters", "signed_by", "signed_at", "unsigned",
                                     "notes", "visit_date", "delete", "by_its_own_author"])
def test_a_signed_visit_refuses_every_rewrite_sent_with_a_valid_token(
    server: RunningServer, ann: Enrolled, ben: Enrolled, person: str, signed: dict[str, Any],
    rewrite: str,
) -> None:
    before = held(server, signed)
    who = ann if rewrite == "by_its_own_author" else ben
    fields: dict[str, Any] = {
        "what_matters": {"what_matters": "Whatever Ben says"},
        "signed_by": {"signed_by": ben.name},
        "signed_at": {"signed_at": "2020-01-01T09:00:00+00:00"},
        "unsigned": {"status": "draft", "signed_by": None, "signed_at": None},
        "notes": {"notes": '{"connection": "Never said this"}'},
        "visit_date": {"visit_date": "2024-01-01"},
        "delete": {},
        "by_its_own_author": {"what_matters": "Her garden and her dog"},
    }[rewrite]
    forged = change(who, signed, fields, kind="delete" if rewrite == "delete" else "upsert",
                    base=before["versions"])  # based on exactly what the office holds
    other = new_op(who, "assessments", {"assessed_on": TODAY, "context": "baseline",
                                        "life_satisfaction": 6, "worthwhile": 7, "happiness": 5,
                                        "anxiety": 3}, person, kind="append")

    acks = push(server, who, forged, other)

    refused = acks[forged["op"]]
    assert (refused["status"], refused["code"]) == ("rejected", "not_allowed")
    assert f"This visit was signed by {ann.name}" in refused["reason"]
    assert "Add a correction" in refused["reason"]
    assert acks[other["op"]]["status"] == "applied", "the rest of the batch applies"
    after = held(server, signed)
    assert after["fields"] == before["fields"]
    assert (after["deleted"], after["seq"]) == (False, before["seq"])


def test_nobody_signs_in_someone_elses_name(
    server: RunningServer, ann: Enrolled, ben: Enrolled, visit: dict[str, Any]
) -> None:
    as_ann = signing(ben, visit, name=ann.name)
    acks = push(server, ben, as_ann)
    assert (acks[as_ann["op"]]["status"], acks[as_ann["op"]]["code"]) == ("rejected",
                                                                         "not_allowed")
    assert "signed in your own name" in acks[as_ann["op"]]["reason"]
    assert held(server, visit)["fields"]["status"] == "draft"

    as_ben = signing(ben, visit)  # a teammate may sign it, in his own name
    assert push(server, ben, as_ben)[as_ben["op"]]["status"] == "applied"
    assert held(server, visit)["fields"]["signed_by"] == ben.name


def test_signing_goes_through_in_the_same_batch_as_the_last_edits_and_nothing_after_it(
    server: RunningServer, ann: Enrolled, person: str
) -> None:
    made = new_op(ann, "visits", {"visit_date": TODAY, "place": "phone", "status": "draft"},
                  person)
    words = change(ann, made, {"what_matters": "Seeing her grandson"})
    sign = signing(ann, made)
    sign["base"] = {**sign["base"], "what_matters": words["hlc"]}  # as a laptop signs
    late = change(ann, made, {"what_matters": "Something else"}, base={"what_matters":
                                                                        words["hlc"]})

    acks = push(server, ann, made, words, sign, late)

    assert [acks[o["op"]]["status"] for o in (made, words, sign)] == ["applied"] * 3
    assert acks[late["op"]]["status"] == "rejected"
    fields = held(server, made)["fields"]
    assert (fields["what_matters"], fields["status"], fields["signed_by"]) == (
        "Seeing her grandson", "signed", ann.name)


def test_a_signature_covers_only_what_its_signer_saw(
    server: RunningServer, ann: Enrolled, ben: Enrolled, visit: dict[str, Any]
) -> None:
    """Ben's edit reached the office first; Ann signed what she had, not Ben's words."""
    bens = change(ben, visit, {"what_matters": "Whatever Ben says"})
    assert push(server, ben, bens)[bens["op"]]["status"] == "applied"
    sign = signing(ann, visit)
    sign["base"] = {**sign["base"], "what_matters": visit["hlc"]}  # Ann never saw Ben's edit

    ack = push(server, ann, sign)[sign["op"]]

    assert (ack["status"], ack["code"]) == ("rejected", "not_allowed")
    assert "please read it again and sign it" in ack["reason"]
    fields = held(server, visit)["fields"]
    assert (fields["what_matters"], fields["status"]) == ("Whatever Ben says", "draft")


def test_a_correction_is_taken_only_from_its_own_author_in_the_visits_team(
    server: RunningServer, ann: Enrolled, ben: Enrolled, person: str, signed: dict[str, Any]
) -> None:
    def correction(who: Enrolled, name: str, visit_id: str = signed["row"]) -> dict[str, Any]:
        return new_op(who, "visit_addenda", {"visit_id": visit_id, "words": "Maria, not Marie",
                                             "written_by": name, "written_on": TODAY},
                      person, kind="append")

    bens = correction(ben, ben.name)
    in_anns_name = correction(ben, ann.name)
    acks = push(server, ben, bens, in_anns_name)
    assert acks[bens["op"]]["status"] == "applied"
    assert (acks[in_anns_name["op"]]["status"], acks[in_anns_name["op"]]["code"]) == (
        "rejected", "not_allowed")

    carol = enrol(server)  # another team's adviser, knowing the ids
    hers = correction(carol, carol.name)
    ack = push(server, carol, hers)[hers["op"]]
    assert (ack["status"], ack["code"]) == ("rejected", "other_team")

    rewritten = change(ben, bens, {"words": "Something else"}, kind="append")
    rewritten["fields"] = {**bens["fields"], "words": "Something else"}
    removed = change(ben, bens, {}, kind="delete")
    acks = push(server, ben, rewritten, removed)
    for op in (rewritten, removed):
        assert (acks[op["op"]]["status"], acks[op["op"]]["code"]) == ("rejected", "not_allowed")
        assert "A correction cannot be changed or removed" in acks[op["op"]]["reason"]
    stored = held(server, bens)
    assert (stored["fields"]["words"], stored["deleted"]) == ("Maria, not Marie", False)
    assert (("visit_addenda", hers["row"]) not in stored_rows(server.database_url)
            and ("visit_addenda", in_anns_name["row"]) not in stored_rows(server.database_url))
