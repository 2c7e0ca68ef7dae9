"""A workspace with one person referred and consenting, and a small directory to prescribe from."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import pytest

from sp_desktop.domain.choices import Consent, ReferralSource
from sp_desktop.domain.directory import Category, Service
from sp_desktop.services.directory import DirectoryService, ImportMode
from sp_desktop.services.workspace import Workspace
from sp_desktop.store.keyfile import Argon2Params
from tests.conftest import give_consent

FAST = Argon2Params(memory_kib=8192, iterations=1, lanes=1)
TODAY = date.today()
WEEKS_AGO_10 = TODAY - timedelta(weeks=10)

LUNCH = Service(id="svc-lunch", name="Lunch club", category=Category.SOCIAL_ACTIVITY)
WALK = Service(id="svc-walk", name="Walking group", category=Category.PHYSICAL_ACTIVITY)
GARDEN = Service(id="svc-garden", name="Garden volunteers", category=Category.VOLUNTEERING)
PAUSED = Service(id="svc-paused", name="Tai chi", category=Category.PHYSICAL_ACTIVITY, active=False)


@dataclass
class Caseload:
    ws: Workspace
    person_id: str
    directory: DirectoryService

    def add_person(self, given: str = "Ada", family: str = "Lovelace") -> str:
        """Another person, who agreed to notes being kept (consent first)."""
        person_id = self.ws.people.create(
            given_name=given, family_name=family, date_of_birth=date(1940, 3, 1)
        ).id
        give_consent(self.ws, person_id)
        return person_id


@pytest.fixture
def ws(tmp_path: Path) -> Iterator[Workspace]:
    workspace, _ = Workspace.create(
        tmp_path / "store", "kettle violet harbour spoon", adviser="A", params=FAST
    )
    yield workspace
    workspace.close()


@pytest.fixture
def caseload(ws: Workspace) -> Caseload:
    directory = DirectoryService(ws)
    directory.import_services([LUNCH, WALK, GARDEN, PAUSED], ImportMode.MERGE)
    person_id = ws.people.create(
        given_name="Margaret", family_name="Okafor", date_of_birth=date(1941, 5, 2)
    ).id
    ws.people.record_referral(
        person_id,
        source=ReferralSource.GP,
        received_on=WEEKS_AGO_10 - timedelta(days=7),
        consent=Consent.GIVEN,
        consent_on=WEEKS_AGO_10 - timedelta(days=7),
    )
    ws.visits.start(person_id, WEEKS_AGO_10 - timedelta(days=3))
    return Caseload(ws, person_id, directory)
