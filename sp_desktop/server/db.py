"""The server's tables (SQLAlchemy Core) and engines for SQLite (default) and PostgreSQL.

Rows of every synced table are stored generically: table name, row id, person, team, fields and
per-field stamps as JSON text, tombstone flag and `seq`, the server sequence number of the row's
last change. `seq` comes from one counter row updated in the pushing transaction, so a cursor
never skips a change committed out of order (which PostgreSQL sequences would allow).
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import threading
import weakref
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Connection,
    Engine,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    create_engine,
    event,
)
from sqlalchemy.engine import make_url

DATABASE_URL_ENV = "SP_SERVER_DATABASE_URL"
SQLITE_NAME = "sp-server.db"
SEQ_COUNTER = "seq"

metadata = MetaData()

teams = Table(
    "teams",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", String(100), nullable=False, unique=True),
    Column("created_at", String(32), nullable=False),
)

advisers = Table(
    "advisers",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", String(200), nullable=False, unique=True),
    Column("team_id", Integer, ForeignKey("teams.id"), nullable=False),
    Column("role", String(16), nullable=False, default="adviser"),
    Column("password_hash", Text, nullable=False),
    Column("active", Boolean, nullable=False, default=True),  # False: disabled (has left)
    Column("created_at", String(32), nullable=False),
)

devices = Table(
    "devices",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("adviser_id", Integer, ForeignKey("advisers.id"), nullable=False, index=True),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("label", String(200), nullable=False, default=""),
    Column("created_at", String(32), nullable=False),
    Column("last_seen_at", String(32)),
    Column("revoked_at", String(32)),
    # "retired": the laptop uploads what it holds, then wipes; "lost": it wipes at once.
    Column("revoke_kind", String(8)),
    # Epoch seconds after which the token is refused (NULL: issued before tokens expired; it
    # is renewed at the device's next sync). A password change sets it to the change's time.
    Column("token_expires_at", Float),
    # A renewed token handed out in a sync answer: it replaces `token_hash` on first use, and
    # until then the old token still works (the answer carrying it may have been lost).
    Column("pending_token_hash", String(64), unique=True),
    # What the laptop said at its last sync (headers; absent from older apps): its version,
    # how many changes it held waiting and since when.
    Column("app_version", String(40)),
    Column("waiting", Integer),
    Column("oldest_waiting_at", String(32)),
    # The tombstone purge point (seq) this laptop's copy was pulled under (see restore_reason).
    Column("purge_seen", BigInteger),
)

login_throttle = Table(
    "login_throttle",
    metadata,
    Column("key", String(80), primary_key=True),
    Column("failures", Integer, nullable=False),
    Column("last_failure_at", Float, nullable=False),
    Column("blocked_until", Float, nullable=False),
)

counters = Table(
    "counters",
    metadata,
    Column("name", String(32), primary_key=True),
    Column("value", BigInteger, nullable=False),
)

person_scope = Table(
    "person_scope",
    metadata,
    Column("person_id", String(64), primary_key=True),
    Column("team_id", Integer, ForeignKey("teams.id"), nullable=False, index=True),
)

rows = Table(
    "rows",
    metadata,
    Column("table_name", String(32), primary_key=True),
    Column("row_id", String(64), primary_key=True),
    Column("person_id", String(64)),
    Column("team_id", Integer, ForeignKey("teams.id")),  # NULL: the directory, seen by all
    Column("fields", Text, nullable=False),
    Column("versions", Text, nullable=False),
    Column("deleted", Boolean, nullable=False),
    Column("hlc", String(96), nullable=False),
    Column("origin_device", String(64), nullable=False),
    Column("created_hlc", String(96), nullable=False),
    Column("seq", BigInteger, nullable=False),
    Index("ix_rows_team_seq", "team_id", "seq"),
    Index("ix_rows_seq", "seq"),
    Index("ix_rows_person", "person_id"),
)

conflicts = Table(
    "conflicts",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("team_id", Integer, ForeignKey("teams.id")),
    Column("table_name", String(32), nullable=False),
    Column("row_id", String(64), nullable=False),
    Column("person_id", String(64)),
    Column("field", String(64), nullable=False),
    Column("kind", String(8), nullable=False),
    Column("kept_value", Text),
    Column("other_value", Text),
    Column("kept_hlc", String(96)),
    Column("other_hlc", String(96)),
    Column("created_at", String(32), nullable=False),
    Column("resolved_at", String(32)),
    Column("seq", BigInteger, nullable=False),
    Index("ix_conflicts_team_seq", "team_id", "seq"),
)

receipts = Table(
    "receipts",
    metadata,
    Column("device_id", String(64), primary_key=True),
    Column("op_id", String(64), primary_key=True),
    Column("result", Text, nullable=False),
    Column("created_at", String(32), nullable=False),
)


# --- the office console (sp_desktop/server/console) ----------------------------------------

console_users = Table(
    "console_users",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", String(200), nullable=False, unique=True),
    Column("role", String(16), nullable=False),  # manager, lead, commissioner
    Column("password_hash", Text, nullable=False),
    Column("totp_secret", String(64), nullable=False),
    # The last TOTP time step accepted: a code is good once (a watched code cannot be replayed).
    Column("totp_last_step", BigInteger),
    Column("active", Boolean, nullable=False),
    Column("created_at", String(32), nullable=False),
)

console_user_teams = Table(
    "console_user_teams",
    metadata,
    Column("user_id", Integer, ForeignKey("console_users.id"), primary_key=True),
    Column("team_id", Integer, ForeignKey("teams.id"), primary_key=True),
)

# Sessions live in the database, so any worker serving the console knows every session.
console_sessions = Table(
    "console_sessions",
    metadata,
    Column("token_hash", String(64), primary_key=True),
    Column("user_id", Integer, ForeignKey("console_users.id"), nullable=False, index=True),
    Column("stage", String(8), nullable=False),  # "password" (TOTP still to come) or "full"
    Column("csrf", String(64), nullable=False),
    Column("created_at", Float, nullable=False),
    Column("last_seen_at", Float, nullable=False),
)

# The server's audit log: every console action, append-only (issue 14 shows it).
office_audit = Table(
    "office_audit",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", String(32), nullable=False, index=True),
    Column("actor", String(200), nullable=False),
    Column("role", String(16), nullable=False),
    Column("action", String(64), nullable=False),
    Column("target", String(200), nullable=False),
    Column("detail", Text, nullable=False),
    Column("address", String(64), nullable=False),
)

# A report table kept current from `rows` (by `seq`): one line per person, so team pages
# count with an index instead of reading JSON. `console.reports.catch_up` maintains it.
console_people = Table(
    "console_people",
    metadata,
    Column("person_id", String(64), primary_key=True),
    Column("team_id", Integer, nullable=False),
    Column("adviser", String(200), nullable=False),
    Column("given_name", String(200), nullable=False),
    Column("family_name", String(200), nullable=False),
    Column("is_open", Boolean, nullable=False),
    Column("waiting", Boolean, nullable=False),  # a new referral not yet taken up
    Column("next_due", String(10)),  # the earliest follow-up not done (ISO date)
    Column("last_contact", String(10)),  # the latest visit (ISO date)
    Index("ix_console_people_team_adviser", "team_id", "adviser"),
    # A team's people in name order: a page of 50 without sorting the whole team.
    Index("ix_console_people_team_name", "team_id", "family_name", "given_name", "person_id"),
)
CONSOLE_SEQ_COUNTER = "console_seq"  # how far `console_people` has read `rows`

# The outcomes report (issue 13): one line per person (who they are in groups, never a name)
# and one line per person and questionnaire result (baseline and latest), kept current from
# `rows` by `seq` (`console.outcomes.catch_up`), so the outcomes page is computed by SQL with
# indexes.
outcome_people = Table(
    "outcome_people",
    metadata,
    Column("person_id", String(64), primary_key=True),
    Column("team_id", Integer, nullable=False, index=True),
    Column("gp_practice", String(200), nullable=False),
    Column("gender", String(32), nullable=False),
    Column("ethnicity", String(64), nullable=False),
    Column("age", Integer),  # at referral, in whole years
    Column("source", String(32), nullable=False),
    Column("received_on", String(10)),  # the first referral (ISO date)
    Column("status", String(16), nullable=False),  # the latest referral's status
    Column("wait_days", Integer),  # referral to first visit
    Column("closed_outcome", String(32)),
    # Long-term conditions as "|copd|diabetes|" (a LIKE finds one), "" for none, NULL where
    # the person's row has no such field (recorded before it existed): not recorded.
    Column("conditions", String(400)),
    Column("condition_count", Integer),
    # Concerns, averaged per person first (one person's nine concerns weigh as one person):
    # concerns set, those rated again later, the mean first and latest of those, and how many
    # of them eased (a lower latest rating: lower is better).
    Column("concerns_set", Integer),
    Column("concerns_paired", Integer),
    Column("concern_first", Float),
    Column("concern_latest", Float),
    Column("concerns_eased", Integer),
    Column("first_volunteered", String(10)),  # the first day they logged volunteering hours
    Index("ix_outcome_people_received", "received_on"),
)
outcome_pairs = Table(
    "outcome_pairs",
    metadata,
    Column("person_id", String(64), primary_key=True),
    Column("measure", String(64), primary_key=True),
    Column("result", String(64), primary_key=True),
    Column("before", Float, nullable=False),  # the first baseline score
    Column("after", Float),  # the latest review or exit score since; None: baseline only
    Column("band_before", Integer),  # the band's place from the lowest; None without bands
    Column("band_after", Integer),
    # The person's groups, copied from their `outcome_people` line when both are rebuilt, so
    # the paired figures are one pass over this table with no join (the page's largest query).
    Column("team_id", Integer, nullable=False),
    Column("gp_practice", String(200), nullable=False),
    Column("gender", String(32), nullable=False),
    Column("ethnicity", String(64), nullable=False),
    Column("age", Integer),
    Column("source", String(32), nullable=False),
    Column("received_on", String(10)),
    Column("conditions", String(400)),
    Column("condition_count", Integer),
    # The months each score looks back over, for measures counted over a period (health-service
    # use: six months before referral; later, the time since referral), so rates per
    # person-month are one division in SQL. None for measures that are not counts over time.
    Column("months_before", Float),
    Column("months_after", Float),
)
outcome_activity = Table(
    "outcome_activity",
    metadata,
    Column("prescription_id", String(64), primary_key=True),
    Column("person_id", String(64), nullable=False, index=True),
    Column("service_id", String(64), nullable=False),
    Column("start_date", String(10)),
    Column("attended", Integer, nullable=False),
    Column("missed", Integer, nullable=False),
    Column("stopped", Integer, nullable=False),
    Column("volunteer_hours", Float, nullable=False),
    Column("stopped_because", String(64)),  # the latest stop's coded reason (never free text)
)
# One line per step: its latest progress (0 to 10) and whether any progress was recorded.
outcome_steps = Table(
    "outcome_steps",
    metadata,
    Column("step_id", String(64), primary_key=True),
    Column("person_id", String(64), nullable=False, index=True),
    Column("latest", Integer, nullable=False),
    Column("progressed", Integer, nullable=False),  # 1: a rating above 0 was recorded
)
# Practices' registered populations (NHS Digital's "Patients Registered at a GP Practice", or
# a simple file for ethnicity), loaded by a service lead, for the equity tables.
registered_population = Table(
    "registered_population",
    metadata,
    Column("practice", String(200), primary_key=True),
    Column("dimension", String(16), primary_key=True),  # age, gender or ethnicity
    Column("grp", String(64), primary_key=True),  # the report's own group (an age band, ...)
    Column("patients", Integer, nullable=False),
    Column("loaded_on", String(10), nullable=False),
)
OUTCOMES_SEQ_COUNTER = "outcomes_seq"  # how far the outcomes tables have read `rows`


# --- the laptops' audit trails, held at the office (issue 14) ----------------------------------

# Every event each laptop recorded, as it arrived: append-only (nothing here is ever updated or
# deleted by the server's code). Keyed by the laptop's own place in its chain.
laptop_audit = Table(
    "laptop_audit",
    metadata,
    Column("device_id", String(64), primary_key=True),
    Column("seq", BigInteger, primary_key=True),
    Column("event_id", String(36), nullable=False),
    Column("at", String(32), nullable=False),
    Column("actor", String(200), nullable=False),
    Column("device", String(64), nullable=False),
    Column("action", String(32), nullable=False),
    Column("person_id", String(64), index=True),
    Column("entity", String(32), nullable=False),
    Column("entity_id", String(64)),
    Column("prev_hash", String(64), nullable=False),
    Column("hash", String(64), nullable=False),
    Column("received_at", String(32), nullable=False),
    Index("ix_laptop_audit_actor", "actor"),
)

# Breaks found in a laptop's chain as it arrived (a gap, a rewrite, an altered event): the
# console shows them; they are never cleared by anything a laptop sends.
laptop_audit_flags = Table(
    "laptop_audit_flags",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("device_id", String(64), nullable=False, index=True),
    Column("seq", BigInteger, nullable=False),
    Column("kind", String(16), nullable=False),  # gap, rewritten, altered, other_device
    Column("words", Text, nullable=False),
    Column("found_at", String(32), nullable=False),
)

# Erasure: a payload-free record that a person's data was erased (who asked, why, when), and
# which laptops have confirmed they purged it. Nothing here names or describes the person.
erasures = Table(
    "erasures",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("person_id", String(64), nullable=False, unique=True),
    Column("team_id", Integer, ForeignKey("teams.id")),
    Column("reason", Text, nullable=False),
    Column("erased_by", String(200), nullable=False),
    Column("erased_at", String(32), nullable=False),
    Column("rows_erased", Integer, nullable=False),
)

# An adviser's request, from the app, that a person be erased: a manager confirms it (with a
# reason of their own) in the console. Holds the person's id and the adviser's words only.
erasure_requests = Table(
    "erasure_requests",
    metadata,
    Column("person_id", String(64), primary_key=True),
    Column("device_id", String(64), primary_key=True),
    Column("team_id", Integer, ForeignKey("teams.id"), nullable=False),
    Column("adviser", String(200), nullable=False),
    Column("reason", Text, nullable=False),
    Column("asked_at", String(32), nullable=False),
)

erasure_confirmations = Table(
    "erasure_confirmations",
    metadata,
    Column("erasure_id", String(36), ForeignKey("erasures.id"), primary_key=True),
    Column("device_id", String(64), primary_key=True),
    Column("confirmed_at", String(32), nullable=False),
)


def default_database_url(data_dir: Path | None = None) -> str:
    """SQLite in the given folder, else the per-user data folder, so `sp-server` just runs."""
    if data_dir is None:
        import platformdirs

        data_dir = Path(platformdirs.user_data_dir("sp-server", appauthor=False))
    data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    return f"sqlite+pysqlite:///{data_dir / SQLITE_NAME}"


def _private_sqlite_file(database: str | None) -> None:
    """Creates the SQLite file readable by its owner only (0600) before SQLite opens it.

    SQLite gives its -wal and -shm files the database file's mode, so they stay private too;
    a file an older version made world-readable is tightened.
    """
    if not database or database == ":memory:" or database.startswith("file:"):
        return
    path = Path(database)
    with contextlib.suppress(FileExistsError):
        os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
    for each in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        with contextlib.suppress(FileNotFoundError, PermissionError):
            if each.stat().st_mode & 0o077:
                each.chmod(0o600)


def resolve_database_url(url: str | None, data_dir: Path | None = None) -> str:
    return url or os.environ.get(DATABASE_URL_ENV) or default_database_url(data_dir)


def is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"


def make_engine(url: str, *, pool_size: int = 10) -> Engine:
    """An engine tuned per backend. SQLite: WAL, durable commits, writers queue on a lock."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        _private_sqlite_file(parsed.database)
        engine = create_engine(
            url,
            connect_args={"check_same_thread": False, "timeout": 30, "isolation_level": None},
            pool_size=pool_size,
            max_overflow=pool_size,
            hide_parameters=True,  # a database error in the log must not carry field values
        )

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi: sqlite3.Connection, _record: Any) -> None:
            dbapi.execute("PRAGMA journal_mode = WAL")
            dbapi.execute("PRAGMA synchronous = FULL")
            dbapi.execute("PRAGMA foreign_keys = ON")
            dbapi.execute("PRAGMA busy_timeout = 30000")

        @event.listens_for(engine, "begin")
        def _begin(conn: Connection) -> None:
            # Writers take the lock up front: a deferred transaction that later upgrades to a
            # writer can fail with "database is locked" instead of waiting its turn.
            immediate = conn.get_execution_options().get("write", False)
            conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

        return engine
    return create_engine(
        url,
        pool_size=pool_size,
        max_overflow=pool_size,
        pool_pre_ping=True,
        hide_parameters=True,
        # psycopg would prepare repeated statements server-side, and PostgreSQL then keeps a
        # generic plan chosen while the tables were small (sequential scans) that slows with
        # every row added. Planning each execution keeps pushes flat as the tables grow.
        connect_args={"prepare_threshold": None},
    )


_writers: weakref.WeakKeyDictionary[Engine, threading.RLock] = weakref.WeakKeyDictionary()
_writers_lock = threading.Lock()


def _writer_lock(engine: Engine) -> threading.RLock:
    with _writers_lock:
        lock = _writers.get(engine)
        if lock is None:
            lock = _writers[engine] = threading.RLock()
        return lock


@contextlib.contextmanager
def write_transaction(engine: Engine) -> Iterator[Connection]:
    """A transaction that will write (on SQLite it holds the write lock from its start).

    On SQLite the writers of one process also queue on a lock of their own first: SQLite's
    busy handler polls a held write lock with growing sleeps (up to 100 ms), so two pushes
    arriving together left the database idle between them; a queued thread starts the moment
    the one before commits. (Other processes still meet the busy handler.)
    """
    queue = _writer_lock(engine) if engine.dialect.name == "sqlite" else contextlib.nullcontext()
    with queue, engine.connect().execution_options(write=True) as conn, conn.begin():
        yield conn


@contextlib.contextmanager
def read_transaction(engine: Engine) -> Iterator[Connection]:
    with engine.connect() as conn, conn.begin():
        yield conn
