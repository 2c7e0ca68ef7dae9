"""Search narrows from the last result, and always shows exactly who the whole list would show:
typing, deleting, NHS digits, filters, sorting and changed people mixed in any order."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st
from pytestqt.qtbot import QtBot

from PySide6.QtCore import Qt

from sp_desktop.domain.text import fold
from sp_desktop.services.caseload import CaseloadFilter, CaseloadRow, Stage
from sp_desktop.services.workspace import Changes, Workspace

from sp_desktop.ui.main_window import MainWindow
from sp_desktop.ui.models.caseload import NAME, NEXT_DUE, PERSON_ID_ROLE, CaseloadModel
from sp_desktop.ui.screens.caseload import BIG_CHANGE

from .conftest import PASSPHRASE
from .helpers import WAIT_MS, settle, type_into, unlock

TODAY = date(2026, 3, 10)
GIVEN = ["Zoë", "Mary", "Marek", "Siobhán", "Mo", "Ann", "Anne"]
FAMILY = ["O'Neill", "Brown", "Nowak", "Åberg", "Marsh", "Ng"]


def _row(n: int, stage: Stage, due: int | None) -> CaseloadRow:
    given, family = GIVEN[n % len(GIVEN)], FAMILY[(n // 3) % len(FAMILY)]
    return CaseloadRow(
        person_id=f"p{n:03d}",
        name=f"{given} {family}",
        family_name=family,
        date_of_birth=date(1940, 1, 1) + timedelta(days=n),
        practice=["Elm Surgery", "Oak Practice"][n % 2],
        stage=stage,
        next_due=None if due is None else TODAY + timedelta(days=due),
        last_contact=None,
        search_key=fold(f"{given} {family}"),
        nhs_number=None if n % 4 == 0 else f"9990{n:06d}",
    )


ROWS = [_row(n, list(Stage)[n % len(Stage)], None if n % 5 == 0 else n % 17 - 8)
        for n in range(60)]

step = st.one_of(
    st.tuples(st.just("type"), st.sampled_from(list("amrnoeë 9'0"))),
    st.tuples(st.just("delete"), st.just("")),
    st.tuples(st.just("filter"), st.sampled_from(list(CaseloadFilter))),
    st.tuples(st.just("sort"), st.sampled_from([NAME, NEXT_DUE])),
    st.tuples(st.just("change"), st.integers(0, 59)),
)


def _expected(model: CaseloadModel, rows: dict[str, CaseloadRow], query: str) -> set[str]:
    folded = fold(query.strip())
    return {pid for pid, r in rows.items()
            if r.matches(folded) and r.in_filter(model.which, TODAY)}


@settings(max_examples=150, deadline=None)
@given(st.lists(step, max_size=30))
def test_whoever_is_shown_is_whoever_matches(steps: list[tuple[str, object]]) -> None:
    model = CaseloadModel(today=lambda: TODAY)
    model.set_rows(ROWS)
    rows = {r.person_id: r for r in ROWS}
    query = ""
    for action, value in steps:
        if action == "type":
            query += str(value)
            model.set_query(query)
        elif action == "delete":
            query = query[:-1]
            model.set_query(query)
        elif action == "filter":
            assert isinstance(value, CaseloadFilter)
            model.set_filter(value)
        elif action == "sort":
            assert isinstance(value, int)
            model.sort(value, Qt.SortOrder.DescendingOrder)
        else:
            assert isinstance(value, int)
            changed = _row(value + 7, Stage.NEW, 2)._replace(person_id=f"p{value:03d}")
            rows[changed.person_id] = changed
            model.update_people([changed], {changed.person_id})
        shown = [model.data(model.index(r, 0), PERSON_ID_ROLE) for r in range(model.rowCount())]
        assert len(shown) == len(set(shown))
        assert set(shown) == _expected(model, rows, query), (action, value, query)


def test_typing_after_everyone_changed_still_finds_the_new_rows() -> None:
    model = CaseloadModel(today=lambda: TODAY)
    model.set_rows(ROWS[:10])
    model.set_query("m")
    model.update_people(ROWS[10:], {r.person_id for r in ROWS[10:]})
    model.set_query("ma")
    expected = {r.person_id for r in ROWS if r.matches("ma")}
    shown = {model.data(model.index(r, 0), PERSON_ID_ROLE) for r in range(model.rowCount())}
    assert shown == expected


def test_a_change_naming_hundreds_of_people_arrives_whole_and_keeps_the_adviser_place(
    qtbot: QtBot, window: MainWindow, make_store: Callable[..., Path]
) -> None:
    make_store(people=3)
    unlock(qtbot, window, PASSPHRASE)
    screen = window.caseload
    qtbot.waitUntil(lambda: screen.model.rowCount() == 3, timeout=WAIT_MS)
    chosen = screen.model.person_id(1)
    screen.select_person(chosen)

    def many(ws: Workspace) -> Changes:
        made = Changes()
        for n in range(BIG_CHANGE + 50):
            made |= ws.people.create(given_name=f"Zed{n}", family_name="Many",
                                     date_of_birth=date(1950, 1, 1))
        return made

    window.session.write(many)
    qtbot.waitUntil(lambda: screen.model.total == BIG_CHANGE + 53, timeout=WAIT_MS)
    settle(window, qtbot)
    assert screen.model.rowCount() == BIG_CHANGE + 53
    assert screen.count.text() == f"{BIG_CHANGE + 53} people"
    current = screen.table.currentIndex()
    assert current.isValid() and screen.model.person_id(current.row()) == chosen
    type_into(qtbot, screen.search, "zed1")
    assert screen.model.rowCount() == sum(f"{n}".startswith("1") for n in range(BIG_CHANGE + 50))
