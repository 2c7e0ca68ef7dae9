"""Tables of the local store (SQLAlchemy Core). Migrations in `migrations/` create and evolve them.

Every syncable table carries the same change-tracking columns: a client-made UUIDv7 id,
created/updated times, the hybrid-clock stamp of the last edit, per-field stamps (`versions`,
JSON: {"*": insert stamp, field: stamp of each later edit}, read with
`changes.field_version`) for field-level merge, a tombstone flag and the device the row was
born on.
"""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
)

metadata = MetaData()


def _sync_columns() -> list[Column[object]]:
    return [
        Column("id", String(36), primary_key=True),
        Column("created_at", String(32), nullable=False),
        Column("updated_at", String(32), nullable=False),
        Column("hlc", String(64), nullable=False),
        Column("versions", Text, nullable=False, default="{}"),
        Column("deleted", Boolean, nullable=False, default=False),
        Column("origin_device", String(64), nullable=False),
    ]


def _person_fk() -> Column[object]:
    return Column("person_id", String(36), ForeignKey("people.id"), nullable=False, index=True)


store_meta = Table(
    "store_meta",
    metadata,
    Column("key", String(64), primary_key=True),
    Column("value", Text, nullable=False),
)

people = Table(
    "people",
    metadata,
    *_sync_columns(),
    Column("given_name", Text, nullable=False),
    Column("family_name", Text, nullable=False),
    Column("preferred_name", Text),
    Column("date_of_birth", Date, nullable=False),
    Column("nhs_number", String(10)),
    Column("gender", String(32)),
    Column("ethnicity", String(48)),
    Column("gp_practice", Text, nullable=False, default=""),
    Column("address", Text, nullable=False, default=""),
    Column("postcode", String(16), nullable=False, default=""),
    Column("phone", String(32), nullable=False, default=""),
    Column("email", Text, nullable=False, default=""),
    Column("preferred_contact", String(16), nullable=False, default="phone"),
    Column("carer_of_id", String(36), ForeignKey("people.id")),
    Column("large_print", Boolean, nullable=False, default=False),
    Column("interpreter_language", Text),
    Column("hearing_needs", Text),
    Column("sight_needs", Text),
    Column("team", String(64), nullable=False, default=""),
    Column("adviser", Text, nullable=False, default=""),
    # Long-term conditions: JSON text of keys from resources/conditions.json (0009).
    Column("conditions", Text, nullable=False, default="[]", server_default="[]"),
    # Derived locally (case- and accent-folded names) so "zoe" finds "Zoë"; never synced.
    Column("search_key", Text, nullable=False, default=""),
    Index("ix_people_family_name", "family_name"),
    Index("ix_people_search_key", "search_key"),
    Index("ix_people_carer_of_id", "carer_of_id"),  # who cares for someone: every page open
)

referrals = Table(
    "referrals",
    metadata,
    *_sync_columns(),
    _person_fk(),
    Column("source", String(32), nullable=False),
    Column("referrer_name", Text, nullable=False, default=""),
    Column("referrer_organisation", Text, nullable=False, default=""),
    Column("reason", Text, nullable=False, default=""),
    Column("received_on", Date, nullable=False),
    Column("consent", String(16), nullable=False, default="pending"),
    Column("consent_on", Date),
    Column("status", String(16), nullable=False, default="new"),
)

visits = Table(
    "visits",
    metadata,
    *_sync_columns(),
    _person_fk(),
    Column("visit_date", Date, nullable=False),
    Column("place", String(16), nullable=False),
    Column("notes", Text, nullable=False, default="{}"),
    Column("what_matters", Text, nullable=False, default=""),
    Column("status", String(16), nullable=False, default="draft"),
    Column("signed_at", String(32)),
    Column("signed_by", Text),
    Column("corrects_visit_id", String(36), ForeignKey("visits.id")),
)

# A correction of a signed visit (migration 0005): append-only, by its own author; the visit
# itself never changes once signed.
visit_addenda = Table(
    "visit_addenda",
    metadata,
    *_sync_columns(),
    _person_fk(),
    Column("visit_id", String(36), ForeignKey("visits.id"), nullable=False, index=True),
    Column("words", Text, nullable=False),
    Column("written_by", Text, nullable=False),
    Column("written_on", Date, nullable=False),
)

# Consent first (migration 0008): one append-only record per answer the person gave; the
# newest decides what may be written about them (see `store.consent`).
consents = Table(
    "consents",
    metadata,
    *_sync_columns(),
    _person_fk(),
    Column("decision", String(16), nullable=False),
    Column("recording", Boolean, nullable=False),
    Column("share_gp", Boolean, nullable=False),
    Column("share_services", Boolean, nullable=False),
    Column("method", String(16), nullable=False),
    Column("given_on", Date, nullable=False),
    Column("recorded_by", Text, nullable=False),
    Column("notes", Text, nullable=False, default=""),
)

concerns = Table(
    "concerns",
    metadata,
    *_sync_columns(),
    _person_fk(),
    Column("visit_id", String(36), ForeignKey("visits.id")),
    Column("domain", String(48), nullable=False),
    Column("words", Text, nullable=False),
    Column("severity", Integer, nullable=False),
)

concern_ratings = Table(
    "concern_ratings",
    metadata,
    *_sync_columns(),
    _person_fk(),
    Column("concern_id", String(36), ForeignKey("concerns.id"), nullable=False, index=True),
    Column("rated_on", Date, nullable=False),
    Column("value", Integer, nullable=False),
)

steps = Table(
    "steps",
    metadata,
    *_sync_columns(),
    _person_fk(),
    Column("visit_id", String(36), ForeignKey("visits.id")),
    Column("words", Text, nullable=False),
    Column("target_date", Date),
    Column("progress", Integer, nullable=False, default=0),
)

step_progress = Table(
    "step_progress",
    metadata,
    *_sync_columns(),
    _person_fk(),
    Column("step_id", String(36), ForeignKey("steps.id"), nullable=False, index=True),
    Column("rated_on", Date, nullable=False),
    Column("value", Integer, nullable=False),
)

# Every measure's answers (ONS4, SWEMWBS, WHO-5...), one row per sitting: `answers` is JSON
# text {item key: whole number or null where declined}, checked against the measure's
# definition in resources/measures/ (domain/measures.py). Migration 0007 moved ONS4 here.
answers = Table(
    "answers",
    metadata,
    *_sync_columns(),
    _person_fk(),
    Column("measure", String(48), nullable=False),
    Column("taken_on", Date, nullable=False),
    Column("context", String(16), nullable=False),
    Column("answers", Text, nullable=False),
)

# Triggers (migration 0002) bump store_meta "directory_generation" on every change to services,
# so the in-memory search index notices edits from sync or import; recreating the table drops them.
services = Table(
    "services",
    metadata,
    *_sync_columns(),
    Column("name", Text, nullable=False),
    Column("organisation", Text, nullable=False, default=""),
    Column("description", Text, nullable=False, default=""),
    Column("category", String(48), nullable=False),
    Column("wellbeing_tags", Text, nullable=False, default="[]"),
    Column("address", Text, nullable=False, default=""),
    Column("postcode", String(16), nullable=False, default=""),
    Column("area", Text, nullable=False, default=""),
    Column("contact_name", Text, nullable=False, default=""),
    Column("contact_phone", String(32), nullable=False, default=""),
    Column("contact_email", Text, nullable=False, default=""),
    Column("schedule", Text, nullable=False, default=""),
    Column("cost", Text, nullable=False, default=""),
    Column("free", Boolean, nullable=False, default=False),
    Column("step_free", Boolean, nullable=False, default=False),
    Column("accessibility", Text, nullable=False, default=""),
    Column("how_to_refer", Text, nullable=False, default=""),
    Column("waiting_weeks", Integer),
    Column("active", Boolean, nullable=False, default=True),
    Column("last_checked", Date),
    # migration 0004: what councils publish beyond the flat fields (lists as JSON text)
    Column("website", Text, nullable=False, default="", server_default=""),
    Column("eligibility", Text, nullable=False, default="", server_default=""),
    Column("min_age", Integer),
    Column("max_age", Integer),
    Column("languages", Text, nullable=False, default="[]", server_default="[]"),
    Column("places", Text, nullable=False, default="[]", server_default="[]"),
    Column("contacts", Text, nullable=False, default="[]", server_default="[]"),
)

prescriptions = Table(
    "prescriptions",
    metadata,
    *_sync_columns(),
    _person_fk(),
    Column("service_id", String(36), ForeignKey("services.id"), nullable=False),
    Column("start_date", Date, nullable=False),
    Column("weeks", Integer, nullable=False, default=12),
    Column("accompany_first", Boolean, nullable=False, default=False),
    Column("provider_referral", String(16), nullable=False, default="to_send"),
    Column("waiting_weeks", Integer),
    Column("declined_reason", Text, nullable=False, default=""),
    Column("status", String(16), nullable=False, default="active"),
    Column("adviser", Text, nullable=False, default=""),
    Column("team", String(64), nullable=False, default=""),
    Column("ended_on", Date),  # set when it ends early: stopped, cancelled or closed (0002)
    Column("carries_on", Boolean),  # asked at the closing review; NULL until then (0002)
)

follow_ups = Table(
    "follow_ups",
    metadata,
    *_sync_columns(),
    _person_fk(),
    Column("prescription_id", String(36), ForeignKey("prescriptions.id"), index=True),
    Column("due_on", Date, nullable=False),
    Column("kind", String(16), nullable=False, default="review"),
    Column("done_on", Date),
    Column("notes", Text, nullable=False, default=""),
    Index("ix_follow_ups_open", "person_id", "done_on", "due_on"),
)

attendance = Table(
    "attendance",
    metadata,
    *_sync_columns(),
    _person_fk(),
    Column("prescription_id", String(36), ForeignKey("prescriptions.id"), nullable=False),
    Column("session_on", Date, nullable=False),
    Column("status", String(16), nullable=False),
    Column("reason", Text, nullable=False, default=""),
    # Why they stopped: a key from resources/stop_reasons.json (0009); NULL otherwise, and on
    # a stopped session recorded before 0009 (read as "other").
    Column("stopped_because", String(48)),
)

volunteer_hours = Table(
    "volunteer_hours",
    metadata,
    *_sync_columns(),
    _person_fk(),
    Column("prescription_id", String(36), ForeignKey("prescriptions.id"), nullable=False),
    Column("logged_on", Date, nullable=False),
    Column("hours", Float, nullable=False),
)

closing_reviews = Table(
    "closing_reviews",
    metadata,
    *_sync_columns(),
    _person_fk(),
    Column("closed_on", Date, nullable=False),
    Column("outcome", String(32), nullable=False),
    Column("reason", Text, nullable=False, default=""),
    Column("carries_on", Boolean, nullable=False, default=False),
)

outbox = Table(
    "outbox",
    metadata,
    Column("seq", Integer, primary_key=True, autoincrement=True),
    Column("op_id", String(36), nullable=False, unique=True),
    Column("table_name", String(32), nullable=False),
    Column("row_id", String(36), nullable=False),
    Column("person_id", String(36)),
    Column("kind", String(8), nullable=False),
    Column("fields", Text, nullable=False),
    Column("base", Text, nullable=False),
    Column("hlc", String(64), nullable=False),
    Column("created_at", String(32), nullable=False),
    Index("ix_outbox_created_at", "created_at"),  # the oldest waiting, without reading all
)

audit_events = Table(
    "audit_events",
    metadata,
    Column("seq", Integer, primary_key=True, autoincrement=True),
    Column("id", String(36), nullable=False, unique=True),
    Column("at", String(32), nullable=False),
    Column("actor", Text, nullable=False),
    Column("device", String(64), nullable=False),
    Column("action", String(32), nullable=False),
    Column("person_id", String(36), index=True),
    Column("entity", String(32), nullable=False),
    Column("entity_id", String(36)),
    Column("prev_hash", String(64), nullable=False),
    Column("hash", String(64), nullable=False),
)

drafts = Table(
    "drafts",
    metadata,
    Column("key", String(128), primary_key=True),
    Column("content", Text, nullable=False),
    Column("updated_at", String(32), nullable=False),
)

# Derived, local only: kept current by triggers (migration 0001) on every write path -
# services, sync and bulk loads alike - so the caseload lists 10,000 people without subqueries.
caseload_summary = Table(
    "caseload_summary",
    metadata,
    Column("person_id", String(36), ForeignKey("people.id"), primary_key=True),
    Column("referral_status", String(16)),
    Column("last_contact", Date),
    Column("next_due", Date),
    Column("prescribed", Boolean, nullable=False, default=False),
    Column("closed", Boolean, nullable=False, default=False),
)

conflicts = Table(
    "conflicts",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("table_name", String(32), nullable=False),
    Column("row_id", String(36), nullable=False),
    Column("person_id", String(36)),
    Column("field", String(64), nullable=False),
    Column("kept_value", Text),
    Column("other_value", Text),
    Column("kept_hlc", String(64)),
    Column("other_hlc", String(64)),
    Column("created_at", String(32), nullable=False),
    Column("resolved_at", String(32)),
)

SYNCED_TABLES: tuple[Table, ...] = (
    people,
    referrals,
    visits,
    concerns,
    concern_ratings,
    steps,
    step_progress,
    answers,
    services,
    prescriptions,
    follow_ups,
    attendance,
    volunteer_hours,
    closing_reviews,
    visit_addenda,
    consents,
)
TABLES_BY_NAME: dict[str, Table] = {t.name: t for t in SYNCED_TABLES}
SYNC_COLUMNS = frozenset(c.name for c in _sync_columns())
LOCAL_ONLY_COLUMNS = frozenset({"search_key"})
