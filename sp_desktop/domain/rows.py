"""What a valid row of each synced table is: the one definition the laptop and the office apply.

Each table lists its fields with a rule (type, range, choices, date bounds, text length), the
fields a new row must carry, the rows it refers to, and checks across fields. The laptop's
`ChangeWriter` checks every change before it is queued, the office checks every pushed change
before it is stored, and the domain entities check their own fields with these same rules.

Values are checked as they travel (dates as ISO text, choices as their stored text) or as
Python values (dates, enums): the same rule accepts both. Rules are built once, at import;
checking a value is a few comparisons, never a regex compiled per call.

Date bounds, in days after "today" (the office adds a day, since a laptop's local date can be
a day ahead of the office's UTC date): things that happened (visit, assessment, rating,
session, referral, consent, closing) cannot be in the future; a prescription may be planned
up to a year ahead; a follow-up or a step's target up to two years. Nothing is dated before
2000 except a date of birth (from 1900).

Signed means signed: a table may be sealed (`Sealing`), so that once a row is final (a signed
visit; a correction, from the start) no field of it changes and it is never deleted, and may
name author fields (who signed, who wrote) that only the writing adviser's own name may fill.
Corrections of a signed visit are addenda: new rows by their own author (`VISIT_ADDENDA`).
"""

from __future__ import annotations

import enum
import json
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sp_desktop.domain.choice_lists import (
    STOPPED,
    condition_keys,
    stop_reason_keys,
)
from sp_desktop.domain.choices import (
    AssessmentContext,
    AttendanceStatus,
    ClosingOutcome,
    Consent,
    ConsentDecision,
    ConsentMethod,
    Ethnicity,
    Gender,
    PreferredContact,
    PrescriptionStatus,
    ProviderReferral,
    ReferralSource,
    ReferralStatus,
    VisitPlace,
    VisitStatus,
)
from sp_desktop.domain.directory import (
    EMAIL_PATTERN,
    MAX_AGE,
    MAX_POSTCODE_CHARS,
    MAX_WAITING_WEEKS,
    Category,
    Contact,
    Place,
    WellbeingWay,
    normalise_postcode,
)
from sp_desktop.domain.errors import ValidationError
from sp_desktop.domain.measures import check_answers_row
from sp_desktop.domain.nhs_number import NOT_TEXT, NhsNumber

# --- limits, named once ------------------------------------------------------------------------

MIN_WEEKS, DEFAULT_WEEKS, MAX_WEEKS = 8, 12, 16  # a prescription's length
MAX_HOURS_IN_A_DAY = 12  # volunteering logged per day; more is a typo (120 for 12.0)
OLDEST_BIRTH = date(1900, 1, 1)
EARLIEST_RECORD = date(2000, 1, 1)
PLANNED_DAYS = 365  # a prescription may start (or be planned to end) up to a year ahead
FOLLOW_UP_DAYS = 730  # a follow-up or a step's target date: up to two years ahead
OFFICE_DATE_SLACK = timedelta(days=1)

NAME_CHARS = 100
SHORT_CHARS = 200  # organisations, practices, people's names for staff
LINE_CHARS = 500  # an address
REASON_CHARS = 2_000
LONG_CHARS = 5_000
NOTE_CHARS = 10_000  # one part of the conversation's notes (about 1,700 words)
MAX_NOTE_TOPICS = 30
DESCRIPTION_CHARS = 10_000
ANSWERS_CHARS = 4_000  # one sitting's answers as JSON text (dozens of items at most)

_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")
_KEY = re.compile(r"[a-z][a-z0-9_]{0,47}")


def _day_text(day: date) -> str:
    return f"{day.day} {day:%B %Y}"


# --- field rules ----------------------------------------------------------------------------


class Rule:
    """How one field is checked; `label` starts the sentence of every message about it."""

    __slots__ = ("defaulted", "label", "missing", "nullable")

    def __init__(self, label: str, *, nullable: bool = False, missing: str = "") -> None:
        self.label = label
        self.nullable = nullable
        self.defaulted = False  # the store fills it in when a new row leaves it out
        self.missing = missing or f"Please give {label[0].lower()}{label[1:]}."

    def check(self, name: str, value: Any, today: date) -> None:
        """Raises ValidationError(name, words) when `value` (never None here) is not valid."""
        raise NotImplementedError


class Text(Rule):
    """Text of at most `max_chars` characters, storable (no lone surrogates, no NUL)."""

    __slots__ = ("blank_ok", "max_chars")

    def __init__(
        self,
        label: str,
        max_chars: int,
        *,
        nullable: bool = False,
        blank_ok: bool = True,
        missing: str = "",
    ) -> None:
        super().__init__(label, nullable=nullable, missing=missing)
        self.max_chars = max_chars
        self.blank_ok = blank_ok

    def check(self, name: str, value: Any, today: date) -> None:
        check_text(name, value, self.label, self.max_chars)
        if not self.blank_ok and not value.strip():
            raise ValidationError(name, self.missing)


def check_text(name: str, value: Any, label: str, max_chars: int) -> None:
    """Text a person typed: a string, not too long, every character one that can be stored."""
    if not isinstance(value, str):
        raise ValidationError(name, f"{label} must be text.")
    if len(value) > max_chars:
        raise ValidationError(name, f"{label} is longer than {max_chars:,} characters.")
    if not value.isascii():
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise ValidationError(
                name, f"{label} holds a character that cannot be stored; please type it again."
            ) from None
    if "\x00" in value:
        raise ValidationError(
            name, f"{label} holds a character that cannot be stored; please type it again."
        )


class Whole(Rule):
    """A whole number from `low` to `high` (a yes/no is not a number)."""

    __slots__ = ("high", "low")

    def __init__(self, label: str, low: int, high: int, *, nullable: bool = False) -> None:
        super().__init__(label, nullable=nullable)
        self.low, self.high = low, high

    def check(self, name: str, value: Any, today: date) -> None:
        if (
            isinstance(value, bool)
            or not isinstance(value, int)
            or not self.low <= value <= self.high
        ):
            raise ValidationError(
                name, f"{self.label} is a whole number from {self.low} to {self.high}."
            )


class Hours(Rule):
    """A number of hours: more than 0, at most `high` (fractions allowed)."""

    __slots__ = ("high",)

    def __init__(self, label: str, high: float) -> None:
        super().__init__(label)
        self.high = high

    def check(self, name: str, value: Any, today: date) -> None:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ValidationError(name, "Hours are a number, like 2 or 1.5.")
        if not 0 < value <= self.high:
            raise ValidationError(
                name, f"Hours in one day are more than 0 and at most {self.high:g}."
            )


class YesNo(Rule):
    __slots__ = ()

    def check(self, name: str, value: Any, today: date) -> None:
        if value is not True and value is not False:
            raise ValidationError(name, f"{self.label} is yes or no.")


class Day(Rule):
    """A date (ISO text or a `date`) between `earliest` and `ahead` days after today."""

    __slots__ = ("ahead", "earliest", "latest_after_today")

    def __init__(
        self,
        label: str,
        *,
        ahead: int,
        earliest: date = EARLIEST_RECORD,
        nullable: bool = False,
        missing: str = "",
    ) -> None:
        super().__init__(label, nullable=nullable, missing=missing)
        self.ahead, self.earliest = ahead, earliest
        self.latest_after_today = timedelta(days=ahead)

    def check(self, name: str, value: Any, today: date) -> None:
        day = as_date(name, value, self.label)
        if day < self.earliest:
            raise ValidationError(
                name, f"{self.label} is before {_day_text(self.earliest)}: please check it."
            )
        if day > today + self.latest_after_today:
            if self.ahead == 0:
                raise ValidationError(name, f"{self.label} cannot be in the future.")
            raise ValidationError(
                name, f"{self.label} is more than {self.ahead} days ahead: please check it."
            )


def as_date(name: str, value: Any, label: str) -> date:
    """A date from a `date` or its ISO text (YYYY-MM-DD); anything else is refused."""
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    if isinstance(value, str) and len(value) == 10 and value[4] == "-" and value[7] == "-":
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    raise ValidationError(name, f"{label} must be a date, like 2026-03-02.")


class OneOf(Rule):
    """One of an enum's stored values (the enum member itself is accepted too)."""

    __slots__ = ("values",)

    def __init__(self, label: str, kind: type[enum.Enum], *, nullable: bool = False) -> None:
        super().__init__(label, nullable=nullable)
        self.values = frozenset(str(member.value) for member in kind)

    def check(self, name: str, value: Any, today: date) -> None:
        if not isinstance(value, str) or value not in self.values:
            raise ValidationError(name, f"{self.label} is not one of the choices offered.")


class Ref(Rule):
    """The id of another row: `parent` names its table; `same_person` when it must be the
    same person's (a concern's visit), False when it is another person (a carer link)."""

    __slots__ = ("parent", "same_person")

    def __init__(
        self, label: str, parent: str, *, same_person: bool = True, nullable: bool = False
    ) -> None:
        super().__init__(label, nullable=nullable)
        self.parent, self.same_person = parent, same_person

    def check(self, name: str, value: Any, today: date) -> None:
        if not isinstance(value, str) or not _ID.fullmatch(value):
            raise ValidationError(name, f"{self.label} is not a record identifier.")


class Key(Rule):
    """A short stored key (a life domain, a follow-up kind): lower-case letters and '_'."""

    __slots__ = ()

    def check(self, name: str, value: Any, today: date) -> None:
        if not isinstance(value, str) or not _KEY.fullmatch(value):
            raise ValidationError(name, f"{self.label} is not one of the choices offered.")


class NhsDigits(Rule):
    """Ten ASCII digits that pass the Modulus 11 check (as stored: no spaces)."""

    __slots__ = ()

    def check(self, name: str, value: Any, today: date) -> None:
        if not isinstance(value, str):
            raise ValidationError(name, NOT_TEXT)
        NhsNumber(value)


class Postcode(Rule):
    """A UK postcode (normalised spacing), or blank where there is none."""

    __slots__ = ()

    def check(self, name: str, value: Any, today: date) -> None:
        check_text(name, value, self.label, 16)
        if value.strip():
            try:
                normalise_postcode(value)
            except ValidationError as exc:
                raise ValidationError(name, exc.message) from None


class Email(Rule):
    __slots__ = ()

    def check(self, name: str, value: Any, today: date) -> None:
        check_text(name, value, self.label, 254)
        if value.strip() and not EMAIL_PATTERN.match(value.strip()):
            raise ValidationError(name, f"{self.label} is not an email address.")


class Notes(Rule):
    """A visit's notes: JSON text of {life domain key: note}, each note bounded."""

    __slots__ = ()

    def check(self, name: str, value: Any, today: date) -> None:
        if not isinstance(value, str):
            raise ValidationError(name, f"{self.label} must be text.")
        try:
            notes = json.loads(value)
        except ValueError:
            raise ValidationError(name, f"{self.label} could not be read.") from None
        if not isinstance(notes, dict):
            raise ValidationError(name, f"{self.label} could not be read.")
        check_notes(name, notes)


def check_notes(name: str, notes: Mapping[Any, Any]) -> None:
    """Notes per part of the conversation: known-looking keys, each note at most NOTE_CHARS."""
    if len(notes) > MAX_NOTE_TOPICS:
        raise ValidationError(name, "The notes have more parts than a conversation has.")
    for key, note in notes.items():
        if not isinstance(key, str) or not _KEY.fullmatch(key):
            raise ValidationError(name, "The notes name a part of the conversation not known.")
        check_text(name, note, f"The note on {key.replace('_', ' ')}", NOTE_CHARS)


class Ways(Rule):
    """A directory entry's five-ways tags: JSON text of a list of `WellbeingWay` values."""

    __slots__ = ()
    _WAYS = frozenset(w.value for w in WellbeingWay)

    def check(self, name: str, value: Any, today: date) -> None:
        try:
            ways = json.loads(value) if isinstance(value, str) else None
        except ValueError:
            ways = None
        if not isinstance(ways, list) or not all(
            isinstance(w, str) and w in self._WAYS for w in ways
        ):
            raise ValidationError(
                name, "Five ways tags are: connect, be active, take notice, keep learning, give."
            )


class CategoryOrBlank(OneOf):
    """A directory category, or blank for an entry still to be categorised."""

    __slots__ = ()

    def check(self, name: str, value: Any, today: date) -> None:
        if value != "":
            super().check(name, value, today)


class Listed(Rule):
    """JSON text of a list, each item a text (`kind` None) or the fields of a `kind` entry
    (a directory entry's places or contacts), the whole at most `max_chars` characters.

    `keys`, when given, is a list of keys a scheme keeps as data (a person's long-term
    conditions): each item must be one of `keys()`, and none twice."""

    __slots__ = ("keys", "kind", "max_chars")

    def __init__(self, label: str, max_chars: int, kind: type[Place] | type[Contact] | None,
                 *, keys: Callable[[], frozenset[str]] | None = None) -> None:
        super().__init__(label)
        self.kind, self.max_chars, self.keys = kind, max_chars, keys

    def check(self, name: str, value: Any, today: date) -> None:
        check_text(name, value, self.label, self.max_chars)
        try:
            items = json.loads(value)
            if not isinstance(items, list):
                raise ValueError
            for item in items:
                if self.kind is None:
                    if not isinstance(item, str):
                        raise ValueError
                elif not isinstance(item, dict):
                    raise ValueError
                else:
                    self.kind(**item)
        except ValidationError as exc:
            raise ValidationError(name, f"{self.label}: {exc.message}") from None
        except (ValueError, TypeError):
            raise ValidationError(name, f"{self.label} could not be read.") from None
        if self.keys is not None:
            known = self.keys()
            for item in items:
                if item not in known:
                    raise ValidationError(
                        name, f"{self.label}: {item[:48]!r} is not one of the choices offered.")
            if len(set(items)) != len(items):
                raise ValidationError(name, f"{self.label} names the same one twice.")


class Chosen(Rule):
    """A key from a list a scheme keeps as data (why someone stopped an activity)."""

    __slots__ = ("keys",)

    def __init__(self, label: str, keys: Callable[[], frozenset[str]], *,
                 nullable: bool = False, missing: str = "") -> None:
        super().__init__(label, nullable=nullable, missing=missing)
        self.keys = keys

    def check(self, name: str, value: Any, today: date) -> None:
        if not isinstance(value, str) or value not in self.keys():
            raise ValidationError(name, f"{self.label} is not one of the choices offered.")


class Stamp(Rule):
    """A moment as ISO text (when a visit was signed)."""

    __slots__ = ()

    def check(self, name: str, value: Any, today: date) -> None:
        if not isinstance(value, str) or not 10 <= len(value) <= 40:
            raise ValidationError(name, f"{self.label} is not a date and time.")
        try:
            datetime.fromisoformat(value)
        except ValueError:
            raise ValidationError(name, f"{self.label} is not a date and time.") from None


# --- tables -----------------------------------------------------------------------------------

RowCheck = Callable[[Mapping[str, Any]], None]


@dataclass(frozen=True, slots=True)
class Sealing:
    """When a stored row may no longer change at all (a signed visit; a correction, from the
    moment it is written), and how to say so: `applies(row)` and `words(row)` read the row as
    held (values as they travel or as Python values: both work)."""

    applies: Callable[[Mapping[str, Any]], bool]
    words: Callable[[Mapping[str, Any]], str]


@dataclass(frozen=True, slots=True)
class RowRules:
    """One synced table: its fields' rules, what a new row must carry, checks across fields.

    `what` names one row in words ("a person", "a visit") for messages. `sealing`, when set,
    says when a held row is final: no field of it may change and it may not be deleted (a
    signed visit; corrections are addenda). `authors` names the fields that say who signed or
    wrote a row, each with the words refusing any name but the writing adviser's own.

    Consent first: a table whose rows belong to a person records personal content, and needs
    the person's consent to recording, unless `consent_exempt` says in words why it is the
    referral itself (who was referred, the referral, the consent). `personal_fields`, when
    set, narrows it to those fields holding something (a follow-up's notes, not its date); on
    a table otherwise exempt (a person's own details) it names the fields that are not the
    referral itself (their long-term conditions: health, recorded with consent).

    `new_row_checks` run only on a row being created (a rule added after rows were stored: a
    stopped session's reason), so a row stored before it is never refused for it.
    """

    table: str
    what: str
    fields: Mapping[str, Rule]
    required: frozenset[str]
    checks: tuple[RowCheck, ...] = ()
    sealing: Sealing | None = None
    authors: Mapping[str, str] = field(default_factory=dict)
    consent_exempt: str = ""
    personal_fields: frozenset[str] = frozenset()
    new_row_checks: tuple[RowCheck, ...] = ()
    refs: Mapping[str, Ref] = field(init=False)

    def __post_init__(self) -> None:
        refs = {name: rule for name, rule in self.fields.items() if isinstance(rule, Ref)}
        object.__setattr__(self, "refs", refs)

    @property
    def about_a_person(self) -> bool:
        """Rows of this table belong to one person (they carry `person_id`)."""
        return "person_id" in self.fields

    @property
    def is_the_person(self) -> bool:
        """Each row of this table is a person (their own details; the person is the row)."""
        return self.table == "people"

    def person_of(self, row_id: Any, fields: Mapping[Any, Any]) -> Any:
        """Whose record a row is: the person it belongs to, or the person it is."""
        return row_id if self.is_the_person else fields.get("person_id")

    def records_personal(self, fields: Mapping[str, Any]) -> bool:
        """Whether writing these fields records personal content beyond the referral itself,
        so the person's consent to recording must be held first."""
        if not (self.about_a_person or self.is_the_person):
            return False
        if self.personal_fields:
            return any(
                fields.get(name) not in (None, "", "{}", "[]") for name in self.personal_fields
            )
        return not self.consent_exempt

    def check_value(self, name: str, value: Any, today: date) -> None:
        """One field: a known name, and a value its rule accepts (None only where allowed)."""
        rule = self.fields.get(name)
        if rule is None:
            raise ValidationError(name, self._unknown(name))
        if value is None:
            if not rule.nullable:
                raise ValidationError(name, rule.missing)
            return
        rule.check(name, value, today)

    def check_fields(self, fields: Mapping[str, Any], today: date) -> None:
        """Each field given (a partial change): known, and valid on its own."""
        rules = self.fields
        for name, value in fields.items():
            rule = rules.get(name)
            if rule is None:
                raise ValidationError(name, self._unknown(name))
            if value is None:
                if not rule.nullable:
                    raise ValidationError(name, rule.missing)
                continue
            rule.check(name, value, today)

    def _unknown(self, name: str) -> str:
        return f"{self.what[0].upper()}{self.what[1:]} has no field called {name[:64]!r}."

    def check_row(self, row: Mapping[str, Any], *, required: bool = True) -> None:
        """A whole row (new, or after a change merged in): required fields, cross-field rules.

        `required=False` for a row that already existed: an edit is not refused for a field
        an older row never had.
        """
        if required:
            for name in self.required:
                if row.get(name) is None:
                    raise ValidationError(name, self.fields[name].missing)
            for check in self.new_row_checks:
                check(row)
        for check in self.checks:
            check(row)

    def check_new(self, fields: Mapping[str, Any], today: date) -> None:
        self.check_fields(fields, today)
        self.check_row(fields)

    # --- signed rows: the laptop (before queueing) and the office (before storing) ---------

    def sealed(self, row: Mapping[str, Any] | None) -> bool:
        """Whether a held row is final (see `sealing`)."""
        return row is not None and self.sealing is not None and self.sealing.applies(row)

    def seals(self, held: Mapping[str, Any] | None, fields: Mapping[str, Any]) -> bool:
        """Whether this change makes the row final: signing a visit not signed before."""
        return (held is not None and self.sealing is not None and not self.sealed(held)
                and self.sealing.applies({**held, **fields}))

    def check_edit(self, held: Mapping[str, Any] | None, fields: Mapping[str, Any]) -> None:
        """A change of a held row: nothing in a final row may differ from what it holds.

        A field given again with the value held is no change (a repeated send).
        """
        if held is None or self.sealing is None or not self.sealing.applies(held):
            return
        for name, value in fields.items():
            if held.get(name) != value:
                raise ValidationError(name, self.sealing.words(held))

    def check_delete(self, held: Mapping[str, Any] | None) -> None:
        """A final row is never deleted."""
        if held is not None and self.sealing is not None and self.sealing.applies(held):
            raise ValidationError("id", self.sealing.words(held))

    def check_authors(
        self, held: Mapping[str, Any] | None, fields: Mapping[str, Any], adviser: str
    ) -> None:
        """A name newly put in a signer or writer field is the writing adviser's own: no one
        signs or writes in someone else's name. A name already held is left to `check_edit`."""
        for name, words in self.authors.items():
            value = fields.get(name)
            if value is None or (held is not None and held.get(name) == value):
                continue
            if value != adviser:
                raise ValidationError(name, words.format(adviser=adviser))


def _table(
    table: str,
    what: str,
    rules: Mapping[str, Rule],
    *checks: RowCheck,
    sealing: Sealing | None = None,
    authors: Mapping[str, str] | None = None,
    consent_exempt: str = "",
    personal_fields: Iterable[str] = (),
    new_row_checks: Iterable[RowCheck] = (),
) -> RowRules:
    required = frozenset(
        name for name, rule in rules.items() if not rule.nullable and not rule.defaulted
    )
    return RowRules(table, what, dict(rules), required, checks, sealing, dict(authors or {}),
                    consent_exempt, frozenset(personal_fields), tuple(new_row_checks))


def _default(rule: Rule) -> Rule:
    """Marks a field the store fills in when a new row leaves it out."""
    rule.defaulted = True
    return rule


def _person() -> Ref:
    return Ref("The person", "people")


# --- checks across fields (also used by the domain entities) -----------------------------------


def check_consent(consent: Any, consent_on: Any, status: Any) -> None:
    if consent is not None and consent != Consent.PENDING and consent_on is None:
        raise ValidationError("consent_on", "Please give the date consent was recorded.")
    if consent == Consent.DECLINED and status != ReferralStatus.DECLINED:
        raise ValidationError("status", "A referral where consent was declined is closed.")


def check_consent_decision(
    decision: Any, recording: Any, share_gp: Any, share_services: Any
) -> None:
    """Agreeing means agreeing to records being kept (sharing is chosen on top of it);
    declining or withdrawing agrees to nothing."""
    if decision == ConsentDecision.GIVEN and recording is not True:
        raise ValidationError(
            "recording", "Taking part means agreeing to notes being kept: if they do not "
            "agree to that, record that they declined.")
    if decision in (ConsentDecision.DECLINED, ConsentDecision.WITHDRAWN) and (
        recording is True or share_gp is True or share_services is True
    ):
        raise ValidationError(
            "decision", "A person who declined or withdrew consent has agreed to nothing.")


def check_signed(status: Any, signed_by: Any) -> None:
    if status == VisitStatus.SIGNED and not signed_by:
        raise ValidationError("signed_by", "A signed visit names who signed it.")


def check_prescription(
    start_date: Any,
    ended_on: Any,
    provider_referral: Any,
    waiting_weeks: Any,
    declined_reason: Any,
) -> None:
    if ended_on is not None and start_date is not None and (
        as_date("ended_on", ended_on, "The end date")
        < as_date("start_date", start_date, "The start date")
    ):
        raise ValidationError("ended_on", "It cannot end before it started.")
    if provider_referral == ProviderReferral.WAITING_LIST and (
        waiting_weeks is None or waiting_weeks < 0
    ):
        raise ValidationError("waiting_weeks", "Please say how many weeks the wait is.")
    if provider_referral == ProviderReferral.DECLINED and not str(declined_reason or "").strip():
        raise ValidationError("declined_reason", "Please say why the provider declined.")


def check_reason_given(name: str, status: Any, needs: Any, reason: Any, message: str) -> None:
    if status == needs and not str(reason or "").strip():
        raise ValidationError(name, message)


def _referral_row(row: Mapping[str, Any]) -> None:
    check_consent(row.get("consent", Consent.PENDING), row.get("consent_on"),
                  row.get("status", ReferralStatus.NEW))


def _consent_row(row: Mapping[str, Any]) -> None:
    check_consent_decision(row.get("decision"), row.get("recording"), row.get("share_gp"),
                           row.get("share_services"))


def _visit_row(row: Mapping[str, Any]) -> None:
    check_signed(row.get("status"), row.get("signed_by"))


def visit_is_signed(row: Mapping[str, Any]) -> bool:
    return row.get("status") == VisitStatus.SIGNED


def _signed_visit_words(row: Mapping[str, Any]) -> str:
    """Why a signed visit cannot change, naming who signed it and when."""
    who = str(row.get("signed_by") or "").strip()
    when = str(row.get("signed_at") or "")[:10]
    try:
        day = f" on {_day_text(date.fromisoformat(when))}"
    except ValueError:
        day = ""
    signed = f"This visit was signed by {who}{day}" if who else "This visit is signed"
    return (f"{signed}, so it cannot be changed or removed: the signed record stays as it "
            "was. Add a correction to it instead.")


CONSENT_FINAL = (
    "A consent record cannot be changed once written: record their new answer instead.")

CORRECTION_FINAL = (
    "A correction cannot be changed or removed once it is written: add another correction "
    "instead.")


def _prescription_row(row: Mapping[str, Any]) -> None:
    check_prescription(row.get("start_date"), row.get("ended_on"), row.get("provider_referral"),
                       row.get("waiting_weeks"), row.get("declined_reason"))


STOP_REASON_NEEDED = "Please choose why they stopped."
STOP_REASON_ONLY_WHEN_STOPPED = (
    "A reason for stopping is only given when they stopped going: please clear it, or record "
    "that they stopped.")


def check_stop_reason(status: Any, stopped_because: Any, *, new: bool = True) -> None:
    """A session where they stopped going says why (a key from resources/stop_reasons.json);
    any other session has no reason for stopping. `new=False` for a session recorded before
    reasons were asked: its missing reason is read as "other" (`choice_lists.stop_reason_of`).
    """
    stopped = str(getattr(status, "value", status)) == STOPPED
    if not stopped and stopped_because is not None:
        raise ValidationError("stopped_because", STOP_REASON_ONLY_WHEN_STOPPED)
    if stopped and new and stopped_because is None:
        raise ValidationError("stopped_because", STOP_REASON_NEEDED)


def _attendance_row(row: Mapping[str, Any]) -> None:
    check_stop_reason(row.get("status"), row.get("stopped_because"), new=False)


def _new_attendance_row(row: Mapping[str, Any]) -> None:
    """A new stopped session says why. A row without the field at all comes from a laptop
    before schema 0009 (which asked for words only; a 0009 laptop sends every field of a new
    row, the reason as null if none): it is still taken, and read as "other", so changes
    queued before an update still upload."""
    if "stopped_because" in row:
        check_stop_reason(row.get("status"), row.get("stopped_because"))


def _closing_row(row: Mapping[str, Any]) -> None:
    check_reason_given("reason", row.get("outcome"), ClosingOutcome.RE_REFERRED,
                       row.get("reason"), "Please say where they were re-referred to.")


REFERRAL_ITSELF = "who was referred and why: the referral itself, recorded before consent is asked"

PEOPLE = _table("people", "a person", {
    "given_name": Text("The first name", NAME_CHARS, blank_ok=False,
                       missing="Please enter a first name."),
    "family_name": Text("The family name", NAME_CHARS, blank_ok=False,
                        missing="Please enter a family name."),
    "preferred_name": Text("The preferred name", NAME_CHARS, nullable=True),
    "date_of_birth": Day("The date of birth", ahead=0, earliest=OLDEST_BIRTH,
                         missing="Please give the date of birth."),
    "nhs_number": NhsDigits("The NHS number", nullable=True),
    "gender": OneOf("The gender", Gender, nullable=True),
    "ethnicity": OneOf("The ethnicity", Ethnicity, nullable=True),
    "gp_practice": _default(Text("The GP practice", SHORT_CHARS)),
    "address": _default(Text("The address", LINE_CHARS)),
    "postcode": _default(Text("The postcode", 16)),
    "phone": _default(Text("The phone number", 32)),
    "email": _default(Text("The email address", 254)),
    "preferred_contact": _default(OneOf("The preferred way to contact", PreferredContact)),
    "carer_of_id": Ref("The person they care for", "people", same_person=False, nullable=True),
    "large_print": _default(YesNo("Large print")),
    "interpreter_language": Text("The interpreter language", NAME_CHARS, nullable=True),
    "hearing_needs": Text("The hearing needs", LONG_CHARS, nullable=True),
    "sight_needs": Text("The sight needs", LONG_CHARS, nullable=True),
    "team": _default(Text("The team", 64)),
    "adviser": _default(Text("The adviser", SHORT_CHARS)),
    # keys from resources/conditions.json, as JSON text ('["copd","diabetes"]'); schema 0009 on
    "conditions": _default(Listed("The long-term conditions", REASON_CHARS, None,
                                  keys=condition_keys)),
}, consent_exempt=REFERRAL_ITSELF, personal_fields=("conditions",))

REFERRALS = _table("referrals", "a referral", {
    "person_id": _person(),
    "source": OneOf("Where the referral came from", ReferralSource),
    "referrer_name": _default(Text("The referrer's name", SHORT_CHARS)),
    "referrer_organisation": _default(Text("The referrer's organisation", SHORT_CHARS)),
    "reason": _default(Text("The reason for referral", LONG_CHARS)),
    "received_on": Day("The date the referral arrived", ahead=0),
    "consent": _default(OneOf("Consent", Consent)),
    "consent_on": Day("The date of consent", ahead=0, nullable=True),
    "status": _default(OneOf("The referral's status", ReferralStatus)),
}, _referral_row, consent_exempt=REFERRAL_ITSELF)

# Consent (consent first): one append-only record per answer; the newest is what holds now.
CONSENTS = _table("consents", "a consent record", {
    "person_id": _person(),
    "decision": OneOf("The answer", ConsentDecision),
    "recording": YesNo("Agreeing to notes being kept"),
    "share_gp": YesNo("Agreeing to sharing with their GP"),
    "share_services": YesNo("Agreeing to sharing with the services they are referred to"),
    "method": OneOf("How consent was asked", ConsentMethod),
    "given_on": Day("The date of the answer", ahead=0),
    "recorded_by": Text("Who asked", SHORT_CHARS, blank_ok=False),
    "notes": _default(Text("The notes on consent", REASON_CHARS)),
}, _consent_row,
    sealing=Sealing(lambda _row: True, lambda _row: CONSENT_FINAL),
    authors={"recorded_by": "Consent can only be recorded in your own name ({adviser})."},
    consent_exempt="the consent itself",
)

VISITS = _table("visits", "a visit", {
    "person_id": _person(),
    "visit_date": Day("The visit date", ahead=0),
    "place": OneOf("The place of the visit", VisitPlace),
    "notes": _default(Notes("The notes")),
    "what_matters": _default(Text("What matters to them", LONG_CHARS)),
    "status": _default(OneOf("The visit's status", VisitStatus)),
    "signed_at": Stamp("The signing time", nullable=True),
    "signed_by": Text("Who signed", SHORT_CHARS, nullable=True),
    "corrects_visit_id": Ref("The visit corrected", "visits", nullable=True),
}, _visit_row,
    sealing=Sealing(visit_is_signed, _signed_visit_words),
    authors={"signed_by": "A visit can only be signed in your own name ({adviser})."},
)

# A correction of a signed visit (an addendum): a new record by its own author, never edited.
VISIT_ADDENDA = _table("visit_addenda", "a correction to a visit", {
    "person_id": _person(),
    "visit_id": Ref("The visit corrected", "visits"),
    "words": Text("The correction", LONG_CHARS, blank_ok=False,
                  missing="Please write the correction."),
    "written_by": Text("Who wrote the correction", SHORT_CHARS, blank_ok=False),
    "written_on": Day("The date of the correction", ahead=0),
},
    sealing=Sealing(lambda _row: True, lambda _row: CORRECTION_FINAL),
    authors={"written_by": "A correction can only be written in your own name ({adviser})."},
)

CONCERNS = _table("concerns", "a concern", {
    "person_id": _person(),
    "visit_id": Ref("The visit", "visits", nullable=True),
    "domain": Key("The life domain", missing="Please enter the life domain."),
    "words": Text("The concern", REASON_CHARS, blank_ok=False,
                  missing="Please enter the concern in the person's words."),
    "severity": Whole("How much it worries them", 0, 10),
})

CONCERN_RATINGS = _table("concern_ratings", "a concern's rating", {
    "person_id": _person(),
    "concern_id": Ref("The concern", "concerns"),
    "rated_on": Day("The date of the rating", ahead=0),
    "value": Whole("A rating", 0, 10),
})

STEPS = _table("steps", "a step", {
    "person_id": _person(),
    "visit_id": Ref("The visit", "visits", nullable=True),
    "words": Text("The step", REASON_CHARS, blank_ok=False,
                  missing="Please enter the step in the person's words."),
    "target_date": Day("The target date", ahead=FOLLOW_UP_DAYS, nullable=True),
    "progress": _default(Whole("Progress", 0, 10)),
})

STEP_PROGRESS = _table("step_progress", "a step's progress", {
    "person_id": _person(),
    "step_id": Ref("The step", "steps"),
    "rated_on": Day("The date of the rating", ahead=0),
    "value": Whole("A rating", 0, 10),
})

def _answers_row(row: Mapping[str, Any]) -> None:
    if row.get("measure") is not None or row.get("answers") is not None:
        check_answers_row(row.get("measure"), row.get("answers"))


# Every measure's answers: the answers must fit the measure's definition (its items, each
# within its answers), read from resources/measures/ by domain/measures.py on both sides.
ANSWERS = _table("answers", "a questionnaire's answers", {
    "person_id": _person(),
    "measure": Key("The questionnaire", missing="Please say which questionnaire was answered."),
    "taken_on": Day("The date it was answered", ahead=0),
    "context": OneOf("When in the journey it was taken", AssessmentContext),
    "answers": Text("The answers", ANSWERS_CHARS, blank_ok=False,
                    missing="Please give the answers."),
}, _answers_row)

SERVICES = _table("services", "a directory entry", {
    "name": Text("The name of the service", SHORT_CHARS, blank_ok=False,
                 missing="Please give the name of the service."),
    "organisation": _default(Text("The organisation", SHORT_CHARS)),
    "description": _default(Text("The description", DESCRIPTION_CHARS)),
    # blank: to be categorised (the council's terms are not mapped yet)
    "category": CategoryOrBlank("The category", Category),
    "wellbeing_tags": _default(Ways("The five ways tags")),
    "address": _default(Text("The address", LINE_CHARS)),
    # kept as the council wrote it when it is not a UK postcode ('LS6', 'TBC'); flagged on import
    "postcode": _default(Text("The postcode", MAX_POSTCODE_CHARS)),
    "area": _default(Text("The area", SHORT_CHARS)),
    "contact_name": _default(Text("The contact's name", SHORT_CHARS)),
    "contact_phone": _default(Text("The contact phone number", 32)),
    "contact_email": _default(Email("The contact email")),
    "schedule": _default(Text("When it runs", REASON_CHARS)),
    "cost": _default(Text("The cost", REASON_CHARS)),
    "free": _default(YesNo("Free")),
    "step_free": _default(YesNo("Step free")),
    "accessibility": _default(Text("The accessibility notes", REASON_CHARS)),
    "how_to_refer": _default(Text("How to refer", REASON_CHARS)),
    "waiting_weeks": Whole("The waiting time in weeks", 0, MAX_WAITING_WEEKS, nullable=True),
    "active": _default(YesNo("Active")),
    "last_checked": Day("The date last checked", ahead=0, nullable=True),
    "website": _default(Text("The website", LINE_CHARS)),
    "eligibility": _default(Text("Who it is for", REASON_CHARS)),
    "min_age": Whole("The youngest age", 0, MAX_AGE, nullable=True),
    "max_age": Whole("The oldest age", 0, MAX_AGE, nullable=True),
    "languages": _default(Listed("The languages", REASON_CHARS, None)),
    "places": _default(Listed("The places", DESCRIPTION_CHARS, Place)),
    "contacts": _default(Listed("The contacts", LONG_CHARS, Contact)),
})

PRESCRIPTIONS = _table("prescriptions", "a prescription", {
    "person_id": _person(),
    "service_id": Ref("The activity", "services", same_person=False),
    "start_date": Day("The start date", ahead=PLANNED_DAYS),
    "weeks": _default(Whole("The number of weeks", MIN_WEEKS, MAX_WEEKS)),
    "accompany_first": _default(YesNo("Going along the first time")),
    "provider_referral": _default(OneOf("The referral to the provider", ProviderReferral)),
    "waiting_weeks": Whole("The waiting time in weeks", 0, MAX_WAITING_WEEKS, nullable=True),
    "declined_reason": _default(Text("Why the provider declined", REASON_CHARS)),
    "status": _default(OneOf("The prescription's status", PrescriptionStatus)),
    "adviser": _default(Text("The adviser", SHORT_CHARS)),
    "team": _default(Text("The team", 64)),
    "ended_on": Day("The end date", ahead=PLANNED_DAYS, nullable=True),
    "carries_on": YesNo("Carrying on", nullable=True),
}, _prescription_row)

FOLLOW_UPS = _table("follow_ups", "a follow-up", {
    "person_id": _person(),
    "prescription_id": Ref("The prescription", "prescriptions", nullable=True),
    "due_on": Day("The date it is due", ahead=FOLLOW_UP_DAYS),
    "kind": _default(Key("The kind of follow-up")),
    "done_on": Day("The date it was done", ahead=0, nullable=True),
    "notes": _default(Text("The follow-up notes", LONG_CHARS)),
}, personal_fields=("notes",))  # the date of a first contact is the referral's own workflow

ATTENDANCE = _table("attendance", "an attendance", {
    "person_id": _person(),
    "prescription_id": Ref("The prescription", "prescriptions"),
    "session_on": Day("The date of the session", ahead=0),
    "status": OneOf("Whether they went", AttendanceStatus),
    # a key from resources/stop_reasons.json when they stopped going (schema 0009 on) ...
    "stopped_because": Chosen("Why they stopped", stop_reason_keys, nullable=True,
                              missing=STOP_REASON_NEEDED),
    # ... and the adviser's own words, optional detail (never shown to commissioners)
    "reason": _default(Text("The detail of why they stopped", REASON_CHARS)),
}, _attendance_row, new_row_checks=(_new_attendance_row,))

VOLUNTEER_HOURS = _table("volunteer_hours", "volunteering hours", {
    "person_id": _person(),
    "prescription_id": Ref("The prescription", "prescriptions"),
    "logged_on": Day("The date volunteered", ahead=0),
    "hours": Hours("Hours", MAX_HOURS_IN_A_DAY),
})

CLOSING_REVIEWS = _table("closing_reviews", "a closing review", {
    "person_id": _person(),
    "closed_on": Day("The closing date", ahead=0),
    "outcome": OneOf("The outcome", ClosingOutcome),
    "reason": _default(Text("The reason", REASON_CHARS)),
    "carries_on": _default(YesNo("Carrying on")),
}, _closing_row)

ROWS: dict[str, RowRules] = {
    rules.table: rules
    for rules in (
        PEOPLE, REFERRALS, VISITS, CONCERNS, CONCERN_RATINGS, STEPS, STEP_PROGRESS, ANSWERS,
        SERVICES, PRESCRIPTIONS, FOLLOW_UPS, ATTENDANCE, VOLUNTEER_HOURS, CLOSING_REVIEWS,
        VISIT_ADDENDA, CONSENTS,
    )
}


# A change that passes a person's details to the provider of an activity: only with their
# consent to sharing with the services they are referred to.
_SHARED_WITH_PROVIDER = frozenset({
    ProviderReferral.SENT, ProviderReferral.ACCEPTED, ProviderReferral.WAITING_LIST,
    ProviderReferral.DECLINED,
})


def shares_with_services(table: str, fields: Mapping[str, Any]) -> bool:
    """Whether this change records that the person's details went to a service provider."""
    return table == "prescriptions" and fields.get("provider_referral") in _SHARED_WITH_PROVIDER


def office_today(utc_today: date) -> date:
    """The latest "today" any laptop may have when the office's UTC date is `utc_today`."""
    return utc_today + OFFICE_DATE_SLACK


def check_entity(rules: RowRules, owner: object, names: Iterable[str], today: date) -> None:
    """A domain entity's attributes named like the table's columns, checked by their rules."""
    for name in names:
        rules.check_value(name, _stored(getattr(owner, name)), today)


def _stored(value: Any) -> Any:
    return value.value if isinstance(value, enum.Enum) else value
