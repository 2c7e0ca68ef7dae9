"""Long-term conditions and stop reasons: the files read strictly, the rules both sides apply."""

from __future__ import annotations

import copy
import json
from datetime import date
from typing import Any

import pytest

from sp_desktop.domain.choice_lists import (
    ChoiceListError,
    condition_words,
    conditions,
    conditions_from_text,
    conditions_text,
    parse_conditions,
    parse_stop_reasons,
    stop_reason_of,
    stop_reasons,
)
from sp_desktop.domain.consent import change_refusal, needs_consent
from sp_desktop.domain.errors import ValidationError
from sp_desktop.domain.people import Person
from sp_desktop.domain.prescribing import Attendance
from sp_desktop.domain.rows import ATTENDANCE, PEOPLE
from sp_desktop.resource_files import resource

TODAY = date(2026, 3, 2)
QOF_STYLE = {
    "hypertension", "diabetes", "copd", "asthma", "coronary_heart_disease", "heart_failure",
    "atrial_fibrillation", "stroke_or_tia", "chronic_kidney_disease", "dementia", "depression",
    "severe_mental_illness", "cancer", "arthritis", "learning_disability", "frailty",
    "sight_loss", "hearing_loss", "other",
}
STOP_KEYS = {
    "health", "transport", "cost", "did_not_suit", "group_ended", "moved_away",
    "found_something_else", "no_longer_needed", "other",
}


def _shipped(name: str) -> Any:
    return json.loads(resource(name).read_text(encoding="utf-8"))


# --- the shipped files ----------------------------------------------------------------------


def test_the_shipped_lists_hold_the_agreed_keys() -> None:
    assert {c.key for c in conditions()} == QOF_STYLE
    assert {r.key for r in stop_reasons()} == STOP_KEYS
    assert next(c for c in conditions() if c.key == "diabetes").snomed == "73211009"
    # where no one concept fits, the file says so rather than guessing
    assert next(c for c in conditions() if c.key == "other").snomed is None


# --- strict reading: every mistake named with its file and entry ---------------------------


def _broken_conditions(change: Any) -> Any:
    raw = copy.deepcopy(_shipped("conditions.json"))
    change(raw)
    return raw


@pytest.mark.parametrize(
    ("change", "words"),
    [
        (lambda raw: raw.update(extra=1), "only 'conditions'"),
        (lambda raw: raw.update(conditions=[]), "at least one entry"),
        (lambda raw: raw["conditions"][1].pop("snomed"), "conditions[1]: is missing snomed"),
        (lambda raw: raw["conditions"][2].update(colour="red"),
         "conditions[2]: has unknown key(s) colour"),
        (lambda raw: raw["conditions"][0].update(key="High BP"), "conditions[0]: key must be"),
        (lambda raw: raw["conditions"][3].update(key="diabetes"), "listed twice"),
        (lambda raw: raw["conditions"][4].update(words=" "), "conditions[4] (coronary_heart"),
        (lambda raw: raw["conditions"][5].update(snomed=84114007), "snomed must be"),
        (lambda raw: raw["conditions"][5].update(snomed="8411x007"), "snomed must be"),
    ],
)
def test_a_conditions_file_that_does_not_fit_says_where(change: Any, words: str) -> None:
    with pytest.raises(ChoiceListError) as caught:
        parse_conditions(_broken_conditions(change), "conditions.json")
    assert str(caught.value).startswith("conditions.json: ")
    assert words in str(caught.value)


def test_a_stop_reasons_file_must_keep_other() -> None:
    raw = _shipped("stop_reasons.json")
    raw["reasons"] = [r for r in raw["reasons"] if r["key"] != "other"]
    with pytest.raises(ChoiceListError, match="stop_reasons.json: the reasons must include"):
        parse_stop_reasons(raw, "stop_reasons.json")


# --- a person's conditions ------------------------------------------------------------------


def test_conditions_travel_as_sorted_compact_json_text() -> None:
    assert conditions_text(["diabetes", "copd", "copd"]) == '["copd","diabetes"]'
    assert conditions_from_text('["diabetes", "copd"]') == ("copd", "diabetes")
    assert conditions_from_text("") == conditions_from_text(None) == ()
    assert condition_words(("diabetes", "copd")) == [
        "Diabetes", "COPD (chronic obstructive pulmonary disease)"]  # in the scheme's order


@pytest.mark.parametrize(
    ("value", "words"),
    [
        ('["gout"]', "The long-term conditions: 'gout' is not one of the choices offered."),
        ('["copd","copd"]', "The long-term conditions names the same one twice."),
        ('["copd",3]', "The long-term conditions could not be read."),
        ('{"copd":1}', "The long-term conditions could not be read."),
        ("copd", "The long-term conditions could not be read."),
    ],
)
def test_an_unknown_or_unreadable_condition_is_refused_in_words(value: str, words: str) -> None:
    with pytest.raises(ValidationError) as caught:
        PEOPLE.check_value("conditions", value, TODAY)
    assert (caught.value.field, caught.value.message) == ("conditions", words)


def test_a_person_holds_known_conditions_only() -> None:
    ada = Person("p1", "Ada", "Lovelace", date(1941, 2, 3), conditions=["diabetes", "copd"])
    assert ada.conditions == ("copd", "diabetes")
    with pytest.raises(ValidationError, match="'gout' is not one of the choices"):
        Person("p1", "Ada", "Lovelace", date(1941, 2, 3), conditions=("gout",))


def test_conditions_are_health_details_recorded_with_consent_only() -> None:
    """The people table is the referral itself, except their conditions."""
    assert not needs_consent(PEOPLE, {"given_name": "Ada", "conditions": "[]"})
    assert needs_consent(PEOPLE, {"conditions": '["copd"]'})
    words = change_refusal(PEOPLE, {"conditions": '["copd"]'}, None)
    assert words is not None and "consent" in words
    agreed = {"decision": "given", "recording": True, "share_gp": False,
              "share_services": False}
    assert change_refusal(PEOPLE, {"conditions": '["copd"]'}, agreed) is None


# --- why they stopped -------------------------------------------------------------------------


def _session(**fields: Any) -> dict[str, Any]:
    return {"person_id": "p1", "prescription_id": "rx1", "session_on": TODAY,
            "status": "stopped", "reason": "", **fields}


@pytest.mark.parametrize(
    ("fields", "words"),
    [
        ({"stopped_because": None}, "Please choose why they stopped."),
        ({"stopped_because": None, "reason": "Too far"}, "Please choose why they stopped."),
        ({"stopped_because": "bored"}, "Why they stopped is not one of the choices offered."),
        ({"status": "attended", "stopped_because": "health"},
         "A reason for stopping is only given when they stopped going"),
    ],
)
def test_a_new_stopped_session_says_why_and_no_other_does(
    fields: dict[str, Any], words: str
) -> None:
    with pytest.raises(ValidationError) as caught:
        ATTENDANCE.check_new(_session(**fields), TODAY)
    assert caught.value.field == "stopped_because"
    assert caught.value.message.startswith(words)


@pytest.mark.parametrize(
    "fields",
    [
        {"stopped_because": "transport"},
        {"stopped_because": "other", "reason": "Her daughter drives her now"},
        {"status": "missed", "stopped_because": None},
        {"status": "attended"},
    ],
)
def test_valid_sessions_pass(fields: dict[str, Any]) -> None:
    ATTENDANCE.check_new(_session(**fields), TODAY)


def test_a_stopped_session_from_before_reasons_is_still_taken_and_reads_as_other() -> None:
    """A laptop before schema 0009 sends no stop reason field at all (only words); an edit of
    a row already held is not refused for it either. Both read as "other"."""
    old_laptop = _session(reason="The bus no longer runs")
    ATTENDANCE.check_new(old_laptop, TODAY)
    ATTENDANCE.check_row({**old_laptop, "stopped_because": None}, required=False)
    assert stop_reason_of("stopped", None) == "other"
    assert stop_reason_of("stopped", "cost") == "cost"
    assert stop_reason_of("attended", None) is None


def test_the_attendance_entity_needs_why_when_stopped() -> None:
    with pytest.raises(ValidationError, match="Please choose why they stopped"):
        Attendance("a1", "rx1", TODAY, "stopped", "Too far")
    stopped = Attendance("a1", "rx1", TODAY, "stopped", "", "health")
    assert stopped.stopped_because == "health"
