"""Offscreen Qt, Qt warnings fail tests, and a store whose every text field holds markup."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from collections.abc import Iterator  # noqa: E402 - the platform must be set first
from dataclasses import dataclass  # noqa: E402
from datetime import date, timedelta  # noqa: E402
from pathlib import Path  # noqa: E402

import orjson  # noqa: E402
import pytest  # noqa: E402
from pytestqt.qtbot import QtBot  # noqa: E402

from sp_desktop.domain.choices import Consent, ProviderReferral, ReferralSource  # noqa: E402
from sp_desktop.domain.directory import Category, Service  # noqa: E402
from sp_desktop.domain.ids import new_id  # noqa: E402
from sp_desktop.domain.people import AccessNeeds  # noqa: E402
from sp_desktop.domain.wellbeing import Ons4Scores  # noqa: E402
from sp_desktop.services.directory import ImportMode, directory_of  # noqa: E402
from sp_desktop.services.resources import conversation_guide  # noqa: E402
from sp_desktop.services.visit_summary import VISIT_DRAFT_PREFIX  # noqa: E402
from sp_desktop.services.workspace import Workspace  # noqa: E402
from sp_desktop.store.keyfile import Argon2Params  # noqa: E402
from sp_desktop.store.schema import conflicts  # noqa: E402
from sp_desktop.sync import local  # noqa: E402

from sp_desktop.ui.main_window import MainWindow  # noqa: E402

FAST_KDF = Argon2Params(memory_kib=8192, iterations=1, lanes=1)
PASSPHRASE = "kettle violet harbour spoon"
WAIT_MS = 15_000
OFFSCREEN_NOISE = "This plugin does not support"  # said of every offscreen window; not ours

# What a hostile directory file or a careless paste could put in any text field. Drawn as rich
# text it becomes bold "B", an image fetched from x.png (a UNC path on Windows) and "&".
MARK = '<b>B</b><img src="x.png">&amp;'


def marked(word: str) -> str:
    return f"{word} {MARK}"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.qt_log_level_fail("WARNING"))
            item.add_marker(pytest.mark.qt_log_ignore(OFFSCREEN_NOISE))


@dataclass(frozen=True)
class Marked:
    """Ids of what the store was filled with."""

    person_id: str
    carer_id: str
    signed_visit_id: str
    draft_visit_id: str
    step_id: str


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "data"


@pytest.fixture
def marked_store(data_dir: Path) -> Marked:
    """Every text field a person, visit, directory entry or sync record has, filled with
    markup through the services (the conflict and refusal as the sync client records them)."""
    ws, _key = Workspace.create(
        data_dir, PASSPHRASE, adviser=marked("Jo"), team=marked("North"), params=FAST_KDF
    )
    try:
        return _fill(ws)
    finally:
        ws.close()


def _fill(ws: Workspace) -> Marked:
    started = date.today() - timedelta(days=21)
    directory_of(ws).import_services(
        [
            Service(
                id="lunch", name=marked("Lunch Club"), category=Category.SOCIAL_ACTIVITY,
                organisation=marked("Fernside Trust"), description=marked("Hot lunch"),
                address=marked("Church Hall"), area=marked("Fernside"),
                contact_name=marked("Pat"), schedule=marked("Tuesdays"), cost=marked("£4"),
                accessibility=marked("Ramp"), how_to_refer=marked("Ring Pat"),
            ),
            Service(id="walk", name=marked("Walking group"),
                    category=Category.PHYSICAL_ACTIVITY, area=marked("Greystone"), free=True),
        ],
        ImportMode.REPLACE,
    )  # fmt: skip
    person_id = ws.people.create(
        given_name=marked("Ann"), family_name=marked("Lee"), preferred_name=marked("Annie"),
        date_of_birth=date(1941, 5, 2), gp_practice=marked("Fernside Surgery"),
        address=marked("1 High Street"),
        access=AccessNeeds(interpreter_language=marked("Polish"), hearing=marked("Loop"),
                           sight=marked("Large print")),
    ).id  # fmt: skip
    carer_id = ws.people.create(
        given_name=marked("Bob"), family_name=marked("Lee"), date_of_birth=date(1940, 1, 9)
    ).id
    ws.people.set_carer_of(carer_id, person_id)
    for who in (person_id, carer_id):
        ws.people.record_referral(
            who, received_on=started - timedelta(days=10), source=ReferralSource.GP,
            referrer_name=marked("Dr Shah"), referrer_organisation=marked("Fernside Surgery"),
            reason=marked("Lonely"), consent=Consent.GIVEN, consent_on=started - timedelta(days=9),
        )  # fmt: skip
    domains = [d.key for d in conversation_guide().domains]
    signed = ws.visits.start(person_id, started).id
    ws.visits.save_notes(
        signed, notes={d: marked(f"Notes on {d}") for d in domains},
        what_matters=marked("My garden"),
    )  # fmt: skip
    ws.visits.add_concern(signed, domains[0], marked("No one to talk to"), 7)
    step_id = ws.visits.add_step(person_id, marked("Go to lunch club"), visit_id=signed).id
    ws.wellbeing.record(
        person_id, Ons4Scores(life_satisfaction=4, worthwhile=5, happiness=3, anxiety=7),
        on=started,
    )  # fmt: skip
    ws.visits.finish(signed)
    draft = ws.visits.start(person_id, date.today()).id
    ws.visits.save_notes(draft, what_matters=marked("Seeing my sister"))
    ws.drafts.save(VISIT_DRAFT_PREFIX + draft, {"notes": {}, "what_matters": marked("Typed")})
    ws.prescribing.prescribe(person_id, "lunch", started)
    walk = ws.prescribing.prescribe(person_id, "walk", started).id
    ws.prescribing.set_provider_referral(walk, ProviderReferral.DECLINED, reason=marked("Full"))
    ws.prescribing.add_follow_up(person_id, date.today() + timedelta(days=3),
                                 notes=marked("Ring about lunch"))
    with ws.store.write() as conn:  # what the sync client stores when the office answers
        conn.execute(conflicts.insert().values(
            id=new_id(), table_name="people", row_id=person_id, person_id=person_id,
            field="address", kept_value=orjson.dumps(marked("Kept address")).decode(),
            other_value=orjson.dumps(marked("Other address")).decode(),
            created_at=local.now_text(),
        ))  # fmt: skip
        refused = [{"op": new_id(), "table": "people", "row": person_id, "person": person_id,
                    "kind": "upsert", "fields": {"address": marked("Refused")},
                    "reason": marked("Not allowed"), "refused_at": local.now_text()}]
        local.set_meta(conn, local.META_REJECTED, orjson.dumps(refused).decode())
    return Marked(person_id, carer_id, signed, draft, step_id)


@pytest.fixture
def window(qtbot: QtBot, data_dir: Path, marked_store: Marked) -> Iterator[MainWindow]:
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
