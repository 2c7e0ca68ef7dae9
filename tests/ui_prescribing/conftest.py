"""Offscreen Qt, Qt warnings fail tests, and a session on a workspace with one person to help."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from collections.abc import Iterator  # noqa: E402 - the platform must be set first
from dataclasses import dataclass  # noqa: E402
from datetime import date, timedelta  # noqa: E402
from pathlib import Path  # noqa: E402

import pytest  # noqa: E402
from pytestqt.qtbot import QtBot  # noqa: E402

from sp_desktop.domain.choices import Consent, ReferralSource  # noqa: E402
from sp_desktop.domain.directory import Category, Service  # noqa: E402
from sp_desktop.domain.wellbeing import Ons4Scores  # noqa: E402
from sp_desktop.services.directory import ImportMode, directory_of  # noqa: E402
from sp_desktop.services.workspace import Workspace  # noqa: E402
from sp_desktop.store.keyfile import Argon2Params  # noqa: E402

from sp_desktop.ui.session import Session  # noqa: E402
from sp_desktop.ui.tasks import Tasks  # noqa: E402

FAST = Argon2Params(memory_kib=8192, iterations=1, lanes=1)
OFFSCREEN_NOISE = "This plugin does not support"
WAIT_MS = 10_000
STARTED = date.today() - timedelta(weeks=3)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.qt_log_level_fail("WARNING"))
            item.add_marker(pytest.mark.qt_log_ignore(OFFSCREEN_NOISE))


@dataclass
class Journey:
    session: Session
    ws: Workspace
    person_id: str
    step_id: str
    concern_id: str
    errors: list[BaseException]


@pytest.fixture
def journey(qtbot: QtBot, tmp_path: Path) -> Iterator[Journey]:
    ws, _ = Workspace.create(
        tmp_path / "store", "kettle violet harbour spoon", adviser="Jo Adams", params=FAST
    )
    directory_of(ws).import_services(
        [
            Service(id="lunch", name="Lunch Club, Fernside", category=Category.SOCIAL_ACTIVITY,
                    area="Fernside", schedule="Tuesdays 12:00–14:00", cost="£4.50"),
            Service(id="garden", name="Garden Volunteers, Fernside",
                    category=Category.VOLUNTEERING, area="Fernside", free=True,
                    wellbeing_tags=("give", "be_active")),
            Service(id="walk", name="Walking for Health, Greystone",
                    category=Category.PHYSICAL_ACTIVITY, area="Greystone", free=True),
        ],
        ImportMode.REPLACE,
    )  # fmt: skip
    person_id = ws.people.create(
        given_name="Margaret", family_name="Okafor", date_of_birth=date(1941, 5, 2)
    ).id
    ws.people.record_referral(
        person_id, source=ReferralSource.GP, received_on=STARTED - timedelta(days=10),
        consent=Consent.GIVEN, consent_on=STARTED - timedelta(days=10),
    )  # fmt: skip
    visit = ws.visits.start(person_id, STARTED - timedelta(days=7)).id
    concern_id = ws.visits.add_concern(visit, "connection", "I don't see anyone", 8).id
    step_id = ws.visits.add_step(person_id, "Get out of the house twice a week").id
    ws.wellbeing.record(
        person_id,
        Ons4Scores(life_satisfaction=4, worthwhile=5, happiness=3, anxiety=7),
        on=STARTED - timedelta(days=7),
    )
    errors: list[BaseException] = []
    tasks = Tasks(on_error=errors.append)
    session = Session(tmp_path / "store", tasks)
    session.begin(ws)
    yield Journey(session, ws, person_id, step_id, concern_id, errors)
    tasks.wait(15_000)
    ws.close()
    assert not errors, f"unexpected errors: {errors!r}"


def settle(qtbot: QtBot, session: Session) -> None:
    qtbot.waitUntil(lambda: not session.tasks.busy, timeout=WAIT_MS)
