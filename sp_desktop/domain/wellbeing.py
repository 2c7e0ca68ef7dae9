"""ONS4 personal wellbeing as typed values, read from its definition (resources/measures/ons4.json).

The measure itself (questions, bands, which way is better) is data in domain/measures.py; this
module gives the four ONS4 answers a typed shape for the screens and printouts written around
them. ONS publishes no composite score, so nothing here ever adds the four items up.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date

# AssessmentContext is defined with the other choices; re-exported where it was always found.
from sp_desktop.domain.choices import AssessmentContext as AssessmentContext
from sp_desktop.domain.choices import coerce
from sp_desktop.domain.errors import ValidationError
from sp_desktop.domain.measures import Direction as Direction
from sp_desktop.domain.measures import Result, Sitting, measure
from sp_desktop.domain.rows import ANSWERS

ONS4 = "ons4"


class Ons4Item(enum.StrEnum):
    """The four ONS personal wellbeing questions, in the order they are asked."""

    LIFE_SATISFACTION = "life_satisfaction"
    WORTHWHILE = "worthwhile"
    HAPPINESS = "happiness"
    ANXIETY = "anxiety"

    @property
    def result(self) -> Result:
        for result in measure(ONS4).results:
            if result.key == self.value:
                return result
        raise KeyError(self.value)

    @property
    def lower_is_better(self) -> bool:
        return self.result.better == "lower"

    @property
    def label(self) -> str:
        """The item as people say it ("Happiness yesterday"), for messages."""
        return measure(ONS4).item(self.value).label


class WellbeingBand(enum.StrEnum):
    """ONS thresholds, named as ONS names them (the words come from the definition)."""

    VERY_LOW = "very low"
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    VERY_HIGH = "very high"


def validate_score(item: Ons4Item, score: int | None) -> None:
    """A score is a whole number 0-10, or None when the person preferred not to say."""
    measure(ONS4).item(item.value).check(score)


def band(item: Ons4Item, score: int) -> WellbeingBand:
    """The ONS band for one score: anxiety has its own thresholds because lower is better."""
    validate_score(item, score)
    return WellbeingBand(item.result.band(score))


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

    def answers(self) -> dict[str, int | None]:
        """As the answers table holds them."""
        return {item.value: self.score(item) for item in Ons4Item}

    @classmethod
    def from_answers(cls, answers: dict[str, int | None]) -> Ons4Scores:
        return cls(**{item.value: answers.get(item.value) for item in Ons4Item})


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
        """Decided by the measure's one rule (domain/measures.py); None where not known."""
        moved = self.item.result.compare(self.before, self.after)
        return None if moved is Direction.NOT_KNOWN else moved


def change(before: Ons4Scores, after: Ons4Scores) -> tuple[ItemChange, ...]:
    """Per-item change, in question order."""
    return tuple(ItemChange(item, before.score(item), after.score(item)) for item in Ons4Item)


@dataclass(frozen=True, slots=True)
class Assessment:
    """An ONS4 sitting: an append-only fact about how the person felt on a day."""

    id: str
    person_id: str
    assessed_on: date
    context: AssessmentContext
    scores: Ons4Scores

    def __post_init__(self) -> None:
        coerce(self, "context", AssessmentContext)
        if not isinstance(self.scores, Ons4Scores):
            raise ValidationError("scores", "Wellbeing scores are four answers from 0 to 10.")
        ANSWERS.fields["taken_on"].check("assessed_on", self.assessed_on, date.today())

    @classmethod
    def from_sitting(cls, sitting: Sitting) -> Assessment:
        return cls(
            sitting.id,
            sitting.person_id,
            sitting.taken_on,
            sitting.context,
            Ons4Scores.from_answers(dict(sitting.answers)),
        )
