"""The visit screen is built when a visit is first started, and its pages one at a time: a
page not built yet still holds the visit's words, and shows them when the adviser gets there."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import TypeVar

from pytestqt.qtbot import QtBot

from PySide6.QtCore import Qt

from sp_desktop.domain.choices import Consent, ReferralSource
from sp_desktop.services.resources import conversation_guide
from sp_desktop.services.visit_summary import visit_draft_key, visit_summary
from sp_desktop.services.workspace import Workspace

from sp_desktop.ui.main_window import MainWindow
from sp_desktop.ui.screens.visit import VisitScreen

from .conftest import PASSPHRASE
from .helpers import WAIT_MS, settle, unlock

T = TypeVar("T")
LAST_WORDS = "Would like to learn to use the computer at the library."
WAITING_CONCERN = "Cannot get to the shops"


def in_the_writer(qtbot: QtBot, window: MainWindow, fn: Callable[[Workspace], T]) -> T:
    """Runs a service call where the app runs its writes, and waits for its answer."""
    done: list[T] = []
    window.session.write(fn, done.append)
    qtbot.waitUntil(lambda: bool(done), timeout=WAIT_MS)
    settle(window, qtbot)
    return done[0]


def person_ready_to_visit(ws: Workspace) -> str:
    person = ws.people.create(
        given_name="Zoë", family_name="Brown", date_of_birth=date(1941, 3, 12)
    )
    ws.people.record_referral(
        person.id,
        source=ReferralSource.GP,
        received_on=date.today(),
        consent=Consent.GIVEN,
        consent_on=date.today(),
    )
    return person.id


def a_visit_with_words_on_its_last_page(ws: Workspace) -> tuple[str, str, str]:
    """A visit whose notes are on the guide's last domain and whose draft holds a concern
    typed but not added on the one before it: (visit id, last key, key before it)."""
    visit = ws.visits.start(person_ready_to_visit(ws), date.today())
    domains = conversation_guide().domains
    last, before = domains[-1].key, domains[-2].key
    ws.visits.save_notes(visit.id, notes={last: LAST_WORDS})
    ws.drafts.save(
        visit_draft_key(visit.id),
        {
            "version": 1,
            "visit_id": visit.id,
            "section": 0,
            "notes": {last: LAST_WORDS},
            "new_concerns": {before: {"words": WAITING_CONCERN, "severity": 7}},
        },
    )
    return visit.id, last, before


def test_the_visit_screen_waits_for_the_first_visit(
    qtbot: QtBot, window: MainWindow, make_store: Callable[..., Path]
) -> None:
    make_store(people=2)
    unlock(qtbot, window, PASSPHRASE)
    settle(window, qtbot)
    assert window._visit is None, "nobody has started a visit: nothing to build yet"


def test_a_page_built_late_shows_the_visits_words(
    qtbot: QtBot, window: MainWindow, make_store: Callable[..., Path]
) -> None:
    make_store()
    unlock(qtbot, window, PASSPHRASE)
    visit_id, last, before = in_the_writer(qtbot, window, a_visit_with_words_on_its_last_page)
    summary = in_the_writer(qtbot, window, lambda ws: visit_summary(ws, visit_id, audited=False))
    screen = VisitScreen(window.session)
    qtbot.addWidget(screen)
    screen._show(summary)  # before the event loop has built the later pages
    domains = screen.guide.domains
    assert len(screen._domain_pages) < len(domains), "shown without building every page"

    # What the adviser sees and what a draft would keep, before the pages exist.
    last_row = len(domains)
    assert screen.sections.item(last_row).text().startswith("✓"), "the part is marked done"
    assert screen.notes()[last] == LAST_WORDS
    assert screen.draft_content()["new_concerns"] == {
        before: {"words": WAITING_CONCERN, "severity": 7}
    }

    screen.go_to_section(last_row)
    page = screen._domain_pages[len(domains) - 1]
    assert page.notes.toPlainText() == LAST_WORDS
    assert screen.saved_state.text() != "Not saved yet…", "showing the words is not typing"
    earlier = screen.domain_pages[len(domains) - 2]
    assert earlier.concern_words.text() == WAITING_CONCERN
    assert earlier.severity.value == 7
    screen.clear()


def test_starting_a_visit_builds_its_pages_a_turn_at_a_time(
    qtbot: QtBot, window: MainWindow, make_store: Callable[..., Path]
) -> None:
    make_store()
    unlock(qtbot, window, PASSPHRASE)
    person_id = in_the_writer(qtbot, window, person_ready_to_visit)
    window.start_visit(person_id)
    visit = window.visit
    assert len(visit._domain_pages) <= 1, "no page built in the same turn as the screen"
    qtbot.waitUntil(lambda: visit.summary is not None, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: len(visit._domain_pages) == len(visit.guide.domains), timeout=WAIT_MS)
    # Typing on a page works as ever, whenever it was built.
    visit.sections.setCurrentRow(2)
    page = visit.domain_pages[1]
    qtbot.keyClicks(page.notes, "Lives alone")
    assert visit.notes()[page.domain.key] == "Lives alone"
    assert visit.saved_state.text() == "Not saved yet…"
    assert visit.sections.item(2).data(Qt.ItemDataRole.AccessibleTextRole).endswith(", done")
    visit.close_visit()
    settle(window, qtbot)
