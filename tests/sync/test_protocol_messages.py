"""The sync messages are one definition on both sides: what the app writes the office reads
back as the same request, every answer survives its own wire form, and the protocol knows
exactly the tables the store syncs."""

from __future__ import annotations

from typing import Any

import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st

from sp_desktop.server.models import RegisterIn, SyncIn
from sp_desktop.store.schema import SYNCED_TABLES
from sp_desktop.sync.protocol import (
    TABLES,
    Ack,
    AckStatus,
    ChangeOp,
    OpKind,
    RegisterAnswer,
    RegisterRequest,
    SyncAnswer,
    SyncRequest,
    Verdict,
)

ids = st.text("abcdef0123456789", min_size=8, max_size=32)
stamps = st.builds(lambda wall, device: f"{wall:015d}-0000-{device}",
                   st.integers(0, 10**15 - 1), ids)
scalars = st.one_of(st.none(), st.booleans(), st.integers(-(2**31), 2**31),
                    st.text(max_size=40))
field_names = st.sampled_from(["given_name", "notes", "visit_date", "score"])

ops = st.builds(
    ChangeOp,
    op_id=ids, table=st.sampled_from(sorted(TABLES)), row_id=ids,
    person_id=st.one_of(st.none(), ids), kind=st.sampled_from(list(OpKind)),
    fields=st.dictionaries(field_names, scalars, max_size=3),
    base=st.dictionaries(field_names, st.one_of(st.none(), stamps), max_size=3),
    hlc=stamps,
)
requests = st.builds(
    SyncRequest,
    cursor=st.integers(0, 10**12), ops=st.lists(ops, max_size=4).map(tuple),
    resolved=st.lists(ids, max_size=3).map(tuple),
    limit=st.one_of(st.none(), st.integers(1, 5000)), pull=st.booleans(),
    check=st.one_of(st.none(), st.dictionaries(
        st.sampled_from(sorted(TABLES)),
        st.tuples(st.integers(0, 1000), st.text("0123456789abcdef", min_size=64, max_size=64)),
        max_size=3)),
    tables=st.one_of(st.none(), st.lists(st.sampled_from(sorted(TABLES)), max_size=3)
                     .map(tuple)),
    team=st.one_of(st.none(), st.text(min_size=1, max_size=20)),
    training=st.booleans(),
)
acks = st.builds(Ack, op=ids, status=st.sampled_from(list(AckStatus)),
                 reason=st.text(max_size=30), conflicts=st.lists(ids, max_size=2).map(tuple))
answers = st.builds(
    SyncAnswer,
    cursor=st.integers(0, 10**12), acks=st.lists(acks, max_size=4).map(tuple),
    more=st.booleans(), reset=st.booleans(), team=st.text(max_size=20),
    notice=st.one_of(st.none(), st.text(max_size=30)),
    check=st.one_of(st.none(), st.builds(Verdict, st.sampled_from(["ok", "mismatch", "busy"]),
                                         st.lists(ids, max_size=2).map(tuple))),
    restore=st.one_of(st.none(), st.sampled_from(["team_changed", "cursor_too_old"])),
    retired=st.booleans(), token=st.one_of(st.none(), ids),
    lease_seconds=st.one_of(st.none(), st.integers(1, 10**8)),
)


def _over_the_wire(wire: dict[str, Any]) -> dict[str, Any]:
    decoded: dict[str, Any] = orjson.loads(orjson.dumps(wire))
    return decoded


@given(requests)
def test_the_office_reads_back_exactly_the_request_the_app_wrote(request: SyncRequest) -> None:
    assert SyncIn.model_validate(_over_the_wire(request.to_wire())).to_request() == request


@given(answers)
def test_the_app_reads_back_exactly_the_answer_the_office_wrote(answer: SyncAnswer) -> None:
    assert SyncAnswer.from_wire(_over_the_wire(answer.to_wire())) == answer


def test_registration_messages_read_back_and_never_show_the_password() -> None:
    request = RegisterRequest(adviser="Ann", password="copper kettle drizzle",
                              device_id="abcdef0123456789", label="Ann's laptop", training=True)
    assert RegisterIn.model_validate(_over_the_wire(request.to_wire())).to_request() == request
    assert "copper" not in repr(request)
    answer = RegisterAnswer(device_id="abcdef0123456789", token="t", team="North",
                            role="adviser", lease_seconds=60)
    assert RegisterAnswer.from_wire(_over_the_wire(answer.to_wire())) == answer


@pytest.mark.parametrize("wire", [{}, {"cursor": "7"}, {"cursor": 1, "acks": [{"op": "x"}]},
                                  {"cursor": 1, "acks": [{"op": "x", "status": "maybe"}]},
                                  {"cursor": True}])
def test_an_answer_of_the_wrong_shape_is_refused_not_half_read(wire: dict[str, Any]) -> None:
    with pytest.raises((KeyError, TypeError, ValueError)):
        SyncAnswer.from_wire(wire)


def test_the_protocol_knows_exactly_the_tables_the_store_syncs() -> None:
    assert set(TABLES) == {table.name for table in SYNCED_TABLES}
