"""Applying a pushed batch and serving pulls; the merge itself lives in `sp_desktop.sync.merge`.

A push is one transaction: receipts first (a retried op gets its stored answer), then each op
is checked on its own against the rules the laptop applies (`domain.rows`: known fields, valid
values, a stamp not ahead of the office's clock), then the team of every person it touches and
the rows it refers to (the person and parents must be at the office, in the device's team), then
the merge, and the merged row is checked again (a new row must carry its required fields). An op
that fails any check is refused on its own, with a reason in words; the rest of the batch
applies. Last come the sequence numbers, taken from the counter row whose lock is held to commit.

Pulls read the counter first and serve only rows at or below it, all committed. A stored row
that cannot be served (an unreadable stamp, or one the office would refuse today) is
quarantined: skipped, logged without personal data, counted in the answer; the rest flows.
"""

from __future__ import annotations

import functools
import heapq
import logging
import random
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from typing import Any, TypeAlias

import orjson
from sqlalchemy import Connection, Engine, Row, or_, select
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError

from sp_desktop.domain.errors import ValidationError
from sp_desktop.domain.hlc import (
    MAX_CLOCK_AHEAD_MS,
    HlcStamp,
    HybridClock,
    too_far_ahead,
    wall_now_ms,
)
from sp_desktop.domain.ids import new_id
from sp_desktop.domain.retention import closed_beyond, latest_by_person
from sp_desktop.domain.rows import ROWS, office_today
from sp_desktop.server.accounts import DeviceContext, Role, now_text
from sp_desktop.server.consent import HeldConsents, asks_consent
from sp_desktop.server.db import (
    SEQ_COUNTER,
    advisers,
    conflicts,
    counters,
    devices,
    read_transaction,
    rows,
    write_transaction,
)
from sp_desktop.server.erasure import ERASED_REASON, erased_among
from sp_desktop.sync.divergence import (
    CHECK_BUSY,
    CHECK_MISMATCH,
    CHECK_OK,
    EMPTY,
    ContentRow,
    digest,
    legacy_digest,
    office_row,
)
from sp_desktop.sync.merge import RowState, device_of, merge
from sp_desktop.sync.protocol import (
    ROW_FIELD,
    TABLES,
    AckStatus,
    ChangeOp,
    ConflictCopy,
    OpKind,
    RejectCode,
    TableKind,
    UnreadableOp,
)

log = logging.getLogger(__name__)

PEOPLE = "people"
DIRECTORY = "services"
OFFICE_DEVICE = "office"  # the clock stamp device of directory entries published by the office
_RETRIES = 6
_CHUNK = 400  # ids per IN (...) list


class OtherTeam(Exception):
    """The batch touches a person of another team; nothing of it is stored."""


OTHER_TEAM_REASON = (
    "this person is in another team's caseload (perhaps you moved team), so the office did "
    "not store this change; please ask your office to pass it on")
CLOCK_AHEAD_REASON = (
    f"This laptop's clock is more than {MAX_CLOCK_AHEAD_MS // 60_000} minutes ahead of the "
    "office's, so the office did not store this change. Please set the laptop's date and "
    "time correctly, then make the change again.")
NO_PERSON_REASON = (
    "The person this change belongs to is not at the office (their record was refused or has "
    "not been sent), so it was not stored.")
SIGNED_OVER_A_CHANGE_REASON = (
    "Someone else changed this visit at the office after this laptop last had it, so the "
    "office did not sign it: a signature must cover what the signer read. The visit now "
    "shows their change and is not signed; please read it again and sign it.")
Refusal: TypeAlias = tuple[RejectCode, str]


@dataclass(slots=True)
class PushResult:
    acks: list[dict[str, Any]]
    applied: int = 0
    conflicts: int = 0
    rejected: int = 0
    replayed: int = 0
    # The rows of replayed ops as they stand now, in pulled-row form (see `_replayed_rows`).
    rows: list[dict[str, Any]] = field(default_factory=list)
    # Rows this push wrote exactly as the device sent them (every op on them applied, none
    # merged or refused): (table, row id) -> (the seq written, the row's seq before it, None
    # for a new row). See `is_echo`: the device already holds these and is not sent them back.
    own: dict[tuple[str, str], tuple[int, int | None]] = field(default_factory=dict)


def is_echo(row: dict[str, Any], own: dict[tuple[str, str], tuple[int, int | None]],
            cursor: int) -> bool:
    """Whether a pulled row is only the device's own write coming back: written by this
    request's push as sent, still at that seq, over a state the device had already pulled
    (at or below its cursor). Then the device's copy is the office's, and sending it (a first
    upload of 170,000 rows received them all again) would only cost both ends."""
    return _echo(own, row["table"], row["row"], row["seq"], cursor)


def _echo(own: dict[tuple[str, str], tuple[int, int | None]], table: str, row_id: str,
          seq: int, cursor: int) -> bool:
    mine = own.get((table, row_id))
    if mine is None or mine[0] != seq:
        return False
    before = mine[1]
    return before is None or before <= cursor


@dataclass(slots=True)
class Page:
    rows: list[dict[str, Any]]
    conflicts: list[dict[str, Any]]
    cursor: int
    more: bool
    reset: bool = False
    directory_rows: int = field(default=0)
    quarantined: int = 0  # stored rows that could not be served (see `_servable`)


def stamp_time(stamp: str) -> str:
    """The wall time inside a clock stamp, as ISO text; "" for a stamp that is not a time.

    Never raises: a stamp of year 33658 (wall 999999999999999) or garbage gives "".
    """
    try:
        millis = HlcStamp.parse(stamp).wall_ms
        return datetime.fromtimestamp(millis / 1000, UTC).isoformat(timespec="milliseconds")
    except (ValueError, OverflowError, OSError, TypeError):
        return ""


def _chunks(items: Sequence[Any]) -> Iterable[Sequence[Any]]:
    for start in range(0, len(items), _CHUNK):
        yield items[start : start + _CHUNK]


def _retryable(exc: DBAPIError) -> bool:
    """Races between workers that a fresh attempt settles: a concurrent insert of the same row,
    receipt or person; a PostgreSQL deadlock or serialization failure; a busy SQLite file."""
    if isinstance(exc, IntegrityError):
        return True
    code = getattr(exc.orig, "sqlstate", None)
    if code in {"40001", "40P01"}:
        return True
    return isinstance(exc, OperationalError) and "locked" in str(exc.orig)


class _Driver:
    """The push path's statements as the driver's own SQL, written once.

    A push runs a dozen statements over a few hundred rows; building and compiling them as
    SQLAlchemy Core per push (expanding IN lists, bind processors per value) cost more than
    storing the rows. Driver SQL through `exec_driver_sql` keeps SQLAlchemy's transaction,
    error wrapping (a race is still a retryable `DBAPIError`) and hidden parameters. SQL is
    written with `?` and turned into psycopg's `%s` once per statement.
    """

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.postgres = conn.dialect.name == "postgresql"

    def sql(self, text: str) -> str:
        return _pyformat(text) if self.postgres else text

    def all(self, text: str, params: tuple[Any, ...] = ()) -> list[Any]:
        return list(self.conn.exec_driver_sql(self.sql(text), params).fetchall())

    def many(self, text: str, params: list[tuple[Any, ...]]) -> None:
        if params:
            self.conn.exec_driver_sql(self.sql(text), params)

    def among(self, text: str, fixed: tuple[Any, ...], values: Sequence[str]) -> list[Any]:
        """Rows of a query whose `{in}` takes a list of values: one array on PostgreSQL,
        chunks of placeholders on SQLite. `fixed` parameters come before the list."""
        if not values:
            return []
        if self.postgres:
            return self.all(text.replace("{in}", "= ANY(?)"), (*fixed, list(values)))
        found: list[Any] = []
        for chunk in _chunks(values):
            found.extend(self.all(text.replace("{in}", f"IN ({_marks(len(chunk))})"),
                                  (*fixed, *chunk)))
        return found


@functools.lru_cache(maxsize=256)
def _pyformat(text: str) -> str:
    return text.replace("%", "%%").replace("?", "%s")


@functools.lru_cache(maxsize=32)
def _marks(count: int) -> str:
    return ",".join("?" * count)


# --- push -----------------------------------------------------------------------------------


def push(
    engine: Engine,
    ctx: DeviceContext,
    ops: Sequence[ChangeOp | UnreadableOp],
    resolved: Sequence[str] = (),
    *,
    also: Callable[[Connection], None] | None = None,
) -> PushResult:
    """Applies the batch in one transaction, retrying races with other workers.

    `also` writes whatever else belongs in the same transaction (the device's own line), so a
    push costs one durable commit."""
    for attempt in range(_RETRIES):
        try:
            with write_transaction(engine) as conn:
                answer = _push(conn, ctx, ops, resolved)
                if also is not None:
                    also(conn)
                return answer
        except DBAPIError as exc:
            if attempt == _RETRIES - 1 or not _retryable(exc):
                raise
            log.info("push raced another worker (%s); retrying", type(exc).__name__)
            time.sleep(random.uniform(0.005, 0.05) * (attempt + 1))
    raise AssertionError("unreachable")


def _person_of(op: ChangeOp) -> str | None:
    return op.row_id if op.table == PEOPLE and op.person_id is None else op.person_id


def _refusal(ctx: DeviceContext, op: ChangeOp, now_ms: int, today: Any) -> Refusal | None:
    """Why this one op cannot be stored, judged on the op alone (it is moved aside; the rest
    of the batch goes on): who may write the table, its stamp, and its fields by the rules."""
    spec = TABLES.get(op.table)
    if spec is None:
        return RejectCode.INVALID, (
            f"this server does not know the table {op.table!r}; please update the server")
    if spec.kind is TableKind.DIRECTORY and ctx.role is not Role.MANAGER:
        return RejectCode.NOT_ALLOWED, "the directory of services is read-only for advisers"
    if spec.person_scoped and _person_of(op) is None:
        return RejectCode.INVALID, "a change to a person's record must name the person"
    if op.table == PEOPLE and op.person_id not in (None, op.row_id):
        return RejectCode.INVALID, "a person's own row must name that person"
    if device_of(op.hlc) != ctx.device_id:
        return RejectCode.NOT_ALLOWED, "the change is stamped by another device"
    if op.kind is OpKind.APPEND and spec.kind is not TableKind.FACT:
        return RejectCode.INVALID, f"{op.table!r} is not an append-only table"
    try:
        stamp = HlcStamp.parse(op.hlc)
    except ValueError:
        return RejectCode.UNREADABLE, "The change's clock stamp cannot be read."
    if too_far_ahead(stamp, now_ms):
        return RejectCode.CLOCK_AHEAD, CLOCK_AHEAD_REASON
    rules = ROWS.get(op.table)
    if rules is not None and op.fields:
        named = op.fields.get("person_id", op.person_id)
        if named != op.person_id:
            return RejectCode.INVALID, "The change names two different people."
        try:
            rules.check_fields(op.fields, today)
        except ValidationError as exc:
            return RejectCode.INVALID, exc.message
    return None


def _rejected(op_id: str, refusal: Refusal) -> dict[str, Any]:
    code, reason = refusal
    return {"op": op_id, "status": AckStatus.REJECTED.value, "reason": reason,
            "code": code.value}


def _push(
    conn: Connection,
    ctx: DeviceContext,
    ops: Sequence[ChangeOp | UnreadableOp],
    resolved: Sequence[str],
) -> PushResult:
    result = PushResult(acks=[])
    db = _Driver(conn)
    stored: dict[str, dict[str, Any]] = {
        op_id: orjson.loads(text) for op_id, text in db.among(
            "SELECT op_id, result FROM receipts WHERE device_id = ? AND op_id {in}",
            (ctx.device_id,), [op.op_id for op in ops])
    }
    answers: dict[str, dict[str, Any]] = {}
    fresh: list[ChangeOp] = []
    seen: set[str] = set()
    now_ms = wall_now_ms()
    today = office_today(datetime.now(UTC).date())
    for op in ops:
        if op.op_id in stored or op.op_id in seen:
            continue
        seen.add(op.op_id)
        if isinstance(op, UnreadableOp):
            answers[op.op_id] = _rejected(op.op_id, (RejectCode.UNREADABLE, op.reason))
            continue
        named = op.table == PEOPLE and op.person_id is None  # a person is their own person
        op = replace(op, person_id=op.row_id) if named else op
        refusal = _refusal(ctx, op, now_ms, today)
        if refusal is not None:
            answers[op.op_id] = _rejected(op.op_id, refusal)
            continue
        fresh.append(op)

    # Another team's people (say the adviser moved team) are refused op by op below, and
    # their rows are never loaded; the rest of the batch applies.
    teams = _teams_of(db, fresh)
    foreign = {person for person, team in teams.items() if team != ctx.team_id}
    seq_before: dict[tuple[str, str], int] = {}
    current, foreign_rows = _lock_rows(
        db, ctx, [op for op in fresh if _person_of(op) not in foreign], seq_before)
    existed = set(current)
    parents = _parents(db, fresh)
    claims: list[str] = []

    touched: dict[tuple[str, str], None] = {}  # ordered set: the order changes happened in
    # Rows where an op was refused or merged: the device's copy may differ from the office's.
    not_as_sent: set[tuple[str, str]] = {(op.table, op.row_id) for op in ops
                                         if isinstance(op, ChangeOp)
                                         and (op.op_id in answers or op.op_id in stored)}
    new_conflicts: dict[str, tuple[ConflictCopy, int | None]] = {}
    signatures = _Signatures(conn, ctx)
    erased = erased_among(conn, (_person_of(op) or "" for op in fresh))
    consents = HeldConsents(conn, (_person_of(op) or "" for op in fresh if asks_consent(op)))
    for op in fresh:
        key = (op.table, op.row_id)
        person = _person_of(op)
        if person in erased:  # nothing waiting on a laptop brings an erased person back
            refusal = (RejectCode.NOT_ALLOWED, ERASED_REASON)
        elif person in foreign or key in foreign_rows:
            refusal = (RejectCode.OTHER_TEAM, OTHER_TEAM_REASON)
        else:
            refusal = (_parent_refusal(ctx, op, teams, parents)
                       or signatures.refusal(op, current.get(key)))
        if refusal is None and (words := consents.refusal(op, person)) is not None:
            refusal = (RejectCode.NO_CONSENT, words)  # the laptop's own gate, applied again
        outcome = None
        if refusal is None:
            outcome = merge(current.get(key), op)
            if outcome.status is AckStatus.REJECTED or outcome.row is None:
                refusal = (RejectCode.INVALID, outcome.reason or "refused")
            else:
                refusal = _row_refusal(op, current.get(key), outcome.row, outcome.changed)
        if refusal is not None or outcome is None or outcome.row is None:
            answers[op.op_id] = _rejected(op.op_id, refusal or (RejectCode.INVALID, "refused"))
            not_as_sent.add(key)
            continue
        if outcome.status is not AckStatus.APPLIED or outcome.conflicts:
            not_as_sent.add(key)
        current[key] = outcome.row
        consents.applied(person, outcome.row)
        if person is not None and person not in teams and _person_scoped(op.table):
            teams[person] = ctx.team_id  # a new person, claimed for this team below
            claims.append(person)
        team_of_row = None if TABLES[op.table].kind is TableKind.DIRECTORY else ctx.team_id
        parents[key] = (outcome.row.person_id, team_of_row)
        if outcome.changed:
            touched.pop(key, None)
            touched[key] = None
        team = None if TABLES[op.table].kind is TableKind.DIRECTORY else ctx.team_id
        for conflict in outcome.conflicts:
            new_conflicts.setdefault(conflict.id, (conflict, team))
        ack: dict[str, Any] = {"op": op.op_id, "status": outcome.status.value}
        if outcome.conflicts:
            ack["conflicts"] = [c.id for c in outcome.conflicts]
        if outcome.reason:
            ack["reason"] = outcome.reason
        answers[op.op_id] = ack
        result.applied += 1

    result.rejected = sum(1 for a in answers.values() if a["status"] == AckStatus.REJECTED.value)
    db.many("INSERT INTO person_scope (person_id, team_id) VALUES (?, ?)",
            [(p, ctx.team_id) for p in claims])
    for (conflict_id,) in db.among("SELECT id FROM conflicts WHERE id {in}", (),
                                   list(new_conflicts)):
        new_conflicts.pop(conflict_id, None)  # the same loss, logged by an earlier push
    resolvable = _resolvable(conn, ctx, resolved) if resolved else []
    result.conflicts = len(new_conflicts)

    count = len(touched) + len(new_conflicts) + len(resolvable)
    if count:
        # The counter row's lock is held to commit: seqs become visible in order.
        (top,) = db.all("UPDATE counters SET value = value + ? WHERE name = ? RETURNING value",
                        (count, SEQ_COUNTER))[0]
        top = int(top)
        seqs = iter(range(top - count + 1, top + 1))
        for written, key in enumerate(touched, start=top - count + 1):
            if key not in not_as_sent:
                result.own[key] = (written, seq_before.get(key))
        _write_rows(db, ctx, [current[key] for key in touched], existed, seqs)
        _write_conflicts(db, new_conflicts.values(), seqs)
        stamp = now_text()
        for conflict_id in resolvable:
            conn.execute(
                conflicts.update()
                .where(conflicts.c.id == conflict_id)
                .values(resolved_at=stamp, seq=next(seqs))
            )
    if answers:
        stamp = now_text()
        db.many("INSERT INTO receipts (device_id, op_id, result, created_at) VALUES (?, ?, ?, ?)",
                [(ctx.device_id, op_id, orjson.dumps(ack).decode(), stamp)
                 for op_id, ack in answers.items()])
    for op in ops:
        if op.op_id in stored:
            result.replayed += 1
            result.acks.append(stored[op.op_id])
        else:
            result.acks.append(answers[op.op_id])
    replayed = [op for op in ops if isinstance(op, ChangeOp) and op.op_id in stored
                and stored[op.op_id].get("status") != AckStatus.REJECTED.value]
    if replayed:
        result.rows = _replayed_rows(conn, ctx, replayed)
    return result


def _replayed_rows(
    conn: Connection, ctx: DeviceContext, ops: Sequence[ChangeOp]
) -> list[dict[str, Any]]:
    """The rows of ops answered from their receipt, as they stand now.

    A replayed op was applied by an earlier push whose answer the laptop never read. Since
    then the laptop may have pulled the row while this op still waited, keeping its own value
    (a waiting edit always does) and moving its cursor past the row; the op changes nothing
    now, so the row would never be sent again. Sending it with the acknowledgement lets the
    laptop, which drops the op first, take the office's row: the value that won, the delete
    that held, the fact as stored (conflict copies travel by seq as always).
    """
    wanted: dict[str, set[str]] = {}
    for op in ops:
        wanted.setdefault(op.table, set()).add(op.row_id)
    found: list[Row[Any]] = []
    for table_name, row_ids in sorted(wanted.items()):
        for chunk in _chunks(sorted(row_ids)):
            found.extend(
                row for row in conn.execute(
                    select(rows).where(rows.c.table_name == table_name,
                                       rows.c.row_id.in_(chunk))
                )
                if row.team_id is None or row.team_id == ctx.team_id
            )
    served, _quarantined = _serve(found)  # one the office cannot serve stays out, as in pulls
    return served


def _teams_of(db: _Driver, ops: Sequence[ChangeOp]) -> dict[str, int]:
    """The team of every person of the batch the office knows. A person it does not know
    yet is claimed for the device's team only when their own record is stored (see `_push`);
    another team's people are refused op by op."""
    people = sorted({p for op in ops if _person_scoped(op.table)
                     and (p := op.person_id) is not None})
    return {person: int(team) for person, team in db.among(
        "SELECT person_id, team_id FROM person_scope WHERE person_id {in}", (), people)}


ParentRows: TypeAlias = dict[tuple[str, str], tuple[str | None, int | None]]


def _parents(db: _Driver, ops: Sequence[ChangeOp]) -> ParentRows:
    """(person, team) of every row the batch's ops refer to (a concern's visit, a rating's
    concern, a prescription's activity), as the office holds them before the batch."""
    wanted: dict[str, set[str]] = {}
    for op in ops:
        rules = ROWS.get(op.table)
        if rules is None:
            continue
        for name, ref in rules.refs.items():
            value = op.fields.get(name)
            if name != "person_id" and isinstance(value, str):
                wanted.setdefault(ref.parent, set()).add(value)
    found: ParentRows = {}
    for table_name, row_ids in sorted(wanted.items()):
        for row_id, person_id, team_id in db.among(
            "SELECT row_id, person_id, team_id FROM rows WHERE table_name = ? AND row_id {in}",
            (table_name,), sorted(row_ids),
        ):
            found[(table_name, row_id)] = (person_id, team_id)
    return found


def _parent_refusal(
    ctx: DeviceContext, op: ChangeOp, teams: dict[str, int], parents: ParentRows
) -> Refusal | None:
    """The person and the rows an op refers to must be at the office, in the device's team
    (held before the batch, or stored earlier in it), and a child's parent the same person's."""
    person = _person_of(op)
    if _person_scoped(op.table) and op.table != PEOPLE and person not in teams:
        return RejectCode.UNKNOWN_PARENT, NO_PERSON_REASON
    rules = ROWS.get(op.table)
    if rules is None:
        return None
    for name, ref in rules.refs.items():
        value = op.fields.get(name)
        if name == "person_id" or not isinstance(value, str):
            continue
        held = parents.get((ref.parent, value))
        if held is None:
            return RejectCode.UNKNOWN_PARENT, f"{ref.label} it refers to is not at the office."
        parent_person, parent_team = held
        if parent_team is not None and parent_team != ctx.team_id:
            return RejectCode.OTHER_TEAM, (
                f"{ref.label} it refers to is in another team's caseload.")
        if ref.same_person and parent_person != person:
            return RejectCode.INVALID, f"{ref.label} it refers to is someone else's."
    return None


class _Signatures:
    """Signed means signed, judged against the row as held now (earlier ops of the same batch
    included, so the last edits before signing and the signing itself both go through).

    Nothing of a final row changes and it is not deleted (`RowRules.check_edit`); a signer or
    writer is named only as the device's own adviser (`RowRules.check_authors`); and a
    signature covers what its signer saw: signing is refused when a field changed at the
    office after the signing laptop last held it (someone else's words are never signed
    in another adviser's name).
    """

    def __init__(self, conn: Connection, ctx: DeviceContext) -> None:
        self.conn, self.ctx = conn, ctx
        self._adviser: str | None = None

    def adviser(self) -> str:
        """The device's adviser's name, read once per push and only when a signature needs it."""
        if self._adviser is None:
            found = self.conn.execute(
                select(advisers.c.name).where(advisers.c.id == self.ctx.adviser_id)
            ).scalar_one_or_none()
            self._adviser = str(found or "")
        return self._adviser

    def refusal(self, op: ChangeOp, before: RowState | None) -> Refusal | None:
        rules = ROWS.get(op.table)
        if rules is None or (rules.sealing is None and not rules.authors):
            return None
        held = before.fields if before is not None and before.versions else None
        try:
            if op.kind is OpKind.DELETE:
                if before is not None and not before.deleted:
                    rules.check_delete(held)
                return None
            rules.check_edit(held, op.fields)
            if rules.authors.keys() & op.fields.keys():
                rules.check_authors(held, op.fields, self.adviser())
        except ValidationError as exc:
            return RejectCode.NOT_ALLOWED, exc.message
        if before is not None and rules.seals(held, op.fields):
            for name, based_on in op.base.items():
                now = before.versions.get(name)
                if (name not in op.fields and name != ROW_FIELD and based_on is not None
                        and now is not None and now != based_on):
                    return RejectCode.NOT_ALLOWED, SIGNED_OVER_A_CHANGE_REASON
        return None


def _row_refusal(
    op: ChangeOp, before: RowState | None, after: RowState, changed: bool
) -> Refusal | None:
    """The row as it would be stored, checked whole: a new row must carry its required
    fields; every row must stay consistent across fields (a signed visit names its signer)."""
    rules = ROWS.get(op.table)
    if rules is None or op.kind is OpKind.DELETE or after.deleted or not changed:
        return None
    row = after.fields
    if "person_id" in rules.fields and after.person_id is not None:
        row = {**row, "person_id": after.person_id}
    new = before is None or not before.versions
    try:
        rules.check_row(row, required=new)
    except ValidationError as exc:
        return RejectCode.INVALID, exc.message
    return None


def _person_scoped(table: str) -> bool:
    spec = TABLES.get(table)
    return spec is not None and spec.person_scoped


_ROW_COLUMNS = ("table_name, row_id, person_id, team_id, fields, versions, deleted, hlc, "
                "origin_device, created_hlc, seq")


def _lock_rows(
    db: _Driver, ctx: DeviceContext, ops: Sequence[ChangeOp],
    seq_before: dict[tuple[str, str], int] | None = None,
) -> tuple[dict[tuple[str, str], RowState], set[tuple[str, str]]]:
    """Loads (and on PostgreSQL locks, in key order so workers never deadlock) the rows; rows
    held under another team are not loaded but named, so their ops are refused one by one.
    `seq_before` receives each loaded row's seq."""
    by_table: dict[str, set[str]] = {}
    for op in ops:
        by_table.setdefault(op.table, set()).add(op.row_id)
    current: dict[tuple[str, str], RowState] = {}
    foreign: set[tuple[str, str]] = set()
    lock = " FOR UPDATE" if db.postgres else ""  # SQLite: the write lock is the file's
    # One table at a time (a row-value IN makes SQLite scan the table), in key order.
    for table_name, row_ids in sorted(by_table.items()):
        found = db.among(
            f"SELECT {_ROW_COLUMNS} FROM rows WHERE table_name = ? AND row_id {{in}} "
            f"ORDER BY row_id{lock}", (table_name,), sorted(row_ids))
        for row in found:
            team_id = row[3]
            if team_id is not None and team_id != ctx.team_id:
                foreign.add((row[0], row[1]))
                continue
            current[(row[0], row[1])] = _stored_state(row)
            if seq_before is not None:
                seq_before[(row[0], row[1])] = int(row[10])
    return current, foreign


def _stored_state(row: Sequence[Any]) -> RowState:
    """A row as read by `_lock_rows` (columns in `_ROW_COLUMNS` order)."""
    return RowState(
        table=row[0],
        row_id=row[1],
        person_id=row[2],
        fields=orjson.loads(row[4]),
        versions=orjson.loads(row[5]),
        deleted=bool(row[6]),
        hlc=row[7],
        origin_device=row[8],
        created_hlc=row[9],
    )


def _write_rows(
    db: _Driver,
    ctx: DeviceContext,
    changed: Sequence[RowState],
    existed: set[tuple[str, str]],
    seqs: Iterable[int],
) -> None:
    inserts: list[tuple[Any, ...]] = []
    updates: list[tuple[Any, ...]] = []
    dumps = orjson.dumps
    for state, seq in zip(changed, seqs, strict=False):
        fields = dumps(state.fields).decode()
        versions = dumps(state.versions).decode()
        if (state.table, state.row_id) in existed:
            updates.append((fields, versions, state.deleted, state.hlc, seq, state.table,
                            state.row_id))
        else:
            directory = TABLES[state.table].kind is TableKind.DIRECTORY
            inserts.append((state.table, state.row_id, state.person_id,
                            None if directory else ctx.team_id, fields, versions, state.deleted,
                            state.hlc, state.origin_device, state.created_hlc, seq))
    db.many(f"INSERT INTO rows ({_ROW_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            inserts)
    db.many("UPDATE rows SET fields = ?, versions = ?, deleted = ?, hlc = ?, seq = ? "
            "WHERE table_name = ? AND row_id = ?", updates)


def _write_conflicts(
    db: _Driver,
    logged: Iterable[tuple[ConflictCopy, int | None]],
    seqs: Iterable[int],
) -> None:
    stamp = now_text()
    db.many(
        "INSERT INTO conflicts (id, team_id, table_name, row_id, person_id, field, kind, "
        "kept_value, other_value, kept_hlc, other_hlc, created_at, resolved_at, seq) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [(c.id, team, c.table, c.row_id, c.person_id, c.field, c.kind.value,
          orjson.dumps(c.kept_value).decode(), orjson.dumps(c.other_value).decode(),
          c.kept_hlc, c.other_hlc, stamp, None, seq)
         for (c, team), seq in zip(logged, seqs, strict=False)],
    )


def _resolvable(conn: Connection, ctx: DeviceContext, resolved: Sequence[str]) -> list[str]:
    """Conflicts of this team that the device says the adviser has resolved, still open here."""
    found: list[str] = []
    for chunk in _chunks(sorted(set(resolved))):
        found.extend(
            conn.execute(
                select(conflicts.c.id).where(
                    conflicts.c.id.in_(chunk),
                    conflicts.c.team_id == ctx.team_id,
                    conflicts.c.resolved_at.is_(None),
                )
            ).scalars()
        )
    return found


# --- pull -----------------------------------------------------------------------------------


def current_seq(conn: Connection) -> int:
    return int(conn.execute(
        select(counters.c.value).where(counters.c.name == SEQ_COUNTER)
    ).scalar_one())


def pull(
    engine: Engine,
    ctx: DeviceContext,
    cursor: int,
    limit: int,
    tables: Sequence[str] | None = None,
    own: dict[tuple[str, str], tuple[int, int | None]] | None = None,
) -> Page:
    """Rows of the team and the directory changed after `cursor`, oldest change first.

    `tables` narrows the pull to those tables: a targeted resync after a divergence check.
    `own`: this request's push wrote these rows as the device sent them; those still as
    written are left out of the page (see `is_echo`) before they are turned into wire form.
    """
    with read_transaction(engine) as conn:
        high = current_seq(conn)
        reset = cursor > high  # the server was restored from an older backup: start again
        if reset:
            cursor = 0
        scoped = [rows.c.team_id == ctx.team_id, rows.c.team_id.is_(None)]
        only = [rows.c.table_name.in_(list(tables))] if tables is not None else []
        streams = [
            list(
                conn.execute(
                    select(rows)
                    .where(scope, rows.c.seq > cursor, rows.c.seq <= high, *only)
                    .order_by(rows.c.seq)
                    .limit(limit + 1)
                )
            )
            for scope in scoped
        ]
        merged = list(heapq.merge(*streams, key=lambda r: int(r.seq)))[: limit + 1]
        more = len(merged) > limit
        page = merged[:limit]
        new_cursor = int(page[-1].seq) if more else high
        # (An echo is servable: this push just checked and wrote it.)
        served, quarantined = _serve(
            [r for r in page if not _echo(own, r.table_name, r.row_id, int(r.seq), cursor)]
            if own and not reset else page)
        logged = conn.execute(
            select(conflicts)
            .where(
                conflicts.c.team_id == ctx.team_id,
                conflicts.c.seq > cursor,
                conflicts.c.seq <= new_cursor,
            )
            .order_by(conflicts.c.seq)
        ).all()
    if quarantined:
        # Ids and tables only: never a field value. The cursor still moves past them.
        log.warning("pull quarantined rows=%d device=%s tables=%s seqs=%s", len(quarantined),
                    ctx.device_id, ",".join(sorted({r.table_name for r in quarantined})),
                    ",".join(str(r.seq) for r in quarantined[:20]))
    return Page(
        rows=served,
        conflicts=[_conflict_wire(c) for c in logged],
        cursor=new_cursor,
        more=more,
        reset=reset,
        directory_rows=sum(1 for r in page if r.team_id is None),
        quarantined=len(quarantined),
    )


def _serve(page: Sequence[Row[Any]]) -> tuple[list[dict[str, Any]], list[Row[Any]]]:
    """The rows of a page as they travel, and those that cannot be served (quarantined)."""
    latest = wall_now_ms() + MAX_CLOCK_AHEAD_MS
    served: list[dict[str, Any]] = []
    quarantined: list[Row[Any]] = []
    for row in page:
        if not _servable(row.hlc, latest) or not _json_object(row.fields) or not _json_object(
            row.versions
        ):
            quarantined.append(row)
            continue
        try:
            served.append(_row_wire(row))
        except Exception:  # noqa: BLE001 - one row never fails a page; it is reported instead
            quarantined.append(row)
    return served, quarantined


def _servable(stamp: str, latest_wall_ms: int) -> bool:
    """A stamp the office would accept today: readable, and not ahead of its clock's margin."""
    try:
        return HlcStamp.parse(stamp).wall_ms <= latest_wall_ms
    except (ValueError, TypeError):
        return False


def _json_object(text: Any) -> bool:
    # Spliced into the answer undecoded (see `_row_wire`): at least it must look like an object.
    return isinstance(text, str) and text.startswith("{") and text.endswith("}")


def check_scope(
    engine: Engine, ctx: DeviceContext, cursor: int, sent: dict[str, tuple[int, str]],
    *, keep_closed_days: int | None = None,
) -> dict[str, Any]:
    """Compares a laptop's per-table digests with the team's scope at the laptop's cursor.

    With the laptop's retention window, people whose case closed beyond it (and their rows)
    are out of scope, as the laptop leaves them out (`domain.retention`, the same rule).

    The verdict is "busy" when the scope holds a change after the cursor (the two sides would
    not describe the same moment), else "ok" or "mismatch" with the tables to re-pull.
    """
    with read_transaction(engine) as conn:
        if cursor > current_seq(conn):
            return {"status": CHECK_BUSY}
        scope = or_(rows.c.team_id == ctx.team_id, rows.c.team_id.is_(None))
        newer = conn.execute(
            select(rows.c.seq).where(scope, rows.c.seq > cursor).limit(1)
        ).first()
        if newer is not None:
            return {"status": CHECK_BUSY}
        held: dict[str, list[tuple[str, str, str, str]]] = {name: [] for name in TABLES}
        owners: dict[tuple[str, str], str | None] = {}
        latest = wall_now_ms() + MAX_CLOCK_AHEAD_MS
        for table_name, row_id, person_id, hlc, fields, versions in conn.execute(
            select(rows.c.table_name, rows.c.row_id, rows.c.person_id, rows.c.hlc, rows.c.fields,
                   rows.c.versions).where(scope, rows.c.deleted.is_(False))
        ):
            # A quarantined row (see `_serve`) is on no laptop: not counted.
            if (table_name in held and _servable(hlc, latest) and _json_object(fields)
                    and _json_object(versions)):
                held[table_name].append((row_id, hlc, fields, versions))
                owners[(table_name, row_id)] = row_id if table_name == PEOPLE else person_id
    if keep_closed_days is not None:
        away = _closed_beyond(held, owners, keep_closed_days)
        held = {name: [r for r in found if owners[(name, r[0])] not in away]
                for name, found in held.items()}
    wrong = sorted(
        name for name in set(held) | set(sent)
        if name in TABLES and not _agrees(name, held.get(name, []),
                                          tuple(sent.get(name, (0, EMPTY))))
    )
    return {"status": CHECK_MISMATCH if wrong else CHECK_OK, "tables": wrong}


def _closed_beyond(
    held: dict[str, list[tuple[str, str, str, str]]],
    owners: dict[tuple[str, str], str | None],
    keep_days: int,
) -> set[str]:
    """People out of a laptop's retention window, by the rule the laptop applies."""
    def dated(table: str, field_name: str) -> dict[str, date]:
        pairs = []
        for row_id, _hlc, fields, _versions in held.get(table, []):
            value = orjson.loads(fields).get(field_name)
            if isinstance(value, str):
                pairs.append((owners[(table, row_id)], value))
        return latest_by_person(pairs)

    return closed_beyond(dated("closing_reviews", "closed_on"), dated("referrals", "received_on"),
                         datetime.now(UTC).date(), keep_days)


def _agrees(table: str, held: Sequence[tuple[str, str, str, str]], sent: tuple[Any, ...]) -> bool:
    """Whether the laptop's digest of one table is the office's: by content, or in the
    previous version's (row id, stamp) form, so an older laptop is not re-pulled every time."""
    if _content_digest(table, held) == sent:
        return True
    return legacy_digest((row_id, hlc) for row_id, hlc, _f, _v in held) == sent


def _content_digest(table: str, held: Sequence[tuple[str, str, str, str]]) -> tuple[int, str]:
    found: list[ContentRow] = []
    for row_id, hlc, fields, versions in held:
        try:
            values, stamps = orjson.loads(fields), orjson.loads(versions)
        except orjson.JSONDecodeError:
            continue  # unreadable: quarantined in pulls too
        if isinstance(values, dict) and isinstance(stamps, dict):
            found.append(office_row(table, row_id, hlc, stamps, values))
    return digest(found)


PURGED_COUNTER = "purged"  # the highest seq of a tombstone purged: older cursors must restore
DEFAULT_TOMBSTONE_DAYS = 180  # longer than any offline period the office allows


def purged_seq(conn: Connection) -> int:
    found = conn.execute(
        select(counters.c.value).where(counters.c.name == PURGED_COUNTER)
    ).scalar_one_or_none()
    return int(found or 0)


def purge_tombstones(engine: Engine, older_than_days: float, now_ms: int | None = None) -> int:
    """Hard-deletes tombstones older than the retention; returns how many went.

    A device whose cursor is below the newest purged tombstone may never have seen that delete,
    so from then on it gets a "restore" answer (see `restore_reason`).
    """
    now_ms = int(time.time() * 1000) if now_ms is None else now_ms
    cutoff = now_ms - int(older_than_days * 86_400_000)
    with write_transaction(engine) as conn:
        old: list[tuple[str, str, int]] = []
        for table_name, row_id, hlc, seq in conn.execute(
            select(rows.c.table_name, rows.c.row_id, rows.c.hlc, rows.c.seq).where(
                rows.c.deleted.is_(True)
            )
        ):
            try:
                wall = HlcStamp.parse(hlc).wall_ms
            except ValueError:
                continue
            if wall < cutoff:
                old.append((table_name, row_id, int(seq)))
        for table_name, row_id, _seq in old:
            conn.execute(rows.delete().where(rows.c.table_name == table_name,
                                             rows.c.row_id == row_id))
        if old:
            top = max(seq for _t, _r, seq in old)
            if conn.execute(counters.update().where(counters.c.name == PURGED_COUNTER)
                            .values(value=top)).rowcount == 0:
                conn.execute(counters.insert().values(name=PURGED_COUNTER, value=top))
    log.info("tombstones purged count=%d", len(old))
    return len(old)


def restore_reason(engine: Engine, ctx: DeviceContext, cursor: int, team: str | None) -> str | None:
    """Why this device must download a fresh snapshot instead of pulling changes, if it must.

    A cursor below the newest purged tombstone is too old only for a copy pulled before that
    purge: a laptop paging through its first copy (or a restored one) passes such cursors
    having missed nothing, so the purge point it pulls under is remembered for its device.
    """
    if team is not None and team != ctx.team_name:
        return "team_changed"
    with read_transaction(engine) as conn:
        purged = purged_seq(conn)
        seen = conn.execute(
            select(devices.c.purge_seen).where(devices.c.id == ctx.device_id)
        ).scalar_one_or_none() or 0
    if purged <= seen:
        return None
    if 0 < cursor < purged:
        return "cursor_too_old"
    with write_transaction(engine) as conn:  # once per purge: from seq 0, or past the point
        conn.execute(
            devices.update()
            .where(devices.c.id == ctx.device_id)
            .where(or_(devices.c.purge_seen.is_(None), devices.c.purge_seen < purged))
            .values(purge_seen=purged)
        )
    return None


def _row_wire(row: Row[Any]) -> dict[str, Any]:
    # Fields travel as the stored JSON text, spliced in without decoding and re-encoding.
    return {
        "table": row.table_name,
        "row": row.row_id,
        "person": row.person_id,
        "fields": orjson.Fragment(row.fields),
        "versions": orjson.Fragment(row.versions),
        "deleted": bool(row.deleted),
        "hlc": row.hlc,
        "seq": int(row.seq),
        "origin": row.origin_device,
        "created_at": stamp_time(row.created_hlc),
        "updated_at": stamp_time(row.hlc),
    }


def _conflict_wire(row: Row[Any]) -> dict[str, Any]:
    return {
        "id": row.id,
        "table": row.table_name,
        "row": row.row_id,
        "person": row.person_id,
        "field": row.field,
        "kind": row.kind,
        "kept": orjson.Fragment(row.kept_value or "null"),
        "other": orjson.Fragment(row.other_value or "null"),
        "kept_hlc": row.kept_hlc,
        "other_hlc": row.other_hlc,
        "created_at": row.created_at,
        "resolved_at": row.resolved_at,
        "seq": int(row.seq),
    }


# --- the directory of services, published by the office ------------------------------------


def _believable(stamp: str | None) -> HlcStamp | None:
    """A stored stamp the office's clock may resume from (not garbage, not far ahead)."""
    try:
        parsed = HlcStamp.parse(stamp) if stamp else None
    except ValueError:
        return None
    return None if parsed is None or too_far_ahead(parsed, wall_now_ms()) else parsed


def publish_directory(engine: Engine, entries: Sequence[dict[str, Any]]) -> PushResult:
    """Stores directory entries (each with an "id"; `"deleted": true` withdraws one).

    Each entry is applied as an edit by the office based on the stamps the server holds, so a
    published directory always wins cleanly and every device pulls it.
    """
    with read_transaction(engine) as conn:
        latest = conn.execute(
            select(rows.c.hlc).where(rows.c.table_name == DIRECTORY).order_by(rows.c.hlc.desc())
            .limit(1)
        ).scalar_one_or_none()
        ids = [str(e["id"]) for e in entries]
        held: dict[str, dict[str, str]] = {}
        for chunk in _chunks(ids):
            found = conn.execute(
                select(rows.c.row_id, rows.c.versions).where(
                    rows.c.table_name == DIRECTORY, rows.c.row_id.in_(chunk)
                )
            )
            held.update({r.row_id: orjson.loads(r.versions) for r in found})
    clock = HybridClock(OFFICE_DEVICE, _believable(latest))
    ops: list[ChangeOp] = []
    for entry in entries:
        row_id = str(entry["id"])
        values = {k: v for k, v in entry.items() if k not in {"id", "deleted"}}
        versions = held.get(row_id, {})
        if entry.get("deleted"):
            ops.append(ChangeOp(new_id(), DIRECTORY, row_id, None, OpKind.DELETE, {},
                                dict(versions), str(clock.now())))
        else:
            base: dict[str, str | None] = {name: versions.get(name) for name in values}
            ops.append(ChangeOp(new_id(), DIRECTORY, row_id, None, OpKind.UPSERT, values, base,
                                str(clock.now())))
    office = DeviceContext(OFFICE_DEVICE, 0, 0, "", Role.MANAGER, False)
    return push(engine, office, ops)
