"""Measures as data: the definitions in resources/measures/, their answers, scores and change.

A measure (ONS4, SWEMWBS, UCLA-3, WHO-5, health-service use...) is one JSON file. This module
reads it strictly (a definition that does not fit says where, in words), checks answers against
it, scores them as the instrument says (item by item, sums, multipliers, conversion tables;
nothing where a declined answer means the instrument gives no score), and is the one place
that decides whether a change is better or worse and says it in words.

Nothing here adds up results the instrument keeps apart (ONS4 has no composite score).
"""

from __future__ import annotations

import enum
import json
import math
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

from sp_desktop.domain.choices import AssessmentContext
from sp_desktop.domain.errors import ValidationError
from sp_desktop.resource_files import resource

# The answers of one sitting: item key -> whole number, or None where the person declined.
Answers = Mapping[str, int | None]

MAX_COUNT = 999  # the most a count item may ever allow (health-service use: times in a period)


class DefinitionError(ValueError):
    """A definition file that does not fit the format; the message names the file and place."""


class AnswerKind(enum.StrEnum):
    """How an item is answered: a numbered scale, named options, or a count."""

    RATING = "rating"
    CHOICE = "choice"
    COUNT = "count"


class Better(enum.StrEnum):
    """Which way a result moves for the better; NEITHER for counts no one should judge."""

    HIGHER = "higher"
    LOWER = "lower"
    NEITHER = "neither"


class Direction(enum.StrEnum):
    """How a result moved between two sittings, from the person's point of view."""

    BETTER = "better"
    SAME = "same"
    WORSE = "worse"
    MORE = "more"
    FEWER = "fewer"
    NOT_KNOWN = "not known"


@dataclass(frozen=True, slots=True)
class Option:
    value: int
    label: str


@dataclass(frozen=True, slots=True)
class Item:
    """One question as published, with the answers it takes and the words for each end."""

    key: str
    question: str
    label: str
    plain_label: str
    kind: AnswerKind
    low: int
    high: int
    labels: Mapping[int, str]  # every option (choice) or the anchors (rating)

    def check(self, value: int | None) -> None:
        if value is None:
            return
        if (
            isinstance(value, bool)
            or not isinstance(value, int)
            or not self.low <= value <= self.high
        ):
            raise ValidationError(
                self.key, f"{self.label} is a whole number from {self.low} to {self.high}."
            )
        if self.kind is AnswerKind.CHOICE and value not in self.labels:
            raise ValidationError(self.key, f"{self.label}: {value} is not one of its answers.")

    @property
    def values(self) -> tuple[int, ...]:
        if self.kind is AnswerKind.CHOICE:
            return tuple(self.labels)
        return tuple(range(self.low, self.high + 1))


@dataclass(frozen=True, slots=True)
class Band:
    start: float  # the band runs from here up to the next band's start
    word: str


@dataclass(frozen=True, slots=True)
class Result:
    """What is reported: one item's answer, or a sum (times a multiplier, or through a table)."""

    key: str
    label: str
    plain_label: str
    items: tuple[Item, ...]
    summed: bool
    multiply: int = 1
    table: Mapping[int, float] = field(default_factory=dict)
    decimals: int = 0
    better: Better = Better.HIGHER
    bands: tuple[Band, ...] = ()
    sentence: str = ""
    sentence_now: str = ""
    short_label: str = ""  # in a list of results ("life satisfaction 6 (medium)"); else label
    lower_words: str = ""  # what a lower score means in words ("less anxious"), if said
    higher_words: str = ""

    def score(self, answers: Answers) -> float | None:
        """The reported score, or None where an answer is declined or missing (never a zero)."""
        values = [answers.get(item.key) for item in self.items]
        if any(v is None for v in values):
            return None
        raw = sum(v for v in values if v is not None)
        if self.table:
            return self.table[raw]
        return raw * self.multiply

    def band(self, score: float) -> str:
        word = ""
        for band in self.bands:
            if score >= band.start:
                word = band.word
        return word

    def number(self, score: float) -> str:
        """The score as printed: whole numbers without a point, table values to their places."""
        if self.decimals:
            return f"{score:.{self.decimals}f}"
        return str(int(score))

    def words(self, score: float | None) -> str:
        """A score in words: the option's name, the band, or the count with its name."""
        if score is None:
            return "not answered"
        if not self.summed and self.items[0].kind is AnswerKind.CHOICE:
            return self.items[0].labels[int(score)].lower()
        if self.bands:
            return self.band(score)
        return self.number(score)

    def in_a_list(self, score: float | None) -> str:
        """A result in a list: "life satisfaction 6 (medium)", "GP appointments 3"."""
        if score is None:
            return f"{self.short_label} prefers not to say"
        if self.bands:
            return f"{self.short_label} {self.number(score)} ({self.band(score)})"
        if not self.summed and self.items[0].kind is AnswerKind.CHOICE:
            return f"{self.short_label}: {self.words(score)}"
        return f"{self.short_label} {self.number(score)}"

    def compare(self, before: float | None, after: float | None) -> Direction:
        """Better or worse for this result (see `compare`)."""
        return compare(before, after, self.better)


def compare(before: float | None, after: float | None, better: Better | str) -> Direction:
    """The one place that decides better or worse: anxiety or loneliness improve going down,
    wellbeing going up; counts no one should judge only go up or down. A declined answer is
    not a zero, so any comparison with one is not known."""
    if before is None or after is None:
        return Direction.NOT_KNOWN
    if math.isclose(before, after):
        return Direction.SAME
    went_up = after > before
    if better == Better.NEITHER:
        return Direction.MORE if went_up else Direction.FEWER
    return Direction.BETTER if went_up == (better == Better.HIGHER) else Direction.WORSE


@dataclass(frozen=True, slots=True)
class LookBack:
    """The period counts cover: before the referral at the start, since it later on."""

    baseline: str
    later: str


@dataclass(frozen=True, slots=True)
class Measure:
    """One questionnaire as its definition file gives it."""

    key: str
    title: str
    short_title: str
    source: str
    licence_note: str
    registration_required: bool
    preamble: str
    missing: str
    items: tuple[Item, ...]
    results: tuple[Result, ...]
    look_back: LookBack | None = None

    def item(self, key: str) -> Item:
        for item in self.items:
            if item.key == key:
                return item
        raise KeyError(key)

    def check(self, answers: Mapping[str, Any]) -> None:
        """Answers fit: one per item (None where declined), each within the item's answers."""
        known = {item.key for item in self.items}
        unknown = sorted(set(answers) - known)
        if unknown:
            raise ValidationError(
                "answers", f"{self.title} has no question called {unknown[0][:48]!r}."
            )
        for item in self.items:
            if item.key not in answers:
                raise ValidationError(
                    item.key, f"{item.label}: please give an answer or mark it declined."
                )
            item.check(answers[item.key])

    def scores(self, answers: Answers) -> dict[str, float | None]:
        self.check(answers)
        return {result.key: result.score(answers) for result in self.results}


# --- then and now: the one comparison the person view and the printouts share ---------------


@dataclass(frozen=True, slots=True)
class ThenAndNow:
    """One result then (first sitting) and now (latest), in numbers and words."""

    result: Result
    then: float | None
    now: float | None
    has_then: bool

    @property
    def direction(self) -> Direction:
        return self.result.compare(self.then, self.now) if self.has_then else Direction.NOT_KNOWN

    @property
    def then_words(self) -> str:
        return self.result.words(self.then) if self.has_then else ""

    @property
    def now_words(self) -> str:
        return self.result.words(self.now)

    @property
    def then_number(self) -> str:
        return "" if self.then is None else self.result.number(self.then)

    @property
    def now_number(self) -> str:
        return "" if self.now is None else self.result.number(self.now)

    @property
    def sentence(self) -> str:
        """ "You said you felt lonely often; now some of the time." Never a bare score."""
        result = self.result
        then_words, now_words = self.then_words, self.now_words
        if self.has_then:
            template = result.sentence or (result.plain_label + ": {then} then; {now} now.")
        else:
            template = result.sentence_now or (result.plain_label + ": {now}.")
        text = template.format(
            then=self._with_number(self.then, then_words),
            now=self._with_number(self.now, now_words),
        )
        return text[0].upper() + text[1:]

    def _with_number(self, score: float | None, words: str) -> str:
        """Bands carry their score beside the word ("high (8 out of 10)"); options do not."""
        result = self.result
        if score is None or not result.bands:
            return words
        top = (
            result.table[max(result.table)]
            if result.table
            else (
                sum(item.high for item in result.items) * result.multiply
                if result.summed
                else result.items[0].high
            )
        )
        return f"{words} ({result.number(score)} out of {result.number(top)})"


def then_and_now(
    measure: Measure, first: Answers | None, latest: Answers
) -> tuple[ThenAndNow, ...]:
    """Each result from the first sitting to the latest; `first` None when there is only one."""
    return tuple(
        ThenAndNow(
            result,
            result.score(first) if first is not None else None,
            result.score(latest),
            first is not None,
        )
        for result in measure.results
    )


# --- reading definitions --------------------------------------------------------------------


class _Reader:
    """Strict reading of one definition: unknown keys, wrong types and gaps are refused."""

    def __init__(self, name: str) -> None:
        self.name = name

    def fail(self, where: str, words: str) -> DefinitionError:
        return DefinitionError(f"{self.name}: {where}: {words}")

    def obj(
        self, raw: Any, where: str, required: Iterable[str], optional: Iterable[str] = ()
    ) -> dict[str, Any]:
        if not isinstance(raw, dict):
            raise self.fail(where, "must be an object")
        required = set(required)
        missing = sorted(required - raw.keys())
        if missing:
            raise self.fail(where, f"is missing {', '.join(missing)}")
        unknown = sorted(raw.keys() - required - set(optional))
        if unknown:
            raise self.fail(where, f"has unknown key(s) {', '.join(unknown)}")
        return raw

    def text(self, raw: Any, where: str, *, blank_ok: bool = False) -> str:
        if not isinstance(raw, str) or (not blank_ok and not raw.strip()):
            raise self.fail(where, "must be text" + ("" if blank_ok else ", not blank"))
        return raw

    def whole(self, raw: Any, where: str, low: int = 0, high: int = MAX_COUNT) -> int:
        if isinstance(raw, bool) or not isinstance(raw, int) or not low <= raw <= high:
            raise self.fail(where, f"must be a whole number from {low} to {high}")
        return raw

    def number(self, raw: Any, where: str) -> float:
        if isinstance(raw, bool) or not isinstance(raw, int | float) or not math.isfinite(raw):
            raise self.fail(where, "must be a number")
        return float(raw)

    def key(self, raw: Any, where: str) -> str:
        text = self.text(raw, where)
        if not (
            text[0].isascii()
            and text[0].islower()
            and len(text) <= 48
            and all(c.isascii() and (c.islower() or c.isdigit() or c == "_") for c in text)
        ):
            raise self.fail(where, "must be a key of small letters, digits and _")
        return text


_ITEM_KEYS = ("key", "question", "label", "plain_label", "answers")
_RESULT_KEYS = ("key", "label", "plain_label", "from", "items", "better")
_RESULT_OPTIONAL = (
    "short_label",
    "lower_words",
    "higher_words",
    "multiply",
    "table",
    "decimals",
    "bands",
    "bands_source",
    "sentence",
    "sentence_now",
)


def parse_measure(raw: Any, name: str = "definition") -> Measure:
    """A definition file's JSON as a Measure, or DefinitionError saying what does not fit."""
    r = _Reader(name)
    top = r.obj(
        raw,
        "the file",
        (
            "key",
            "title",
            "short_title",
            "source",
            "licence",
            "preamble",
            "missing",
            "answer_sets",
            "items",
            "results",
        ),
        ("look_back",),
    )
    licence = r.obj(top["licence"], "licence", ("registration_required", "note"))
    if not isinstance(licence["registration_required"], bool):
        raise r.fail("licence.registration_required", "must be true or false")
    sets = _answer_sets(r, top["answer_sets"])
    items = _items(r, top["items"], sets)
    by_key = {item.key: item for item in items}
    results = tuple(
        _result(r, raw_result, f"results[{n}]", by_key)
        for n, raw_result in enumerate(_list(r, top["results"], "results"))
    )
    if len({result.key for result in results}) != len(results):
        raise r.fail("results", "keys must differ")
    look_back = None
    if "look_back" in top:
        lb = r.obj(top["look_back"], "look_back", ("baseline", "later"))
        look_back = LookBack(
            r.text(lb["baseline"], "look_back.baseline"), r.text(lb["later"], "look_back.later")
        )
    return Measure(
        key=r.key(top["key"], "key"),
        title=r.text(top["title"], "title"),
        short_title=r.text(top["short_title"], "short_title"),
        source=r.text(top["source"], "source"),
        licence_note=r.text(licence["note"], "licence.note"),
        registration_required=licence["registration_required"],
        preamble=r.text(top["preamble"], "preamble", blank_ok=True),
        missing=r.text(top["missing"], "missing"),
        items=items,
        results=results,
        look_back=look_back,
    )


def _list(r: _Reader, raw: Any, where: str) -> list[Any]:
    if not isinstance(raw, list) or not raw:
        raise r.fail(where, "must be a list with at least one entry")
    return raw


def _answer_sets(r: _Reader, raw: Any) -> dict[str, tuple[AnswerKind, int, int, dict[int, str]]]:
    if not isinstance(raw, dict) or not raw:
        raise r.fail("answer_sets", "must be an object with at least one set")
    sets = {}
    for name, spec in raw.items():
        where = f"answer_sets.{name}"
        kind_text = r.obj(spec, where, ("kind",), ("low", "high", "options"))["kind"]
        if kind_text not in set(AnswerKind):
            raise r.fail(where + ".kind", "must be rating, choice or count")
        kind = AnswerKind(kind_text)
        labels: dict[int, str] = {}
        if kind is AnswerKind.CHOICE:
            r.obj(spec, where, ("kind", "options"))
            for n, option in enumerate(_list(r, spec["options"], where + ".options")):
                o = r.obj(option, f"{where}.options[{n}]", ("value", "label"))
                value = r.whole(o["value"], f"{where}.options[{n}].value")
                if value in labels:
                    raise r.fail(f"{where}.options[{n}]", "repeats a value")
                labels[value] = r.text(o["label"], f"{where}.options[{n}].label")
            if len(labels) < 2:
                raise r.fail(where + ".options", "needs at least two options")
            low, high = min(labels), max(labels)
        else:
            r.obj(spec, where, ("kind", "low", "high"))
            low = r.whole(spec["low"], where + ".low")
            high = r.whole(spec["high"], where + ".high")
            if high <= low:
                raise r.fail(where, "high must be above low")
        sets[name] = (kind, low, high, labels)
    return sets


def _items(
    r: _Reader, raw: Any, sets: Mapping[str, tuple[AnswerKind, int, int, dict[int, str]]]
) -> tuple[Item, ...]:
    items = []
    for n, raw_item in enumerate(_list(r, raw, "items")):
        where = f"items[{n}]"
        spec = r.obj(raw_item, where, _ITEM_KEYS, ("anchors",))
        answer_set = sets.get(spec["answers"])
        if answer_set is None:
            raise r.fail(where + ".answers", f"names no answer set ({spec['answers']!r})")
        kind, low, high, labels = answer_set
        labels = dict(labels)
        if "anchors" in spec:
            if kind is not AnswerKind.RATING:
                raise r.fail(where + ".anchors", "only rating items have anchors")
            anchors = spec["anchors"]
            if not isinstance(anchors, dict):
                raise r.fail(where + ".anchors", "must be an object")
            for value_text, words in anchors.items():
                try:
                    value = int(value_text)
                except ValueError:
                    raise r.fail(
                        where + ".anchors", f"{value_text!r} is not a whole number"
                    ) from None
                if not low <= value <= high:
                    raise r.fail(where + ".anchors", f"{value} is outside {low} to {high}")
                labels[value] = r.text(words, f"{where}.anchors.{value_text}")
        items.append(
            Item(
                key=r.key(spec["key"], where + ".key"),
                question=r.text(spec["question"], where + ".question"),
                label=r.text(spec["label"], where + ".label"),
                plain_label=r.text(spec["plain_label"], where + ".plain_label"),
                kind=kind,
                low=low,
                high=high,
                labels=labels,
            )
        )
    if len({item.key for item in items}) != len(items):
        raise r.fail("items", "keys must differ")
    return tuple(items)


def _result(r: _Reader, raw: Any, where: str, items: Mapping[str, Item]) -> Result:
    spec = r.obj(raw, where, _RESULT_KEYS, _RESULT_OPTIONAL)
    how = spec["from"]
    if how not in ("item", "sum"):
        raise r.fail(where + ".from", "must be item or sum")
    keys = _list(r, spec["items"], where + ".items")
    unknown = [k for k in keys if k not in items]
    if unknown:
        raise r.fail(where + ".items", f"names no item ({unknown[0]!r})")
    used = tuple(items[k] for k in keys)
    if how == "item" and len(used) != 1:
        raise r.fail(where + ".items", "a result from an item names exactly one item")
    if how == "sum" and any(item.kind is AnswerKind.COUNT for item in used):
        raise r.fail(where + ".items", "counts are never added up")
    if spec["better"] not in set(Better):
        raise r.fail(where + ".better", "must be higher, lower or neither")
    multiply = r.whole(spec.get("multiply", 1), where + ".multiply", 1, 100)
    table: dict[int, float] = {}
    low = sum(item.low for item in used)
    high = sum(item.high for item in used)
    if "table" in spec:
        if how != "sum" or multiply != 1:
            raise r.fail(where + ".table", "converts a sum, and never with a multiplier")
        raw_table = r.obj(
            spec["table"], where + ".table", (), (str(n) for n in range(low, high + 1))
        )
        table = {int(k): r.number(v, f"{where}.table.{k}") for k, v in raw_table.items()}
        if sorted(table) != list(range(low, high + 1)):
            raise r.fail(where + ".table", f"must give every sum from {low} to {high}")
        ordered = [table[n] for n in range(low, high + 1)]
        if any(b <= a for a, b in zip(ordered, ordered[1:], strict=False)):
            raise r.fail(where + ".table", "must rise with the sum")
        low_score, high_score = ordered[0], ordered[-1]
    else:
        low_score, high_score = low * multiply, high * multiply
    bands = []
    for n, raw_band in enumerate(spec.get("bands", [])):
        b = r.obj(raw_band, f"{where}.bands[{n}]", ("from", "word"))
        bands.append(
            Band(
                r.number(b["from"], f"{where}.bands[{n}].from"),
                r.text(b["word"], f"{where}.bands[{n}].word"),
            )
        )
    if bands:
        if bands[0].start != low_score:
            raise r.fail(
                where + ".bands", f"the first band must start at the lowest score, {low_score:g}"
            )
        starts = [band.start for band in bands]
        if starts != sorted(set(starts)) or starts[-1] > high_score:
            raise r.fail(where + ".bands", "must start in rising order within the scores")
    for name in ("sentence", "sentence_now"):
        template = spec.get(name, "")
        r.text(template, f"{where}.{name}", blank_ok=True)
        try:
            template.format(then="", now="")
        except (KeyError, IndexError, ValueError):
            raise r.fail(f"{where}.{name}", "may name only {then} and {now}") from None
    return Result(
        key=r.key(spec["key"], where + ".key"),
        label=r.text(spec["label"], where + ".label"),
        plain_label=r.text(spec["plain_label"], where + ".plain_label"),
        items=used,
        summed=how == "sum",
        multiply=multiply,
        table=table,
        decimals=r.whole(spec.get("decimals", 0), where + ".decimals", 0, 4),
        better=Better(spec["better"]),
        bands=tuple(bands),
        sentence=spec.get("sentence", ""),
        sentence_now=spec.get("sentence_now", ""),
        short_label=r.text(spec.get("short_label", spec["label"].lower()), where + ".short_label"),
        lower_words=r.text(spec.get("lower_words", ""), where + ".lower_words", blank_ok=True),
        higher_words=r.text(spec.get("higher_words", ""), where + ".higher_words", blank_ok=True),
    )


# --- the catalogue: every definition shipped (or, in a test, in a folder of its own) ----------

# A scheme's own folder of definitions (every measure it uses, shipped ones included), given
# to the laptop and the office alike, so both check answers against the same files.
MEASURES_FOLDER_ENV = "SP_DESKTOP_MEASURES"
_folder_override: list[Any] = []


def use_folder(folder: Any | None) -> None:
    """Read definitions from another folder (a test's throwaway measure); None goes back."""
    _folder_override.clear()
    if folder is not None:
        _folder_override.append(folder)
    catalogue.cache_clear()


@cache
def catalogue() -> Mapping[str, Measure]:
    """Every measure by key, in file-name order; read and checked once."""
    if _folder_override:
        folder = _folder_override[0]
    elif os.environ.get(MEASURES_FOLDER_ENV):
        folder = Path(os.environ[MEASURES_FOLDER_ENV])
    else:
        folder = resource("measures")
    found: dict[str, Measure] = {}
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if not entry.name.endswith(".json"):
            continue
        try:
            raw = json.loads(entry.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise DefinitionError(f"{entry.name}: could not be read ({exc})") from None
        measure = parse_measure(raw, entry.name)
        if entry.name != f"{measure.key}.json":
            raise DefinitionError(
                f"{entry.name}: the file name must be its key, {measure.key}.json"
            )
        found[measure.key] = measure
    return found


def measure(key: str) -> Measure:
    """A shipped measure; ValidationError in words for a key no definition has."""
    found = catalogue().get(key)
    if found is None:
        raise ValidationError("measure", f"There is no questionnaire called {key[:48]!r}.")
    return found


def answers_from_text(text: str) -> dict[str, int | None]:
    """Answers as stored and sent (JSON text of an object); ValidationError if unreadable."""
    try:
        raw = json.loads(text)
    except (TypeError, ValueError):
        raise ValidationError("answers", "The answers could not be read.") from None
    if not isinstance(raw, dict) or not all(
        isinstance(k, str) and (v is None or (isinstance(v, int) and not isinstance(v, bool)))
        for k, v in raw.items()
    ):
        raise ValidationError("answers", "The answers could not be read.")
    return raw


def answers_to_text(answers: Answers) -> str:
    """Answers in item order as stored; the same answers always give the same text."""
    return json.dumps(dict(answers), separators=(",", ":"))


def check_answers_row(measure_key: Any, answers_text: Any) -> None:
    """A stored or sent answers row fits its measure (the laptop and the office both ask)."""
    if not isinstance(measure_key, str):
        raise ValidationError("measure", "Please say which questionnaire was answered.")
    if not isinstance(answers_text, str):
        raise ValidationError("answers", "The answers could not be read.")
    measure(measure_key).check(answers_from_text(answers_text))


def ordered(measures: Iterable[Measure], keys: Sequence[str]) -> tuple[Measure, ...]:
    """Measures in the order `keys` names them."""
    by_key = {m.key: m for m in measures}
    return tuple(by_key[k] for k in keys if k in by_key)


# --- a sitting: one measure answered on a day ---------------------------------------------


@dataclass(frozen=True, slots=True)
class Sitting:
    """One measure answered on a day: an append-only fact, never edited."""

    id: str
    person_id: str
    measure: str
    taken_on: date
    context: AssessmentContext
    answers: Mapping[str, int | None]


@dataclass(frozen=True, slots=True)
class MeasureThenAndNow:
    """One measure's then and now for a person: first and latest sitting, result by result."""

    measure: Measure
    first: Sitting | None  # None when there is only one sitting so far
    latest: Sitting
    lines: tuple[ThenAndNow, ...]


def measure_then_and_now(measure: Measure, sittings: Sequence[Sitting]) -> MeasureThenAndNow | None:
    """From a person's sittings of this measure (oldest first); None when there are none."""
    mine = [s for s in sittings if s.measure == measure.key]
    if not mine:
        return None
    first = mine[0] if len(mine) > 1 else None
    latest = mine[-1]
    return MeasureThenAndNow(
        measure,
        first,
        latest,
        then_and_now(measure, first.answers if first else None, latest.answers),
    )
