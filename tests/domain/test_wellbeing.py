"""ONS4 bands at every boundary, validation, and change where lower anxiety is better."""

import pytest

from sp_desktop.domain.errors import ValidationError
from sp_desktop.domain.wellbeing import (
    Direction,
    Ons4Item,
    Ons4Scores,
    WellbeingBand,
    band,
    change,
)

L, M, H, VH, VL = (
    WellbeingBand.LOW,
    WellbeingBand.MEDIUM,
    WellbeingBand.HIGH,
    WellbeingBand.VERY_HIGH,
    WellbeingBand.VERY_LOW,
)
POSITIVE_BANDS = [L, L, L, L, L, M, M, H, H, VH, VH]  # scores 0..10
ANXIETY_BANDS = [VL, VL, L, L, M, M, H, H, H, H, H]


@pytest.mark.parametrize(
    "item", [Ons4Item.LIFE_SATISFACTION, Ons4Item.WORTHWHILE, Ons4Item.HAPPINESS]
)
@pytest.mark.parametrize("score", range(11))
def test_positive_item_bands(item: Ons4Item, score: int) -> None:
    assert band(item, score) is POSITIVE_BANDS[score]


@pytest.mark.parametrize("score", range(11))
def test_anxiety_bands(score: int) -> None:
    assert band(Ons4Item.ANXIETY, score) is ANXIETY_BANDS[score]


@pytest.mark.parametrize("bad", [11, -1, 100, 3.5, True, "7"])
def test_scores_outside_0_to_10_are_refused(bad: object) -> None:
    with pytest.raises(ValidationError) as caught:
        Ons4Scores(5, 5, bad, 5)  # type: ignore[arg-type]
    assert caught.value.field == "happiness"
    assert "0 to 10" in caught.value.message


def test_declined_is_not_zero() -> None:
    scores = Ons4Scores(None, 0, 5, None)
    assert scores.score(Ons4Item.LIFE_SATISFACTION) is None
    assert scores.band(Ons4Item.LIFE_SATISFACTION) is None
    assert scores.band(Ons4Item.WORTHWHILE) is WellbeingBand.LOW


@pytest.mark.parametrize(
    ("item", "before", "after", "direction"),
    [
        (Ons4Item.HAPPINESS, 3, 7, Direction.BETTER),
        (Ons4Item.HAPPINESS, 7, 3, Direction.WORSE),
        (Ons4Item.HAPPINESS, 5, 5, Direction.SAME),
        (Ons4Item.ANXIETY, 8, 2, Direction.BETTER),  # lower anxiety is better
        (Ons4Item.ANXIETY, 2, 8, Direction.WORSE),
        (Ons4Item.ANXIETY, None, 2, None),  # declined: no change can be said
    ],
)
def test_change_per_item(
    item: Ons4Item, before: int | None, after: int | None, direction: Direction | None
) -> None:
    def scores(value: int | None) -> Ons4Scores:
        return Ons4Scores(**{i.value: (value if i is item else 5) for i in Ons4Item})

    changes = {c.item: c for c in change(scores(before), scores(after))}
    assert changes[item].direction is direction
    if direction is not None:
        assert changes[item].difference == after - before  # type: ignore[operator]
