"""The one definition of a valid row: table-driven, as the laptop and the office both apply it."""

from __future__ import annotations

import json
from datetime import date, timedelta
from importlib import resources
from typing import Any

import pytest

from sp_desktop.domain.errors import ValidationError
from sp_desktop.domain.nhs_number import NhsNumber
from sp_desktop.domain.people import Concern, Person, Step, Visit
from sp_desktop.domain.rows import (
    ANSWERS,
    NAME_CHARS,
    NOTE_CHARS,
    PEOPLE,
    ROWS,
    office_today,
)
from sp_desktop.domain.wellbeing import Assessment, AssessmentContext, Ons4Item, Ons4Scores

TODAY = date(2026, 3, 2)


def person(**fields: Any) -> dict[str, Any]:
    return {"given_name": "Ada", "family_name": "Lovelace", "date_of_birth": "1941-02-03",
            **fields}


# --- each table's rules, value by value -----------------------------------------------------


@pytest.mark.parametrize(
    ("table", "fields", "field", "words"),
    [
        ("answers", {"taken_on": (TODAY + timedelta(days=400)).isoformat()},
         "taken_on", "cannot be in the future"),
        ("answers", {"context": "whenever"}, "context", "not one of the choices"),
        ("answers", {"answers": "x" * 4_001}, "answers", "longer than 4,000 characters"),
        ("people", {"given_name": 2**64}, "given_name", "The first name must be text"),
        ("people", {"given_name": "A" * 101}, "given_name",
         "The first name is longer than 100 characters"),
        ("people", {"given_name": "Ad\ud800a"}, "given_name", "cannot be stored"),
        ("people", {"family_name": "Nul\x00l"}, "family_name", "cannot be stored"),
        ("people", {"given_name": "   "}, "given_name", "Please enter a first name"),
        ("people", {"nhs_number": "９４３４７６５９１９"}, "nhs_number", "0 to 9"),
        ("people", {"nhs_number": "٩٤٣٤٧٦٥٩١٩"}, "nhs_number", "0 to 9"),
        ("people", {"nhs_number": 9434765919}, "nhs_number", "given as text"),
        ("people", {"date_of_birth": "1850-01-01"}, "date_of_birth", "before 1 January 1900"),
        ("people", {"gender": "moon"}, "gender", "not one of the choices"),
        ("people", {"large_print": "yes"}, "large_print", "yes or no"),
        ("people", {"favourite_colour": "blue"}, "favourite_colour",
         "A person has no field called 'favourite_colour'"),
        ("visits", {"visit_date": "not a date"}, "visit_date", "must be a date"),
        ("visits", {"visit_date": "20260302"}, "visit_date", "must be a date"),
        ("visits", {"place": "moon"}, "place", "not one of the choices"),
        ("visits", {"notes": json.dumps({"connection": "x" * 200_443})}, "notes",
         "The note on connection is longer than 10,000 characters"),
        ("visits", {"notes": "[1, 2]"}, "notes", "could not be read"),
        ("visits", {"notes": json.dumps({"Bad Key!": "x"})}, "notes", "not known"),
        ("steps", {"progress": "lots"}, "progress", "Progress is a whole number from 0 to 10"),
        ("steps", {"target_date": (TODAY + timedelta(days=731)).isoformat()}, "target_date",
         "more than 730 days ahead"),
        ("concerns", {"visit_id": "not an id!"}, "visit_id", "not a record identifier"),
        ("prescriptions", {"weeks": 40}, "weeks", "from 8 to 16"),
        ("prescriptions", {"start_date": (TODAY + timedelta(days=366)).isoformat()},
         "start_date", "more than 365 days ahead"),
        ("volunteer_hours", {"hours": 120}, "hours", "at most 12"),
        ("services", {"postcode": "PLEASE RING FOR IT"}, "postcode", "longer than 16"),
        ("services", {"wellbeing_tags": '["fly"]'}, "wellbeing_tags", "Five ways"),
        ("follow_ups", {"done_on": (TODAY + timedelta(days=1)).isoformat()}, "done_on",
         "cannot be in the future"),
    ],
)
def test_a_wrong_value_is_refused_naming_the_field_in_words(
    table: str, fields: dict[str, Any], field: str, words: str
) -> None:
    with pytest.raises(ValidationError) as caught:
        ROWS[table].check_fields(fields, TODAY)
    assert caught.value.field == field
    assert words in caught.value.message
    assert "Traceback" not in caught.value.message and "Input should" not in caught.value.message


@pytest.mark.parametrize(
    ("table", "fields"),
    [
        ("people", person(nhs_number="9434765919", gender="female", preferred_name=None)),
        ("people", person(given_name="Zoë", family_name="Łukasz-Öztürk 🙂")),
        ("answers", {"person_id": "p1", "measure": "ons4", "taken_on": TODAY,
                     "context": "baseline", "answers": json.dumps({
                         "life_satisfaction": 5, "worthwhile": None, "happiness": None,
                         "anxiety": 0})}),
        ("visits", {"person_id": "p1", "visit_date": TODAY.isoformat(), "place": "home",
                    "notes": json.dumps({"connection": "x" * NOTE_CHARS})}),
        ("steps", {"person_id": "p1", "words": "Phone my brother",
                   "target_date": TODAY + timedelta(days=730)}),
        ("prescriptions", {"person_id": "p1", "service_id": "svc-1", "start_date": TODAY,
                           "weeks": 12, "ended_on": None}),
        ("volunteer_hours", {"person_id": "p1", "prescription_id": "rx1",
                             "logged_on": TODAY, "hours": 1.5}),
    ],
)
def test_valid_rows_pass(table: str, fields: dict[str, Any]) -> None:
    ROWS[table].check_new(fields, TODAY)


@pytest.mark.parametrize(
    ("table", "fields", "field"),
    [
        ("people", {"given_name": "Ada", "family_name": "Lovelace"}, "date_of_birth"),
        ("answers", {"person_id": "p1", "taken_on": TODAY, "measure": "ons4",
                     "answers": "{}"}, "context"),
        ("visits", {"person_id": "p1", "place": "home"}, "visit_date"),
        ("referrals", {"person_id": "p1", "source": "gp", "received_on": TODAY,
                       "consent": "given"}, "consent_on"),
        ("referrals", {"person_id": "p1", "source": "gp", "received_on": TODAY,
                       "consent": "declined", "consent_on": TODAY, "status": "active"}, "status"),
        ("visits", {"person_id": "p1", "visit_date": TODAY, "place": "home",
                    "status": "signed"}, "signed_by"),
        ("prescriptions", {"person_id": "p1", "service_id": "s", "start_date": "2026-03-02",
                           "ended_on": "2026-03-01"}, "ended_on"),
        ("attendance", {"person_id": "p1", "prescription_id": "rx", "session_on": TODAY,
                        "status": "stopped", "reason": " ", "stopped_because": None},
         "stopped_because"),
        ("closing_reviews", {"person_id": "p1", "closed_on": TODAY,
                             "outcome": "re_referred"}, "reason"),
    ],
)
def test_a_new_row_needs_its_required_fields_and_consistent_values(
    table: str, fields: dict[str, Any], field: str
) -> None:
    with pytest.raises(ValidationError) as caught:
        ROWS[table].check_new(fields, TODAY)
    assert caught.value.field == field
    assert caught.value.message.endswith(".")


def test_the_office_allows_a_laptop_a_day_ahead_of_its_utc_date() -> None:
    laptop_today = TODAY + timedelta(days=1)  # just after midnight in summer time
    ANSWERS.check_value("taken_on", laptop_today, office_today(TODAY))
    with pytest.raises(ValidationError):
        ANSWERS.check_value("taken_on", laptop_today + timedelta(days=1), office_today(TODAY))


def test_ons4_labels_name_the_items_as_the_questions_ask_them() -> None:
    raw = json.loads(
        resources.files("resources").joinpath("measures", "ons4.json").read_text("utf-8")
    )
    questions = {item["key"]: item["question"].lower() for item in raw["items"]}
    labels = {item["key"]: item["label"] for item in raw["items"]}
    assert set(labels) == set(questions) == {i.value for i in Ons4Item}
    for key, label in labels.items():
        stem = label.split()[0].lower().rstrip("s")[:5]  # "happi", "anxie", "life", "feeli"
        assert stem[:4] in questions[key] or key == "worthwhile"
    assert "worthwhile" in labels["worthwhile"].lower()
    assert "yesterday" in questions["happiness"] and "yesterday" in labels["happiness"]


@pytest.mark.parametrize(
    ("answers", "field", "words"),
    [
        ({"life_satisfaction": 5, "worthwhile": 5, "happiness": 99, "anxiety": 5}, "happiness",
         "Happiness yesterday is a whole number from 0 to 10"),
        ({"life_satisfaction": 5, "worthwhile": 5, "happiness": 5, "anxiety": -5}, "anxiety",
         "Anxiety yesterday is a whole number"),
        ({"life_satisfaction": 5, "worthwhile": True, "happiness": 5, "anxiety": 5}, "answers",
         "could not be read"),
        ({"life_satisfaction": 5, "happiness": 5, "anxiety": 5}, "worthwhile",
         "please give an answer or mark it declined"),
    ],
)
def test_answers_must_fit_their_measure(answers: dict[str, Any], field: str, words: str) -> None:
    with pytest.raises(ValidationError) as caught:
        ANSWERS.check_new({"person_id": "p1", "measure": "ons4", "taken_on": TODAY,
                           "context": "baseline", "answers": json.dumps(answers)}, TODAY)
    assert caught.value.field == field
    assert words in caught.value.message


# --- the domain entities use the same rules (issue 17's findings) -----------------------------


def _refused(make: Any) -> ValidationError:
    with pytest.raises(ValidationError) as caught:
        make()
    return caught.value


@pytest.mark.parametrize(
    ("make", "field", "words"),
    [
        (lambda: NhsNumber.parse("９４３ ４７６ ５９１９"), "nhs_number", "10 digits"),
        (lambda: NhsNumber.parse("٩٤٣٤٧٦٥٩١٩"), "nhs_number", "10 digits"),
        (lambda: NhsNumber("٩٤٣٤٧٦٥٩١٩"), "nhs_number", "0 to 9"),
        (lambda: NhsNumber.parse(9434765919), "nhs_number", "given as text"),
        (lambda: Person("p1", "Ada", "Lovelace", date(1941, 2, 3), nhs_number=9434765919),
         "nhs_number", "given as text"),
        (lambda: Person("p1", "Ada", "Lovelace", date(1941, 2, 3),
                        nhs_number="９４３４７６５９１９"), "nhs_number", "10 digits"),
        (lambda: Person("p1", "A\ud83d", "Lovelace", date(1941, 2, 3)), "given_name",
         "cannot be stored"),
        (lambda: Person("p1", "A" * (NAME_CHARS + 1), "Lovelace", date(1941, 2, 3)),
         "given_name", "The first name is longer than 100 characters"),
        (lambda: Assessment("a1", "p1", date.today(), "baseline", "7"), "scores", "four answers"),
        (lambda: Assessment("a1", "p1", date.today(), "sometime", Ons4Scores(1, 2, 3, 4)),
         "context", "not one of the choices"),
        (lambda: Assessment("a1", "p1", date.today() + timedelta(days=400), "baseline",
                            Ons4Scores(1, 2, 3, 4)), "assessed_on", "cannot be in the future"),
        (lambda: Ons4Scores(5, 5, 99, 5), "happiness",
         "Happiness yesterday is a whole number from 0 to 10"),
        (lambda: Visit("v1", "p1", date.today() + timedelta(days=3)), "visit_date",
         "cannot be in the future"),
        (lambda: Visit("v1", "p1", date.today(), notes={"connection": "x" * 200_443}), "notes",
         "longer than 10,000 characters"),
        (lambda: Concern("c1", "p1", "connection", "Lonely", 11), "severity",
         "How much it worries them is a whole number from 0 to 10"),
        (lambda: Step("s1", "p1", "Phone my brother", progress="lots"), "progress",
         "Progress is a whole number"),
    ],
)
def test_domain_values_refuse_what_is_not_theirs_naming_the_field(
    make: Any, field: str, words: str
) -> None:
    error = _refused(make)
    assert error.field == field
    assert words in error.message


def test_a_string_assessment_context_is_read_as_the_choice() -> None:
    made = Assessment("a1", "p1", date.today(), "review", Ons4Scores(1, 2, 3, 4))
    assert made.context is AssessmentContext.REVIEW


def test_people_names_keep_any_script_and_emoji() -> None:
    ada = Person("p1", "Zoë Siobhán", "Nguyễn 🙂", date(1941, 2, 3))
    PEOPLE.check_fields({"given_name": ada.given_name, "family_name": ada.family_name}, TODAY)
    assert ada.display_name == "Zoë Siobhán Nguyễn 🙂"
