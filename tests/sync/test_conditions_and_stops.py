"""Long-term conditions and why someone stopped travel like any other field (schema 0009):
recorded on one laptop, checked and stored by the office, pulled by a teammate's laptop."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta

import httpx
import pytest
from laptops import LaptopFactory, assert_same_data, team_of

from sp_desktop.domain.choices import AttendanceStatus
from sp_desktop.server.testing import (
    RunningServer,
    postgres_schema,
    postgres_unavailable,
    start_server,
    team_rows,
)
from tests.conftest import give_consent


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def server(request: pytest.FixtureRequest,
           tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    """An office of this module's own, so the directory entry this test publishes never
    reaches other modules' tests, which count what a first sync of the shared office brings."""
    work = tmp_path_factory.mktemp(f"ltc-server-{request.param}")
    if request.param == "sqlite":
        running = start_server(f"sqlite+pysqlite:///{work / 'server.db'}", work)
        yield running
        running.stop()
        return
    reason = postgres_unavailable()
    if reason:
        pytest.skip(reason)
    with postgres_schema() as url:
        running = start_server(url, work)
        yield running
        running.stop()


def test_a_persons_conditions_and_a_stop_reason_reach_the_office_and_a_teammate(
    server: RunningServer, make_laptop: LaptopFactory
) -> None:
    manager = make_laptop(role="manager")
    ann = make_laptop(team_of(manager))
    ben = make_laptop(team_of(manager))
    token = manager.store.meta("sync.device_token")
    published = httpx.post(server.url + "/directory", timeout=30,
                           headers={"Authorization": f"Bearer {token}"},
                           json={"protocol": 1, "entries": [{
                               "id": "svc-walk-ltc", "name": "Walking for health",
                               "category": "physical_activity", "free": True}]})
    assert published.status_code == 200
    ann.sync()

    person = ann.ws.people.create(given_name="Edith", family_name="Jones",
                                  date_of_birth=date(1938, 5, 1)).id
    give_consent(ann.ws, person)
    ann.ws.people.update(person, conditions=("diabetes", "copd", "hearing_loss"))
    started = date.today() - timedelta(weeks=3)
    ann.ws.prescribing.prescribe(person, "svc-walk-ltc", started)
    prescription = ann.ws.prescribing.of_person(person)[0].id
    ann.ws.prescribing.record_attendance(prescription, started, AttendanceStatus.ATTENDED)
    ann.ws.prescribing.record_attendance(
        prescription, date.today(), AttendanceStatus.STOPPED, "Knees too sore for the hills",
        stopped_because="health")
    assert ann.sync().rejected == 0
    ben.sync()

    office = team_rows(server.database_url, team_of(ann))
    assert office[("people", person)]["fields"]["conditions"] == (  # type: ignore[index]
        '["copd","diabetes","hearing_loss"]')
    stops = [row["fields"] for (table, _), row in office.items() if table == "attendance"
             and row["fields"]["status"] == "stopped"]  # type: ignore[index]
    assert [s["stopped_because"] for s in stops] == ["health"]  # type: ignore[index]

    assert ben.ws.people.get(person).conditions == ("copd", "diabetes", "hearing_loss")
    [went, stopped] = ben.ws.prescribing.attendance_of(prescription)
    assert (went.stopped_because, stopped.stopped_because) == (None, "health")
    assert stopped.reason == "Knees too sore for the hills"
    assert_same_data(server, ann, ben)

    # Ben takes one away; Ann's laptop follows.
    ben.ws.people.update(person, conditions=("copd", "diabetes"))
    ben.sync()
    ann.sync()
    assert ann.ws.people.get(person).conditions == ("copd", "diabetes")
    assert_same_data(server, ann, ben)
