"""Merge rules, rule by rule, and the convergence property over three replicas (hypothesis)."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sp_desktop.domain.hlc import HlcStamp, HybridClock
from sp_desktop.sync.merge import DELETED, KEPT, RowState, conflict_id, merge
from sp_desktop.sync.protocol import (
    ROW_FIELD,
    AckStatus,
    ChangeOp,
    ConflictCopy,
    ConflictKind,
    OpKind,
)

T0 = "000000000001000-0000-srv"


def stamp(ms: int, device: str, counter: int = 0) -> str:
    return str(HlcStamp(ms, counter, device))


def op(
    kind: OpKind = OpKind.UPSERT,
    *,
    table: str = "people",
    row: str = "p1",
    fields: dict[str, Any] | None = None,
    base: dict[str, str | None] | None = None,
    hlc: str,
    op_id: str = "op",
) -> ChangeOp:
    return ChangeOp(op_id, table, row, "p1", kind, fields or {}, base or {}, hlc)


def person(**fields: Any) -> RowState:
    return RowState("people", "p1", "p1", dict(fields), dict.fromkeys(fields, T0), False, T0)


# --- the rules, one by one ---------------------------------------------------------------


def test_new_row_is_created_with_every_field_stamped() -> None:
    out = merge(None, op(fields={"address": "1 High St", "phone": "1"}, hlc=stamp(5000, "a")))
    assert out.status is AckStatus.APPLIED and out.changed and out.row is not None
    assert out.row.fields == {"address": "1 High St", "phone": "1"}
    assert out.row.versions == {"address": stamp(5000, "a"), "phone": stamp(5000, "a")}
    assert out.row.origin_device == "a" and not out.conflicts


def test_edit_based_on_current_stamp_applies_cleanly() -> None:
    out = merge(person(address="old"), op(fields={"address": "new"}, base={"address": T0},
                                          hlc=stamp(5000, "a")))
    assert out.status is AckStatus.APPLIED
    assert out.row is not None and out.row.fields["address"] == "new" and not out.conflicts


@pytest.mark.parametrize(
    ("incoming_ms", "winner", "status"),
    [(6000, "from a", AckStatus.MERGED), (4000, "from b", AckStatus.CONFLICT)],
)
def test_concurrent_text_edit_higher_stamp_wins_and_loser_is_kept(
    incoming_ms: int, winner: str, status: AckStatus
) -> None:
    held = person(address="old")
    first = merge(held, op(fields={"address": "from b"}, base={"address": T0},
                           hlc=stamp(5000, "b")))
    assert first.row is not None
    out = merge(first.row, op(fields={"address": "from a"}, base={"address": T0},
                              hlc=stamp(incoming_ms, "a")))
    assert out.status is status
    assert out.row is not None and out.row.fields["address"] == winner
    (conflict,) = out.conflicts
    loser = "from b" if winner == "from a" else "from a"
    assert conflict.kind is ConflictKind.TEXT and conflict.field == "address"
    assert (conflict.kept_value, conflict.other_value) == (winner, loser)


def test_equal_wall_time_ties_break_by_device_id() -> None:
    held = merge(person(phone="0"), op(fields={"phone": "b"}, base={"phone": T0},
                                      hlc=stamp(5000, "b"))).row
    out = merge(held, op(fields={"phone": "a"}, base={"phone": T0}, hlc=stamp(5000, "a")))
    assert out.row is not None and out.row.fields["phone"] == "b"  # "b" > "a"
    assert out.conflicts[0].kind is ConflictKind.VALUE  # not free text: logged, not for review


def test_concurrent_edits_with_the_same_value_log_nothing() -> None:
    held = merge(person(phone="0"), op(fields={"phone": "7"}, base={"phone": T0},
                                      hlc=stamp(5000, "b"))).row
    out = merge(held, op(fields={"phone": "7"}, base={"phone": T0}, hlc=stamp(6000, "a")))
    assert not out.conflicts


def test_other_fields_of_a_concurrent_edit_merge_independently() -> None:
    held = merge(person(address="x", phone="0"),
                 op(fields={"address": "b"}, base={"address": T0}, hlc=stamp(5000, "b"))).row
    out = merge(held, op(fields={"phone": "9"}, base={"phone": T0}, hlc=stamp(4000, "a")))
    assert out.status is AckStatus.APPLIED
    assert out.row is not None and out.row.fields == {"address": "b", "phone": "9"}


def test_facts_first_write_wins_and_a_repeat_is_a_no_op() -> None:
    fact = op(OpKind.APPEND, table="answers", row="f1", fields={"answers": '{"lonely":1}'},
              hlc=stamp(5000, "a"))
    first = merge(None, fact)
    again = merge(first.row, op(OpKind.APPEND, table="answers", row="f1",
                                fields={"answers": '{"lonely":2}'}, hlc=stamp(6000, "b")))
    assert again.status is AckStatus.APPLIED and not again.changed and not again.conflicts
    assert again.row is not None and again.row.fields == {"answers": '{"lonely":1}'}


def test_delete_wins_over_older_edit_and_logs_the_unseen_edit() -> None:
    edited = merge(person(address="x"), op(fields={"address": "b"}, base={"address": T0},
                                           hlc=stamp(5000, "b"))).row
    out = merge(edited, op(OpKind.DELETE, base={"address": T0}, hlc=stamp(6000, "a")))
    assert out.row is not None and out.row.deleted
    (conflict,) = out.conflicts
    assert conflict.field == ROW_FIELD and conflict.kind is ConflictKind.DELETE
    assert conflict.kept_value == DELETED and conflict.other_value == {"address": "b"}


def test_delete_carrying_only_the_row_stamp_logs_edits_stamped_after_it() -> None:
    edited = merge(person(address="x", phone="0"),
                   op(fields={"address": "b"}, base={"address": T0}, hlc=stamp(5000, "b"))).row
    out = merge(edited, op(OpKind.DELETE, base={ROW_FIELD: T0}, hlc=stamp(6000, "a")))
    assert out.row is not None and out.row.deleted
    assert out.conflicts[0].other_value == {"address": "b"}
    seen = merge(edited, op(OpKind.DELETE, base={ROW_FIELD: stamp(5000, "b")},
                            hlc=stamp(6000, "a")))
    assert seen.row is not None and seen.row.deleted and not seen.conflicts


def test_edit_newer_than_delete_survives_and_delete_is_logged() -> None:
    edited = merge(person(address="x"), op(fields={"address": "b"}, base={"address": T0},
                                           hlc=stamp(7000, "b"))).row
    out = merge(edited, op(OpKind.DELETE, base={"address": T0}, hlc=stamp(6000, "a")))
    assert out.status is AckStatus.CONFLICT
    assert out.row is not None and not out.row.deleted and out.row.fields["address"] == "b"
    assert out.conflicts[0].kept_value == KEPT and out.conflicts[0].other_value == DELETED


def test_edit_arriving_after_an_older_delete_resurrects_the_row() -> None:
    gone = merge(person(address="x"), op(OpKind.DELETE, base={"address": T0},
                                         hlc=stamp(6000, "a"))).row
    out = merge(gone, op(fields={"address": "b"}, base={"address": T0}, hlc=stamp(7000, "b")))
    assert out.row is not None and not out.row.deleted and out.row.fields["address"] == "b"
    assert out.conflicts[0].id == conflict_id("people", "p1", ROW_FIELD, stamp(6000, "a"))


def test_a_restore_by_someone_who_saw_the_delete_is_not_a_conflict() -> None:
    gone = merge(person(address="x"), op(OpKind.DELETE, base={"address": T0},
                                         hlc=stamp(6000, "a"))).row
    out = merge(gone, op(fields={"address": "x"}, base={"address": T0,
                                                        ROW_FIELD: stamp(6000, "a")},
                         hlc=stamp(7000, "b")))
    assert out.row is not None and not out.row.deleted and not out.conflicts


def test_edit_older_than_a_delete_stays_hidden_but_is_kept() -> None:
    gone = merge(person(address="x"), op(OpKind.DELETE, base={"address": T0},
                                         hlc=stamp(6000, "a"))).row
    out = merge(gone, op(fields={"address": "b"}, base={"address": T0}, hlc=stamp(5000, "b")))
    assert out.status is AckStatus.CONFLICT
    assert out.row is not None and out.row.deleted
    assert out.conflicts[0].other_value == {"address": "b"}


def test_row_cannot_move_to_another_person() -> None:
    moved = ChangeOp("o", "people", "p1", "p2", OpKind.UPSERT, {"phone": "1"}, {},
                     stamp(5000, "a"))
    assert merge(person(phone="0"), moved).status is AckStatus.REJECTED


def test_replaying_the_same_op_changes_nothing() -> None:
    edit = op(fields={"address": "b"}, base={"address": T0}, hlc=stamp(5000, "b"))
    once = merge(person(address="x"), edit)
    twice = merge(once.row, edit)
    assert not twice.changed and not twice.conflicts and twice.row == once.row


# --- three replicas, any interleaving ----------------------------------------------------

ROWS = ("p1", "p2")
FIELDS = ("address", "notes_text", "phone")  # two free-text fields and one value field


@dataclass
class Server:
    rows: dict[str, RowState] = field(default_factory=dict)
    seqs: dict[str, int] = field(default_factory=dict)
    conflicts: dict[str, ConflictCopy] = field(default_factory=dict)
    seq: int = 0

    def push(self, change: ChangeOp) -> None:
        out = merge(self.rows.get(change.row_id), change)
        assert out.status is not AckStatus.REJECTED, out.reason
        assert out.row is not None
        self.rows[change.row_id] = out.row
        if out.changed:
            self.seq += 1
            self.seqs[change.row_id] = self.seq
        for conflict in out.conflicts:
            self.conflicts.setdefault(conflict.id, conflict)

    def state(self) -> dict[str, tuple[Any, ...]]:
        return {
            key: (row.fields, row.versions, row.deleted, row.hlc)
            for key, row in sorted(self.rows.items())
        }


@dataclass
class Replica:
    """A laptop: local rows, an outbox, a cursor, and a clock that may run fast or slow."""

    device: str
    skew_ms: int
    rows: dict[str, RowState] = field(default_factory=dict)
    outbox: list[ChangeOp] = field(default_factory=list)
    cursor: int = 0
    wall: int = 10_000
    exact_deletes: bool = False
    clock: HybridClock = field(init=False)
    counter: itertools.count[int] = field(default_factory=itertools.count)

    def __post_init__(self) -> None:
        self.clock = HybridClock(self.device, now_ms=lambda: self.wall + self.skew_ms)

    def edit(self, row_id: str, name: str, value: str) -> None:
        row = self.rows.get(row_id)
        if row is not None and row.deleted:
            return  # the app offers no editing of a deleted row
        hlc = str(self.clock.now())
        base = {name: row.versions.get(name) if row else None}
        change = ChangeOp(f"{self.device}{next(self.counter)}", "people", row_id, row_id,
                          OpKind.UPSERT, {name: value}, base, hlc)
        self.outbox.append(change)
        row = row or RowState("people", row_id, row_id)
        row.fields[name], row.versions[name], row.hlc = value, hlc, hlc
        self.rows[row_id] = row

    def delete(self, row_id: str) -> None:
        row = self.rows.get(row_id)
        if row is None or row.deleted:
            return
        hlc = str(self.clock.now())
        # The app's writer sends the row's last stamp; per-field stamps make race logging exact.
        base: dict[str, str | None] = (
            dict(row.versions) if self.exact_deletes else {ROW_FIELD: row.hlc}
        )
        self.outbox.append(ChangeOp(f"{self.device}{next(self.counter)}", "people", row_id,
                                    row_id, OpKind.DELETE, {}, base, hlc))
        row.deleted, row.hlc = True, hlc

    def push(self, server: Server, count: int | None = None) -> None:
        sending = self.outbox if count is None else self.outbox[:count]
        for change in sending:
            server.push(change)
        self.outbox = self.outbox[len(sending):]

    def pull(self, server: Server) -> None:
        pending: dict[str, set[str]] = {}
        pending_delete: set[str] = set()
        for change in self.outbox:
            pending.setdefault(change.row_id, set()).update(change.fields)
            if change.kind is OpKind.DELETE:
                pending_delete.add(change.row_id)
        for row_id, seq in server.seqs.items():
            if seq <= self.cursor:
                continue
            theirs = server.rows[row_id].copy()
            mine = self.rows.get(row_id)
            for name in pending.get(row_id, ()):  # keep what is still waiting to go up
                assert mine is not None
                theirs.fields[name], theirs.versions[name] = mine.fields[name], mine.versions[name]
            theirs.deleted = theirs.deleted or row_id in pending_delete
            self.rows[row_id] = theirs
            for stamp_text in [theirs.hlc, *theirs.versions.values()]:
                self.clock.receive(HlcStamp.parse(stamp_text))
        self.cursor = server.seq


def _seeded(server: Server, replicas: list[Replica]) -> None:
    seed = Replica("seed", 0)
    for row_id in ROWS:
        for name in FIELDS:
            seed.edit(row_id, name, f"{row_id}-{name}-0")
    seed.push(server)
    for replica in replicas:
        replica.pull(server)


action = st.one_of(
    st.tuples(st.just("edit"), st.integers(0, 2), st.sampled_from(ROWS + ("p3",)),
              st.sampled_from(FIELDS), st.integers(0, 4)),
    st.tuples(st.just("delete"), st.integers(0, 2), st.sampled_from(ROWS + ("p3",))),
    st.tuples(st.just("push"), st.integers(0, 2), st.integers(0, 3)),
    st.tuples(st.just("pull"), st.integers(0, 2)),
    st.tuples(st.just("tick"), st.integers(0, 2), st.integers(0, 3)),
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    skews=st.tuples(*[st.integers(-3, 3) for _ in range(3)]),
    actions=st.lists(action, max_size=40),
)
def test_any_interleaving_converges_once_everyone_has_synced(
    skews: tuple[int, int, int], actions: list[tuple[Any, ...]]
) -> None:
    server = Server()
    replicas = [Replica(name, skew) for name, skew in zip("abc", skews, strict=True)]
    _seeded(server, replicas)
    for kind, index, *args in actions:
        replica = replicas[index]
        if kind == "edit":
            row_id, name, value = args
            replica.edit(row_id, name, f"{replica.device}{value}")
        elif kind == "delete":
            replica.delete(args[0])
        elif kind == "push":
            replica.push(server, args[0] or None)
        elif kind == "pull":
            replica.pull(server)
        else:
            replica.wall += args[0]  # some laptops wait, so wall clocks can tie
    for replica in replicas:
        replica.push(server)
    for replica in replicas:
        replica.pull(server)
    expected = server.state()
    for replica in replicas:
        mine = {key: (r.fields, r.versions, r.deleted, r.hlc) for key, r in
                sorted(replica.rows.items())}
        assert mine == expected, replica.device


def _offline_scripts() -> st.SearchStrategy[list[list[tuple[Any, ...]]]]:
    step = st.one_of(
        st.tuples(st.just("edit"), st.sampled_from(ROWS), st.sampled_from(FIELDS),
                  st.integers(0, 3)),
        st.tuples(st.just("delete"), st.sampled_from(ROWS)),
        st.tuples(st.just("tick"), st.integers(0, 2)),
    )
    return st.lists(st.lists(step, max_size=6), min_size=3, max_size=3)


def _record(replica: Replica, script: list[tuple[Any, ...]]) -> list[ChangeOp]:
    for kind, *args in script:
        if kind == "edit":
            replica.edit(args[0], args[1], f"{replica.device}{args[2]}")
        elif kind == "delete":
            replica.delete(args[0])
        else:
            replica.wall += args[0]
    return list(replica.outbox)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    scripts=_offline_scripts(),
    skews=st.tuples(*[st.integers(-2, 2) for _ in range(3)]),
    orders=st.lists(st.permutations(list(range(18))), min_size=2, max_size=2),
)
def test_delivery_order_at_the_server_does_not_change_the_outcome(
    scripts: list[list[tuple[Any, ...]]], skews: tuple[int, int, int], orders: list[list[int]]
) -> None:
    """Three laptops edit offline from the same state; the server's result, and the record of
    what lost, is the same whichever laptop's changes arrive first (each laptop's own changes
    keep their order)."""
    outcomes = []
    for order in orders:
        server = Server()
        replicas = [Replica(name, skew, exact_deletes=True)
                    for name, skew in zip("abc", skews, strict=True)]
        _seeded(server, replicas)
        queues = [_record(r, s) for r, s in zip(replicas, scripts, strict=True)]
        # A permutation of slots picks which laptop's next change the server sees next.
        slots = [i % 3 for i in order]
        sent = []
        for who in slots:
            if queues[who]:
                change = queues[who].pop(0)
                server.push(change)
                sent.append(change)
        for queue in queues:
            for change in queue:
                server.push(change)
                sent.append(change)
        outcomes.append(server)
        _assert_nothing_silently_dropped(server, sent)
    first, second = outcomes
    assert first.state() == second.state()
    assert _final_words_lost(first, sent) == _final_words_lost(second, sent)


def _final_words_lost(server: Server, sent: list[ChangeOp]) -> set[tuple[str, str, Any]]:
    """Logged losses of each laptop's last word on a field that did not become the value.

    (A value that lost and was then re-typed by its own laptop may or may not be logged,
    depending on order; that is noise, so it is left out of the comparison.)
    """
    last_word: dict[tuple[str, str, str], str] = {}
    for change in sent:
        for name in change.fields:
            last_word[(change.row_id, name, change.hlc[21:])] = change.hlc
    return {
        (c.row_id, c.field, c.other_value)
        for c in server.conflicts.values()
        if c.field != ROW_FIELD
        and c.other_hlc == last_word.get((c.row_id, c.field, (c.other_hlc or "")[21:]))
        and server.rows[c.row_id].fields.get(c.field) != c.other_value
    }


def _assert_nothing_silently_dropped(server: Server, sent: list[ChangeOp]) -> None:
    """Every value typed survives in the row, or in the conflict log, or was overwritten or
    deleted later by the same laptop that typed it."""
    for index, change in enumerate(sent):
        if change.kind is OpKind.DELETE:
            continue
        row = server.rows[change.row_id]
        later_own = [c for c in sent[index + 1:] if c.hlc.endswith("-" + change.hlc[21:])]
        for name, value in change.fields.items():
            if not row.deleted and row.fields.get(name) == value:
                continue
            if any(c.kind is OpKind.DELETE or name in c.fields for c in later_own
                   if c.row_id == change.row_id):
                continue
            logged = [c for c in server.conflicts.values() if c.row_id == change.row_id]
            assert any(
                (c.field == name and c.other_value == value)
                or (c.field == ROW_FIELD and isinstance(c.other_value, dict)
                    and c.other_value.get(name) == value)
                for c in logged
            ), (name, value)
