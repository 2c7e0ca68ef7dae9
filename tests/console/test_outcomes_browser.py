"""The outcomes page in a real browser (Debian's Chromium, Playwright) against a real server
process, with laptops (real encrypted stores of demo people) synced to it: filter and see the
numbers change, download CSV and XLSX and read them back, print the practice pack and read its
text; a commissioner's page and exports hold no cell under 5 and no demo name; axe-core finds
nothing serious. Set SP_CONSOLE_SCREENSHOTS=<folder> for a screenshot of the page and the
practice pack's first page as PNG.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from console_office import demo_names
from openpyxl import load_workbook
from test_console_browser import (
    CHROMIUM,
    SCREENSHOTS,
    Office,
    _axe,
    new_page,
    playwright_api,
    sign_in,
)

from sp_desktop.server.console.auth import ConsoleRole
from sp_desktop.server.testing import start_server

SMALL = 5
FEWER = "fewer than 5"


@pytest.fixture(scope="module")
def office(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Office]:
    folder = tmp_path_factory.mktemp("outcomes-browser")
    database = f"sqlite+pysqlite:///{folder / 'office.db'}"
    server = start_server(database, folder, workers=1)
    try:
        server.add_team("Riverside")
        server.add_team("Hilltop")
        made = Office(server, folder, "Riverside", "Hilltop", None, None)  # type: ignore[arg-type]
        made.our_laptop = made.laptop("Riverside", people=40, seed=31)
        made.their_laptop = made.laptop("Hilltop", people=25, seed=32)
        made.our_laptop.sync()
        made.their_laptop.sync()
        yield made
    finally:
        server.stop()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with playwright_api.sync_playwright() as driver:
        launched = driver.chromium.launch(executable_path=CHROMIUM)
        yield launched
        launched.close()


pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(), reason=f"no Chromium at {CHROMIUM}")


def _no_small_cells(cells: list[str]) -> None:
    small = [c for c in cells if c.strip().isdigit() and 0 < int(c) < SMALL]
    assert not small, f"cells under 5 shown: {small}"


def _people(page: Any) -> str:
    """The people counted, or the sentence a commissioner sees for a selection too small to
    show any figure (fewer than 10 people)."""
    if page.locator("#withheld").count():
        return str(page.locator("#withheld").inner_text())
    return str(page.locator("#people-count strong").inner_text())


def test_commissioner_filters_downloads_and_prints_the_practice_pack(
    office: Office, browser: Any
) -> None:
    user = office.user(ConsoleRole.COMMISSIONER)
    page = new_page(browser, axe=True)
    sign_in(page, office, user)
    page.goto(office.server.url + "/console/outcomes")
    assert page.get_by_role("heading", level=1).inner_text() == "Outcomes"
    assert _axe(page, "outcomes") == []
    html = page.content()
    names = demo_names(office.our_laptop.ws) + demo_names(office.their_laptop.ws)
    assert names and not [n for n in names if n in html]
    _no_small_cells(re.findall(r"<td>([^<]*)</td>", html))
    assert "not proof" in html
    everyone = _people(page)
    if SCREENSHOTS:
        page.locator("#h-sources").scroll_into_view_if_needed()
        page.screenshot(path=str(Path(SCREENSHOTS) / "outcomes-charts.png"))
        page.locator("#h-measures").scroll_into_view_if_needed()
        page.screenshot(path=str(Path(SCREENSHOTS) / "outcomes-measures.png"))
        page.locator("#h-concerns").scroll_into_view_if_needed()
        page.screenshot(path=str(Path(SCREENSHOTS) / "outcomes-concerns-steps.png"))

    practices = [o for o in page.locator("#practice option").all_inner_texts() if o and o != "All"]
    assert practices
    page.get_by_label("GP practice", exact=True).select_option(practices[0])
    page.get_by_role("button", name="Show", exact=True).click()
    page.wait_for_url(re.compile(r"practice="))
    assert _people(page) != everyone  # the numbers change with the filter
    page.goto(office.server.url + "/console/outcomes")

    with page.expect_download() as got:
        page.locator("#h-sources ~ p a", has_text="CSV").click()
    read = list(csv.reader(io.StringIO(Path(got.value.path()).read_text())))
    assert read[0] == ["Referred by", "People"]
    assert read[-1][0] == "Total"
    _no_small_cells([cell for row in read[1:] for cell in row[1:]])
    shown = page.locator("#table-sources tbody tr").all_inner_texts()
    assert len(shown) == len(read) - 1

    with page.expect_download() as got:
        page.locator("#h-practice ~ p a", has_text="Excel").click()
    book = load_workbook(io.BytesIO(Path(got.value.path()).read_bytes()))
    sheet = book.active
    assert sheet is not None
    rows = [[str(c.value) for c in r] for r in sheet.iter_rows()]
    assert rows[0] == ["Group", "Referred", "Supported"]
    _no_small_cells([cell for row in rows[1:] for cell in row[1:]])
    assert not [n for n in names if any(n in cell for row in rows for cell in row)]

    assert re.fullmatch(r"\d{4}-\d{2}", page.locator("#pack-month").input_value())
    months = [m for m in page.locator("#table-months tbody th").all_inner_texts() if m != "Total"]
    month = months[-1]  # the latest month with referrals, so the pack has something in it
    # the practice with the most people referred, so the pack has figures of its own
    referred = {
        r[0]: int(r[1]) if r[1].isdigit() else 0
        for r in (
            line.split("\t") for line in page.locator("#table-practice tbody tr").all_inner_texts()
        )
    }
    busiest = max(practices, key=lambda p: referred.get(p, 0))
    pack = page.request.get(
        office.server.url + "/console/outcomes/practice-pack.pdf",
        params={"practice": busiest, "month": month},
    )
    assert pack.status == 200 and pack.body().startswith(b"%PDF")
    from pypdf import PdfReader

    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(pack.body())).pages)
    assert f"{busiest}: social prescribing" in text
    assert "The practice against the whole service" in text
    assert not [n for n in names if n in text]
    if SCREENSHOTS:
        import pypdfium2

        first = pypdfium2.PdfDocument(pack.body())[0]
        first.render(scale=1.5).to_pil().save(str(Path(SCREENSHOTS) / "practice-pack.png"))


def test_a_manager_sees_their_teams_outcomes(office: Office, browser: Any) -> None:
    user = office.user(ConsoleRole.MANAGER, office.ours)
    page = new_page(browser, axe=True)
    sign_in(page, office, user)
    page.get_by_role("link", name="Outcomes").click()
    assert page.get_by_role("heading", level=1).inner_text() == "Outcomes"
    assert _axe(page, "outcomes-manager") == []


def test_a_service_lead_loads_registered_populations(office: Office, browser: Any) -> None:
    user = office.user(ConsoleRole.LEAD)
    page = new_page(browser, axe=True)
    sign_in(page, office, user)
    page.goto(office.server.url + "/console/outcomes")
    practices = [o for o in page.locator("#practice option").all_inner_texts() if o and o != "All"]
    page.get_by_role("link", name="Load practices' registered populations").click()
    assert page.get_by_role("heading", level=1).inner_text() == "Practices' registered populations"
    assert _axe(page, "outcomes-population") == []
    csv_file = page.get_by_label("CSV file")
    csv_file.set_input_files(
        files={"name": "bad.csv", "mimeType": "text/csv", "buffer": b"practice,size\nA,1\n"}
    )
    page.get_by_role("button", name="Load").click()
    assert "Nothing was loaded" in page.get_by_role("alert").inner_text()
    lines = ["practice,dimension,group,count"] + [
        f"{p},gender,{g},{n}" for p in practices for g, n in (("female", 600), ("male", 400))
    ]
    page.get_by_label("CSV file").set_input_files(
        files={"name": "pop.csv", "mimeType": "text/csv", "buffer": "\n".join(lines).encode()}
    )
    page.get_by_role("button", name="Load").click()
    assert f"loaded for {len(practices)} practices" in page.get_by_role("status").inner_text()
    page.goto(office.server.url + "/console/outcomes")
    table = page.locator("#table-population_gender")
    assert "Share of registered" in table.inner_text()
    assert "60.0%" in table.inner_text()
