"""Review follow-ups tested through the real app: offscreen Qt, Qt warnings fail tests."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from collections.abc import Iterator  # noqa: E402 - the platform must be set first
from datetime import date  # noqa: E402
from pathlib import Path  # noqa: E402

import pytest  # noqa: E402
from pytestqt.qtbot import QtBot  # noqa: E402

from sp_desktop.domain.choices import Consent, ReferralSource  # noqa: E402
from sp_desktop.services.demo import populate  # noqa: E402
from sp_desktop.services.workspace import Workspace  # noqa: E402
from sp_desktop.store.keyfile import Argon2Params  # noqa: E402

from sp_desktop.ui.main_window import MainWindow  # noqa: E402

FAST_KDF = Argon2Params(memory_kib=8192, iterations=1, lanes=1)
PASSPHRASE = "kettle violet harbour spoon"
WAIT_MS = 15_000
OFFSCREEN_NOISE = "This plugin does not support"  # said of every offscreen window; not ours


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.qt_log_level_fail("WARNING"))
            item.add_marker(pytest.mark.qt_log_ignore(OFFSCREEN_NOISE))


class People(dict[str, str]):
    """Given name -> person id, for the people the store was made with."""


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "data"


@pytest.fixture
def people(data_dir: Path) -> People:
    """A store with a small demo caseload (no work contact in settings) and two named people
    with consent given, made through the services."""
    ws, _key = Workspace.create(data_dir, PASSPHRASE, adviser="Jo Adams", params=FAST_KDF)
    made = People()
    try:
        populate(ws, 12, seed=3)
        for given, family in (("Halina", "Nowak"), ("Zoë", "Brown")):
            person_id = ws.people.create(
                given_name=given, family_name=family, date_of_birth=date(1939, 5, 2)
            ).id
            ws.people.record_referral(
                person_id,
                received_on=date.today(),
                source=ReferralSource.GP,
                reason="Lonely since moving",
                consent=Consent.GIVEN,
                consent_on=date.today(),
            )
            made[given] = person_id
    finally:
        ws.close()
    return made


@pytest.fixture
def window(qtbot: QtBot, data_dir: Path, people: People) -> Iterator[MainWindow]:
    from sp_desktop.app import build

    win = build(data_dir, argon2_params=FAST_KDF, route_errors=False)
    errors: list[BaseException] = []
    win.session.tasks.on_error = errors.append
    qtbot.addWidget(win)
    yield win
    if win.session.is_unlocked:
        win.session.lock()
    win.session.tasks.wait(WAIT_MS)
    assert not errors, f"unexpected errors: {[type(e).__name__ for e in errors]}"
