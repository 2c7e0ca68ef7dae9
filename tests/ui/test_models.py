"""Every Qt model passes qtmodeltester; the caseload model searches, filters and sorts right."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pytestqt.modeltest import ModelTester

from PySide6.QtCore import Qt

from sp_desktop.domain.people import Concern, Step
from sp_desktop.domain.text import fold
from sp_desktop.services.caseload import CaseloadFilter, CaseloadRow, Stage
from sp_desktop.services.timeline import TimelineEntry, TimelineKind

from sp_desktop.ui.models.caseload import LAST_CONTACT, NAME, NEXT_DUE, CaseloadModel
from sp_desktop.ui.models.concerns import ConcernsModel
from sp_desktop.ui.models.steps import StepsModel
from sp_desktop.ui.models.timeline import TimelineModel

TODAY = date(2026, 3, 10)


def row(
    pid: str,
    given: str,
    family: str,
    *,
    stage: Stage = Stage.ACTIVE,
    due: date | None = None,
    seen: date | None = None,
    nhs: str | None = None,
) -> CaseloadRow:
    return CaseloadRow(
        person_id=pid,
        name=f"{given} {family}",
        family_name=family,
        date_of_birth=date(1941, 3, 12),
        practice="Elm Surgery",
        stage=stage,
        next_due=due,
        last_contact=seen,
        search_key=fold(f"{given} {family}"),
        nhs_number=nhs,
    )


ROWS = [
    row("a", "Zoë", "Brown", due=TODAY - timedelta(days=2), seen=TODAY - timedelta(days=30)),
    row("b", "Siobhán", "O'Neill", stage=Stage.NEW, due=TODAY + timedelta(days=3)),
    row("c", "Łukasz", "Nowak", stage=Stage.PRESCRIBED, seen=TODAY, nhs="9990000018"),
    row("d", "Arthur", "Åberg", stage=Stage.CLOSED),
]


@pytest.fixture
def caseload() -> CaseloadModel:
    model = CaseloadModel(today=lambda: TODAY)
    model.set_rows(ROWS)
    return model


def names(model: CaseloadModel) -> list[str]:
    return [model.data(model.index(r, NAME)) for r in range(model.rowCount())]


def test_caseload_model_passes_the_model_tester(
    qtmodeltester: ModelTester, caseload: CaseloadModel
) -> None:
    qtmodeltester.check(caseload)
    caseload.set_query("zo")
    caseload.sort(NEXT_DUE, Qt.SortOrder.DescendingOrder)
    caseload.update_people([row("e", "Edna", "Evans")], {"e", "d"})
    caseload.set_filter(CaseloadFilter.OVERDUE)
    caseload.clear()


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("zoe", ["Zoë Brown"]),
        ("ZOË", ["Zoë Brown"]),
        ("siobhan", ["Siobhán O'Neill"]),
        ("lukasz now", ["Łukasz Nowak"]),
        ("aberg", ["Arthur Åberg"]),
        ("999 000", ["Łukasz Nowak"]),
        ("nobody", []),
        ("", ["Arthur Åberg", "Zoë Brown", "Łukasz Nowak", "Siobhán O'Neill"]),
    ],
)
def test_search_is_accent_and_case_insensitive(
    caseload: CaseloadModel, typed: str, expected: list[str]
) -> None:
    caseload.set_query(typed)
    assert names(caseload) == expected


@pytest.mark.parametrize(
    ("which", "expected"),
    [
        (CaseloadFilter.NEW, ["Siobhán O'Neill"]),
        (CaseloadFilter.OVERDUE, ["Zoë Brown"]),
        (CaseloadFilter.DUE_THIS_WEEK, ["Siobhán O'Neill"]),
        (CaseloadFilter.ACTIVE_PRESCRIPTIONS, ["Łukasz Nowak"]),
        (CaseloadFilter.CLOSED, ["Arthur Åberg"]),
    ],
)
def test_filters(caseload: CaseloadModel, which: CaseloadFilter, expected: list[str]) -> None:
    caseload.set_filter(which)
    assert names(caseload) == expected
    assert caseload.count_in(which) == len(expected)


def test_sorting_by_last_contact_puts_the_longest_unseen_first(caseload: CaseloadModel) -> None:
    caseload.sort(LAST_CONTACT, Qt.SortOrder.AscendingOrder)
    assert names(caseload)[-2:] == ["Zoë Brown", "Łukasz Nowak"]


def test_overdue_is_said_in_words_not_only_shown(caseload: CaseloadModel) -> None:
    caseload.set_query("zoe")
    assert caseload.data(caseload.index(0, NEXT_DUE)) == "Overdue since Sun 8 Mar 2026"


def test_a_change_refreshes_only_the_people_it_names(caseload: CaseloadModel) -> None:
    caseload.update_people([row("a", "Zoë", "Abbott")], {"a", "d"})
    assert names(caseload) == ["Zoë Abbott", "Łukasz Nowak", "Siobhán O'Neill"]
    assert caseload.total == 3


def test_timeline_model(qtmodeltester: ModelTester) -> None:
    model = TimelineModel()
    model.set_entries(
        [
            TimelineEntry(TODAY, TimelineKind.VISIT, "Home visit", "Lunch club", "v1", True),
            TimelineEntry(TODAY, TimelineKind.REFERRAL, "Referral — active", "From GP", "r1"),
        ]
    )
    qtmodeltester.check(model)
    assert model.data(model.index(0, 1)) == "Home visit"
    model.clear()


def test_steps_model(qtmodeltester: ModelTester) -> None:
    model = StepsModel()
    model.set_steps([Step("s1", "p", "Ring my sister on Sundays", TODAY, 4)])
    qtmodeltester.check(model)
    assert model.data(model.index(0, 2)) == "4 out of 10"
    assert model.row_of("s1") == 0


def test_concerns_model(qtmodeltester: ModelTester) -> None:
    model = ConcernsModel("connection")
    model.set_concerns(
        [
            Concern("c1", "p", "connection", "Nobody calls", 7, "v1"),
            Concern("c2", "p", "money", "Heating bills", 8, "v1"),
            Concern("c3", "p", "connection", "Miss my husband", 9, "v0"),
        ],
        this_visit="v1",
    )
    qtmodeltester.check(model)
    assert model.rowCount() == 2
    assert model.data(model.index(0, 0)) == "“Nobody calls” — worries them 7 out of 10"
    assert "earlier visit" in model.data(model.index(1, 0))


STAGES = list(Stage)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["a", "b", "c", "d", "e", "f"]),
            st.sampled_from(["Brown", "Åberg", "Nowak", "Zed"]),
            st.sampled_from(STAGES),
            st.one_of(st.none(), st.integers(-20, 20)),
        ),
        max_size=12,
    ),
    st.sampled_from(range(5)),
    st.booleans(),
)
def test_changes_in_place_match_a_fresh_sort(
    edits: list[tuple[str, str, Stage, int | None]], column: int, descending: bool
) -> None:
    """Moving changed rows by binary search gives exactly what sorting everything would."""
    order = Qt.SortOrder.DescendingOrder if descending else Qt.SortOrder.AscendingOrder
    model = CaseloadModel(today=lambda: TODAY)
    model.sort(column, order)
    model.set_rows(ROWS)
    for pid, family, stage, days in edits:
        due = None if days is None else TODAY + timedelta(days=days)
        if days is not None and days % 7 == 0:
            model.update_people([], {pid})  # removed
        else:
            model.update_people([row(pid, "Ann", family, stage=stage, due=due)], {pid})
    fresh = CaseloadModel(today=lambda: TODAY)
    fresh.sort(column, order)
    fresh.set_rows(model.caseload_row(r) for r in range(model.rowCount()))
    assert [model.person_id(r) for r in range(model.rowCount())] == [
        fresh.person_id(r) for r in range(fresh.rowCount())
    ]
    for which in CaseloadFilter:
        assert model.count_in(which) == fresh.count_in(which)
