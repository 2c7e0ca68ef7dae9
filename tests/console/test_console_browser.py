"""The console in a real browser (Debian's Chromium driven by Playwright) against a real
server process on loopback, with laptops (real encrypted stores) syncing to it.

One server and one browser for the module; each test signs in its own console user in its
own browser context. Every page is also checked with axe-core (0 serious or critical
violations). Set SP_CONSOLE_SCREENSHOTS=<folder> to save a 1366x768 screenshot of each page.
"""

from __future__ import annotations

import io
import os
import secrets
import shutil
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import openpyxl
import pyotp
import pytest
from console_office import FAST_KEYS, ConsoleUser, demo_names, make_user
from pypdf import PdfReader
from sqlalchemy import select

from sp_desktop.server.console.auth import ConsoleRole
from sp_desktop.server.db import console_sessions, console_users, make_engine
from sp_desktop.server.sync import publish_directory
from sp_desktop.server.testing import (
    RunningServer,
    postgres_schema,
    postgres_unavailable,
    start_server,
)
from sp_desktop.services.demo import populate
from sp_desktop.services.workspace import Workspace
from sp_desktop.store.schema import services
from sp_desktop.sync.client import DeviceRevoked, SyncClient, SyncResult, register_device

CHROMIUM = os.environ.get("SP_TEST_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
AXE = Path(__file__).with_name("axe.min.js")
ORUK_FILE = (
    Path(__file__).parents[1]
    / "data"
    / "oruk"
    / "uk-profile-3.0"
    / "examples"
    / "service_list.json"
)
SCREENSHOTS = os.environ.get("SP_CONSOLE_SCREENSHOTS")
VIEWPORT = {"width": 1366, "height": 768}
NARROWEST = {"width": 1280, "height": 720}

playwright_api = pytest.importorskip("playwright.sync_api", reason="Playwright is not installed")
pytestmark = pytest.mark.skipif(
    not Path(CHROMIUM).exists(), reason=f"no Chromium at {CHROMIUM} (apt-get install chromium)"
)


@dataclass
class Laptop:
    adviser: str
    team: str
    ws: Workspace

    def sync(self) -> SyncResult:
        with SyncClient(self.ws.store, clock=self.ws.changes.clock) as client:
            return client.sync_once()

    def service_names(self) -> dict[str, bool]:
        with self.ws.store.read() as conn:
            return {
                str(r.name): bool(r.active)
                for r in conn.execute(select(services.c.name, services.c.active))
            }


@dataclass
class Office:
    server: RunningServer
    folder: Path
    ours: str
    theirs: str
    our_laptop: Laptop
    their_laptop: Laptop

    def laptop(self, team: str, people: int = 0, seed: int = 1) -> Laptop:
        adviser = f"Adviser {secrets.token_hex(3)}"
        password = secrets.token_urlsafe(16)
        self.server.add_adviser(adviser, team, password)
        ws, _ = Workspace.create(
            self.folder / adviser.replace(" ", "_"),
            "a long passphrase",
            adviser=adviser,
            team=team,
            params=FAST_KEYS,
        )
        if people:
            populate(ws, people, seed=seed, service_count=4)
        register_device(ws.store, self.server.url, adviser, password, label=f"{adviser}'s laptop")
        return Laptop(adviser, team, ws)

    def user(self, role: ConsoleRole, *teams: str, name: str | None = None) -> ConsoleUser:
        return make_user(self.server._admin(), role, list(teams), name)


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def database(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite+pysqlite:///{tmp_path_factory.mktemp('office-db') / 'office.db'}"
        return
    reason = postgres_unavailable()
    if reason:
        pytest.skip(reason)
    with postgres_schema() as url:
        yield url


@pytest.fixture(scope="module")
def office(database: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Office]:
    folder = tmp_path_factory.mktemp("console-browser")
    # Two workers: a session must be known to whichever process answers (it is in the
    # database, not in one process's memory).
    server = start_server(database, folder, workers=2)
    try:
        server.add_team("Riverside")
        server.add_team("Hilltop")
        made = Office(server, folder, "Riverside", "Hilltop", None, None)  # type: ignore[arg-type]
        publish_directory(
            server._admin(),
            [
                {
                    "id": "walking-group",
                    "name": "Riverside walking group",
                    "active": True,
                    "category": "physical_activity",
                    "organisation": "Riverside Ramblers",
                    "last_checked": "2026-10-01",
                    "schedule": "Tuesdays 10am",
                    "free": True,
                    "waiting_weeks": 6,
                },
                {
                    "id": "lunch-club",
                    "name": "Friday lunch club",
                    "active": True,
                    "category": "social_activity",
                    "organisation": "St Mary's Church",
                    "last_checked": "2024-05-01",
                    "cost": "£3 a meal",
                },
            ],
        )
        made.our_laptop = made.laptop("Riverside", people=12, seed=21)
        made.their_laptop = made.laptop("Hilltop", people=12, seed=22)
        # The office's directory is the one laptops prescribe from: their demo services.
        with made.our_laptop.ws.store.read() as conn:
            publish_directory(
                server._admin(),
                [
                    {
                        "id": r.id,
                        "name": r.name,
                        "active": True,
                        "category": r.category,
                        "organisation": r.organisation,
                        "last_checked": "2026-09-01",
                    }
                    for r in conn.execute(select(services))
                ],
            )
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


def new_page(browser: Any, *, axe: bool = False) -> Any:
    # axe is injected as a script, which the console's Content-Security-Policy would refuse.
    context = browser.new_context(viewport=VIEWPORT, bypass_csp=axe)
    return context.new_page()


def sign_in(page: Any, office: Office, user: ConsoleUser) -> None:
    page.goto(office.server.url + "/console/")
    page.get_by_label("Name").fill(user.name)
    page.get_by_label("Password").fill(user.password)
    page.get_by_role("button", name="Continue").click()
    page.get_by_label("6-digit code").fill(pyotp.TOTP(user.secret).now())
    page.keyboard.press("Enter")  # Enter does the main action
    page.get_by_role("button", name="Sign out").wait_for()


def test_sign_in_with_a_totp_code_and_sign_out_ends_the_session(
    office: Office, browser: Any
) -> None:
    user = office.user(ConsoleRole.MANAGER, office.ours)
    page = new_page(browser)
    page.goto(office.server.url + "/console/teams")
    assert page.url.endswith("/console/login")
    page.get_by_label("Name").fill(user.name)
    page.get_by_label("Password").fill("a wrong password, clearly")
    page.get_by_role("button", name="Continue").click()
    assert "not recognised" in page.get_by_role("alert").inner_text()
    sign_in(page, office, user)
    assert page.get_by_role("heading", level=1).inner_text() == "Teams"
    cookies = page.context.cookies()
    session = [c for c in cookies if c["name"] == "sp_console"]
    assert session and session[0]["httpOnly"] and session[0]["sameSite"] == "Strict"

    page.get_by_role("button", name="Sign out").click()
    page.get_by_text("You have signed out").wait_for()
    engine = make_engine(office.server.database_url, pool_size=1)
    try:
        with engine.connect() as conn:
            mine = select(console_users.c.id).where(console_users.c.name == user.name)
            assert (
                conn.execute(
                    select(console_sessions).where(console_sessions.c.user_id.in_(mine))
                ).all()
                == []
            )
    finally:
        engine.dispose()
    # The old cookie, put back in another browser, opens nothing.
    other = browser.new_context(viewport=VIEWPORT)
    other.add_cookies(session)
    replay = other.new_page()
    replay.goto(office.server.url + "/console/teams")
    assert replay.url.endswith("/console/login")
    other.close()
    page.context.close()


def test_a_laptops_last_sync_shows_after_it_synced(office: Office, browser: Any) -> None:
    laptop = office.laptop(office.ours, people=2, seed=5)
    user = office.user(ConsoleRole.MANAGER, office.ours)
    page = new_page(browser)
    sign_in(page, office, user)
    page.get_by_role("link", name="Laptops").click()
    row = page.get_by_role("row").filter(has_text=laptop.adviser)
    assert "never" in row.inner_text()
    laptop.sync()
    page.reload()
    row = page.get_by_role("row").filter(has_text=laptop.adviser)
    text = row.inner_text()
    assert "never" not in text and "in use" in text
    assert "0.1.0" in text  # the app version it reported
    page.context.close()
    laptop.ws.close()


def test_switching_an_adviser_off_refuses_their_laptop(office: Office, browser: Any) -> None:
    laptop = office.laptop(office.ours)
    laptop.sync()  # syncs while the adviser is on
    user = office.user(ConsoleRole.MANAGER, office.ours)
    page = new_page(browser)
    sign_in(page, office, user)
    page.get_by_role("link", name="Advisers").click()
    page.get_by_role("link", name=laptop.adviser).click()
    page.get_by_role("button", name=f"Switch off {laptop.adviser}").click()
    assert "switched off" in page.get_by_role("status").inner_text()
    with pytest.raises(DeviceRevoked) as refused:
        laptop.sync()
    assert refused.value.retired  # it handed in what it held, then wiped itself
    page.get_by_role("link", name="Laptops").click()
    assert (
        "adviser switched off"
        in page.get_by_role("row").filter(has_text=laptop.adviser).inner_text()
    )
    page.context.close()


def test_an_edited_service_reaches_a_laptop(office: Office, browser: Any) -> None:
    user = office.user(ConsoleRole.LEAD)
    page = new_page(browser)
    sign_in(page, office, user)
    page.get_by_role("link", name="Directory").click()
    page.get_by_role("link", name="Add a service").click()
    name = f"Riverside walking group {secrets.token_hex(2)}"
    page.get_by_label("Name", exact=True).fill(name)
    page.get_by_label("Category").select_option(label="Physical activity")
    page.get_by_label("Date last checked").fill("2026-11-30")
    page.get_by_label("Waiting time in weeks").fill("many")
    page.get_by_role("button", name="Save and publish").click()
    assert "waiting time" in page.get_by_role("alert").inner_text().lower()
    assert page.get_by_label("Name", exact=True).input_value() == name  # nothing typed lost
    page.get_by_label("Waiting time in weeks").fill("2")
    page.get_by_role("button", name="Save and publish").click()
    assert "published" in page.get_by_role("status").inner_text()

    laptop = office.our_laptop
    laptop.sync()
    assert laptop.service_names().get(name) is True
    renamed = name.replace("walking", "rambling")
    page.get_by_label("Name", exact=True).fill(renamed)
    page.get_by_role("button", name="Save and publish").click()
    page.get_by_role("button", name="Withdraw").click()
    assert "withdrawn" in page.get_by_role("status").inner_text()
    laptop.sync()
    held = laptop.service_names()
    assert name not in held and held.get(renamed) is False
    page.context.close()


def test_importing_a_directory_file_publishes_its_services(office: Office, browser: Any) -> None:
    user = office.user(ConsoleRole.LEAD)
    page = new_page(browser)
    sign_in(page, office, user)
    page.goto(office.server.url + "/console/directory/import")
    page.get_by_label("Directory file").set_input_files(str(ORUK_FILE))
    page.get_by_role("button", name="Import and publish").click()
    assert "1 services were published" in page.get_by_role("status").inner_text()
    page.get_by_role("link", name="Directory").first.click()
    assert page.get_by_role("link", name="Community Counselling").count() == 1
    # Typing filters the list as you type (htmx, vendored; the Find button does it without
    # JavaScript).
    assert page.locator("#services tbody tr").count() > 1
    page.get_by_label("Find a service by name").press_sequentially("counsel", delay=30)
    page.locator("#services caption", has_text="1 services").wait_for()
    assert page.locator("#services tbody tr").count() == 1
    office.their_laptop.sync()
    assert "Community Counselling" in office.their_laptop.service_names()
    page.context.close()


def _crawl(page: Any, start: str) -> dict[str, str]:
    """Every console page and download reachable by links from `start` (GET only), by URL:
    pages as their HTML, downloads (CSV, XLSX, PDF, JSON, zip) as the text a person would read
    in them, so a name that only appears in an export is caught too."""
    seen: dict[str, str] = {}
    queue = [start]
    while queue and len(seen) < 200:
        url = queue.pop(0)
        if url in seen:
            continue
        answer = page.request.get(url)
        kind = answer.headers.get("content-type", "")
        if "text/html" not in kind:
            seen[url] = _readable(answer.body(), kind)
            continue
        page.goto(url)
        seen[url] = page.content()
        for href in page.eval_on_selector_all("a[href]", "els => els.map(e => e.href)"):
            href = href.split("#")[0]
            if "/console/" in href and "/static/" not in href and href not in seen:
                queue.append(href)
    return seen


def _readable(body: bytes, content_type: str) -> str:
    """The words in a downloaded file."""
    if "pdf" in content_type:
        return "\n".join(p.extract_text() or "" for p in PdfReader(io.BytesIO(body)).pages)
    if "spreadsheet" in content_type:
        book = openpyxl.load_workbook(io.BytesIO(body), read_only=True)
        return "\n".join(
            str(cell)
            for sheet in book.worksheets
            for row in sheet.iter_rows(values_only=True)
            for cell in row
            if cell is not None
        )
    if "zip" in content_type:
        archive = zipfile.ZipFile(io.BytesIO(body))
        return "\n".join(
            archive.read(name).decode("utf-8", errors="replace") for name in archive.namelist()
        )
    return body.decode("utf-8", errors="replace")


def test_a_manager_never_sees_another_teams_people(office: Office, browser: Any) -> None:
    user = office.user(ConsoleRole.MANAGER, office.ours)
    page = new_page(browser)
    sign_in(page, office, user)
    pages = _crawl(page, office.server.url + "/console/")
    theirs = set(demo_names(office.their_laptop.ws)) - set(demo_names(office.our_laptop.ws))
    assert len(theirs) >= 5
    person_pages = [url for url in pages if "/console/people/" in url]
    assert len(person_pages) >= 5  # the crawl reached our own people
    for url, html in pages.items():
        found = [name for name in theirs if name in html]
        assert not found, f"{url} shows {found}"
        assert office.their_laptop.adviser not in html and office.theirs not in html
    page.context.close()


def test_every_page_has_no_serious_accessibility_violation(office: Office, browser: Any) -> None:
    base = office.server.url + "/console"
    page = new_page(browser, axe=True)
    checked = {}
    page.goto(base + "/login")
    checked["login"] = _axe(page, "login")
    lead = office.user(ConsoleRole.LEAD, name="Sam Okafor")
    page.get_by_label("Name").fill(lead.name)
    page.get_by_label("Password").fill(lead.password)
    page.get_by_role("button", name="Continue").click()
    checked["code"] = _axe(page, "code")
    page.get_by_label("6-digit code").fill(pyotp.TOTP(lead.secret).now())
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("button", name="Sign out").wait_for()
    checked["teams"] = _axe(page, "teams")
    page.get_by_role("link", name=office.ours).click()
    checked["team"] = _axe(page, "team")
    page.get_by_role("link", name="Everyone overdue").click()
    page.goto(page.url.split("?")[0] + "?show=open")
    checked["people"] = _axe(page, "people")
    page.locator("a[href*='/console/people/']").first.click()
    checked["person"] = _axe(page, "person")
    page.get_by_role("link", name="Who has looked at this record").click()
    checked["person-audit"] = _axe(page, "person-audit")  # with the erasure form
    for path, name in (
        ("/advisers", "advisers"),
        ("/advisers/new", "adviser-new"),
        ("/devices", "devices"),
        ("/directory", "directory"),
        ("/directory/new", "service-new"),
        ("/directory/import", "import"),
        ("/erasures", "erasures"),
        ("/audit-breaks", "audit-breaks"),
        ("/nothing-here", "not-found"),
    ):
        page.goto(base + path)
        checked[name] = _axe(page, name)
    page.goto(base + "/advisers")
    page.locator("a[href*='/console/advisers/']").filter(has_text=office.our_laptop.adviser).click()
    checked["adviser"] = _axe(page, "adviser")
    page.get_by_role("link", name="Whom they looked at or changed").click()
    checked["adviser-audit"] = _axe(page, "adviser-audit")
    page.goto(base + "/devices")
    page.locator("tbody a[href*='/console/devices/']").first.click()
    checked["device"] = _axe(page, "device")
    page.goto(base + "/directory")
    page.locator("tbody a[href*='/console/directory/']").first.click()
    checked["service"] = _axe(page, "service")
    page.context.close()

    commissioner = office.user(ConsoleRole.COMMISSIONER, name="Priya Shah")
    page = new_page(browser, axe=True)
    sign_in(page, office, commissioner)
    checked["reports"] = _axe(page, "reports")
    page.context.close()
    problems = {name: found for name, found in checked.items() if found}
    assert problems == {}
    assert len(checked) == 21  # every kind of console page (4 of information governance)


def _axe(page: Any, name: str) -> list[str]:
    """Serious and critical axe-core violations on the page, and whether it fits a 1280x720
    window (and a screenshot if asked)."""
    page.wait_for_load_state("load")
    if SCREENSHOTS:
        Path(SCREENSHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(SCREENSHOTS) / f"{name}.png"), full_page=False)
    page.add_script_tag(path=str(AXE))
    result = page.evaluate(
        "async () => (await axe.run(document, {runOnly: {type: 'tag', values: "
        "['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice']}})).violations"
        ".filter(v => v.impact === 'serious' || v.impact === 'critical')"
        ".map(v => v.id + ': ' + v.nodes.map(n => n.target.join(' ')).join(', '))"
    )
    found = [str(item) for item in result]
    # 1280x720 at 100 % is the narrowest window the console must fit (1920x1080 at 150 % is
    # the same in CSS pixels): nothing may need sideways scrolling there.
    page.set_viewport_size(NARROWEST)
    if page.evaluate("document.documentElement.scrollWidth > window.innerWidth"):
        found.append("wider than a 1280x720 window")
    page.set_viewport_size(VIEWPORT)
    return found
