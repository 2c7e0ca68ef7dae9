"""The standards' own published files (tests/data/oruk, with their licences) load as councils
would expect, and what we export from them is valid ORUK 3.0 and HSDS 3.0."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sp_desktop.interchange import oruk
from sp_desktop.interchange.directory_files import read_path
from sp_desktop.interchange.directory_files.findings import Kind
from sp_desktop.services.directory import DirectoryService, ImportMode

from .schemas import ORUK, schema_errors

EXAMPLE_ID = "ac148810-d857-441c-9679-408f346de14b"
# file -> (services in it, services imported); every one is "Community Counselling"
LOADS = {
    "hsds-3.0/examples/service_full.json": (1, 1),
    "hsds-3.0/examples/service_list.json": (1, 1),
    "hsds-3.0/examples/csv/datapackage.json": (1, 1),
    "hsds-3.0/examples/csv/services.csv": (1, 1),
    "uk-profile-3.0/examples/service_full.json": (1, 1),
    "uk-profile-3.0/examples/service_list.json": (1, 1),
    "uk-profile-3.0/examples/csv": (1, 1),
    "oruk-validator/V3.0-UK-Default/service_full.json": (1, 1),
    "oruk-validator/V3.0-UK-Default/service_list.json": (1, 1),
    "oruk-validator/V3.0-UK-Warn/service_full.json": (1, 1),
    "oruk-validator/V3.0-UK-Test/service_full.json": (1, 1),
    "oruk-validator/V3.0-UK-Test/service_list.json": (128, 1),  # one service, 128 times
}
DATAPACKAGES_1_1 = ["hsds-1.1-datapackage/simple/datapackage.json",
                    "hsds-1.1-datapackage/all_resources"]


@pytest.mark.parametrize("name", list(LOADS))
def test_every_published_example_loads(name: str) -> None:
    reading = read_path(ORUK / name)
    records, imported = LOADS[name]
    assert (reading.records, len(reading.services)) == (records, imported), reading.summary()
    (service,) = reading.services
    assert (service.id, service.name) == (EXAMPLE_ID, "Community Counselling")
    assert service.organisation == "Example Organization Inc."
    assert not [f for f in reading.findings if f.kind in (Kind.UNREADABLE, Kind.BAD_VALUE)]


def test_the_full_example_keeps_everything_an_adviser_uses() -> None:
    (service,) = read_path(ORUK / "uk-profile-3.0/examples/service_full.json").services
    assert service.website == "http://example.com/counselling"
    assert service.cost == "fees_description"  # the profile's `fees`, as the example spells it
    assert (service.min_age, service.max_age) == (12, 100)
    assert service.description.startswith("Counselling Services provided by trained")
    (place,) = service.places
    assert (place.name, place.address, place.postcode) == (
        "MyCity Civic Center", "1-30 Main Street, MyCity", "ABC 1234")
    assert "induction loops" in place.accessibility
    assert service.contact_email == "email@example.com"  # the service's own line comes first
    assert ("Ann Persona", "Reception Manager") in [(c.name, c.role) for c in service.contacts]
    assert service.schedule.startswith("The service is available from 10 am")
    assert not service.postcode_checked  # 'ABC 1234' is kept as written, and flagged


def test_the_hsds_example_keeps_its_phones_languages_and_eligibility() -> None:
    (service,) = read_path(ORUK / "hsds-3.0/examples/service_full.json").services
    assert service.languages
    assert service.eligibility
    assert any(c.phone for c in service.contacts)


@pytest.mark.parametrize("name", DATAPACKAGES_1_1)
def test_the_hsds_1_1_datapackages_load_with_oruk_1_names(name: str) -> None:
    reading = read_path(ORUK / name)
    assert reading.records == len(reading.services) == 13
    helpline = next(s for s in reading.services if s.name == "Never Homeless Helpline")
    assert helpline.organisation
    assert reading.to_categorise == 13  # the sample carries no scheme terms
    if name.endswith("all_resources"):
        assert helpline.places and helpline.places[0].address
        assert any(s.schedule for s in reading.services)


def test_the_validators_failing_fixture_is_listed_not_raised() -> None:
    reading = read_path(ORUK / "oruk-validator/V3.0-UK-Fail/service_list.json")
    assert reading.records == 4 and reading.services == ()
    assert {g.kind for g in reading.groups} >= {Kind.NO_NAME}
    assert all(str(f).strip() for f in reading.findings)


def test_a_datapackage_can_be_imported_as_a_zip(directory: DirectoryService,
                                                 tmp_path: Path) -> None:
    import zipfile

    folder = ORUK / "hsds-1.1-datapackage" / "all_resources"
    archive = tmp_path / "council.zip"
    with zipfile.ZipFile(archive, "w") as zipped:
        for file in folder.iterdir():
            zipped.write(file, f"package/{file.name}")
    summary = directory.import_file(archive, ImportMode.MERGE)
    assert len(summary.added) == 13


@pytest.mark.parametrize("name", [*LOADS, *DATAPACKAGES_1_1])
def test_what_we_export_from_each_published_file_is_valid_and_reads_back(name: str) -> None:
    services = read_path(ORUK / name).services
    exported = oruk.to_json(services)
    for service in json.loads(exported)["contents"]:
        assert schema_errors(service) == []
    assert oruk.parse(exported, "json").services == services


def test_each_schemas_own_example_is_valid_so_the_check_is_fair() -> None:
    for name in ("hsds-3.0/examples/service_full.json",
                 "uk-profile-3.0/examples/service_full.json"):
        example = json.loads((ORUK / name).read_text(encoding="utf-8"))
        errors = schema_errors(example)
        # the examples' own placeholders ("link_type", "amount": "35") are all the schemas find
        assert all("is not a 'uuid'" not in e for e in errors), errors


def test_a_broken_export_would_fail_the_check() -> None:
    page = json.loads(oruk.to_json(read_path(ORUK / "hsds-3.0/examples/service_full.json")
                                   .services))
    service = page["contents"][0]
    service["id"] = "not-a-uuid"
    service["attributes"] = [{"id": service["id"], "taxonomy_term": {
        "id": EXAMPLE_ID, "name": "x", "description": "x", "taxonomy": {"name": "an object"}}}]
    service["contacts"] = [{"id": "c1", "email": ""}]
    errors = schema_errors(service)
    assert any("'not-a-uuid' is not a 'uuid'" in e for e in errors)
    assert any("is not of type 'string'" in e for e in errors)
    assert any("'' is not a 'email'" in e for e in errors)


def test_the_whole_directory_exported_from_a_laptop_is_valid(directory: DirectoryService,
                                                             tmp_path: Path) -> None:
    """Every export of a real directory (the demo's 200 entries) passes both schemas."""
    import random

    from sp_desktop.services.demo_directory import demo_service

    rng = random.Random(16)
    directory.import_services([demo_service(rng) for _ in range(200)], ImportMode.MERGE)
    path = tmp_path / "export.json"
    assert directory.export_file(path) == 200
    failures = [e for s in json.loads(path.read_bytes())["contents"] for e in schema_errors(s)]
    assert failures == []
