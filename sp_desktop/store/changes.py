"""The one door every local edit goes through: row, per-field stamps and outbox entry together.

Writing the outbox entry in the same transaction as the change (transactional outbox) means a
change is either both saved and queued for sync, or neither: nothing typed can be saved and then
silently never reach the office. Every change is first checked against the rules the office
applies (`domain.rows`), so a form hears what is wrong while the adviser can still fix it and
nothing the office would refuse ever enters the outbox. That includes signed means signed: a
signed visit (or a correction) is never changed or deleted here, and a visit is signed and a
correction written only in this laptop's adviser's name.
"""

from __future__ import annotations

import enum
import json
from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime
from functools import cache
from operator import itemgetter
from typing import Any

import orjson
from sqlalchemy import Connection, RowMapping, Table, select

from sp_desktop.domain.changes import ROW_FIELD, OpKind
from sp_desktop.domain.hlc import HlcStamp, HybridClock
from sp_desktop.domain.ids import new_id
from sp_desktop.domain.rows import ROWS, RowRules
from sp_desktop.store.consent import check_may_record
from sp_desktop.store.schema import LOCAL_ONLY_COLUMNS, SYNC_COLUMNS, outbox, store_meta

HLC_META_KEY = "hlc_last"
# The adviser the store was made for, or registered with the office as: the only name this
# laptop signs visits and writes corrections in (see `RowRules.check_authors`).
ADVISER_META_KEY = "adviser"
# `versions` holds {"*": stamp of the insert} plus one entry per field edited since; keeping
# untouched fields implicit keeps rows small (the caseload reads every person row).
ALL_FIELDS = "*"


def field_version(versions: Mapping[str, str], field: str) -> str | None:
    """The stamp of the last write to one field of a row."""
    return versions.get(field, versions.get(ALL_FIELDS))


def wire_value(value: Any) -> Any:
    """A column value as it travels: dates as ISO text, enums as their stored value."""
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, date | datetime):
        return value.isoformat()
    return value


def now_text() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


class ChangeWriter:
    """Stamps, versions and queues edits for one device. Use inside `Store.write()`."""

    def __init__(self, clock: HybridClock) -> None:
        self.clock = clock

    @classmethod
    def load(cls, conn: Connection, device: str) -> ChangeWriter:
        """Resumes the clock from its last stamp, so a clock set back never reorders our edits."""
        last = conn.execute(
            select(store_meta.c.value).where(store_meta.c.key == HLC_META_KEY)
        ).scalar_one_or_none()
        return cls(HybridClock(device, HlcStamp.parse(last) if last else None))

    def _stamp(self, conn: Connection) -> str:
        stamp = str(self.clock.now())
        updated = conn.execute(
            store_meta.update().where(store_meta.c.key == HLC_META_KEY).values(value=stamp)
        )
        if updated.rowcount == 0:
            conn.execute(store_meta.insert().values(key=HLC_META_KEY, value=stamp))
        return stamp

    def insert(
        self,
        conn: Connection,
        table: Table,
        values: Mapping[str, Any],
        person_id: str | None,
        *,
        kind: OpKind = OpKind.UPSERT,
    ) -> str:
        """A new row (mutable, or an append-only fact with kind=APPEND); returns its id."""
        return self.insert_many(conn, table, [values], person_ids=[person_id], kind=kind)[0]

    def insert_many(
        self,
        conn: Connection,
        table: Table,
        rows: Iterable[Mapping[str, Any]],
        person_ids: Iterable[str | None],
        *,
        kind: OpKind = OpKind.UPSERT,
        queue: bool = True,
    ) -> list[str]:
        """Bulk form of `insert`: one executemany for the rows and one for their outbox entries.

        `queue=False` is for local copies of office-owned data (the directory of services):
        stamped like any row, but never pushed, because the server would refuse it.

        Written straight to the driver with prepared tuples (the driver stores dates as ISO
        text, exactly as SQLAlchemy's Date does): this is the path bulk loads and first syncs
        take, and SQLAlchemy's per-row parameter processing would double its cost.
        """
        stamp = self._stamp(conn)
        created = now_text()
        meta = {
            "created_at": created,
            "updated_at": created,
            "hlc": stamp,
            "versions": orjson.dumps({ALL_FIELDS: stamp}).decode(),
            "deleted": False,
            "origin_device": self.clock.device,
        }
        columns, insert_sql = _insert_statement(table)
        defaults = _column_defaults(table)
        synced_names = _synced_columns(table)
        # itemgetter and dict(zip()) keep the per-row work in C: 10,000 people are 360,000 rows.
        row_values, synced_values = itemgetter(*columns), itemgetter(*synced_names)
        table_name, kind_value, dumps = str(table.name), kind.value, orjson.dumps
        table_rows: list[tuple[Any, ...]] = []
        queued: list[tuple[Any, ...]] = []
        ids: list[str] = []
        base_row = {**defaults, **meta}
        rules = ROWS.get(table_name) if queue else None
        adviser = writing_adviser(conn) if rules is not None and rules.authors else ""
        today = date.today()
        consent_asks: list[tuple[str | None, dict[str, Any]]] = []
        for values, person_id in zip(rows, person_ids, strict=True):
            # Every column present: a new row syncs whole.
            fields = {**base_row, **values}
            fields["id"] = row_id = values.get("id") or new_id()
            ids.append(row_id)
            table_rows.append(row_values(fields))
            travelling = dict(zip(synced_names, synced_values(fields), strict=True))
            if rules is not None:
                rules.check_new(travelling, today)
                if adviser:
                    rules.check_authors(None, travelling, adviser)
                if rules.about_a_person or rules.is_the_person:
                    consent_asks.append((rules.person_of(row_id, travelling), travelling))
            synced = dumps(travelling).decode()
            queued.append(
                (new_id(), table_name, row_id, person_id, kind_value, synced, "{}", stamp, created)
            )
        if consent_asks and rules is not None:
            check_may_record(conn, rules, consent_asks)  # consent first: before any write
        if table_rows:
            conn.exec_driver_sql(insert_sql, table_rows)
        if queued and queue:
            conn.exec_driver_sql(_OUTBOX_INSERT, queued)
        return ids

    def update(
        self,
        conn: Connection,
        table: Table,
        row_id: str,
        changes: Mapping[str, Any],
        person_id: str | None,
    ) -> bool:
        """Changes some fields; only those that really differ are stamped and queued.

        Returns False (and writes nothing) when nothing changed, so re-saving an untouched form
        never creates sync traffic or conflicts.
        """
        current = conn.execute(select(table).where(table.c.id == row_id)).mappings().one()
        changed = {k: v for k, v in changes.items() if k not in SYNC_COLUMNS and current[k] != v}
        if not changed:
            return False
        rules = _check_change(conn, table, current, changed)
        stamp = self._stamp(conn)
        versions: dict[str, str] = json.loads(current["versions"])
        synced = {k: wire_value(v) for k, v in changed.items() if k not in LOCAL_ONLY_COLUMNS}
        base = {k: field_version(versions, k) for k in synced}
        if rules is not None and rules.seals(dict(current), changed):
            # A signature covers what the signer saw: the base names the stamp of every field
            # as this laptop held it, so the office can tell a change it has not seen.
            base = {**{k: field_version(versions, k) for k in _synced_columns(table)}, **base}
        versions.update({k: stamp for k in synced})
        conn.execute(
            table.update()
            .where(table.c.id == row_id)
            .values(**changed, hlc=stamp, updated_at=now_text(), versions=json.dumps(versions))
        )
        if synced:
            conn.execute(
                outbox.insert(),
                _outbox_row(
                    table, row_id, person_id, OpKind.UPSERT, synced, base, stamp, now_text()
                ),
            )
        return True

    def delete(self, conn: Connection, table: Table, row_id: str, person_id: str | None) -> None:
        """A tombstone: the row stays (marked deleted) so the delete can sync and merge.

        The base names the stamp of every field as this device saw it, so the office can tell
        exactly which edits from other laptops the delete had not seen (and keep them).
        """
        current = conn.execute(select(table).where(table.c.id == row_id)).mappings().one()
        rules = ROWS.get(str(table.name))
        if rules is not None and not current["deleted"]:
            rules.check_delete(dict(current))  # a signed visit is never removed
        versions = json.loads(current["versions"])
        base = {name: field_version(versions, name) for name in _synced_columns(table)}
        stamp = self._stamp(conn)
        conn.execute(
            table.update()
            .where(table.c.id == row_id)
            .values(deleted=True, hlc=stamp, updated_at=now_text())
        )
        conn.execute(
            outbox.insert(),
            _outbox_row(table, row_id, person_id, OpKind.DELETE, {}, base, stamp, now_text()),
        )

    def restore(
        self,
        conn: Connection,
        table: Table,
        row_id: str,
        values: Mapping[str, Any],
        person_id: str | None,
    ) -> None:
        """Brings a tombstoned row back, with `values` as edits (all fields if empty).

        The base carries the delete this device saw under ROW_FIELD, so the office treats it as
        a deliberate restore rather than an edit racing the delete.
        """
        current = conn.execute(select(table).where(table.c.id == row_id)).mappings().one()
        if not values:
            values = {name: current[name] for name in _synced_columns(table)}
        _check_change(conn, table, current, values)
        stamp = self._stamp(conn)
        versions: dict[str, str] = json.loads(current["versions"])
        synced = {k: wire_value(v) for k, v in values.items() if k not in LOCAL_ONLY_COLUMNS}
        base: dict[str, str | None] = {k: field_version(versions, k) for k in synced}
        base[ROW_FIELD] = current["hlc"]
        versions.update(dict.fromkeys(synced, stamp))
        conn.execute(
            table.update()
            .where(table.c.id == row_id)
            .values(
                **values,
                deleted=False,
                hlc=stamp,
                updated_at=now_text(),
                versions=json.dumps(versions),
            )
        )
        conn.execute(
            outbox.insert(),
            _outbox_row(table, row_id, person_id, OpKind.UPSERT, synced, base, stamp, now_text()),
        )


def _check_change(
    conn: Connection, table: Table, current: RowMapping, changed: Mapping[str, Any]
) -> RowRules | None:
    """A partial change: nothing of a signed row, each field valid on its own, a signer or
    writer named only as this laptop's adviser, and the row valid once it is merged in.
    Returns the table's rules (None for a table without any)."""
    rules: RowRules | None = ROWS.get(str(table.name))
    if rules is None:
        return None
    synced = {k: v for k, v in changed.items() if k not in LOCAL_ONLY_COLUMNS}
    if rules.about_a_person or rules.is_the_person:  # consent first: before anything else
        check_may_record(conn, rules, [(rules.person_of(current["id"], current), synced)])
    held = {name: current[name] for name in _synced_columns(table)}
    rules.check_edit(held, synced)
    rules.check_fields(synced, date.today())
    if rules.authors:
        adviser = writing_adviser(conn)
        if adviser:  # a store named for no one is judged by the office alone
            rules.check_authors(held, synced, adviser)
    rules.check_row({**held, **synced})
    return rules


def writing_adviser(conn: Connection) -> str:
    """The adviser this laptop writes as, read at the time of writing (registering with the
    office can change it while the app is open)."""
    found = conn.execute(
        select(store_meta.c.value).where(store_meta.c.key == ADVISER_META_KEY)
    ).scalar_one_or_none()
    return str(found or "").strip()


@cache
def _synced_columns(table: Table) -> tuple[str, ...]:
    """The columns that travel: everything but change tracking and local-only derived data."""
    return tuple(
        str(c.name)
        for c in table.columns
        if c.name not in SYNC_COLUMNS and c.name not in LOCAL_ONLY_COLUMNS
    )


@cache
def _column_defaults(table: Table) -> dict[str, Any]:
    defaults: dict[str, Any] = {}
    for column in table.columns:
        if column.name in SYNC_COLUMNS:
            continue
        default = column.default
        defaults[str(column.name)] = getattr(default, "arg", None) if default is not None else None
    return defaults


_OUTBOX_COLUMNS = (
    "op_id",
    "table_name",
    "row_id",
    "person_id",
    "kind",
    "fields",
    "base",
    "hlc",
    "created_at",
)
_OUTBOX_INSERT = (
    f"INSERT INTO outbox ({', '.join(_OUTBOX_COLUMNS)}) "
    f"VALUES ({', '.join('?' * len(_OUTBOX_COLUMNS))})"
)


@cache
def _insert_statement(table: Table) -> tuple[list[str], str]:
    columns = [str(c.name) for c in table.columns]
    marks = ", ".join("?" * len(columns))
    return columns, f"INSERT INTO {table.name} ({', '.join(columns)}) VALUES ({marks})"


def _outbox_row(
    table: Table,
    row_id: str,
    person_id: str | None,
    kind: OpKind,
    fields: Mapping[str, Any],
    base: Mapping[str, str | None],
    stamp: str,
    created: str,
) -> dict[str, Any]:
    return {
        "op_id": new_id(),
        "table_name": table.name,
        "row_id": row_id,
        "person_id": person_id,
        "kind": kind.value,
        "fields": orjson.dumps(fields).decode(),
        "base": orjson.dumps(base).decode(),
        "hlc": stamp,
        "created_at": created,
    }
