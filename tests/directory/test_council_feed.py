"""A council's list endpoint as it really is (1,000 records, no taxonomy, bad postcodes, a
shared id, a blank record) loads in one step: good services in, the rest listed once each."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sp_desktop.domain.directory import Category
from sp_desktop.interchange.directory_files import DirectoryReading, read_bytes
from sp_desktop.interchange.directory_files.findings import Kind, report_lines
from sp_desktop.interchange.directory_files.hsds import service_id
from sp_desktop.interchange.directory_files.terms import TermMapping, mapping_template
from sp_desktop.services.directory import DirectoryService, ImportMode

from .council_feed import BAD_POSTCODES, council_list

FEED = json.dumps(council_list()).encode()


@pytest.fixture(scope="module")
def reading() -> DirectoryReading:
    return read_bytes(FEED, "services.json")


def test_the_good_services_are_taken_and_two_records_left_out(reading: DirectoryReading) -> None:
    assert reading.records == 1000
    assert len(reading.services) == 998
    assert reading.refused == 2
    refused = {(f.where, f.kind) for f in reading.findings if f.refused}
    assert refused == {("service 501", Kind.BLANK), ("service 500", Kind.DUPLICATE_ID)}
    assert reading.summary() == ("1,000 services in the file: 998 can be imported, 998 of them "
                                 "flagged, 998 to be categorised; 2 left out.")


def test_each_problem_is_one_line_per_service_grouped_by_kind(reading: DirectoryReading) -> None:
    groups = {g.kind: g for g in reading.groups}
    assert [len(groups[k].findings) for k in (Kind.BLANK, Kind.DUPLICATE_ID,
                                               Kind.BAD_POSTCODE)] == [1, 1, 40]
    assert len(groups[Kind.UNCATEGORISED].findings) == 998
    lines = report_lines(reading.groups, limit=5)
    assert len(lines) < 30  # not 998 near-identical lines
    assert not any("resource" in line or "categories.json" in line for line in lines)
    assert "  … and 993 more" in lines


def test_bad_postcodes_are_kept_as_written(reading: DirectoryReading) -> None:
    kept = {s.postcode for s in reading.services if not s.postcode_checked}
    assert kept == {p.rstrip() for p in BAD_POSTCODES}


def test_websites_descriptions_and_organisations_are_kept(reading: DirectoryReading) -> None:
    with_site = [s for s in reading.services if s.website]
    assert len(with_site) == 900  # every record that had a url (1 in 10 has none)
    assert all(s.website.startswith("https://www.") for s in with_site)
    first = reading.services[0]
    assert first.description.startswith("About\n\nA friendly")
    assert "• Tea and biscuits\n• All welcome" in first.description
    assert "(https://" in first.description  # the link keeps its address
    assert first.organisation.endswith("Community Trust")
    assert first.contact_email.startswith("hello@")
    assert first.places[0].name.endswith("Village Hall")


def test_the_laptop_imports_it_and_finds_services_by_name(directory: DirectoryService,
                                                          tmp_path: Path) -> None:
    path = tmp_path / "services.json"
    path.write_bytes(FEED)
    preview = directory.preview_import(path, ImportMode.REPLACE)
    assert len(preview.summary.added) == 998
    directory.import_file(path, ImportMode.REPLACE)
    assert directory.count() == 998
    wanted = preview.reading.services[123]
    assert directory.search(words=wanted.name) == [directory.get(wanted.id)]
    assert directory.get(wanted.id).category is None
    assert len(directory.search(to_categorise=True)) == 998


def test_the_office_maps_the_unmapped_and_imports_again(directory: DirectoryService,
                                                        tmp_path: Path) -> None:
    data = council_list(50)
    for number, service in enumerate(data["content"]):
        if service:
            service["service_taxonomys"] = [{"taxonomy": {"name": ["Befriending", "Knitting"][
                number % 2], "vocabulary": "council"}}]
    data["content"][3]["service_taxonomys"] = []
    first = read_bytes(json.dumps(data).encode(), "services.json")
    # "Befriending" is one of the built-in names; "Knitting" is the council's own
    assert dict(first.unmapped_terms) == {"Knitting": 23}
    assert first.to_categorise == 24  # and one service with no terms at all
    template = json.loads(mapping_template(first.unmapped_terms))
    template["terms"][0]["category"] = "social_activity"
    template["services"] = [{"id": data["content"][3]["id"], "category": "volunteering"}]
    mapping = TermMapping.from_json(json.dumps(template))
    again = read_bytes(json.dumps(data).encode(), "services.json", mapping)
    assert again.to_categorise == 0
    by_id = {s.id: s for s in again.services}
    assert by_id[service_id(data["content"][3]["id"])].category is Category.VOLUNTEERING
