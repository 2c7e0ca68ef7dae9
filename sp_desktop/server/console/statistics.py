"""The outcome report's statistics: paired before/after figures from SQL sums, and small-number
suppression.

The database adds up (n, sums, sums of squares) so nothing is loaded row by row; this module
turns those sums into a mean change with its 95 % confidence interval (Student's t, scipy) and
an effect size (the mean change over the standard deviation of the changes: Cohen's d for
paired data). Suppression follows the NHS habit: a count of 1 to 4 people is shown as "fewer
than 5", and where one cell of a row with a shown total is hidden, the next smallest is hidden
too, so the total cannot be used to work the hidden one back. And because a commissioner can
combine filters and subtract one view's totals from another's (differencing), every other
count they see is rounded to the nearest 5, a selection of fewer than 10 people shows no
figures at all, and means of fewer than 5 people are hidden.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from scipy import stats

SMALL = 5  # counts below this are never shown to commissioners
FEWER = "fewer than 5"
ROUND_TO = 5  # commissioners' counts of 5 or more, to the nearest 5
TOO_FEW = 10  # a commissioner's selection of fewer people shows no figures
CONFIDENCE = 0.95


@dataclass(frozen=True, slots=True)
class Paired:
    """One result's paired figures: people with a baseline and a later score."""

    n: int
    mean_before: float
    mean_after: float
    mean_change: float
    low: float | None  # the 95 % interval of the mean change (None below 2 people)
    high: float | None
    effect_size: float | None  # mean change / sd of changes (None when they all changed alike)
    moved_better: int  # people who moved at least one band in the better direction


def paired(
    n: int,
    sum_before: float,
    sum_after: float,
    sum_change: float,
    sum_change_squared: float,
    moved_better: int = 0,
) -> Paired | None:
    """Paired figures from the sums over n people; None for nobody."""
    if n <= 0:
        return None
    mean = sum_change / n
    low = high = effect = None
    if n >= 2:
        variance = max(0.0, (sum_change_squared - n * mean * mean) / (n - 1))
        sd = math.sqrt(variance)
        half = float(stats.t.ppf((1 + CONFIDENCE) / 2, n - 1)) * sd / math.sqrt(n)
        low, high = mean - half, mean + half
        effect = mean / sd if sd > 1e-12 else None
    return Paired(n, sum_before / n, sum_after / n, mean, low, high, effect, moved_better)


def rounded(count: int) -> int:
    """A count of 5 or more to the nearest 5 (halves up, so never below 5)."""
    return int(ROUND_TO * math.floor(count / ROUND_TO + 0.5))


def shown(count: int, suppress: bool) -> str:
    """A count as a commissioner sees it (below 5 suppressed, else rounded to the nearest 5,
    so two views' difference is always a multiple of 5) or as staff see it."""
    if not suppress:
        return str(count)
    if 0 < count < SMALL:
        return FEWER
    return str(rounded(count))


def share(part: int, whole: int, suppress: bool) -> str:
    """A percentage; for a commissioner, of the rounded counts (so it gives nothing back the
    rounded counts do not), and none where the part is suppressed."""
    if suppress:
        if 0 < part < SMALL:
            return "-"
        part, whole = rounded(part), rounded(whole)
    return "-" if whole <= 0 else f"{100 * part / whole:.0f}%"


def suppress_row(counts: Sequence[int]) -> list[bool]:
    """Which cells of a row (whose total is shown) to hide: every count of 1 to 4 people, and,
    where exactly one is hidden, the next smallest shown one too (so the total minus the
    shown cells does not give the hidden one back)."""
    hidden = [0 < c < SMALL for c in counts]
    if sum(hidden) == 1:
        others = [(c, i) for i, c in enumerate(counts) if not hidden[i] and c > 0]
        if others:
            hidden[min(others)[1]] = True
    return hidden


def percentile(sorted_pair: Sequence[float], position: float) -> float:
    """The value at a fractional position between two neighbours (linear interpolation, as
    `statistics.quantiles(method="inclusive")` and `statistics.median`)."""
    low = sorted_pair[0]
    high = sorted_pair[1] if len(sorted_pair) > 1 else low
    return low + (high - low) * (position - math.floor(position))
