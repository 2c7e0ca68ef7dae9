"""CSV for analysts: the same facts as the FHIR export, with nobody identifiable in them."""

from __future__ import annotations

import csv
import io
import zipfile
from datetime import date

import pytest
from export_fixture import Known

from sp_desktop.interchange.analyst_csv import TABLES, age_band, postcode_district, to_csv
from sp_desktop.services import records
from sp_desktop.services.workspace import Workspace


def _tables(data: bytes) -> dict[str, list[dict[str, str]]]:
    archive = zipfile.ZipFile(io.BytesIO(data))
    return {
        name: list(csv.DictReader(io.StringIO(archive.read(name).decode("utf-8"))))
        for name in TABLES
    }


def test_no_one_can_be_named_from_the_files(ws: Workspace, known: Known) -> None:
    export = records.csv_export(ws, known.person_id)
    archive = zipfile.ZipFile(io.BytesIO(export.data))
    assert set(archive.namelist()) == {"ABOUT.txt", *TABLES}
    everything = b"".join(archive.read(n) for n in archive.namelist()).decode("utf-8")
    person = ws.people.get(known.person_id)
    for identifying in (
        person.given_name,
        person.family_name,
        known.nhs_number,
        "LS6 2AB",
        "1941-05-04",
        "0113 496 0001",
        "Elm Road",
        "days without speaking",  # what she said
        known.steps[0],
    ):
        assert identifying not in everything


def test_tables_carry_the_facts_analysts_count(ws: Workspace, known: Known) -> None:
    tables = _tables(records.csv_export(ws, known.person_id).data)
    (person,) = tables["people.csv"]
    assert person["postcode_district"] == "LS6"
    (referred,) = ws.people.referrals_of(known.person_id)
    assert person["age_band_at_referral"] == age_band(date(1941, 5, 4), referred.received_on)
    assert "-" in person["age_band_at_referral"]  # a band, never the date of birth
    assert person["ethnicity"] == "white_roma"
    assert person["conditions"] == ""  # none recorded
    (referral,) = tables["referrals.csv"]
    assert (referral["source"], referral["consent"]) == ("gp", "given")
    assert [s["done"] for s in tables["steps.csv"]] == ["no", "yes"]
    happiness = [a for a in tables["answers.csv"] if a["item"] == "happiness"]
    assert [(a["value"], a["declined"]) for a in happiness] == [("", "yes"), ("6", "no")]
    (activity,) = tables["activities.csv"]
    assert activity["activity"] == "Tuesday tea and chat"
    assert tables["closing.csv"] == []


def test_the_same_record_gives_the_same_bytes(ws: Workspace, known: Known) -> None:
    first = records.csv_export(ws, known.person_id).data
    assert records.csv_export(ws, known.person_id).data == first


@pytest.mark.parametrize(
    ("born", "on", "band"),
    [
        (date(1941, 5, 4), date(2026, 5, 3), "80-84"),  # 84 the day before the birthday
        (date(1941, 5, 4), date(2026, 5, 4), "85-89"),
        (date(2000, 1, 1), date(2000, 1, 1), "0-4"),
        (None, date(2026, 1, 1), ""),
        (date(1941, 5, 4), None, ""),
    ],
)
def test_age_bands(born: date | None, on: date | None, band: str) -> None:
    assert age_band(born, on) == band


@pytest.mark.parametrize(
    ("postcode", "district"),
    [("LS6 2AB", "LS6"), ("ls62ab", "LS6"), ("SW1A 1AA", "SW1A"), ("TBC", ""), ("", "")],
)
def test_postcode_districts(postcode: str, district: str) -> None:
    assert postcode_district(postcode) == district


def test_a_cell_a_spreadsheet_would_run_is_quoted() -> None:
    text = to_csv(("a", "b", "c"), [("=HYPERLINK(1)", -3, "@SUM")])
    assert text.splitlines()[1] == "'=HYPERLINK(1),-3,'@SUM"


def test_conditions_are_keys_joined_by_semicolons() -> None:
    from sp_desktop.interchange.analyst_csv import analyst_tables
    from sp_desktop.interchange.records import PersonFacts, PersonRecord

    person = PersonFacts("p-1", "Ann", "Example", conditions=("copd", "diabetes"))
    (row,) = analyst_tables([PersonRecord(person, "Team")])["people.csv"]
    assert row[TABLES["people.csv"].index("conditions")] == "copd;diabetes"
