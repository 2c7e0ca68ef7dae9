"""Rules a directory entry keeps, whoever typed or imported it."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest

from sp_desktop.domain.directory import (
    Category,
    Contact,
    Place,
    Service,
    ServiceQuery,
    WellbeingWay,
    normalise_postcode,
)
from sp_desktop.domain.errors import ValidationError


def make(**fields: Any) -> Service:
    values: dict[str, Any] = {"id": "s1", "name": "Lunch club", "category": "social_activity"}
    values.update(fields)
    return Service(**values)


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("LS6 2AB", "LS6 2AB"),
        ("ls62ab", "LS6 2AB"),
        ("  fs4  2ab ", "FS4 2AB"),
        ("EC1A 1BB", "EC1A 1BB"),
        ("W1A 0AX", "W1A 0AX"),
        ("M1 1AE", "M1 1AE"),
        ("B33 8TH", "B33 8TH"),
        ("CR2 6XH", "CR2 6XH"),
        ("DN55 1PT", "DN55 1PT"),
        ("GIR 0AA", "GIR 0AA"),
    ],
)
def test_uk_postcodes_are_accepted_and_written_the_usual_way(typed: str, stored: str) -> None:
    assert normalise_postcode(typed) == stored
    assert make(postcode=typed).postcode == stored


@pytest.mark.parametrize(
    "typed", ["LS6", "12345", "LS6 2A", "QS6 2AB", "LS6 2CB", "LS66 2ABC", "hello", "ZZ99 3ZZ",
              "N/A", "TBC", "BFPO 57", "LS6 2AB."]
)
def test_things_that_are_not_postcodes_are_kept_as_written_and_marked(typed: str) -> None:
    """Councils publish these; the entry is worth having, the import flags the postcode."""
    with pytest.raises(ValidationError):
        normalise_postcode(typed)
    service = make(postcode=f" {typed} ")
    assert (service.postcode, service.postcode_checked) == (typed, False)


def test_a_postcode_longer_than_the_column_is_refused() -> None:
    with pytest.raises(ValidationError) as caught:
        make(postcode="Please ring for the address")
    assert caught.value.field == "postcode"


def test_a_service_may_wait_to_be_categorised() -> None:
    assert make(category=None).category is None


def test_flat_fields_and_places_and_contacts_agree() -> None:
    flat = make(address="1 High St", postcode="ls6 2ab", contact_phone="0113 496 0000")
    assert flat.places == (Place(address="1 High St", postcode="LS6 2AB"),)
    assert flat.contacts == (Contact(phone="0113 496 0000"),)
    full = make(places=[Place("Hall", "2 Low St", "LS6 3AB", ("0113",)), Place("Annex")],
                contacts=[Contact("Ann", "Lead", "", "ann@example.org")])
    assert (full.address, full.postcode, full.contact_name, full.contact_email) == (
        "2 Low St", "LS6 3AB", "Ann", "ann@example.org")


@pytest.mark.parametrize(("low", "high", "ok"), [(18, 65, True), (None, 11, True), (0, 120, True),
                                                 (65, 18, False), (-1, None, False),
                                                 (None, 121, False), (True, None, False)])
def test_ages_are_whole_years_the_right_way_round(low: Any, high: Any, ok: bool) -> None:
    if ok:
        assert make(min_age=low, max_age=high).min_age == low
    else:
        with pytest.raises(ValidationError):
            make(min_age=low, max_age=high)


def test_a_service_without_a_postcode_is_fine_for_phone_lines() -> None:
    assert make(postcode="").postcode == ""


@pytest.mark.parametrize("category", list(Category))
def test_each_scheme_category_is_accepted_by_value(category: Category) -> None:
    assert make(category=category.value).category is category


@pytest.mark.parametrize("category", ["bingo", "Social activity", "", "sport"])
def test_categories_outside_the_five_are_refused(category: str) -> None:
    with pytest.raises(ValidationError) as caught:
        make(category=category)
    assert caught.value.field == "category"


def test_category_labels_read_as_the_schemes_say_them() -> None:
    assert [c.label for c in Category] == [
        "Social activity",
        "Volunteering",
        "Physical activity",
        "Wellbeing and mental health",
        "Information, advice and guidance",
    ]


def test_five_ways_tags_are_kept_in_the_usual_order_without_repeats() -> None:
    service = make(wellbeing_tags=["give", "connect", "give", WellbeingWay.TAKE_NOTICE])
    assert service.wellbeing_tags == (
        WellbeingWay.CONNECT,
        WellbeingWay.TAKE_NOTICE,
        WellbeingWay.GIVE,
    )


@pytest.mark.parametrize("tags", [["connect", "be happy"], ["exercise"], "connect"])
def test_tags_outside_the_five_ways_are_refused(tags: Any) -> None:
    with pytest.raises(ValidationError) as caught:
        make(wellbeing_tags=tags)
    assert caught.value.field == "wellbeing_tags"


@pytest.mark.parametrize(
    ("weeks", "ok"),
    [(None, True), (0, True), (6, True), (104, True), (-1, False), (105, False), (True, False),
     (2.5, False), ("3", False)],
)  # fmt: skip
def test_waiting_time_is_whole_weeks_from_nought(weeks: Any, ok: bool) -> None:
    if ok:
        assert make(waiting_weeks=weeks).waiting_weeks == weeks
    else:
        with pytest.raises(ValidationError) as caught:
            make(waiting_weeks=weeks)
        assert caught.value.field == "waiting_weeks"


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"name": "  "}, "name"),
        ({"id": ""}, "id"),
        ({"contact_email": "jean at example"}, "contact_email"),
        ({"last_checked": date.today() + timedelta(days=1)}, "last_checked"),
        ({"free": "yes"}, "free"),
        ({"step_free": 1}, "step_free"),
        ({"active": None}, "active"),
    ],
)
def test_other_fields_are_checked(fields: dict[str, Any], field: str) -> None:
    with pytest.raises(ValidationError) as caught:
        make(**fields)
    assert caught.value.field == field


def test_a_query_accepts_stored_values_for_its_filters() -> None:
    query = ServiceQuery(category="volunteering", ways=frozenset({"give"}))  # type: ignore[arg-type]
    assert query.category is Category.VOLUNTEERING
    assert query.ways == frozenset({WellbeingWay.GIVE})
