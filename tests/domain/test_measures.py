"""Measures as data: every shipped definition reads, and scores as its instrument publishes.

Table-driven from the instruments' own rules: every band boundary, declined and missing
answers, and the SWEMWBS conversion for every raw score.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from sp_desktop.domain import measures
from sp_desktop.domain.errors import ValidationError
from sp_desktop.domain.measures import Direction, catalogue, parse_measure, then_and_now

MEASURES_DIR = Path(__file__).resolve().parents[2] / "resources" / "measures"

# Stewart-Brown et al. 2009, as published by Warwick Medical School: raw 7-35 -> metric.
SWEMWBS_METRIC = dict(
    zip(
        range(7, 36),
        [
            7.00,
            9.51,
            11.25,
            12.40,
            13.33,
            14.08,
            14.75,
            15.32,
            15.84,
            16.36,
            16.88,
            17.43,
            17.98,
            18.59,
            19.25,
            19.98,
            20.73,
            21.54,
            22.35,
            23.21,
            24.11,
            25.03,
            26.02,
            27.03,
            28.13,
            29.31,
            30.70,
            32.55,
            35.00,
        ],
        strict=True,
    )
)


def _raw(name: str) -> Any:
    return json.loads((MEASURES_DIR / name).read_text("utf-8"))


def test_every_shipped_definition_reads_and_is_named_by_its_file() -> None:
    found = catalogue()
    # At least the six; a scheme's new file needs no change here.
    assert {"ons4", "swemwbs", "ucla3", "ons_loneliness", "who5", "health_use"} <= set(found)
    assert set(found) == {path.stem for path in MEASURES_DIR.glob("*.json")}
    for key, measure in found.items():
        assert (MEASURES_DIR / f"{key}.json").is_file()
        assert measure.licence_note and measure.source and measure.missing


def test_licences_that_ask_for_registration_say_so() -> None:
    found = catalogue()
    assert found["swemwbs"].registration_required
    assert "register" in found["swemwbs"].licence_note
    assert not found["ons4"].registration_required
    assert "CC BY-NC-SA" in found["who5"].licence_note


def test_ons4_is_asked_as_the_harmonised_standard_words_it() -> None:
    ons4 = catalogue()["ons4"]
    assert [i.key for i in ons4.items] == [
        "life_satisfaction",
        "worthwhile",
        "happiness",
        "anxiety",
    ]
    assert ons4.items[0].question == "Overall, how satisfied are you with your life nowadays?"
    assert ons4.items[3].labels == {0: "Not at all anxious", 10: "Completely anxious"}
    assert (ons4.items[0].low, ons4.items[0].high) == (0, 10)
    # No composite: each result is one item.
    assert all(not r.summed and len(r.items) == 1 for r in ons4.results)


# --- ONS4 bands at every boundary (ONS: 0-4 low, 5-6 medium, 7-8 high, 9-10 very high;
#     anxiety 0-1 very low, 2-3 low, 4-5 medium, 6-10 high) ---------------------------------

ONS4_BANDS = [
    ("happiness", 0, "low"),
    ("happiness", 4, "low"),
    ("happiness", 5, "medium"),
    ("happiness", 6, "medium"),
    ("happiness", 7, "high"),
    ("happiness", 8, "high"),
    ("happiness", 9, "very high"),
    ("happiness", 10, "very high"),
    ("life_satisfaction", 4, "low"),
    ("worthwhile", 9, "very high"),
    ("anxiety", 0, "very low"),
    ("anxiety", 1, "very low"),
    ("anxiety", 2, "low"),
    ("anxiety", 3, "low"),
    ("anxiety", 4, "medium"),
    ("anxiety", 5, "medium"),
    ("anxiety", 6, "high"),
    ("anxiety", 10, "high"),
]


@pytest.mark.parametrize(("key", "score", "word"), ONS4_BANDS)
def test_ons4_bands(key: str, score: int, word: str) -> None:
    result = next(r for r in catalogue()["ons4"].results if r.key == key)
    assert result.band(score) == word


def test_ons4_declined_is_not_a_zero_and_is_never_added_up() -> None:
    ons4 = catalogue()["ons4"]
    scores = ons4.scores(
        {"life_satisfaction": 0, "worthwhile": None, "happiness": 10, "anxiety": 3}
    )
    assert scores == {"life_satisfaction": 0, "worthwhile": None, "happiness": 10, "anxiety": 3}


# --- SWEMWBS: sum of seven 1-5 answers, then the published conversion table ------------------


@pytest.mark.parametrize(("raw", "metric"), sorted(SWEMWBS_METRIC.items()))
def test_swemwbs_converts_every_raw_score_by_the_published_table(raw: int, metric: float) -> None:
    swemwbs = catalogue()["swemwbs"]
    # Spread the raw total over the seven items (each 1-5).
    answers, left = {}, raw
    for n, item in enumerate(swemwbs.items):
        remaining = len(swemwbs.items) - n - 1
        value = min(5, left - remaining)
        answers[item.key] = value
        left -= value
    assert sum(answers.values()) == raw
    assert swemwbs.scores(answers) == {"wellbeing": metric}


def test_swemwbs_gives_no_score_when_any_statement_is_declined() -> None:
    swemwbs = catalogue()["swemwbs"]
    answers: dict[str, int | None] = {i.key: 3 for i in swemwbs.items}
    answers["relaxed"] = None
    assert swemwbs.scores(answers) == {"wellbeing": None}


@pytest.mark.parametrize(
    ("metric", "word"),
    [
        (7.0, "low"),
        (17.98, "low"),
        (18.59, "below average"),
        (20.73, "below average"),
        (21.54, "average"),
        (27.03, "average"),
        (28.13, "high"),
        (35.0, "high"),
    ],
)
def test_swemwbs_bands(metric: float, word: str) -> None:
    assert catalogue()["swemwbs"].results[0].band(metric) == word


def test_swemwbs_prints_its_metric_score_to_two_places() -> None:
    result = catalogue()["swemwbs"].results[0]
    assert result.number(12.4) == "12.40"


# --- WHO-5: five 0-5 answers, raw 0-25, reported x4 -------------------------------------------


@pytest.mark.parametrize(
    ("answers", "reported", "word"),
    [
        ((0, 0, 0, 0, 0), 0, "very low"),
        ((1, 1, 1, 2, 2), 28, "very low"),  # raw 7: 28, the depression-screening line
        ((2, 2, 2, 1, 1), 32, "low"),  # raw 8
        ((3, 3, 2, 2, 2), 48, "low"),  # raw 12: below 13 is poor wellbeing
        ((3, 3, 3, 2, 2), 52, "good"),  # raw 13
        ((5, 5, 5, 5, 5), 100, "good"),
    ],
)
def test_who5_reported_times_four_with_its_bands(
    answers: tuple[int, ...], reported: int, word: str
) -> None:
    who5 = catalogue()["who5"]
    given = dict(zip((i.key for i in who5.items), answers, strict=True))
    assert who5.scores(given) == {"wellbeing": reported}
    assert who5.results[0].band(reported) == word


def test_who5_gives_no_score_when_an_answer_is_missing() -> None:
    who5 = catalogue()["who5"]
    given: dict[str, int | None] = {i.key: 5 for i in who5.items}
    given["rested"] = None
    assert who5.scores(given) == {"wellbeing": None}


# --- UCLA-3 and the ONS direct question ------------------------------------------------------


@pytest.mark.parametrize(
    ("answers", "total", "word"),
    [
        ((1, 1, 1), 3, "not often lonely"),
        ((2, 2, 1), 5, "not often lonely"),
        ((2, 2, 2), 6, "often lonely"),
        ((3, 3, 3), 9, "often lonely"),
        ((3, None, 3), None, ""),
    ],
)
def test_ucla3_total(answers: tuple[int | None, ...], total: int | None, word: str) -> None:
    ucla = catalogue()["ucla3"]
    given = dict(zip((i.key for i in ucla.items), answers, strict=True))
    assert ucla.scores(given) == {"loneliness": total}
    if total is not None:
        assert ucla.results[0].band(total) == word
        assert ucla.results[0].compare(total, 3) in (Direction.BETTER, Direction.SAME)


def test_the_ons_loneliness_question_is_a_category_in_words() -> None:
    ons = catalogue()["ons_loneliness"]
    [line] = then_and_now(ons, {"lonely": 1}, {"lonely": 2})
    assert line.sentence == "You said you felt lonely often/always; now some of the time."
    assert line.direction is Direction.BETTER
    [only] = then_and_now(ons, None, {"lonely": 5})
    assert only.sentence == "You said you felt lonely never."
    assert only.direction is Direction.NOT_KNOWN


# --- better or worse: the one place -------------------------------------------------------------


@pytest.mark.parametrize(
    ("measure", "result", "before", "after", "direction"),
    [
        ("ons4", "happiness", 4, 7, Direction.BETTER),
        ("ons4", "happiness", 7, 4, Direction.WORSE),
        ("ons4", "happiness", 5, 5, Direction.SAME),
        ("ons4", "anxiety", 7, 2, Direction.BETTER),  # lower anxiety is better
        ("ons4", "anxiety", 2, 7, Direction.WORSE),
        ("ons4", "anxiety", None, 2, Direction.NOT_KNOWN),
        ("ucla3", "loneliness", 8, 5, Direction.BETTER),
        ("swemwbs", "wellbeing", 17.98, 21.54, Direction.BETTER),
        ("health_use", "gp", 6, 2, Direction.FEWER),  # counts are not judged
        ("health_use", "ae", 1, 3, Direction.MORE),
    ],
)
def test_better_or_worse(
    measure: str, result: str, before: float | None, after: float | None, direction: Direction
) -> None:
    found = next(r for r in catalogue()[measure].results if r.key == result)
    assert found.compare(before, after) is direction


def test_then_and_now_says_results_in_words_never_a_bare_score() -> None:
    ons4 = catalogue()["ons4"]
    lines = then_and_now(
        ons4,
        {"life_satisfaction": 4, "worthwhile": None, "happiness": 3, "anxiety": 7},
        {"life_satisfaction": 8, "worthwhile": 5, "happiness": 3, "anxiety": 2},
    )
    assert lines[0].sentence == (
        "How satisfied you are with your life: low (4 out of 10) then; high (8 out of 10) now."
    )
    assert lines[1].then_words == "not answered" and lines[1].direction is Direction.NOT_KNOWN
    assert lines[3].direction is Direction.BETTER


def test_health_use_has_its_look_back() -> None:
    health = catalogue()["health_use"]
    assert health.look_back is not None
    assert "six months before" in health.look_back.baseline
    assert health.item("gp").high >= 99


# --- answers must fit the measure -------------------------------------------------------------


@pytest.mark.parametrize(
    ("answers", "field", "words"),
    [
        ({"lonely": 6}, "lonely", "Feeling lonely is a whole number from 1 to 5"),
        ({"lonely": True}, "lonely", "whole number"),
        ({}, "lonely", "please give an answer or mark it declined"),
        ({"lonely": 1, "sad": 2}, "answers", "has no question called 'sad'"),
    ],
)
def test_answers_that_do_not_fit_are_refused_in_words(
    answers: dict[str, Any], field: str, words: str
) -> None:
    with pytest.raises(ValidationError) as caught:
        catalogue()["ons_loneliness"].check(answers)
    assert caught.value.field == field
    assert words in caught.value.message


def test_a_choice_between_its_options_only() -> None:
    who5 = catalogue()["who5"]
    assert who5.items[0].values == (0, 1, 2, 3, 4, 5)
    with pytest.raises(ValidationError):
        catalogue()["ucla3"].item("left_out").check(0)


def test_an_unknown_measure_is_refused_in_words() -> None:
    with pytest.raises(ValidationError, match="no questionnaire called 'phq9'"):
        measures.check_answers_row("phq9", "{}")
    with pytest.raises(ValidationError, match="could not be read"):
        measures.check_answers_row("ons4", "[1, 2]")


# --- definitions that do not fit are refused, saying where -------------------------------------


def _broken(change: Any) -> str:
    raw = copy.deepcopy(_raw("swemwbs.json"))
    change(raw)
    with pytest.raises(measures.DefinitionError) as caught:
        parse_measure(raw, "swemwbs.json")
    return str(caught.value)


@pytest.mark.parametrize(
    ("change", "words"),
    [
        (lambda r: r.pop("licence"), "is missing licence"),
        (lambda r: r.update(colour="blue"), "unknown key(s) colour"),
        (lambda r: r["results"][0]["table"].pop("20"), "every sum from 7 to 35"),
        (lambda r: r["results"][0]["table"].update({"20": 1.0}), "must rise with the sum"),
        (lambda r: r["results"][0].update(items=["optimistic", "nope"]), "names no item"),
        (lambda r: r["results"][0]["bands"][0].update({"from": 8}), "start at the lowest score"),
        (lambda r: r["results"][0].update(better="up"), "higher, lower or neither"),
        (lambda r: r["items"][0].update(answers="scale"), "names no answer set"),
        (
            lambda r: r["answer_sets"]["frequency"]["options"].append({"value": 1, "label": "x"}),
            "repeats a value",
        ),
        (lambda r: r["results"][0].update(sentence="{before}"), "only {then} and {now}"),
    ],
)
def test_a_definition_that_does_not_fit_says_where(change: Any, words: str) -> None:
    message = _broken(change)
    assert message.startswith("swemwbs.json: ")
    assert words in message
