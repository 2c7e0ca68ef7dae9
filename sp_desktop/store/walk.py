"""Everything this laptop holds about one person, found by walking the schema, not a hand list.

A table holds a person's rows when a column refers to `people.id` (a foreign key) or is named
`person_id` (the outbox, conflict copies, the audit trail, local summaries); the person's own
row is found by its key (a carer's row naming them is the carer's, not theirs). Drafts are keyed
by the record they belong to, so a draft whose key names one of the person's rows is theirs too.
Subject access reads with it; erasure deletes with it, so the two never disagree about what
"their data" is.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from sqlalchemy import Column, ColumnElement, Connection, Table, delete, or_, select

from sp_desktop.store.schema import drafts, metadata, people

PERSON_COLUMN = "person_id"


@dataclass(frozen=True, slots=True)
class PersonColumns:
    """One table and the columns of it that can name a person."""

    table: Table
    columns: tuple[Column[object], ...]


def person_columns() -> list[PersonColumns]:
    """Every table with a column naming a person, in the schema's dependency order."""
    found: list[PersonColumns] = []
    for table in metadata.sorted_tables:
        if table is people:
            # Their own row. Another person's row naming them (a carer's `carer_of_id`) is
            # that other person's data: not theirs to receive, and not erased with them.
            columns: tuple[Column[object], ...] = (people.c.id,)
        else:
            columns = tuple(
                column for column in table.columns
                if column.name == PERSON_COLUMN
                or any(fk.column.table is people and fk.column.name == "id"
                       for fk in column.foreign_keys)
            )
        if columns:
            found.append(PersonColumns(table, columns))
    return found


def _naming(entry: PersonColumns, person_id: str) -> ColumnElement[bool]:
    return or_(*(column == person_id for column in entry.columns))


def rows_about(conn: Connection, person_id: str) -> Iterator[tuple[Table, dict[str, object]]]:
    """Every row naming the person, table by table (drafts of their records last)."""
    ids: set[str] = {person_id}
    for entry in person_columns():
        for row in conn.execute(select(entry.table).where(_naming(entry, person_id))).mappings():
            values = dict(row)
            if isinstance(values.get("id"), str):
                ids.add(str(values["id"]))
            if isinstance(values.get("row_id"), str):
                ids.add(str(values["row_id"]))
            yield entry.table, values
    for draft in conn.execute(select(drafts)).mappings():
        if any(i in str(draft["key"]) for i in ids):
            yield drafts, dict(draft)


def delete_rows_about(
    conn: Connection, person_id: str, *, keep: tuple[Table, ...] = ()
) -> dict[str, int]:
    """Deletes every row naming the person (children before parents) but those of `keep`;
    returns counts per table. Used by erasure."""
    keys = [str(values["key"]) for table, values in rows_about(conn, person_id)
            if table is drafts]
    counts: dict[str, int] = {}
    if keys:
        counts["drafts"] = conn.execute(delete(drafts).where(drafts.c.key.in_(keys))).rowcount
    # Children before parents; twice, because triggers keeping local summaries may write a
    # summary row again while the rows it sums are deleted.
    for _ in range(2):
        for entry in reversed(person_columns()):
            if entry.table in keep or entry.table is people:
                continue
            gone = conn.execute(delete(entry.table).where(_naming(entry, person_id))).rowcount
            if gone:
                counts[str(entry.table.name)] = counts.get(str(entry.table.name), 0) + gone
    # A carer link from someone else is cleared, not their row deleted.
    conn.execute(people.update().where(people.c.carer_of_id == person_id).values(carer_of_id=None))
    if conn.execute(delete(people).where(people.c.id == person_id)).rowcount:
        counts["people"] = 1
    return counts
