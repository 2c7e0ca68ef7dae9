"""Importing and exporting the directory in the Open Referral UK shape (JSON and flat CSV).

A file with any problem imports nothing and reports every problem with its row and field;
a valid file replaces or merges, with a summary of what changed.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from sp_desktop.domain.directory import Category, WellbeingWay
from sp_desktop.services import oruk
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


def problems(refused: pytest.ExceptionInfo[ImportRefused]) -> set[tuple[int, str]]:
    return {(p.row, p.field) for p in refused.value.problems}


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
    legacy = directory.get("legacy-42")  # an ORUK 1.x record
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

    preview = directory.preview_import(path, ImportMode.REPLACE)
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


# --- broken files: nothing imported, every problem reported ---------------------------------


@pytest.fixture
def existing(directory: DirectoryService) -> DirectoryService:
    directory.import_services([entry("Chess club")], ImportMode.MERGE)
    return directory


def assert_nothing_imported(directory: DirectoryService) -> None:
    assert [s.name for s in directory.all()] == ["Chess club"]


def test_wrong_types_in_json_are_each_reported_and_nothing_is_imported(
    existing: DirectoryService, tmp_path: Path
) -> None:
    data = council_json()
    data["contents"][0]["name"] = 42
    data["contents"][0]["service_areas"] = "Fernside"
    data["contents"][1]["cost_options"] = [{"id": "c", "amount": "two pounds"}]
    data["contents"][1]["attributes"][2]["value"] = "three"
    data["contents"][2]["assured_date"] = "last Tuesday"
    data["contents"][3]["organization"] = ["Dunmore Allotment Society"]
    with pytest.raises(ImportRefused) as refused:
        existing.import_file(write_json(tmp_path, data), ImportMode.REPLACE)
    assert problems(refused) == {
        (1, "name"),
        (1, "service_areas"),
        (2, "cost_options[0].amount"),
        (2, "attributes[2].value"),
        (3, "assured_date"),
        (4, "organization"),
    }
    messages = {str(p) for p in refused.value.problems}
    assert "Row 1, name: should be text, not a number." in messages
    assert_nothing_imported(existing)


def test_missing_required_fields_are_each_reported(
    existing: DirectoryService, tmp_path: Path
) -> None:
    data = council_json()
    del data["contents"][0]["id"]
    data["contents"][1]["name"] = "  "
    del data["contents"][2]["status"]
    with pytest.raises(ImportRefused) as refused:
        existing.import_file(write_json(tmp_path, data), ImportMode.MERGE)
    assert problems(refused) == {(1, "id"), (2, "name"), (3, "status")}
    assert_nothing_imported(existing)


def test_unknown_categories_and_tags_are_reported(
    existing: DirectoryService, tmp_path: Path
) -> None:
    data = council_json()
    data["contents"][0]["attributes"] = [
        {"taxonomy_term": {"code": "bingo", "name": "Bingo", "taxonomy": "Fernside types"}}
    ]
    data["contents"][1]["attributes"][0]["taxonomy_term"]["code"] = "knitting"
    data["contents"][1]["attributes"][0]["taxonomy_term"]["name"] = "Knitting"
    with pytest.raises(ImportRefused) as refused:
        existing.import_file(write_json(tmp_path, data), ImportMode.MERGE)
    found = {p.row: p for p in refused.value.problems}
    assert set(found) == {1, 2}
    assert "'Bingo'" in found[1].message and "social activity" in found[1].message
    assert "'Knitting'" in found[2].message
    assert_nothing_imported(existing)


def test_bad_values_are_reported_alongside_each_other(
    existing: DirectoryService, tmp_path: Path
) -> None:
    data = council_json()
    location = data["contents"][0]["service_at_locations"][0]["location"]
    location["addresses"][0]["postal_code"] = "NOT A POSTCODE"
    data["contents"][0]["contacts"][0]["email"] = "jean at fernside"
    data["contents"][0]["status"] = "sometimes"
    data["contents"][1]["id"] = data["contents"][0]["id"]
    with pytest.raises(ImportRefused) as refused:
        existing.import_file(write_json(tmp_path, data), ImportMode.MERGE)
    assert problems(refused) == {
        (1, "service_at_locations[0].location.addresses[0].postal_code"),
        (1, "contacts[0].email"),
        (1, "status"),
        (2, "id"),
    }
    assert_nothing_imported(existing)


def test_a_repeated_id_is_reported_on_the_later_row(
    existing: DirectoryService, tmp_path: Path
) -> None:
    data = council_json()
    data["contents"][3]["id"] = data["contents"][0]["id"]
    with pytest.raises(ImportRefused) as refused:
        existing.import_file(write_json(tmp_path, data), ImportMode.MERGE)
    assert problems(refused) == {(4, "id")}


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"{not json", "is not valid JSON"),
        (b'{"contents": 3}', "should be a list of services"),
        (b"[1, 2]", "should be a service object"),
    ],
)
def test_files_that_are_not_a_service_list_are_refused(
    existing: DirectoryService, tmp_path: Path, content: bytes, message: str
) -> None:
    path = tmp_path / "directory.json"
    path.write_bytes(content)
    with pytest.raises(ImportRefused) as refused:
        existing.import_file(path, ImportMode.REPLACE)
    assert message in refused.value.problems[0].message
    assert_nothing_imported(existing)


def test_latin1_bytes_in_a_utf8_csv_are_reported_by_line(
    existing: DirectoryService, tmp_path: Path
) -> None:
    path = write_csv(
        tmp_path,
        csv_row(id="a", name="Café club"),
        csv_row(id="b", name="Walking group", category="Physical activity"),
        csv_row(id="c", name="Zoë's choir"),
        encoding="latin-1",
    )
    with pytest.raises(ImportRefused) as refused:
        existing.import_file(path, ImportMode.REPLACE)
    assert problems(refused) == {(2, ""), (4, "")}
    assert "not UTF-8 (0xE9" in refused.value.problems[0].message
    assert "UTF-8" in str(refused.value.problems[1])
    assert_nothing_imported(existing)


def test_latin1_json_is_refused_too(existing: DirectoryService, tmp_path: Path) -> None:
    path = tmp_path / "directory.json"
    path.write_bytes(COUNCIL.read_text(encoding="utf-8").encode("latin-1", "replace"))
    with pytest.raises(ImportRefused) as refused:
        existing.import_file(path, ImportMode.REPLACE)
    assert refused.value.problems and all(p.row > 1 for p in refused.value.problems)
    assert_nothing_imported(existing)


def test_csv_problems_name_the_spreadsheet_line_and_column(
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
    with pytest.raises(ImportRefused) as refused:
        existing.import_file(path, ImportMode.MERGE)
    assert problems(refused) == {
        (2, "waiting_weeks"),
        (3, "name"),
        (3, "free"),
        (4, "category"),
        (4, "five_ways"),
        (5, "postal_code"),
        (5, "assured_date"),
        (6, "status"),
        (7, "id"),
    }
    assert_nothing_imported(existing)


def test_a_csv_missing_required_columns_says_which(
    existing: DirectoryService, tmp_path: Path
) -> None:
    path = tmp_path / "directory.csv"
    path.write_text("id,name,description\nx,Lunch club,Hot lunch\n", encoding="utf-8")
    with pytest.raises(ImportRefused) as refused:
        existing.import_file(path, ImportMode.MERGE)
    assert problems(refused) == {(1, "status"), (1, "category")}
    assert_nothing_imported(existing)


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
    cafe, walk = directory.get("a"), directory.get("b")
    assert (cafe.category, cafe.postcode, cafe.free, cafe.waiting_weeks) == (
        Category.SOCIAL_ACTIVITY,
        "GS1 4AB",
        True,
        2,
    )
    assert walk.wellbeing_tags == (WellbeingWay.BE_ACTIVE, WellbeingWay.TAKE_NOTICE)
    assert (walk.step_free, walk.last_checked) == (True, date(2025, 2, 1))


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
    terms = {a["taxonomy_term"]["taxonomy"]["name"]: a for a in walk["attributes"]}
    assert terms["SP Desktop social prescribing categories"]["taxonomy_term"]["code"] == (
        "physical_activity"
    )
    assert walk["cost_options"][0]["amount"] == 0


def test_a_file_of_the_wrong_kind_is_refused(directory: DirectoryService, tmp_path: Path) -> None:
    path = tmp_path / "directory.xlsx"
    path.write_bytes(b"PK")
    with pytest.raises(ValueError, match=r"\.json or \.csv"):
        directory.import_file(path, ImportMode.MERGE)
