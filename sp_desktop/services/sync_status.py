"""What the app says about sync (Qt-free): status words, when to sync unasked, conflict cards."""

from __future__ import annotations

import contextlib
import functools
import ssl
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from sp_desktop.domain import choice_lists, choices
from sp_desktop.domain.errors import SpDesktopError, ValidationError
from sp_desktop.domain.hlc import HlcStamp
from sp_desktop.domain.rows import ROWS, Chosen, Day, Listed, OneOf, YesNo
from sp_desktop.store.database import Store
from sp_desktop.sync import local
from sp_desktop.sync.client import SyncStatus, secure_channel, sync_status
from sp_desktop.sync.conflicts import (
    ConflictView,
    RejectedChange,
    dismiss_rejected,
    list_conflicts,
    rejected_changes,
)
from sp_desktop.sync.merge import DELETED, KEPT
from sp_desktop.sync.protocol import HEALTH_PATH, TABLES

if TYPE_CHECKING:
    from sp_desktop.services.workspace import Workspace

PROBE_TIMEOUT_S = 3.0  # a health check is tiny: longer means the office is not really there
# A sync finished while this change was already waiting, or syncs kept failing while the
# office answered: either way the queue is not draining and the adviser should know.
FAILURES_BEFORE_WARNING = 2


# --- the facts ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SyncOverview:
    """The client's counts plus when a sync was last tried (started), for the status bar."""

    status: SyncStatus
    last_attempt_at: datetime | None

    @property
    def registered(self) -> bool:
        return self.status.registered


def _parse_time(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def read_overview(store: Store) -> SyncOverview:
    """Everything the status bar shows, in two short reads."""
    status = sync_status(store)
    with store.read() as conn:
        attempt = local.get_meta(conn, local.META_LAST_ATTEMPT)
    return SyncOverview(status, _parse_time(attempt))


def server_address(text: str) -> str:
    """The address the adviser typed, checked and tidied (https:// added when left out;
    http:// refused unless it names this computer).

    Checked here so a typo is a calm message beside the field, not a network error later.
    """
    address = text.strip()
    if not address:
        raise ValidationError("server", "Please type the office server's address.")
    if " " in address:
        raise ValidationError("server", "A server address has no spaces in it.")
    if not address.lower().startswith(("https://", "http://")):
        address = "https://" + address
    address = address.rstrip("/")
    import httpx  # here, not at start-up: only talking to the office needs it

    try:
        url = httpx.URL(address)
    except (httpx.InvalidURL, ValueError) as exc:
        raise ValidationError("server", "That does not look like a server address.") from exc
    if not url.host:
        raise ValidationError("server", "That does not look like a server address.")
    if not secure_channel(address):
        raise ValidationError(
            "server",
            "The address must start with https:// so that your "
            "password and people's records cannot be read on the way. "
            "Plain http:// is only for a server on this same computer.",
        )
    return address


def probe_office(
    server_url: str,
    *,
    timeout: float = PROBE_TIMEOUT_S,
    verify: bool | str | ssl.SSLContext = True,
) -> bool:
    """True when the office server answers its health check (no sign-in needed, nothing sent)."""
    import httpx  # here, not at start-up: only talking to the office needs it

    if isinstance(verify, str):
        verify = ssl.create_default_context(cafile=verify)
    with contextlib.suppress(httpx.HTTPError, ValueError, OSError):
        answer = httpx.get(server_url.rstrip("/") + HEALTH_PATH, timeout=timeout, verify=verify)
        return answer.status_code == 200
    return False


# --- words --------------------------------------------------------------------------------------


def age_words(seconds: float) -> str:
    """'under a minute', '5 min', '3 h', '2 days': how long something has waited."""
    if seconds < 60:
        return "under a minute"
    minutes = int(seconds // 60)
    if minutes < 60:
        return f"{minutes} min"
    hours = minutes // 60
    if hours < 48:
        return f"{hours} h"
    return f"{hours // 24} days"


def when_words(moment: datetime, now: datetime) -> str:
    """'today at 10:42', 'yesterday at 16:05', 'Tue 3 Mar at 09:10', in the laptop's time zone."""
    here, today = moment.astimezone(), now.astimezone()
    if here.date() == today.date():
        return f"today at {here:%H:%M}"
    if here.date() == today.date() - timedelta(days=1):
        return f"yesterday at {here:%H:%M}"
    return f"{here:%a} {here.day} {here:%b} at {here:%H:%M}"


def _plural(count: int, one: str, many: str) -> str:
    return f"{count} {one if count == 1 else many}"


@dataclass(frozen=True, slots=True)
class StatusWords:
    """The status bar's sentences. `warning` is set when the queue is not draining."""

    office: str
    last_sync: str
    waiting: str
    conflicts: str
    rejected: str
    warning: str | None

    @property
    def summary(self) -> str:
        """One line for the status bar and screen readers; each part also stands alone."""
        parts = [self.office, self.last_sync, self.waiting, self.conflicts]
        if self.rejected:
            parts.append(self.rejected)
        return " · ".join(part for part in parts if part)


def describe(
    overview: SyncOverview, *, reachable: bool | None, now: datetime, stuck: bool = False
) -> StatusWords:
    """Words for what the laptop knows about sync; nothing here relies on colour to be read."""
    status = overview.status
    if not status.registered:
        office = "Not registered with the office"
    elif reachable is None:
        office = "Office server: checking"
    elif reachable:
        office = "Office server reachable"
    else:
        office = "Offline"
    if status.last_success_at is None:
        last = "not synced yet"
    else:
        last = f"last sync {when_words(status.last_success_at, now)}"
    if status.waiting == 0:
        waiting = "nothing waiting to send"
    else:
        waiting = _plural(status.waiting, "change waiting", "changes waiting")
        age = status.oldest_waiting_age(now)
        if age is not None:
            waiting += f" (oldest {age_words(age)})"
    unresolved = status.unresolved_conflicts
    conflicts = (
        _plural(unresolved, "conflict to resolve", "conflicts to resolve")
        if unresolved
        else "no conflicts"
    )
    rejected = (
        _plural(status.rejected, "change refused by the office", "changes refused by the office")
        if status.rejected
        else ""
    )
    warning = None
    if stuck:
        age = status.oldest_waiting_age(now)
        waited = f" The oldest has waited {age_words(age)}." if age is not None else ""
        warning = (
            "Warning: changes are not going to the office even though it can be "
            f"reached.{waited} They are safe on this laptop. If this carries on, please "
            "tell your office."
        )
    return StatusWords(office, last, waiting, conflicts, rejected, warning)


def not_draining(
    overview: SyncOverview, *, reachable: bool | None, failures_while_reachable: int
) -> bool:
    """True when changes wait although the office answers: syncs keep failing, or a sync
    finished after a change was made and the change is still waiting."""
    status = overview.status
    if not status.registered or status.waiting == 0 or not reachable:
        return False
    if failures_while_reachable >= FAILURES_BEFORE_WARNING:
        return True
    attempt, success = overview.last_attempt_at, status.last_success_at
    oldest = status.oldest_waiting_at
    return bool(attempt and success and oldest and attempt <= success and oldest < attempt)


# --- syncing without being asked ----------------------------------------------------------------


@dataclass(slots=True)
class AutoSync:
    """Decides, at each reachability check, whether to sync without the adviser asking.

    Syncs as soon as the office becomes reachable (back from a day of visits), then keeps the
    queue draining while it stays reachable, and now and then pulls the team's changes even
    when nothing waits here. Attributes: `push_every`, `pull_every`, `was_reachable`.
    """

    push_every: timedelta = timedelta(minutes=5)
    pull_every: timedelta = timedelta(minutes=30)
    was_reachable: bool | None = field(default=None)

    def should_sync(self, overview: SyncOverview, *, reachable: bool, now: datetime) -> bool:
        became_reachable = reachable and self.was_reachable is not True
        self.was_reachable = reachable
        if not reachable or not overview.registered:
            return False
        if became_reachable:
            return True
        times = [t for t in (overview.last_attempt_at, overview.status.last_success_at) if t]
        if not times:
            return True
        since = now - max(times)
        if overview.status.waiting:
            return since >= self.push_every
        return since >= self.pull_every


# --- conflicts, as the adviser reads them -------------------------------------------------------

FIELD_WORDS = {
    "given_name": "First name",
    "family_name": "Family name",
    "preferred_name": "Preferred name",
    "address": "Address",
    "gp_practice": "GP practice",
    "email": "Email",
    "phone": "Phone",
    "interpreter_language": "Interpreter language",
    "hearing_needs": "Hearing needs",
    "sight_needs": "Sight needs",
    "conditions": "Long-term conditions",
    "reason": "Reason for referral",
    "referrer_name": "Referrer's name",
    "referrer_organisation": "Referrer's organisation",
    "notes": "Notes",
    "what_matters": "What matters to them",
    "words": "In their words",
    "declined_reason": "Why they declined",
}
RECORD_WORDS = {
    "people": "personal details",
    "referrals": "referral",
    "visits": "visit",
    "concerns": "concern",
    "steps": "step",
    "prescriptions": "activity",
    "follow_ups": "follow-up",
    "services": "directory entry",
    "visit_addenda": "correction to a visit",
}


def field_words(name: str, table: str | None = None) -> str:
    """A field's name as the forms say it ('Postcode', 'Date of birth', 'Large print')."""
    if name in FIELD_WORDS:
        return FIELD_WORDS[name]
    rule = ROWS[table].fields.get(name) if table in ROWS else None
    if rule is not None:
        words = rule.label.removeprefix("The ")
        return words[:1].upper() + words[1:]
    return name.replace("_", " ").capitalize()


@functools.cache
def _choice_labels(values: frozenset[str]) -> dict[str, str]:
    """The labels of the choice list whose stored values these are (found once per list)."""
    for kind in vars(choices).values():
        if (
            isinstance(kind, type)
            and issubclass(kind, choices.Choice)
            and kind is not choices.Choice
            and frozenset(str(m.value) for m in kind) == values
        ):
            return {str(member.value): member.label for member in kind}
    return {}


def one_value_words(value: Any, table: str | None, name: str) -> str:
    """One field's value in words: a date as people write it, yes or no, a choice's label."""
    if value is None or value == "":
        return "(left empty)"
    rule = ROWS[table].fields.get(name) if table in ROWS else None
    if isinstance(rule, YesNo) and isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(rule, Day) and isinstance(value, str):
        try:
            day = date.fromisoformat(value[:10])
        except ValueError:
            return value
        return f"{day.day} {day:%B %Y}"
    if isinstance(rule, OneOf) and isinstance(value, str):
        return _choice_labels(rule.values).get(value, value)
    if isinstance(rule, Listed) and rule.keys is choice_lists.condition_keys:
        keys = choice_lists.conditions_from_text(value if isinstance(value, str) else None)
        return ", ".join(choice_lists.condition_words(keys)) or "None recorded"
    if isinstance(rule, Chosen) and rule.keys is choice_lists.stop_reason_keys:
        return choice_lists.stop_reason_words(str(value))
    return str(value)


def _value_words(value: Any, *, row: bool, table: str | None = None, name: str = "") -> str:
    if row:
        if value == DELETED:
            return "Deleted (the whole record removed)"
        if value == KEPT:
            return "Kept as it is"
        if isinstance(value, dict):
            lines = [
                f"{field_words(k, table)}: {'' if v is None else one_value_words(v, table, k)}"
                for k, v in value.items()
            ]
            return "Kept, with these changes:\n" + "\n".join(lines)
    return one_value_words(value, table, name)


def _who_when(stamp_text: str | None, own_device: str, now: datetime) -> str:
    if not stamp_text:
        return "Changed at an unknown time"
    try:
        stamp = HlcStamp.parse(stamp_text)
    except ValueError:
        return "Changed at an unknown time"
    who = "on this laptop" if stamp.device == own_device else "on another laptop in your team"
    moment = datetime.fromtimestamp(stamp.wall_ms / 1000, UTC)
    return f"Changed {who}, {when_words(moment, now)}"


@dataclass(frozen=True, slots=True)
class ConflictCard:
    """One conflict in the adviser's words, both sides with who changed it and when."""

    id: str
    person_name: str
    what: str  # 'Address (personal details)'
    kept_text: str
    kept_who_when: str
    other_text: str
    other_who_when: str
    is_delete_race: bool
    person_id: str | None
    table: str
    is_text: bool = True  # free text; else a detail settled by clock (a postcode, a date)

    @property
    def title(self) -> str:
        return f"{self.person_name}: {self.what}"

    @property
    def about(self) -> str:
        """What happened, in one or two sentences for the detail pane."""
        if self.is_delete_race:
            return (
                "One laptop removed this record while another changed it. The office "
                "settled it as shown on every laptop; the other version is kept here."
            )
        if self.is_text:
            return (
                "Two laptops changed these words before either had synced. The office "
                "kept the newer change on every laptop and saved the other here."
            )
        return (
            "Two laptops changed this detail before either had synced. The office kept "
            "the later change on every laptop; the other value is saved here so you can "
            "check which one is right."
        )


def conflict_cards(ws: Workspace, *, now: datetime | None = None) -> list[ConflictCard]:
    """The conflicts waiting for the adviser, oldest first, ready to show side by side."""
    now = now or datetime.now(UTC)
    views = list_conflicts(ws.store)
    names: dict[str, str] = {}
    for person_id in {v.person_id for v in views if v.person_id}:
        try:
            names[person_id] = ws.people.get(person_id).display_name
        except (SpDesktopError, LookupError):
            names[person_id] = "Someone on your caseload"
    return [_card(view, names, ws.device, now) for view in views]


def _card(view: ConflictView, names: dict[str, str], device: str, now: datetime) -> ConflictCard:
    record = RECORD_WORDS.get(view.table, view.table.replace("_", " "))
    what = (
        "Whole record" if view.is_delete_race else field_words(view.field, view.table)
    ) + f" ({record})"
    spec = TABLES.get(view.table)
    is_text = not view.is_delete_race and spec is not None and view.field in spec.text_fields
    return ConflictCard(
        id=view.id,
        person_name=names.get(view.person_id or "", "The directory"),
        what=what,
        kept_text=_value_words(
            view.kept_value, row=view.is_delete_race, table=view.table, name=view.field
        ),
        kept_who_when=_who_when(view.kept_hlc, device, now),
        other_text=_value_words(
            view.other_value, row=view.is_delete_race, table=view.table, name=view.field
        ),
        other_who_when=_who_when(view.other_hlc, device, now),
        is_delete_race=view.is_delete_race,
        person_id=view.person_id,
        table=view.table,
        is_text=is_text,
    )


# --- changes the office refused, as the adviser reads them --------------------------------------

KIND_WORDS = {"upsert": "Saved", "append": "Added", "delete": "Deleted"}


@dataclass(frozen=True, slots=True)
class RefusedCard:
    """One change the office refused, in the adviser's words.

    `title` says which record ('Edith Jones: visit'), `when` when the office refused it,
    `reason` the office's own words ("" when it gave none); `person_id` lets a screen offer
    to open the person.
    """

    op_id: str
    person_name: str
    record: str
    action: str
    when: str
    reason: str
    person_id: str | None
    table: str

    @property
    def title(self) -> str:
        return f"{self.person_name}: {self.record}"

    @property
    def details(self) -> str:
        """The whole card as sentences, for the detail pane and screen readers."""
        whose = f" for {self.person_name}" if self.person_id else ""
        said = (
            f"The office said: {self.reason}"
            if self.reason
            else "The office gave no reason: please ask your office about it."
        )
        return f"{self.action} {self.record}{whose}. The office refused it {self.when}.\n\n{said}"


def _person_of(change: RejectedChange) -> str | None:
    # A person's own row names no person: the row is the person.
    return change.person_id or (change.row_id if change.table == "people" else None)


def refused_cards(ws: Workspace, *, now: datetime | None = None) -> list[RefusedCard]:
    """The refused changes still to be read, oldest first, with names read through services."""
    now = now or datetime.now(UTC)
    changes = rejected_changes(ws.store)
    names: dict[str, str] = {}
    for person_id in {p for c in changes if (p := _person_of(c))}:
        try:
            names[person_id] = ws.people.get(person_id).display_name
        except (SpDesktopError, LookupError):
            # Removed since, or never on this laptop: still say it was about a person.
            names[person_id] = "Someone on your caseload"
    return [_refused_card(c, names, now) for c in changes]


def _refused_card(change: RejectedChange, names: dict[str, str], now: datetime) -> RefusedCard:
    person_id = _person_of(change)
    if person_id:
        who = names.get(person_id, "Someone on your caseload")
    else:
        who = "The directory" if change.table == "services" else "No one in particular"
    refused = _parse_time(change.refused_at)
    reason = change.reason.strip()
    return RefusedCard(
        op_id=change.op_id,
        person_name=who,
        record=RECORD_WORDS.get(change.table, change.table.replace("_", " ")),
        action=KIND_WORDS.get(change.kind, "Changed"),
        when=when_words(refused, now) if refused else "at an unknown time",
        reason=reason[:1].upper() + reason[1:],
        person_id=person_id,
        table=change.table,
    )


def dismiss_refused(ws: Workspace, op_id: str) -> None:
    """The adviser has read a refused change: it leaves the list (and the status count)."""
    dismiss_rejected(ws.store, op_id)
