"""The directory of local services: categories, five ways to wellbeing, and a validated entry."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from sp_desktop.domain.choices import Choice, coerce
from sp_desktop.domain.errors import ValidationError


class Category(Choice):
    """The kinds of activity schemes prescribe (labels and local synonyms live in resources)."""

    SOCIAL_ACTIVITY = "social_activity"
    VOLUNTEERING = "volunteering"
    PHYSICAL_ACTIVITY = "physical_activity"
    WELLBEING_MENTAL_HEALTH = "wellbeing_mental_health"
    INFORMATION_ADVICE_GUIDANCE = "information_advice_guidance"

    @property
    def label(self) -> str:
        return _CATEGORY_LABELS[self]


_CATEGORY_LABELS = {
    Category.SOCIAL_ACTIVITY: "Social activity",
    Category.VOLUNTEERING: "Volunteering",
    Category.PHYSICAL_ACTIVITY: "Physical activity",
    Category.WELLBEING_MENTAL_HEALTH: "Wellbeing and mental health",
    Category.INFORMATION_ADVICE_GUIDANCE: "Information, advice and guidance",
}


class WellbeingWay(Choice):
    """The New Economics Foundation's five ways to wellbeing, in their usual order."""

    CONNECT = "connect"
    BE_ACTIVE = "be_active"
    TAKE_NOTICE = "take_notice"
    KEEP_LEARNING = "keep_learning"
    GIVE = "give"


# The widely used UK postcode pattern (outward code, a space, inward code); GIR 0AA is Girobank's.
_POSTCODE = re.compile(
    r"^(GIR 0AA|[A-PR-UWYZ]([0-9]{1,2}|[A-HK-Y][0-9]([0-9ABEHMNPRV-Y])?|[0-9][A-HJKPS-UW])"
    r" [0-9][ABD-HJLNP-UW-Z]{2})$"
)
EMAIL_PATTERN = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
MAX_WAITING_WEEKS = 104  # a two-year wait is already a typo more often than a fact


def normalise_postcode(text: str) -> str:
    """'mb1 2ab', 'MB12AB' and ' MB1  2AB ' all become 'MB1 2AB'; raises if it is not a postcode."""
    squeezed = "".join(text.split()).upper()
    candidate = f"{squeezed[:-3]} {squeezed[-3:]}" if len(squeezed) > 3 else squeezed
    if not _POSTCODE.match(candidate):
        raise ValidationError("postcode", f"{text.strip()!r} is not a UK postcode (like LS6 2AB).")
    return candidate


def postcode_as_given(text: str) -> tuple[str, bool]:
    """A directory postcode: normalised when it is a UK postcode, else kept as written.

    Councils' own lists hold 'LS6', 'TBC' or 'BFPO 57'; the entry is still worth having, so
    the second value says whether the text is a UK postcode (False means: flag it).
    """
    try:
        return normalise_postcode(text), True
    except ValidationError:
        return " ".join(text.split()), not text.strip()


MAX_POSTCODE_CHARS = 16  # the stored column; longer 'postcodes' are words, kept in the address
MAX_AGE = 120


@dataclass(frozen=True, slots=True)
class Place:
    """One place a service runs: its name, address, phones, times and access notes."""

    name: str = ""
    address: str = ""
    postcode: str = ""
    phones: tuple[str, ...] = ()
    schedule: str = ""
    accessibility: str = ""

    def __post_init__(self) -> None:
        if isinstance(self.phones, str):
            raise ValidationError("places", "A place's phones are a list, not one text.")
        object.__setattr__(self, "phones", tuple(self.phones))
        if len(self.postcode) > MAX_POSTCODE_CHARS:
            raise ValidationError(
                "places", f"A place's postcode is longer than {MAX_POSTCODE_CHARS} characters."
            )
        object.__setattr__(self, "postcode", postcode_as_given(self.postcode)[0])

    @property
    def empty(self) -> bool:
        return not any((self.name, self.address, self.postcode, self.phones, self.schedule,
                        self.accessibility))


@dataclass(frozen=True, slots=True)
class Contact:
    """A person or line to contact about a service (all parts optional, email checked)."""

    name: str = ""
    role: str = ""
    phone: str = ""
    email: str = ""

    def __post_init__(self) -> None:
        if self.email.strip() and not EMAIL_PATTERN.match(self.email.strip()):
            raise ValidationError("contacts", f"{self.email[:60]!r} is not an email address.")

    @property
    def empty(self) -> bool:
        return not any((self.name, self.role, self.phone, self.email))


def ways_in_order(ways: Iterable[WellbeingWay | str]) -> tuple[WellbeingWay, ...]:
    """Tags as the five ways are usually listed, whatever order they were ticked in."""
    try:
        chosen = {WellbeingWay(w) for w in ways}
    except ValueError as exc:
        raise ValidationError(
            "wellbeing_tags",
            "Five ways tags are: connect, be active, take notice, keep learning, give.",
        ) from exc
    return tuple(w for w in WellbeingWay if w in chosen)


@dataclass(frozen=True, slots=True)
class Service:
    """One entry in the directory: an activity or service a person can be linked to.

    `category` is None while the office has not mapped the council's terms to one ("to be
    categorised"): the entry is still found by name. The postcode is kept as written when it
    is not a UK postcode (councils publish 'LS6' or 'TBC'; `postcode_checked` says which).
    `places` and `contacts` hold every location and contact; the first of each also fills
    the flat fields (address, postcode, accessibility; contact name, phone and email) that
    search, lists and print use. Waiting time is in weeks, None when the provider has not said.
    """

    id: str
    name: str
    category: Category | None
    organisation: str = ""
    description: str = ""
    wellbeing_tags: tuple[WellbeingWay, ...] = ()
    address: str = ""
    postcode: str = ""
    area: str = ""
    contact_name: str = ""
    contact_phone: str = ""
    contact_email: str = ""
    schedule: str = ""
    cost: str = ""
    free: bool = False
    step_free: bool = False
    accessibility: str = ""
    how_to_refer: str = ""
    waiting_weeks: int | None = None
    active: bool = True
    last_checked: date | None = None
    website: str = ""
    eligibility: str = ""
    min_age: int | None = None
    max_age: int | None = None
    languages: tuple[str, ...] = ()
    places: tuple[Place, ...] = ()
    contacts: tuple[Contact, ...] = ()

    def __post_init__(self) -> None:
        coerce(self, "category", Category, optional=True)
        if isinstance(self.wellbeing_tags, str):
            raise ValidationError("wellbeing_tags", "Five ways tags are a list, not one text.")
        object.__setattr__(self, "wellbeing_tags", ways_in_order(self.wellbeing_tags))
        if not self.id or not self.id.strip():
            raise ValidationError("id", "Every directory entry needs an identifier.")
        if not self.name or not self.name.strip():
            raise ValidationError("name", "Please give the name of the service.")
        for name in ("languages", "places", "contacts"):
            if isinstance(getattr(self, name), str):
                raise ValidationError(name, f"{name.capitalize()} are a list, not one text.")
            object.__setattr__(self, name, tuple(getattr(self, name)))
        if self.contact_email.strip() and not EMAIL_PATTERN.match(self.contact_email.strip()):
            raise ValidationError(
                "contact_email", f"{self.contact_email[:60]!r} is not an email address."
            )
        if len(self.postcode) > MAX_POSTCODE_CHARS:
            raise ValidationError(
                "postcode", f"The postcode is longer than {MAX_POSTCODE_CHARS} characters."
            )
        if not self.places and (self.address or self.postcode or self.accessibility):
            # flat fields alone (older rows, the flat CSV) are one place, so both shapes agree
            object.__setattr__(self, "places", (Place(
                address=self.address, postcode=self.postcode, accessibility=self.accessibility
            ),))
        if not self.contacts and (self.contact_name or self.contact_phone or self.contact_email):
            object.__setattr__(self, "contacts", (Contact(
                name=self.contact_name, phone=self.contact_phone, email=self.contact_email
            ),))
        if self.places:
            first = self.places[0]
            object.__setattr__(self, "address", first.address)
            object.__setattr__(self, "postcode", first.postcode)
            object.__setattr__(self, "accessibility", first.accessibility)
        if self.contacts:
            first_contact = self.contacts[0]
            object.__setattr__(self, "contact_name", first_contact.name)
            object.__setattr__(self, "contact_phone", first_contact.phone)
            object.__setattr__(self, "contact_email", first_contact.email)
        object.__setattr__(self, "postcode", postcode_as_given(self.postcode)[0])
        if self.waiting_weeks is not None and (
            isinstance(self.waiting_weeks, bool)
            or not isinstance(self.waiting_weeks, int)
            or not 0 <= self.waiting_weeks <= MAX_WAITING_WEEKS
        ):
            raise ValidationError(
                "waiting_weeks",
                f"Waiting time is a whole number of weeks from 0 to {MAX_WAITING_WEEKS}.",
            )
        for age in ("min_age", "max_age"):
            value = getattr(self, age)
            if value is not None and (
                isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_AGE
            ):
                raise ValidationError(age, f"Ages are whole numbers from 0 to {MAX_AGE}.")
        if self.min_age is not None and self.max_age is not None and self.min_age > self.max_age:
            raise ValidationError("min_age", "The youngest age is above the oldest.")
        for flag in ("free", "step_free", "active"):
            if not isinstance(getattr(self, flag), bool):
                raise ValidationError(flag, f"{flag.replace('_', ' ').capitalize()} is yes or no.")
        if self.last_checked is not None and self.last_checked > date.today():
            raise ValidationError("last_checked", "The date last checked cannot be in the future.")

    @property
    def postcode_checked(self) -> bool:
        """True when the postcode is blank or a UK postcode (False: kept as written)."""
        return postcode_as_given(self.postcode)[1]

    @property
    def ages(self) -> str:
        """The ages it is for, in words ('' when the provider has not said)."""
        if self.min_age is not None and self.max_age is not None:
            return f"Ages {self.min_age} to {self.max_age}"
        if self.min_age is not None:
            return f"Ages {self.min_age} and over"
        if self.max_age is not None:
            return f"Ages up to {self.max_age}"
        return ""

    @property
    def has_wait(self) -> bool:
        return bool(self.waiting_weeks)


@dataclass(frozen=True, slots=True)
class ServiceQuery:
    """What the adviser is looking for: words plus filters, all optional (empty finds all active).

    Words match the start of words in the name, organisation or description, ignoring case
    and accents; every word typed must match. `ways` finds services tagged with all of them.
    """

    words: str = ""
    category: Category | None = None
    ways: frozenset[WellbeingWay] = frozenset()
    area: str = ""
    free_only: bool = False
    step_free_only: bool = False
    include_inactive: bool = False
    to_categorise: bool = False  # only entries whose council terms are not mapped yet

    def __post_init__(self) -> None:
        coerce(self, "category", Category, optional=True)
        object.__setattr__(self, "ways", frozenset(ways_in_order(self.ways)))
