"""ONS4 personal wellbeing: items, validated scores, bands in words and change between assessments.

ONS publishes no composite score, so nothing here ever adds the four items up.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date

# AssessmentContext is defined with the other choices; re-exported where it was always found.
from sp_desktop.domain.choices import AssessmentContext as AssessmentContext
from sp_desktop.domain.choices import coerce
from sp_desktop.domain.errors import ValidationError
from sp_desktop.domain.rows import ASSESSMENTS, ONS4_LABELS


class Ons4Item(enum.StrEnum):
    """The four ONS personal wellbeing questions, in the order they are asked."""

    LIFE_SATISFACTION = "life_satisfaction"
    WORTHWHILE = "worthwhile"
    HAPPINESS = "happiness"
    ANXIETY = "anxiety"

    @property
    def lower_is_better(self) -> bool:
        return self is Ons4Item.ANXIETY

    @property
    def label(self) -> str:
        """The item as people say it ("Happiness yesterday"), for messages."""
        return ONS4_LABELS[self.value]


class WellbeingBand(enum.StrEnum):
    """ONS thresholds, named as ONS names them."""

    VERY_LOW = "very low"
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    VERY_HIGH = "very high"


class Direction(enum.StrEnum):
    """How one item moved between two assessments, from the person's point of view."""

    BETTER = "better"
    SAME = "same"
    WORSE = "worse"


def validate_score(item: Ons4Item, score: int | None) -> None:
    """A score is a whole number 0-10, or None when the person preferred not to say."""
    if score is None:
        return
    ASSESSMENTS.fields[item.value].check(item.value, score, date.min)


def band(item: Ons4Item, score: int) -> WellbeingBand:
    """The ONS band for one score: anxiety has its own thresholds because lower is better."""
    validate_score(item, score)
    if item is Ons4Item.ANXIETY:
        if score <= 1:
            return WellbeingBand.VERY_LOW
        if score <= 3:
            return WellbeingBand.LOW
        if score <= 5:
            return WellbeingBand.MEDIUM
        return WellbeingBand.HIGH
    if score <= 4:
        return WellbeingBand.LOW
    if score <= 6:
        return WellbeingBand.MEDIUM
    if score <= 8:
        return WellbeingBand.HIGH
    return WellbeingBand.VERY_HIGH


@dataclass(frozen=True, slots=True)
class Ons4Scores:
    """One answer per item; None means the person preferred not to say (never a zero)."""

    life_satisfaction: int | None
    worthwhile: int | None
    happiness: int | None
    anxiety: int | None

    def __post_init__(self) -> None:
        for item in Ons4Item:
            validate_score(item, self.score(item))

    def score(self, item: Ons4Item) -> int | None:
        value: int | None = getattr(self, item.value)
        return value

    def band(self, item: Ons4Item) -> WellbeingBand | None:
        value = self.score(item)
        return None if value is None else band(item, value)


@dataclass(frozen=True, slots=True)
class ItemChange:
    """Change of one item between two assessments; None where either answer was declined."""

    item: Ons4Item
    before: int | None
    after: int | None

    @property
    def difference(self) -> int | None:
        if self.before is None or self.after is None:
            return None
        return self.after - self.before

    @property
    def direction(self) -> Direction | None:
        diff = self.difference
        if diff is None:
            return None
        if diff == 0:
            return Direction.SAME
        improved = diff < 0 if self.item.lower_is_better else diff > 0
        return Direction.BETTER if improved else Direction.WORSE


def change(before: Ons4Scores, after: Ons4Scores) -> tuple[ItemChange, ...]:
    """Per-item change, in question order."""
    return tuple(ItemChange(item, before.score(item), after.score(item)) for item in Ons4Item)


@dataclass(frozen=True, slots=True)
class Assessment:
    """An ONS4 assessment: an append-only fact about how the person felt on a day."""

    id: str
    person_id: str
    assessed_on: date
    context: AssessmentContext
    scores: Ons4Scores

    def __post_init__(self) -> None:
        coerce(self, "context", AssessmentContext)
        if not isinstance(self.scores, Ons4Scores):
            raise ValidationError("scores", "Wellbeing scores are four answers from 0 to 10.")
        ASSESSMENTS.check_value("assessed_on", self.assessed_on, date.today())
