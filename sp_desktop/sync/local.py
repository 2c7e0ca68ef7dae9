"""The local store's side of sync: outbox batches, applying pulled pages, sync metadata.

Each round trip's answer is applied in one local transaction: acknowledged outbox entries go,
pulled rows and conflicts come in, the cursor moves. A cut connection or a crash leaves either
all of it or none of it. Pulled rows never write outbox entries, and a field with a local edit
still waiting to go up keeps its local value and stamp (the server will merge that edit).
"""

from __future__ import annotations

import contextlib
import json
from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

import orjson
from sqlalchemy import (
    Boolean,
    Connection,
    Date,
    Float,
    Integer,
    Table,
    bindparam,
    delete,
    select,
    update,
)
from sqlalchemy.sql.type_api import TypeEngine

from sp_desktop.domain.hlc import (
    MAX_CLOCK_AHEAD_MS,
    HlcStamp,
    HybridClock,
    too_far_ahead,
    wall_now_ms,
)
from sp_desktop.domain.text import fold
from sp_desktop.store.changes import ALL_FIELDS, HLC_META_KEY, field_version
from sp_desktop.store.database import Store
from sp_desktop.store.schema import (
    LOCAL_ONLY_COLUMNS,
    SYNC_COLUMNS,
    TABLES_BY_NAME,
    conflicts,
    outbox,
    people,
    referrals,
    store_meta,
)
from sp_desktop.sync import retention
from sp_desktop.sync.divergence import ContentRow, canonical_row, digest
from sp_desktop.sync.protocol import (
    TABLES,
    AckStatus,
    ChangeOp,
    OpKind,
    PulledRow,
)

META_SERVER_URL = "sync.server_url"
META_TOKEN = "sync.device_token"
META_CURSOR = "sync.cursor"
META_LAST_SUCCESS = "sync.last_success"
META_LAST_ATTEMPT = "sync.last_attempt"
META_REGISTERED_AT = "sync.registered_at"
META_ROLE = "sync.role"
META_REJECTED = "sync.rejected"  # JSON list: changes the office refused, kept for the adviser
META_RESOLVED = "sync.resolved_pending"  # JSON list: conflict ids resolved here, not yet sent
META_CHECK_DUE = "sync.check_due"  # "1": a divergence check is owed (first sync, every Nth)
META_SYNC_COUNT = "sync.count"  # successful syncs so far, for "every Nth sync"
META_RESYNC = "sync.resync_tables"  # JSON list: tables to re-pull from seq 0 (divergence)
META_RESYNC_CURSOR = "sync.resync_cursor"  # how far that re-pull has got
META_RESYNC_SEEN = "sync.resync_seen"  # JSON {table: [row id]}: rows that re-pull has sent
META_LEASE = "sync.lease_seconds"  # the office's offline lease, from the last answer
META_TEAM = "team"  # shared with the workspace, which files new people under it
META_ADVISER = "adviser"

_CHUNK = 400


def now_text() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


def _chunks(items: Sequence[Any]) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), _CHUNK):
        yield items[start : start + _CHUNK]


# --- metadata ---------------------------------------------------------------------------------


def get_meta(conn: Connection, key: str) -> str | None:
    found = conn.execute(select(store_meta.c.value).where(store_meta.c.key == key))
    value = found.scalar_one_or_none()
    return None if value is None else str(value)


def set_meta(conn: Connection, key: str, value: str) -> None:
    """Upsert inside the caller's transaction, so metadata commits with what it describes."""
    updated = conn.execute(store_meta.update().where(store_meta.c.key == key).values(value=value))
    if updated.rowcount == 0:
        conn.execute(store_meta.insert().values(key=key, value=value))


def delete_meta(conn: Connection, key: str) -> None:
    conn.execute(store_meta.delete().where(store_meta.c.key == key))


def get_json_list(conn: Connection, key: str) -> list[Any]:
    text = get_meta(conn, key)
    value = orjson.loads(text) if text else []
    return value if isinstance(value, list) else []


# --- the outbox -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class OutboxEntry:
    seq: int
    op: ChangeOp
    created_at: str


def read_batch(store: Store, limit: int) -> list[OutboxEntry]:
    """The oldest `limit` waiting changes, in the order they were made."""
    with store.read() as conn:
        found = conn.execute(select(outbox).order_by(outbox.c.seq).limit(limit)).mappings().all()
    return [
        OutboxEntry(
            seq=int(r["seq"]),
            op=ChangeOp(
                op_id=r["op_id"],
                table=r["table_name"],
                row_id=r["row_id"],
                person_id=r["person_id"],
                kind=OpKind(r["kind"]),
                fields=orjson.loads(r["fields"]),
                base=orjson.loads(r["base"]),
                hlc=r["hlc"],
            ),
            created_at=r["created_at"],
        )
        for r in found
    ]


# --- applying an answer -------------------------------------------------------------------------


@dataclass(slots=True)
class Applied:
    """What one answer changed locally, so screens redraw only that."""

    acknowledged: int = 0
    rejected: int = 0
    rows: int = 0
    new_conflicts: int = 0
    tables: set[str] = field(default_factory=set)
    people: set[str] = field(default_factory=set)
    skipped_tables: set[str] = field(default_factory=set)


@contextlib.contextmanager
def sync_transaction(store: Store) -> Iterator[Connection]:
    """A write transaction on the writer connection with foreign keys checked off.

    Pulled pages arrive in the server's change order, not parent-before-child (a person edited
    after their referral comes later): while pages are still coming a child may arrive before
    its parent. The server holds both, so links are whole again once the pull completes.
    """
    with store.writer.connect() as conn:
        raw: Any = conn.connection.driver_connection
        raw.execute("PRAGMA foreign_keys = OFF")
        try:
            with conn.begin():
                yield conn
        finally:
            raw.execute("PRAGMA foreign_keys = ON")


def apply_answer(
    conn: Connection,
    *,
    sent: Sequence[OutboxEntry],
    acks: Sequence[dict[str, Any]],
    changes: Sequence[dict[str, Any]],
    logged: Sequence[dict[str, Any]],
    cursor: int,
    resolved_sent: Sequence[str],
    clock: HybridClock | None,
    cursor_key: str = META_CURSOR,
) -> Applied:
    """Applies one server answer in the caller's transaction (see the module docstring)."""
    applied = Applied()
    _take_acks(conn, sent, acks, applied)
    # A re-pull (a divergence repair) rewrites every row it is sent, even one whose stamps
    # match: same stamps with different values is exactly what it is repairing.
    _apply_rows(
        conn,
        [PulledRow.from_wire(c) for c in changes],
        applied,
        clock,
        rewrite_same=cursor_key != META_CURSOR,
    )
    _store_conflicts(conn, logged, applied)
    if resolved_sent:
        waiting = [i for i in get_json_list(conn, META_RESOLVED) if i not in set(resolved_sent)]
        set_meta(conn, META_RESOLVED, orjson.dumps(waiting).decode())
    set_meta(conn, cursor_key, str(cursor))
    return applied


def forget_copy(conn: Connection, team: str) -> None:
    """Clears the pulled copy before a fresh snapshot, keeping every change still waiting.

    Rows with a waiting change stay (the change goes up and the row comes back merged); every
    other synced row and conflict goes, since the new snapshot resends all that is in scope,
    and nothing of a caseload this laptop no longer serves should stay on it.
    """
    waiting: dict[str, set[str]] = defaultdict(set)
    for table_name, row_id in conn.execute(select(outbox.c.table_name, outbox.c.row_id)):
        waiting[table_name].add(row_id)
    for name, table in TABLES_BY_NAME.items():
        keep = sorted(waiting.get(str(name), set()))
        if keep:
            conn.execute(delete(table).where(table.c.id.not_in(keep)))
        else:
            conn.execute(delete(table))
    conn.execute(delete(conflicts))
    for key in (META_RESOLVED, META_RESYNC, META_RESYNC_CURSOR, META_RESYNC_SEEN):
        delete_meta(conn, key)
    if team:
        set_meta(conn, META_TEAM, team)
    set_meta(conn, META_CURSOR, "0")
    set_meta(conn, META_CHECK_DUE, "1")


def scope_digests(
    conn: Connection, keep_closed_days: int | None = None
) -> dict[str, tuple[int, str]]:
    """Per synced table: count and digest of the content of the live rows held (see
    `sync.divergence`). Read raw (no per-value type processing: this is 170,000 rows for a
    caseload of 10,000), with the laptop's own column types saying which values to fix.
    With a retention window, people closed beyond it are left out, as the office leaves them
    out when told the window (`domain.retention`)."""
    away = (
        set(retention.out_of_scope(conn, date.today(), keep_closed_days))
        if keep_closed_days is not None
        else set()
    )
    found: dict[str, tuple[int, str]] = {}
    for name, table in TABLES_BY_NAME.items():
        if name not in TABLES:
            continue
        columns = [
            str(c.name)
            for c in table.columns
            if c.name not in SYNC_COLUMNS and c.name not in LOCAL_ONLY_COLUMNS
        ]
        kinds = {c: table.c[c].type for c in columns}
        flags = [c for c, kind in kinds.items() if isinstance(kind, Boolean)]
        numbers = [c for c, kind in kinds.items() if isinstance(kind, Float)]
        dates = [c for c, kind in kinds.items() if isinstance(kind, Date)]
        at = {c: n for n, c in enumerate(columns, start=3)}
        listed = ", ".join(f'"{c}"' for c in columns)
        rows: list[ContentRow] = []
        raw: Any = conn.connection.driver_connection
        owner_at = 0 if name == people.name else at.get("person_id")
        for row in raw.execute(
            f'SELECT id, hlc, versions, {listed} FROM "{name}" WHERE deleted = 0'
        ).fetchall():
            if away and owner_at is not None and row[owner_at] in away:
                continue  # out of this laptop's retention window
            versions = orjson.loads(row[2] or "{}")
            if not isinstance(versions, dict):
                versions = {}
            if ALL_FIELDS in versions:
                # A row this laptop made keeps the insert's stamp under "*" (the office is not
                # asked to send it back); the office spells it out for every field it was sent.
                versions = {
                    **dict.fromkeys(columns, versions[ALL_FIELDS]),
                    **{k: v for k, v in versions.items() if k != ALL_FIELDS},
                }
            values = {k: row[at[k]] if k in at else None for k in versions}
            rows.append(
                canonical_row(
                    str(row[0]),
                    str(row[1]),
                    versions,
                    values,
                    flags=flags,
                    numbers=numbers,
                    dates=dates,
                )
            )
        found[str(name)] = digest(rows)
    return found


# The directory can hold services this laptop imported itself (never pushed: the office owns
# the directory), so a re-pull repairs its missing and stale rows but removes none.
_NEVER_REMOVED = frozenset({"services"})


def note_resync_seen(
    conn: Connection, tables: Sequence[str], changes: Sequence[dict[str, Any]]
) -> None:
    """Records the rows one page of a re-pull sent, in the page's own transaction, so a cut
    or a crash part-way resumes with the right list (see `remove_unseen`)."""
    wanted = set(tables) - _NEVER_REMOVED
    sent = [(str(c.get("table")), str(c.get("row"))) for c in changes]
    sent = [(t, r) for t, r in sent if t in wanted]
    if not sent:
        return
    text = get_meta(conn, META_RESYNC_SEEN)
    seen = orjson.loads(text) if text else {}
    if not isinstance(seen, dict):
        seen = {}
    for table_name, row_id in sent:
        seen.setdefault(table_name, []).append(row_id)
    set_meta(conn, META_RESYNC_SEEN, orjson.dumps(seen).decode())


def remove_unseen(conn: Connection, tables: Sequence[str]) -> Applied:
    """At the end of a re-pull from seq 0: removes local rows of those tables the office did
    not send, so it does not hold them (extra rows). A row with a change still waiting stays
    (the change goes up), as does one whose refused change the adviser has not yet dismissed
    (it is what they would retype from). One pass over each table."""
    gone = Applied()
    text = get_meta(conn, META_RESYNC_SEEN)
    seen_by_table = orjson.loads(text) if text else {}
    if not isinstance(seen_by_table, dict):
        seen_by_table = {}
    keep: dict[str, set[str]] = defaultdict(set)
    for table_name, row_id in conn.execute(select(outbox.c.table_name, outbox.c.row_id)):
        keep[str(table_name)].add(str(row_id))
    for refused in get_json_list(conn, META_REJECTED):
        if isinstance(refused, dict):
            keep[str(refused.get("table"))].add(str(refused.get("row")))
    for name in tables:
        table = TABLES_BY_NAME.get(name)
        if table is None or name in _NEVER_REMOVED:
            continue
        seen = {str(r) for r in seen_by_table.get(name, ())} | keep[name]
        person = table.c.person_id if "person_id" in table.c else table.c.id
        extra = [
            (str(row_id), owner)
            for row_id, owner in conn.execute(select(table.c.id, person))
            if str(row_id) not in seen
        ]
        for chunk in _chunks([row_id for row_id, _owner in extra]):
            conn.execute(delete(table).where(table.c.id.in_(chunk)))
        if extra:
            gone.rows += len(extra)
            gone.tables.add(name)
            gone.people.update(str(owner) for _row_id, owner in extra if owner)
    delete_meta(conn, META_RESYNC_SEEN)
    return gone


def _take_acks(
    conn: Connection, sent: Sequence[OutboxEntry], acks: Sequence[dict[str, Any]], applied: Applied
) -> None:
    by_op = {entry.op.op_id: entry for entry in sent}
    done: list[str] = []
    refused: list[dict[str, Any]] = []
    for ack in acks:
        entry = by_op.get(str(ack.get("op")))
        if entry is None:
            continue
        done.append(entry.op.op_id)
        if ack.get("status") == AckStatus.REJECTED.value:
            # Moved aside for the adviser to see; it never blocks the changes behind it.
            refused.append(
                {
                    **entry.op.to_wire(),
                    "reason": ack.get("reason", ""),
                    "code": ack.get("code", ""),
                    "refused_at": now_text(),
                    "made_at": entry.created_at,
                }
            )
    for chunk in _chunks(done):
        conn.execute(delete(outbox).where(outbox.c.op_id.in_(chunk)))
    if refused:
        kept = get_json_list(conn, META_REJECTED) + refused
        set_meta(conn, META_REJECTED, orjson.dumps(kept).decode())
    applied.acknowledged += len(done)
    applied.rejected += len(refused)


@dataclass(slots=True)
class _Pending:
    fields: dict[str, str] = field(default_factory=dict)  # field -> stamp of the local edit
    deleted: bool = False
    hlc: str = ""


def _pending(conn: Connection, table: str, row_ids: Sequence[str]) -> dict[str, _Pending]:
    pending: dict[str, _Pending] = defaultdict(_Pending)
    for chunk in _chunks(row_ids):
        found = conn.execute(
            select(outbox.c.row_id, outbox.c.kind, outbox.c.fields, outbox.c.hlc)
            .where(outbox.c.table_name == table, outbox.c.row_id.in_(chunk))
            .order_by(outbox.c.seq)
        )
        for row_id, kind, fields, hlc in found:
            waiting = pending[row_id]
            waiting.fields.update(dict.fromkeys(orjson.loads(fields), hlc))
            waiting.deleted = waiting.deleted or kind == OpKind.DELETE.value
            waiting.hlc = max(waiting.hlc, hlc)
    return pending


def _placeholder(kind: TypeEngine[Any]) -> Any:
    if isinstance(kind, Boolean):
        return False
    if isinstance(kind, Integer | Float):
        return 0
    if isinstance(kind, Date):
        return date(1900, 1, 1)
    return ""


def coerce_value(table: Table, name: str, value: Any) -> Any:
    """A wire value in the column's Python type (dates arrive as ISO text)."""
    if value is None:
        return None
    kind = table.c[name].type
    try:
        if isinstance(kind, Date):
            return date.fromisoformat(str(value)[:10])
        if isinstance(kind, Boolean):
            return bool(value)
        if isinstance(kind, Integer) and not isinstance(value, bool):
            return int(value)
        if isinstance(kind, Float):
            return float(value)
    except (TypeError, ValueError):
        return None if table.c[name].nullable else _placeholder(kind)
    return value


def _apply_rows(
    conn: Connection,
    pulled: Sequence[PulledRow],
    applied: Applied,
    clock: HybridClock | None,
    *,
    rewrite_same: bool = False,
) -> None:
    away = retention.retired(conn)
    if away:
        # People this laptop retired stay away; a new referral at the office reopens them,
        # and the consistency check due now brings all their rows back (this answer has
        # only the changes since).
        referred = [
            (r.person_id, date.fromisoformat(str(r.fields["received_on"])[:10]))
            for r in pulled
            if r.table == referrals.name
            and r.person_id
            and not r.deleted
            and r.fields.get("received_on")
        ]
        if retention.reopened(conn, referred):
            set_meta(conn, META_CHECK_DUE, "1")
        pulled = [
            r for r in pulled if (r.row_id if r.table == people.name else r.person_id) not in away
        ]
    # A row can come twice in one answer (a replayed op's row, then the page): the later is
    # the newer, and the only one applied.
    by_table: dict[str, dict[str, PulledRow]] = defaultdict(dict)
    for row in pulled:
        if row.table in TABLES_BY_NAME:
            by_table[row.table][row.row_id] = row
        else:
            applied.skipped_tables.add(row.table)  # a newer server's table: ignored, not lost
    newest = ""
    # Stamps further ahead of our clock than the margin are never adopted (see HybridClock):
    # fixed-width wall time first, so comparing the text compares the time.
    believable = f"{wall_now_ms() + MAX_CLOCK_AHEAD_MS:015d}~"
    for name, latest in by_table.items():
        table = TABLES_BY_NAME[name]
        incoming = list(latest.values())
        ids = [r.row_id for r in incoming]
        held: dict[str, dict[str, str]] = {}
        same: set[str] = set()  # held exactly as sent: every field's stamp, the row's, deleted
        for chunk in _chunks(ids):
            found = conn.execute(
                select(table.c.id, table.c.versions, table.c.hlc, table.c.deleted).where(
                    table.c.id.in_(chunk)
                )
            )
            for row_id, versions_text, hlc_held, deleted_held in found:
                versions_held = json.loads(versions_text or "{}")
                held[row_id] = versions_held
                row = latest[row_id]
                if (
                    hlc_held == row.hlc
                    and bool(deleted_held) == row.deleted
                    and _same_stamps(versions_held, row.versions)
                ):
                    same.add(row_id)
        pending = _pending(conn, name, ids) if held else {}
        plan = _insert_plan(name)
        inserts: list[tuple[Any, ...]] = []
        inserted_people = False
        # Updates grouped by the columns they set, each group one executemany.
        updates: dict[tuple[str, ...], list[dict[str, Any]]] = defaultdict(list)
        for row in incoming:
            for stamp in (row.hlc, *row.versions.values()):
                if newest < stamp < believable:
                    newest = stamp
            waiting = pending.get(row.row_id)
            if row.row_id in same and waiting is None and not rewrite_same:
                continue  # this very state is held already (its own write, or a page again)
            if waiting is None and row.row_id not in held:
                # The bulk of a first sync: a new row, straight to a ready tuple for the
                # driver's executemany (no per-row statement or parameter building).
                if not row.fields and row.deleted:
                    continue  # a delete of a row this laptop never had: nothing to hold
                inserts.append(plan.row(row))
                inserted_people = inserted_people or name == people.name
                applied.rows += 1
                applied.tables.add(name)
                person = row.row_id if name == people.name else row.person_id
                if person:
                    applied.people.add(person)
                continue
            values = _row_values(table, row)
            versions = dict(row.versions)
            deleted, hlc = row.deleted, row.hlc
            if waiting is not None:
                for field_name, stamp in waiting.fields.items():
                    values.pop(field_name, None)  # our newer edit stays until the server merges it
                    versions[field_name] = stamp
                deleted = deleted or waiting.deleted
                hlc = max(hlc, waiting.hlc)
            meta = {
                "versions": json.dumps(versions),
                "deleted": deleted,
                "hlc": hlc,
                "updated_at": row.updated_at or now_text(),
            }
            if row.row_id in held:
                changed = {**values, **meta}
                updates[tuple(sorted(changed))].append(
                    {"b_id": row.row_id, **{f"b_{k}": v for k, v in changed.items()}}
                )
            elif row.fields or not row.deleted:
                conn.execute(table.insert(), [_full_row(table, row, values, meta)])
            else:
                continue  # a delete of a row this laptop never had: nothing to hold
            applied.rows += 1
            applied.tables.add(name)
            person = row.row_id if name == people.name else row.person_id
            if person:
                applied.people.add(person)
        if inserts:
            conn.exec_driver_sql(plan.sql, inserts)
        for columns, params in updates.items():
            conn.execute(
                update(table)
                .where(table.c.id == bindparam("b_id"))
                .values({c: bindparam(f"b_{c}") for c in columns}),
                params,
            )
        if name == people.name and (updates or not inserted_people):
            _refresh_search_keys(conn, ids)  # bulk inserts carry theirs already
    if newest:
        _absorb_stamp(conn, newest, clock)


_MISSING = object()


@dataclass(frozen=True, slots=True)
class _Column:
    """How one column's value is made from a pulled row, as SQLAlchemy would bind it."""

    name: str
    convert: Any  # wire value -> stored value (raises TypeError/ValueError when it cannot)
    nullable: bool
    default: Any  # stored when the field is missing, or None in a NOT NULL column
    unreadable: Any  # stored when the value cannot be read as the column's type


def _as_text(value: Any) -> Any:
    return value


def _as_date(value: Any) -> str:
    return date.fromisoformat(str(value)[:10]).isoformat()  # SQLite's DATE text, as bound


def _as_bool(value: Any) -> int:
    return 1 if value else 0


def _as_int(value: Any) -> int:
    return value if isinstance(value, bool) else int(value)


def _stored(kind: TypeEngine[Any]) -> Any:
    """The converter for a column type (the types the store's tables use)."""
    if isinstance(kind, Date):
        return _as_date
    if isinstance(kind, Boolean):
        return _as_bool
    if isinstance(kind, Integer):
        return _as_int
    if isinstance(kind, Float):
        return float
    return _as_text


@dataclass(frozen=True)
class _InsertPlan:
    """One table's bulk insert: the statement and how to make each row's tuple, worked out
    once, so a page of new rows goes to the driver's executemany as ready tuples. Values are
    the ones `_full_row` gives through SQLAlchemy (same coercion, defaults and placeholders);
    a person's search key is folded here, as `_refresh_search_keys` would."""

    sql: str
    columns: tuple[_Column, ...]
    names: tuple[str, ...]
    search_key_at: int | None

    def row(self, row: PulledRow) -> tuple[Any, ...]:
        fields = row.fields
        made: list[Any] = []
        for column in self.columns:
            value = fields.get(column.name, _MISSING)
            if value is _MISSING:
                value = column.default
            elif value is not None:
                try:
                    value = column.convert(value)
                except (TypeError, ValueError):
                    value = column.unreadable
            if value is None and not column.nullable:
                value = column.default
            made.append(value)
        if row.person_id is not None and "person_id" in self.names:
            made[self.names.index("person_id")] = row.person_id
        made.extend(
            (
                row.row_id,
                row.created_at or now_text(),
                row.updated_at or now_text(),
                row.hlc,
                orjson.dumps(row.versions).decode(),  # as ChangeWriter writes an insert's
                1 if row.deleted else 0,
                row.origin_device,
            )
        )
        if self.search_key_at is not None:
            at = self.names.index
            given, preferred, family = (
                made[at("given_name")],
                made[at("preferred_name")],
                made[at("family_name")],
            )
            made[self.search_key_at] = fold(" ".join(filter(None, (given, preferred, family))))
        return tuple(made)


_PLANS: dict[str, _InsertPlan] = {}


def _insert_plan(name: str) -> _InsertPlan:
    plan = _PLANS.get(name)
    if plan is None:
        table = TABLES_BY_NAME[name]
        columns: list[_Column] = []
        for column in table.columns:
            if column.name in SYNC_COLUMNS:
                continue
            default = getattr(column.default, "arg", None) if column.default is not None else None
            if default is None and not column.nullable:
                default = _placeholder(column.type)
            unreadable = None if column.nullable else _placeholder(column.type)
            default, unreadable = _bound(default), _bound(unreadable)
            nullable = bool(column.nullable)
            if column.name in LOCAL_ONLY_COLUMNS:
                # Never taken from the wire: the default (or, for people, the key made here).
                columns.append(_Column(column.name, _never, nullable, default, default))
            else:
                columns.append(
                    _Column(column.name, _stored(column.type), nullable, default, unreadable)
                )
        names = tuple(c.name for c in columns) + (
            "id",
            "created_at",
            "updated_at",
            "hlc",
            "versions",
            "deleted",
            "origin_device",
        )
        quoted = ", ".join(f'"{n}"' for n in names)
        sql = f'INSERT INTO "{name}" ({quoted}) VALUES ({", ".join("?" * len(names))})'
        search_key_at = names.index("search_key") if name == people.name else None
        plan = _PLANS[name] = _InsertPlan(sql, tuple(columns), names, search_key_at)
    return plan


def _bound(value: Any) -> Any:
    """A Python default as the driver is given it (dates as ISO text, flags as 0/1)."""
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, date):
        return value.isoformat()
    return value


def _never(_value: Any) -> None:
    """A local-only column: what the office sends for it is not taken."""
    return None


def _same_stamps(held: dict[str, str], pulled: dict[str, str]) -> bool:
    """Whether every field carries the same stamp (the laptop keeps fields never edited under
    the insert's "*", the office spells each one out)."""
    if held == pulled:
        return True
    names = (held.keys() | pulled.keys()) - {ALL_FIELDS}
    return all(field_version(held, n) == field_version(pulled, n) for n in names)


def _row_values(table: Table, row: PulledRow) -> dict[str, Any]:
    values = {
        name: coerce_value(table, name, value)
        for name, value in row.fields.items()
        if name in table.c and name not in SYNC_COLUMNS and name not in LOCAL_ONLY_COLUMNS
    }
    if "person_id" in table.c and row.person_id is not None:
        values["person_id"] = row.person_id
    return values


def _full_row(
    table: Table, row: PulledRow, values: dict[str, Any], meta: dict[str, Any]
) -> dict[str, Any]:
    """Every column present (executemany needs uniform rows); gaps get the column default."""
    full: dict[str, Any] = {}
    for column in table.columns:
        if column.name in SYNC_COLUMNS:
            continue
        if column.name in values and not (values[column.name] is None and not column.nullable):
            full[column.name] = values[column.name]
            continue
        default = getattr(column.default, "arg", None) if column.default is not None else None
        if default is None and not column.nullable:
            default = _placeholder(column.type)
        full[column.name] = default
    return {
        **full,
        **meta,
        "id": row.row_id,
        "created_at": row.created_at or now_text(),
        "origin_device": row.origin_device,
    }


def _refresh_search_keys(conn: Connection, ids: Sequence[str]) -> None:
    """People pulled from the office get the same folded search key local edits get."""
    for chunk in _chunks(ids):
        found = conn.execute(
            select(
                people.c.id, people.c.given_name, people.c.preferred_name, people.c.family_name
            ).where(people.c.id.in_(chunk))
        ).all()
        keys = [
            {"k_id": row_id, "search_key": fold(" ".join(filter(None, (given, preferred, family))))}
            for row_id, given, preferred, family in found
        ]
        if keys:
            conn.execute(
                update(people)
                .where(people.c.id == bindparam("k_id"))
                .values(search_key=bindparam("search_key")),
                keys,
            )


def _absorb_stamp(conn: Connection, newest: str, clock: HybridClock | None) -> None:
    """Moves our clock past every stamp pulled, so our next edit is ordered after them; a
    stamp far ahead of our own clock is not adopted, here or in the stored last stamp."""
    try:
        stamp = HlcStamp.parse(newest)
    except ValueError:
        return
    if too_far_ahead(stamp, wall_now_ms()):
        return
    if clock is not None:
        clock.receive(stamp)
    last = get_meta(conn, HLC_META_KEY)
    if last is None or last < newest:
        set_meta(conn, HLC_META_KEY, newest)


META_COPIES_REOPENED = "sync.value_copies_reopened"  # "1": the one-off repair below is done


def reopen_settled_by_clock(conn: Connection) -> int:
    """Reopens conflict copies an earlier version stored as already resolved; returns how many.

    That version marked every copy of a field settled by clock (a postcode, an email) resolved
    the moment it arrived, with `resolved_at` equal to `created_at`, so no adviser saw that
    their value lost. A copy the adviser resolved here has a later time (and may still wait
    to be sent); one resolved at the office arrived with the office's time. Runs once.
    """
    if get_meta(conn, META_COPIES_REOPENED) == "1":
        return 0
    waiting = {str(i) for i in get_json_list(conn, META_RESOLVED)}
    settled = [
        conflict_id
        for (conflict_id,) in conn.execute(
            select(conflicts.c.id).where(conflicts.c.resolved_at == conflicts.c.created_at)
        )
        if conflict_id not in waiting
    ]
    for chunk in _chunks(settled):
        conn.execute(update(conflicts).where(conflicts.c.id.in_(chunk)).values(resolved_at=None))
    set_meta(conn, META_COPIES_REOPENED, "1")
    return len(settled)


def _store_conflicts(conn: Connection, logged: Sequence[dict[str, Any]], applied: Applied) -> None:
    if not logged:
        return
    ids = [str(c["id"]) for c in logged]
    known: dict[str, Any] = {}
    for chunk in _chunks(ids):
        found = conn.execute(
            select(conflicts.c.id, conflicts.c.resolved_at).where(conflicts.c.id.in_(chunk))
        )
        known.update({conflict_id: resolved for conflict_id, resolved in found})
    for wire in logged:
        conflict_id = str(wire["id"])
        resolved_at = wire.get("resolved_at")
        if conflict_id in known:
            if resolved_at and not known[conflict_id]:
                conn.execute(
                    update(conflicts)
                    .where(conflicts.c.id == conflict_id)
                    .values(resolved_at=resolved_at)
                )
            continue
        created = wire.get("created_at") or now_text()
        # Every copy stays open until the adviser dismisses it, whatever the field: a value
        # settled by clock (a postcode, an email) lost just as a text did.
        conn.execute(
            conflicts.insert().values(
                id=conflict_id,
                table_name=wire["table"],
                row_id=wire["row"],
                person_id=wire.get("person"),
                field=wire["field"],
                kept_value=orjson.dumps(wire.get("kept")).decode(),
                other_value=orjson.dumps(wire.get("other")).decode(),
                kept_hlc=wire.get("kept_hlc"),
                other_hlc=wire.get("other_hlc"),
                created_at=created,
                resolved_at=resolved_at,
            )
        )
        known[conflict_id] = resolved_at
        if not resolved_at:
            applied.new_conflicts += 1
