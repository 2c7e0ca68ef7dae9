"""Importing and exporting the directory in the Open Referral UK shape (JSON and flat CSV).

Good services are taken and the rest listed once each (refused), or imported with a flag (a
postcode kept as written, a category still to map); a file that cannot be read imports
nothing. Importing merges or replaces, with a summary of what changed.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from sp_desktop.domain.directory import Category, WellbeingWay
from sp_desktop.domain.errors import ValidationError
from sp_desktop.interchange import oruk
from sp_desktop.interchange.directory_files import DirectoryReading
from sp_desktop.interchange.directory_files.findings import Finding, Kind
from sp_desktop.interchange.directory_files.hsds import service_id
from sp_desktop.interchange.directory_files.terms import TermMapping
from sp_desktop.services.directory import DirectoryService, ImportMode, ImportRefused
from sp_desktop.services.workspace import Workspace

from .conftest import DATA, entry

COUNCIL = DATA / "council_directory.json"
CSV_HEADER = ",".join(oruk.CSV_COLUMNS)


def council_json() -> dict[str, Any]:
    return json.loads(COUNCIL.read_text(encoding="utf-8"))  # type: ignore[no-any-return]


def write_json(tmp_path: Path, data: Any, name: str = "directory.json") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def csv_row(**cells: str) -> str:
    base = {"id": "x1", "name": "Lunch club", "status": "active", "category": "Social activity"}
    base.update(cells)
    return ",".join(f'"{base.get(c, "")}"' for c in oruk.CSV_COLUMNS)


def write_csv(tmp_path: Path, *rows: str, encoding: str = "utf-8") -> Path:
    path = tmp_path / "directory.csv"
    path.write_bytes(("\r\n".join([CSV_HEADER, *rows]) + "\r\n").encode(encoding))
    return path


# --- a valid council file --------------------------------------------------------------------


def test_a_council_file_in_the_oruk_shape_is_read_field_by_field(
    directory: DirectoryService,
) -> None:
    summary = directory.import_file(COUNCIL, ImportMode.MERGE)
    assert (len(summary.added), len(summary.updated), len(summary.removed)) == (4, 0, 0)

    walk = directory.get("0b3f1d2e-1111-4c1a-9d2e-000000000001")
    assert walk.name == "Fernside Walking for Health"
    assert walk.description == "Gentle, led walks on flat paths & a cuppa after."  # HTML gone
    assert walk.category is Category.PHYSICAL_ACTIVITY  # council term "Sport and leisure"
    assert walk.wellbeing_tags == (WellbeingWay.BE_ACTIVE, WellbeingWay.TAKE_NOTICE)
    assert walk.organisation == "Fernside Community Trust"
    assert walk.address == "Fernside Park Pavilion, Mill Lane, Fernside"
    assert walk.postcode == "FS4 2AB"
    assert walk.area == "Fernside"
    assert (walk.contact_name, walk.contact_phone) == ("Jean", "01632 960123")
    assert walk.contact_email == "jean@fernsidetrust.example.org"
    assert walk.schedule == "Wednesdays 10:00–11:00"
    assert (walk.free, walk.step_free, walk.active) == (True, True, True)
    assert walk.accessibility == "Level paths; accessible toilet at the pavilion."
    assert walk.how_to_refer == "Just turn up"
    assert walk.last_checked == date(2025, 1, 15)

    cafe = directory.get("0b3f1d2e-1111-4c1a-9d2e-000000000002")
    assert (cafe.waiting_weeks, cafe.free, cafe.schedule) == (
        3,
        False,
        "First Monday of the month 14:00–16:00",
    )
    advice = directory.get("0b3f1d2e-1111-4c1a-9d2e-000000000003")
    assert advice.category is Category.INFORMATION_ADVICE_GUIDANCE
    assert advice.active is False  # "temporarily closed"
    assert (advice.contact_email, advice.contact_phone) == (
        "advice@ashworthca.example.org",
        "01632 960456",
    )
    legacy = directory.get(service_id("legacy-42"))  # an ORUK 1.x record
    assert legacy.category is Category.VOLUNTEERING
    assert (legacy.postcode, legacy.schedule) == ("DM7 3QT", "Tuesday 10:00–12:30")


def test_importing_the_same_file_again_changes_nothing(directory: DirectoryService) -> None:
    directory.import_file(COUNCIL, ImportMode.MERGE)
    again = directory.import_file(COUNCIL, ImportMode.REPLACE)
    assert str(again) == "0 added, 0 updated, 0 removed, 4 unchanged"
    assert again.changes.tables == frozenset()


def test_merge_keeps_services_the_file_does_not_list_and_replace_removes_them(
    directory: DirectoryService, tmp_path: Path
) -> None:
    mine = entry("Chess club")
    directory.import_services([mine], ImportMode.MERGE)
    data = council_json()
    data["contents"][0]["name"] = "Fernside Health Walks"
    directory.import_file(COUNCIL, ImportMode.MERGE)
    path = write_json(tmp_path, data)

    preview = directory.preview_import(path, ImportMode.REPLACE).summary
    assert (preview.updated, preview.removed, preview.unchanged) == (
        ("Fernside Health Walks",),
        ("Chess club",),
        3,
    )
    assert directory.get(mine.id) and "Chess club" in [s.name for s in directory.all()]

    merged = directory.import_file(path, ImportMode.MERGE)
    assert (merged.updated, merged.removed) == (("Fernside Health Walks",), ())
    assert "Chess club" in [s.name for s in directory.all()]

    replaced = directory.import_file(path, ImportMode.REPLACE)
    assert replaced.removed == ("Chess club",)
    assert "Chess club" not in [s.name for s in directory.all()]
    assert directory.get(mine.id).name == "Chess club"  # old prescriptions still name it


def test_a_removed_service_listed_again_comes_back_as_added(
    directory: DirectoryService,
) -> None:
    club = entry("Chess club")
    directory.import_services([club], ImportMode.MERGE)
    directory.import_services([], ImportMode.REPLACE)
    back = directory.import_services([club], ImportMode.MERGE)
    assert back.added == ("Chess club",)
    assert [s.name for s in directory.all()] == ["Chess club"]


def test_an_import_is_audited_and_never_queued_for_the_office(
    ws: Workspace, directory: DirectoryService
) -> None:
    from sqlalchemy import func, select

    from sp_desktop.store.schema import audit_events, outbox

    directory.import_file(COUNCIL, ImportMode.MERGE)
    with ws.store.read() as conn:
        queued = conn.execute(
            select(func.count()).select_from(outbox).where(outbox.c.table_name == "services")
        ).scalar_one()
        audited = (
            conn.execute(select(audit_events.c.action).where(audit_events.c.entity == "directory"))
            .scalars()
            .all()
        )
    assert queued == 0  # the directory is the office's: the server refuses adviser pushes
    assert audited == ["imported"]


# --- damaged services: the good ones import, the rest are listed once each ---------------------


@pytest.fixture
def existing(directory: DirectoryService) -> DirectoryService:
    directory.import_services([entry("Chess club")], ImportMode.MERGE)
    return directory


def assert_nothing_imported(directory: DirectoryService) -> None:
    assert [s.name for s in directory.all()] == ["Chess club"]


def found(reading: DirectoryReading) -> dict[tuple[str, Kind], list[Finding]]:
    """Findings by (where, kind)."""
    out: dict[tuple[str, Kind], list[Finding]] = {}
    for finding in reading.findings:
        out.setdefault((finding.where, finding.kind), []).append(finding)
    return out


def test_wrong_types_leave_out_only_their_services(
    existing: DirectoryService, tmp_path: Path
) -> None:
    data = council_json()
    data["contents"][0]["name"] = 42  # a number is readable as a name
    data["contents"][1]["service_areas"] = "Fernside"
    data["contents"][2]["assured_date"] = "last Tuesday"
    data["contents"][3]["organization"] = ["Dunmore Allotment Society"]
    data["contents"][3]["description"] = {"text": "Help"}
    path = write_json(tmp_path, data)
    reading = existing.check_file(path)
    kinds = found(reading)
    assert set(kinds) == {
        ("service 2", Kind.BAD_VALUE),  # service_areas should be a list
        ("service 3", Kind.LEFT_OUT),  # the date: left out, the service kept
        ("service 4", Kind.BAD_VALUE),  # a description that is an object
    }
    assert "service_areas should be a list" in str(kinds["service 2", Kind.BAD_VALUE][0])
    assert (reading.records, len(reading.services), reading.refused) == (4, 2, 2)
    summary = existing.import_file(path, ImportMode.MERGE)
    assert set(summary.added) == {"42", "Ashworth Benefits Advice"}
    assert existing.get(service_id("0b3f1d2e-1111-4c1a-9d2e-000000000003")).last_checked is None


def test_missing_ids_and_names_and_blank_records_are_listed(
    existing: DirectoryService, tmp_path: Path
) -> None:
    data = council_json()
    del data["contents"][0]["id"]
    data["contents"][1]["name"] = "  "
    del data["contents"][2]["status"]  # taken as active: real list endpoints leave it out
    data["contents"].append({})
    data["contents"].append({"id": "", "name": None, "description": ""})
    reading = existing.check_file(write_json(tmp_path, data))
    assert {(f.where, f.kind) for f in reading.findings if f.refused} == {
        ("service 1", Kind.NO_ID),
        ("service 2", Kind.NO_NAME),
        ("service 5", Kind.BLANK),
        ("service 6", Kind.BLANK),
    }
    assert [s.name for s in reading.services] == [
        "Ashworth Benefits Advice", "Dunmore Garden Volunteers"]
    assert reading.services[0].active is True
    assert reading.summary() == "6 services in the file: 2 can be imported; 4 left out."


def test_unmapped_council_terms_arrive_to_be_categorised_and_are_counted(
    existing: DirectoryService, tmp_path: Path
) -> None:
    data = council_json()
    data["contents"][0]["attributes"] = [
        {"taxonomy_term": {"code": "bingo", "name": "Bingo", "taxonomy": "Fernside types"}}
    ]
    data["contents"][1]["attributes"] = []
    path = write_json(tmp_path, data)
    reading = existing.check_file(path)
    assert reading.to_categorise == 2 and reading.refused == 0
    assert dict(reading.unmapped_terms) == {"Bingo": 1, "bingo": 1}
    (group,) = [g for g in reading.groups if g.kind is Kind.UNCATEGORISED]
    assert "Map the council's terms" in group.advice and "resource" not in group.advice
    existing.import_file(path, ImportMode.MERGE)
    walk = existing.get("0b3f1d2e-1111-4c1a-9d2e-000000000001")
    assert walk.category is None
    assert existing.search(words="fernside walking") == [walk]  # found by name
    assert existing.search(to_categorise=True, words="") == sorted(
        [walk, existing.get("0b3f1d2e-1111-4c1a-9d2e-000000000002")], key=lambda s: s.name)


def test_the_offices_mapping_gives_terms_and_single_services_a_category(
    existing: DirectoryService, tmp_path: Path
) -> None:
    data = council_json()
    data["contents"][0]["attributes"] = [{"taxonomy_term": {"name": "Bingo", "taxonomy": "x"}}]
    data["contents"][1]["attributes"] = []
    mapping = TermMapping.from_json(json.dumps({
        "terms": [{"term": "bingo", "category": "Social activity", "ways": ["connect"]}],
        "services": [{"id": "0b3f1d2e-1111-4c1a-9d2e-000000000002",
                      "category": "wellbeing_mental_health"}],
    }))
    existing.import_file(write_json(tmp_path, data), ImportMode.MERGE, mapping)
    walk = existing.get("0b3f1d2e-1111-4c1a-9d2e-000000000001")
    assert (walk.category, walk.wellbeing_tags) == (Category.SOCIAL_ACTIVITY,
                                                    (WellbeingWay.CONNECT,))
    cafe = existing.get("0b3f1d2e-1111-4c1a-9d2e-000000000002")
    assert cafe.category is Category.WELLBEING_MENTAL_HEALTH


def test_a_mapping_file_with_a_mistake_says_which_entry(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match=r"Entry 2 of 'terms'.*'Bingo' is not a category"):
        TermMapping.from_json(json.dumps({"terms": [
            {"term": "a", "category": "volunteering"}, {"term": "b", "category": "Bingo"}]}))


def test_bad_postcodes_and_emails_are_flagged_and_the_service_kept(
    existing: DirectoryService, tmp_path: Path
) -> None:
    data = council_json()
    location = data["contents"][0]["service_at_locations"][0]["location"]
    location["addresses"][0]["postal_code"] = "LS6"
    data["contents"][0]["contacts"][0]["email"] = "jean at fernside"
    data["contents"][1]["id"] = data["contents"][0]["id"]
    reading = existing.check_file(write_json(tmp_path, data))
    assert {(f.where, f.kind, f.refused) for f in reading.findings} == {
        ("service 1", Kind.BAD_POSTCODE, False),
        ("service 1", Kind.BAD_EMAIL, False),
        ("service 2", Kind.DUPLICATE_ID, True),
    }
    walk = reading.services[0]
    assert (walk.postcode, walk.postcode_checked, walk.contact_email) == ("LS6", False, "")
    assert reading.flagged == 1 and reading.refused == 1


@pytest.mark.parametrize("postcode", ["LS6", "N/A", "TBC", "BFPO 57", "LS6 2AB.", "ABC 1234"])
def test_postcodes_that_are_not_postcodes_are_kept_as_written(
    existing: DirectoryService, tmp_path: Path, postcode: str
) -> None:
    data = council_json()
    data["contents"][0]["service_at_locations"][0]["location"]["addresses"][0][
        "postal_code"] = postcode
    summary = existing.import_file(write_json(tmp_path, data), ImportMode.MERGE)
    assert len(summary.added) == 4
    assert existing.get("0b3f1d2e-1111-4c1a-9d2e-000000000001").postcode == postcode


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"{not json", "is not valid JSON"),
        (b'{"contents": 3}', "should be a list of services"),
        (b"[1, 2]", "not a service record"),
    ],
)
def test_files_that_are_not_a_service_list_are_refused(
    existing: DirectoryService, tmp_path: Path, content: bytes, message: str
) -> None:
    path = tmp_path / "directory.json"
    path.write_bytes(content)
    with pytest.raises(ImportRefused) as refused:
        existing.import_file(path, ImportMode.REPLACE)
    assert any(message in str(f) for f in refused.value.findings)
    assert_nothing_imported(existing)


def test_latin1_bytes_are_refused_with_the_line_and_what_to_do(
    existing: DirectoryService, tmp_path: Path
) -> None:
    path = write_csv(
        tmp_path,
        csv_row(id="a", name="Café club"),
        csv_row(id="b", name="Walking group", category="Physical activity"),
        encoding="latin-1",
    )
    with pytest.raises(ImportRefused) as refused:
        existing.import_file(path, ImportMode.REPLACE)
    (finding,) = refused.value.findings
    assert "line 2" in str(finding) and "save it as UTF-8" in str(finding)
    assert_nothing_imported(existing)


def test_csv_findings_name_the_spreadsheet_line(
    existing: DirectoryService, tmp_path: Path
) -> None:
    path = write_csv(
        tmp_path,
        csv_row(id="a", waiting_weeks="two"),
        csv_row(id="b", name="", free="maybe"),
        csv_row(id="c", category="Bingo", five_ways="Connect; Be happy"),
        csv_row(id="d", postal_code="LS6", assured_date="31/12/2024"),
        csv_row(id="e", status=""),
        csv_row(id="a", name="Same id again"),
    )
    reading = existing.check_file(path)
    assert {(f.where, f.kind, f.refused) for f in reading.findings} == {
        ("directory.csv line 2", Kind.LEFT_OUT, False),  # weeks: left out
        ("directory.csv line 3", Kind.NO_NAME, True),
        ("directory.csv line 3", Kind.BAD_VALUE, True),  # free: maybe
        ("directory.csv line 4", Kind.UNCATEGORISED, False),
        ("directory.csv line 5", Kind.BAD_POSTCODE, False),
        ("directory.csv line 5", Kind.LEFT_OUT, False),  # the date
        ("directory.csv line 7", Kind.DUPLICATE_ID, True),
    }
    assert len(reading.services) == 4


def test_a_valid_csv_with_excel_bom_and_local_category_names_imports(
    directory: DirectoryService, tmp_path: Path
) -> None:
    path = tmp_path / "directory.csv"
    cafe_row = csv_row(
        id="a",
        name="Café club",
        category="Befriending",
        five_ways="connect",
        postal_code="gs1 4ab",
        free="Yes",
        waiting_weeks="2",
    )
    walk_row = csv_row(
        id="b",
        name="Walking group",
        category="exercise",
        five_ways="Be active, Take notice",
        step_free="TRUE",
        assured_date="2025-02-01",
    )
    rows = [cafe_row, walk_row]
    path.write_bytes(("\r\n".join([CSV_HEADER, *rows]) + "\r\n").encode("utf-8-sig"))
    summary = directory.import_file(path, ImportMode.REPLACE)
    assert summary.added == ("Café club", "Walking group")
    cafe, walk = directory.get(service_id("a")), directory.get(service_id("b"))
    assert (cafe.category, cafe.postcode, cafe.free, cafe.waiting_weeks) == (
        Category.SOCIAL_ACTIVITY,
        "GS1 4AB",
        True,
        2,
    )
    assert walk.wellbeing_tags == (WellbeingWay.BE_ACTIVE, WellbeingWay.TAKE_NOTICE)
    assert (walk.step_free, walk.last_checked) == (True, date(2025, 2, 1))


def test_some_pages_of_a_list_can_add_but_never_replace(
    existing: DirectoryService, tmp_path: Path
) -> None:
    data = council_json()
    data.update(total_pages=10, page_number=1, total_items=40, last_page=False)
    path = write_json(tmp_path, data)
    with pytest.raises(ImportRefused) as refused:
        existing.preview_import(path, ImportMode.REPLACE)
    assert "page 1 of 10" in str(refused.value) and "add and update" in str(refused.value)
    preview = existing.preview_import(path, ImportMode.MERGE)
    assert len(preview.summary.added) == 4
    assert "This file holds page 1 of 10 (40 services in all)." in {
        f.detail for f in preview.reading.findings}


# --- export ------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["json", "csv"])
def test_an_export_imports_back_unchanged(
    directory: DirectoryService, tmp_path: Path, kind: str
) -> None:
    directory.import_file(COUNCIL, ImportMode.MERGE)
    before = directory.all()
    path = tmp_path / f"export.{kind}"
    assert directory.export_file(path) == 4
    again = directory.import_file(path, ImportMode.REPLACE)
    assert str(again) == "0 added, 0 updated, 0 removed, 4 unchanged"
    assert directory.all() == before


def test_the_json_export_is_an_oruk_page_of_full_services(
    directory: DirectoryService, tmp_path: Path
) -> None:
    directory.import_file(COUNCIL, ImportMode.MERGE)
    path = tmp_path / "export.json"
    directory.export_file(path)
    page = json.loads(path.read_text(encoding="utf-8"))
    assert page["total_items"] == 4
    walk = next(s for s in page["contents"] if s["name"] == "Fernside Walking for Health")
    assert walk["organization"]["name"] == "Fernside Community Trust"
    assert walk["service_at_locations"][0]["location"]["addresses"][0]["postal_code"] == "FS4 2AB"
    terms = {a["taxonomy_term"]["taxonomy"]: a for a in walk["attributes"]}
    assert terms["SP Desktop social prescribing categories"]["taxonomy_term"]["code"] == (
        "physical_activity"
    )
    assert walk["cost_options"][0]["amount"] == 0


def test_a_file_of_the_wrong_kind_is_refused(directory: DirectoryService, tmp_path: Path) -> None:
    path = tmp_path / "directory.xlsx"
    path.write_bytes(b"PK")
    with pytest.raises(ValidationError, match=r"\.json or \.csv"):
        directory.import_file(path, ImportMode.MERGE)
