"""The office publishes a council's directory with the laptop's own importer: from a file or
fetched page by page from an ORUK API (a real HTTP server on loopback serving the published
example files), and every row it publishes is one a laptop can show."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import orjson
import pytest
from sqlalchemy import select

from sp_desktop.interchange.directory_files import read_records
from sp_desktop.interchange.directory_files.fetch import FetchPolicy, fetch_source
from sp_desktop.interchange.directory_files.findings import Kind
from sp_desktop.interchange.directory_files.rows import service_from_row
from sp_desktop.server import cli, db

ROOT = Path(__file__).parent.parent
ORUK = ROOT / "data" / "oruk"
EXAMPLES = [  # the published full services, one per page of the served list
    ORUK / "hsds-3.0" / "examples" / "service_full.json",
    ORUK / "uk-profile-3.0" / "examples" / "service_full.json",
    ORUK / "oruk-validator" / "V3.0-UK-Default" / "service_full.json",
]


def _council_list() -> dict[str, Any]:
    import sys

    sys.path.insert(0, str(ROOT.parent))
    from tests.directory.council_feed import council_list

    return council_list()


def run(capsys: pytest.CaptureFixture[str], folder: Path, *args: str) -> tuple[int, str, str]:
    code = cli.main([*args, "--data-dir", str(folder)])
    out, err = capsys.readouterr()
    return code, out, err


def published(folder: Path) -> list[dict[str, Any]]:
    """The directory rows the office holds, as laptops will pull them."""
    engine = db.make_engine(db.default_database_url(folder))
    try:
        with engine.connect() as conn:
            found = conn.execute(select(db.rows.c.row_id, db.rows.c.fields).where(
                db.rows.c.table_name == "services", db.rows.c.deleted.is_(False))).all()
    finally:
        engine.dispose()
    return [{**orjson.loads(fields), "id": row_id} for row_id, fields in found]


def test_the_office_refuses_a_list_with_problems_unless_told_to_take_the_good_rows(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "services.json"
    path.write_text(json.dumps(_council_list()), encoding="utf-8")
    code, out, _ = run(capsys, tmp_path, "directory", "import", str(path))
    assert code == 1 and "Nothing was published: 2 services are left out" in out
    assert "Empty records (1)" in out and "Identifier already used" in out
    assert published(tmp_path) == []

    terms = tmp_path / "terms.json"
    code, out, _ = run(capsys, tmp_path, "directory", "import", str(path), "--good-rows",
                       "--unmapped-terms", str(terms))
    assert code == 0 and "Directory published: 998 entries, 0 refused." in out
    assert json.loads(terms.read_text(encoding="utf-8"))["terms"] == []  # no terms at all
    rows = published(tmp_path)
    assert len(rows) == 998
    entries = [service_from_row(row) for row in rows]  # what a laptop does with each row
    assert sum(1 for e in entries if e.category is None) == 998
    assert sum(1 for e in entries if not e.postcode_checked) == 40


def test_a_dry_run_publishes_nothing(tmp_path: Path,
                                     capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, tmp_path, "directory", "import", str(EXAMPLES[1]), "--dry-run")
    assert code == 0 and "Dry run: nothing was published (1 services could be)." in out
    assert published(tmp_path) == []


def test_the_office_mapping_file_categorises_as_it_publishes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    mapping = tmp_path / "terms.json"
    mapping.write_text(json.dumps({"terms": [{"term": "name", "category": "volunteering",
                                              "ways": ["give"]}]}), encoding="utf-8")
    code, _, _ = run(capsys, tmp_path, "directory", "import", str(EXAMPLES[1]),
                     "--mapping", str(mapping))
    assert code == 0
    (row,) = published(tmp_path)
    assert (row["category"], row["wellbeing_tags"]) == ("volunteering", '["give"]')
    bad = tmp_path / "bad.json"
    bad.write_text('{"terms": [{"term": "x", "category": "bingo"}]}', encoding="utf-8")
    code, _, err = run(capsys, tmp_path, "directory", "import", str(EXAMPLES[1]),
                       "--mapping", str(bad))
    assert code == 1 and "'bingo' is not a category" in err


# --- fetching from an API ---------------------------------------------------------------------


class _Api(BaseHTTPRequestHandler):
    """`/services?page=N`: page N of a list whose services are the published examples."""

    pages: list[bytes] = []
    asked: list[str] = []
    busy_once: set[int] = set()

    def do_GET(self) -> None:  # noqa: N802 - the http.server name
        self.asked.append(self.path)
        page = int(parse_qs(urlsplit(self.path).query).get("page", ["1"])[0])
        if page in self.busy_once:
            self.busy_once.discard(page)
            self.send_response(429)
            self.send_header("Retry-After", "2")
            self.end_headers()
            return
        if not 1 <= page <= len(self.pages):
            self.send_response(404)
            self.end_headers()
            return
        body = self.pages[page - 1]
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


def _pages(services: list[dict[str, Any]], count: int) -> list[bytes]:
    return [json.dumps({"total_items": len(services), "total_pages": count, "page_number": n,
                        "size": 1, "first_page": n == 1, "last_page": n == count,
                        "empty": False, "contents": [services[n - 1]]}).encode()
            for n in range(1, count + 1)]


@pytest.fixture
def api() -> Iterator[str]:
    services = []
    for number, path in enumerate(EXAMPLES):
        service = json.loads(path.read_text(encoding="utf-8"))
        service["id"] = f"ac148810-d857-441c-9679-40800000000{number}"
        services.append(service)
    _Api.pages = _pages(services, len(services))
    _Api.asked = []
    _Api.busy_once = set()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Api)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/services"
    finally:
        server.shutdown()
        server.server_close()


def test_fetch_takes_every_page_one_at_a_time_with_a_pause(api: str) -> None:
    pauses: list[float] = []
    source = fetch_source(api, FetchPolicy(delay=1.5), sleep=pauses.append)
    assert [r.where for r in source.records] == ["page 1, service 1", "page 2, service 1",
                                                 "page 3, service 1"]
    assert _Api.asked == ["/services", "/services?page=2", "/services?page=3"]
    assert pauses == [1.5, 1.5]  # between requests, never before the first
    reading = read_records(source)
    assert len(reading.services) == 3 and reading.complete


def test_fetch_waits_when_the_server_says_too_many_requests(api: str) -> None:
    _Api.busy_once = {2}
    pauses: list[float] = []
    source = fetch_source(api, FetchPolicy(delay=1.0), sleep=pauses.append)
    assert len(source.records) == 3
    assert pauses == [1.0, 2.0, 1.0]  # the pause, the server's Retry-After, the pause


def test_a_page_that_fails_is_named_and_the_rest_can_only_add(api: str) -> None:
    _Api.pages = _Api.pages[:2] + [b"<html>Service unavailable</html>"]
    reading = read_records(fetch_source(api, FetchPolicy(delay=0), sleep=lambda _s: None))
    assert len(reading.services) == 2 and not reading.complete
    page3 = [f for f in reading.findings if f.where == "page 3"]
    assert page3 and "is not JSON" in page3[0].detail
    assert any(f.kind is Kind.PAGES and "pages 1, 2 of 3" in f.detail for f in reading.findings)


def test_the_office_fetch_command_publishes_from_the_api(
    api: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(capsys, tmp_path, "directory", "fetch", api, "--delay", "0")
    assert code == 0, out
    assert "3 services in the file" in out and "Directory published: 3 entries" in out
    rows = published(tmp_path)
    assert sorted(service_from_row(r).name for r in rows) == ["Community Counselling"] * 3


def test_fetch_refuses_an_address_that_is_not_the_web(tmp_path: Path,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, tmp_path, "directory", "fetch", "file:///etc/passwd")
    assert code == 1 and "should start with https://" in err


def test_a_laptop_pulls_only_rows_it_can_show(tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    """Everything the office publishes from every published file reads back on a laptop."""
    for path in [*EXAMPLES, ORUK / "hsds-1.1-datapackage" / "all_resources"]:
        assert run(capsys, tmp_path, "directory", "import", str(path), "--good-rows")[0] == 0
    rows = published(tmp_path)
    assert len(rows) == 14  # the three examples share their id; 13 from the datapackage
    assert all(service_from_row(r).name for r in rows)
