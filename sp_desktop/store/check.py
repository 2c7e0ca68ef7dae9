"""Finding damage in a store file and naming it, table by table, in sentences a person can read.

Every step runs on a fresh connection: once SQLCipher meets a page that fails its check, that
connection refuses every later read (healthy tables too), so one damaged table must not hide the
state of the others. Nothing here writes to the file.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import orjson
import sqlcipher3.dbapi2 as sqlcipher
from sqlalchemy import Connection, Engine, create_engine, select
from sqlalchemy.exc import DatabaseError as SqlDatabaseError
from sqlalchemy.pool import NullPool

from sp_desktop.store import audit, migrations
from sp_desktop.store.errors import DamagedStore
from sp_desktop.store.schema import TABLES_BY_NAME, metadata, outbox

if TYPE_CHECKING:
    from sp_desktop.store.database import Backup

# What each table holds, in the adviser's words, for the sentence naming a damaged one.
TABLE_WORDS = {
    "people": "people's details",
    "referrals": "referrals",
    "visits": "visit records",
    "concerns": "concerns",
    "concern_ratings": "concern ratings",
    "steps": "steps",
    "answers": "questionnaire answers",
    "assessments": "wellbeing answers",
    "services": "the directory of activities",
    "prescriptions": "activities prescribed",
    "follow_ups": "follow-ups",
    "attendance": "attendance",
    "volunteer_hours": "volunteering hours",
    "closing_reviews": "closing reviews",
    "caseload_summary": "the caseload list",
    "outbox": "changes waiting for the office",
    "audit_events": "the audit trail",
    "conflicts": "edits to settle",
    "drafts": "unsaved drafts",
    "store_meta": "the store's settings",
    "alembic_version": "the schema version",
}
_DAMAGE_ERRORS = (sqlcipher.DatabaseError, SqlDatabaseError)
_PAGE = re.compile(r"page (\d+)", re.IGNORECASE)
_ROWS_AT_ONCE = 500
Connect = Callable[[], Connection]  # a new connection each call (engine.connect)
# Makes a keyed connection; True: verify the key by reading the list of tables (raises
# DamagedStore when that fails), False: only the key is set (for checking pages regardless).
Opener = Callable[[bool], sqlcipher.Connection]


@dataclass
class CheckReport:
    """What the check found, in sentences (`problems`: only the ones that are wrong);
    `damaged_tables` names the tables it could not read in full, `bad_pages` the pages that
    failed their cipher check, `backup` the newest backup that passed the same check (looked
    for only when this store is damaged)."""

    ok: bool = True
    findings: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    damaged_tables: list[str] = field(default_factory=list)
    bad_pages: list[int] = field(default_factory=list)
    backup: Backup | None = None

    def add(self, ok: bool, finding: str) -> None:
        self.ok = self.ok and ok
        self.findings.append(finding)
        if not ok:
            self.problems.append(finding)


def _words(table: str) -> str:
    words = TABLE_WORDS.get(table)
    return f"{table} ({words})" if words and words != table else table


def check_file(
    path: Path, page_size: int, connect: Opener
) -> CheckReport:
    """The whole check: file size, every page's cipher check, every table read in full and
    checked, links between records, schema version, the audit chain and the outbox.

    `connect` makes a new keyed connection each call and raises DamagedStore when the file
    cannot be read with the key at all (other StoreErrors, such as read-only, pass through).
    """
    report = CheckReport()
    if not _check_size(path, page_size, report):
        return report
    engine = _engine(connect)
    try:
        if not _check_key(engine.connect, connect, report):
            return report
        _check_pages(engine.connect, report)
        tables = _check_tables(engine.connect, report)
        if tables is None:
            return report
        _check_links(engine.connect, report)
        revision = _check_version(engine.connect, report)
        if revision == migrations.HEAD_REVISION:
            if "audit_events" not in report.damaged_tables:
                _check_audit(engine.connect, report)
            if "outbox" not in report.damaged_tables:
                _check_outbox(engine.connect, report, tables)
        elif revision in migrations.REVISIONS:
            # Read with today's table definitions, so only once the schema is today's.
            report.add(True, "Audit trail and waiting changes: checked once brought up to date.")
    finally:
        engine.dispose()
    return report


def check_pages(
    path: Path, page_size: int, connect: Opener
) -> CheckReport:
    """The quick check made at every unlock: the file's size and every page's cipher check
    (about 15 ms for a 4 MB store). When anything is wrong it becomes the whole check, so the
    report names the damaged tables."""
    report = CheckReport()
    if _check_size(path, page_size, report):
        engine = _engine(connect)
        try:
            if _check_key(engine.connect, connect, report):
                _check_pages(engine.connect, report)
        finally:
            engine.dispose()
    return report if report.ok else check_file(path, page_size, connect)


def _check_size(path: Path, page_size: int, report: CheckReport) -> bool:
    """False when there is nothing to open: the file is missing or empty."""
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        report.add(False, "The database file is missing.")
        return False
    if size == 0:
        report.add(False, "The database file is empty (0 bytes): everything it held is gone.")
        return False
    if size % page_size:
        report.add(False, f"The database file is cut short ({size:,} bytes, not whole pages).")
    return True


def _engine(open_keyed: Opener) -> Engine:
    return create_engine(
        "sqlite://", creator=lambda: open_keyed(True), module=sqlcipher, poolclass=NullPool
    )


def _check_key(connect: Connect, open_keyed: Opener, report: CheckReport) -> bool:
    """False when the list of tables cannot be read: then only the pages can be checked."""
    try:
        with connect() as conn:
            cipher = conn.exec_driver_sql("PRAGMA cipher_version").scalar()
    except DamagedStore:
        pass
    else:
        report.add(bool(cipher), f"Encryption: SQLCipher {cipher}.")
        return True
    raw = open_keyed(False)
    try:
        problems = [str(r[0]) for r in raw.execute("PRAGMA cipher_integrity_check")]
    except sqlcipher.DatabaseError:
        problems = ["page 1"]
    finally:
        raw.close()
    pages = sorted({int(m.group(1)) for p in problems for m in _PAGE.finditer(p)})
    report.bad_pages = pages
    if not pages or 1 in pages:
        report.add(
            False,
            "The file cannot be read with this store's key: its first page is damaged, "
            "or it is not this store's file.",
        )
    else:
        listed = ", ".join(str(p) for p in pages[:10])
        report.add(
            False,
            f"The store's list of tables is damaged (page {listed}): no table can be read.",
        )
    return False


def _check_pages(connect: Connect, report: CheckReport) -> None:
    try:
        with connect() as conn:
            problems = [str(r[0]) for r in conn.exec_driver_sql("PRAGMA cipher_integrity_check")]
    except _DAMAGE_ERRORS:
        report.add(False, "Encrypted pages: the check could not finish (damage).")
        return
    pages = sorted({int(m.group(1)) for p in problems for m in _PAGE.finditer(p)})
    report.bad_pages = pages
    if not problems:
        report.add(True, "Encrypted pages: all intact.")
    elif pages:
        listed = ", ".join(str(p) for p in pages[:10]) + (" …" if len(pages) > 10 else "")
        report.add(False, f"Encrypted pages: {len(pages)} damaged (page {listed}).")
    else:
        report.add(False, f"Encrypted pages: {len(problems)} problem(s) found.")


def _check_tables(connect: Connect, report: CheckReport) -> list[str] | None:
    """Reads every table in full, each on its own connection; None when the list of tables
    itself cannot be read."""
    try:
        with connect() as conn:
            tables = [
                str(r[0])
                for r in conn.exec_driver_sql(
                    "SELECT name FROM sqlite_master WHERE type = 'table' "
                    "AND name NOT LIKE 'sqlite_%' ORDER BY name"
                )
            ]
    except _DAMAGE_ERRORS:
        report.add(False, "The store's list of tables is damaged: no table can be read.")
        return None
    if not tables:
        report.add(False, "The file holds no SP Desktop data (no tables): it is empty.")
        return None
    expected = set(metadata.tables) | {"alembic_version"}
    missing = _not_added_yet(connect, sorted(expected - set(tables)))
    if missing:
        report.add(False, f"Missing tables: {', '.join(missing)}.")
    records = 0
    for table in tables:
        try:
            with connect() as conn:
                rows = conn.exec_driver_sql(f'SELECT * FROM "{table}"')
                while chunk := rows.fetchmany(_ROWS_AT_ONCE):
                    records += len(chunk)
                # The table's b-tree and each of its indexes, not only the rows reached above.
                quick = conn.exec_driver_sql(f'PRAGMA quick_check("{table}")')
                checked = [str(r[0]) for r in quick]
        except _DAMAGE_ERRORS:
            checked = ["unreadable"]
        if checked != ["ok"]:
            report.damaged_tables.append(table)
            report.add(False, f"Table {_words(table)}: damaged, it cannot be read in full.")
    if not report.damaged_tables:
        report.add(True, f"Tables: all {len(tables)} read in full ({records:,} records).")
    elif report.bad_pages:
        report.add(False, "Records in the damaged tables may be lost; the other tables read whole.")
    if report.bad_pages and not report.damaged_tables:
        report.add(False, "The damaged pages hold no table's records (unused space).")
    return tables


# Tables a later migration adds: a store at an older released schema lacks them until it is
# brought up to date, which is not a fault.
TABLES_ADDED_IN = {"visit_addenda": "0005", "answers": "0007", "consents": "0008"}


def _not_added_yet(connect: Connect, missing: list[str]) -> list[str]:
    """The missing tables less those the store's schema version has not reached yet."""
    if not any(name in TABLES_ADDED_IN for name in missing):
        return missing
    try:
        with connect() as conn:
            revision = migrations.current_revision(conn)
    except _DAMAGE_ERRORS:
        return missing
    if revision not in migrations.REVISIONS:
        return missing
    reached = migrations.REVISIONS.index(revision)
    return [name for name in missing if name not in TABLES_ADDED_IN
            or migrations.REVISIONS.index(TABLES_ADDED_IN[name]) <= reached]


def _check_links(connect: Connect, report: CheckReport) -> None:
    try:
        with connect() as conn:
            broken = conn.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
    except _DAMAGE_ERRORS:
        report.add(False, "Links between records: could not be checked (damage above).")
        return
    if broken:
        report.add(False, f"Links between records: {len(broken)} broken.")
    else:
        report.add(True, "Links between records: ok.")


def _check_version(connect: Connect, report: CheckReport) -> str | None:
    try:
        with connect() as conn:
            revision = migrations.current_revision(conn)
    except _DAMAGE_ERRORS:
        report.add(False, "Schema version: unreadable (damage above).")
        return None
    head = migrations.HEAD_REVISION
    if revision == head:
        report.add(True, f"Schema version: {revision} (current).")
    elif revision in migrations.REVISIONS:
        report.add(True, f"Schema version: {revision} (brought up to {head} when next unlocked).")
    elif revision is None:
        report.add(False, "Schema version: none recorded: this is not a complete store.")
    else:
        report.add(
            False, f"Schema version: {revision}, made by a newer version of SP Desktop."
        )
    return revision


def _check_audit(connect: Connect, report: CheckReport) -> None:
    try:
        with connect() as conn:
            chain = audit.check_chain(conn)
    except _DAMAGE_ERRORS:
        report.add(False, "Audit trail: could not be read in full (damage).")
        return
    if chain.broken_at is not None:
        report.add(
            False,
            f"Audit trail: damaged at event {chain.broken_at}: events were removed or changed.",
        )
    elif chain.head_missing:
        report.add(False, "Audit trail: damaged: the newest events have been removed.")
    else:
        report.add(True, f"Audit trail: {chain.events:,} events, unbroken.")


def _check_outbox(connect: Connect, report: CheckReport, tables: list[str]) -> None:
    """Each change waiting for the office must name a known table, a row that exists, a known
    kind and well-formed fields: the sync sends them as they are."""
    bad = 0
    waiting = 0
    try:
        with connect() as conn:
            entries = conn.execute(
                select(outbox.c.table_name, outbox.c.row_id, outbox.c.kind, outbox.c.fields,
                       outbox.c.base)
            ).all()
            for table_name, row_id, kind, fields, base in entries:
                waiting += 1
                if not _entry_whole(conn, tables, table_name, row_id, kind, fields, base):
                    bad += 1
    except _DAMAGE_ERRORS:
        report.add(False, "Changes waiting for the office: could not be read in full (damage).")
        return
    if bad:
        report.add(
            False,
            f"Changes waiting for the office: {bad} of {waiting} damaged (they cannot be sent).",
        )
    else:
        report.add(True, f"Changes waiting for the office: {waiting:,}, all whole.")


def _entry_whole(
    conn: Connection,
    tables: list[str],
    table_name: object,
    row_id: object,
    kind: object,
    fields: object,
    base: object,
) -> bool:
    from sp_desktop.domain.changes import OpKind

    table = TABLES_BY_NAME.get(str(table_name))
    if table is None or table.name not in tables or kind not in {k.value for k in OpKind}:
        return False
    try:
        if not isinstance(orjson.loads(str(fields)), dict):
            return False
        if not isinstance(orjson.loads(str(base)), dict):
            return False
    except orjson.JSONDecodeError:
        return False
    found = conn.execute(select(table.c.id).where(table.c.id == row_id)).first()
    return found is not None
