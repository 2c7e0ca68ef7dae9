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

    Postcode is optional (phone lines and online groups have none) but must be a UK postcode
    when given; waiting time is in weeks, None when the provider has not said.
    """

    id: str
    name: str
    category: Category
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

    def __post_init__(self) -> None:
        coerce(self, "category", Category)
        if isinstance(self.wellbeing_tags, str):
            raise ValidationError("wellbeing_tags", "Five ways tags are a list, not one text.")
        object.__setattr__(self, "wellbeing_tags", ways_in_order(self.wellbeing_tags))
        if not self.id or not self.id.strip():
            raise ValidationError("id", "Every directory entry needs an identifier.")
        if not self.name or not self.name.strip():
            raise ValidationError("name", "Please give the name of the service.")
        if self.postcode.strip():
            object.__setattr__(self, "postcode", normalise_postcode(self.postcode))
        if self.contact_email.strip() and not EMAIL_PATTERN.match(self.contact_email.strip()):
            raise ValidationError(
                "contact_email", f"{self.contact_email!r} is not an email address."
            )
        if self.waiting_weeks is not None and (
            isinstance(self.waiting_weeks, bool)
            or not isinstance(self.waiting_weeks, int)
            or not 0 <= self.waiting_weeks <= MAX_WAITING_WEEKS
        ):
            raise ValidationError(
                "waiting_weeks",
                f"Waiting time is a whole number of weeks from 0 to {MAX_WAITING_WEEKS}.",
            )
        for flag in ("free", "step_free", "active"):
            if not isinstance(getattr(self, flag), bool):
                raise ValidationError(flag, f"{flag.replace('_', ' ').capitalize()} is yes or no.")
        if self.last_checked is not None and self.last_checked > date.today():
            raise ValidationError("last_checked", "The date last checked cannot be in the future.")

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

    def __post_init__(self) -> None:
        coerce(self, "category", Category, optional=True)
        object.__setattr__(self, "ways", frozenset(ways_in_order(self.ways)))
