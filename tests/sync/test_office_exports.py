"""The office's records out: everyone referred in a period, from what laptops synced, as the
same FHIR bundle and CSV a laptop makes for its own people (real server, SQLite and PostgreSQL)."""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest
from fhir.resources.R4B.bundle import Bundle
from laptops import LaptopFactory, team_of
from sqlalchemy import Engine, select

from sp_desktop.domain.choices import Consent, ReferralSource
from sp_desktop.domain.wellbeing import AssessmentContext, Ons4Scores
from sp_desktop.server import cli as server_cli
from sp_desktop.server.db import make_engine, office_audit, read_transaction, teams
from sp_desktop.server.record_export import csv_for_period, fhir_for_period, referred_between
from sp_desktop.server.testing import RunningServer
from sp_desktop.services import records
from sp_desktop.services.workspace import Workspace

TODAY = date.today()
REFERRED = TODAY - timedelta(days=30)


@pytest.fixture
def office(server: RunningServer) -> Iterator[Engine]:
    engine = make_engine(server.database_url, pool_size=1)
    yield engine
    engine.dispose()


def _referred_person(ws: Workspace, nhs_number: str) -> str:
    person_id = ws.people.create(
        given_name="Halina",
        family_name="Nowak",
        date_of_birth=date(1944, 7, 1),
        nhs_number=nhs_number,
        postcode="LS6 2AB",
    ).id
    ws.people.record_referral(
        person_id,
        source=ReferralSource.GP,
        received_on=REFERRED,
        referrer_name="Dr Okafor",
        reason="Isolated since a fall",
        consent=Consent.GIVEN,
        consent_on=REFERRED,
    )
    visit_id = ws.visits.start(person_id, REFERRED + timedelta(days=3)).id
    ws.visits.add_concern(visit_id, "connection", "Nobody to talk to", 7)
    ws.visits.add_step(person_id, "Go to the Tuesday lunch club", progress=4)
    ws.visits.finish(visit_id)
    ws.wellbeing.record(
        person_id,
        Ons4Scores(3, None, 4, 8),
        on=REFERRED + timedelta(days=3),
        context=AssessmentContext.BASELINE,
    )
    return person_id


def test_the_office_exports_a_period_as_the_laptop_would(
    make_laptop: LaptopFactory, office: Engine
) -> None:
    laptop = make_laptop()
    nhs = "9434765919"
    person_id = _referred_person(laptop.ws, nhs)
    laptop.sync()

    with read_transaction(office) as conn:
        (found,) = [
            r for r in referred_between(conn, REFERRED, REFERRED) if r.person.id == person_id
        ]
        team_id = conn.execute(
            select(teams.c.id).where(teams.c.name == team_of(laptop))
        ).scalar_one()
        assert [
            r.person.id for r in referred_between(conn, REFERRED, REFERRED, team_ids=[team_id])
        ] == [person_id]
        assert referred_between(conn, REFERRED, REFERRED, team_ids=[-1]) == []
        assert not any(
            r.person.id == person_id
            for r in referred_between(conn, REFERRED + timedelta(days=1), TODAY)
        )
    mine = records.person_record(laptop.ws, person_id)
    assert found.person == mine.person
    assert found.referrals == mine.referrals
    assert found.steps == mine.steps
    assert found.concerns == mine.concerns
    assert found.measures == mine.measures

    bundle = Bundle.model_validate_json(fhir_for_period(office, REFERRED, REFERRED))
    patients = [
        e.resource for e in bundle.entry or [] if e.resource.get_resource_type() == "Patient"
    ]
    ours = [p for p in patients if p.id == person_id]
    assert ours and ours[0].identifier[0].system == "https://fhir.nhs.uk/Id/nhs-number"
    assert ours[0].identifier[0].value == nhs

    tables = zipfile.ZipFile(io.BytesIO(csv_for_period(office, REFERRED, REFERRED)))
    assert person_id in tables.read("people.csv").decode()
    assert "Nowak" not in b"".join(tables.read(n) for n in tables.namelist()).decode()
    assert json.loads(fhir_for_period(office, TODAY, TODAY))["resourceType"] == "Bundle"


def test_a_period_that_ends_before_it_starts_is_refused(office: Engine) -> None:
    with read_transaction(office) as conn, pytest.raises(ValueError, match="before its start"):
        referred_between(conn, TODAY, TODAY - timedelta(days=1))


def test_sp_server_export_writes_a_new_file_and_notes_who_took_it(
    make_laptop: LaptopFactory,
    office: Engine,
    server: RunningServer,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    laptop = make_laptop()
    person_id = _referred_person(laptop.ws, "9434765919")
    laptop.sync()
    out = tmp_path / "period.json"
    period = ["--from", REFERRED.isoformat(), "--to", REFERRED.isoformat()]
    common = ["export", "--database-url", server.database_url, *period, "--by", "Sam Okafor"]

    assert server_cli.main([*common, "--format", "fhir", "--out", str(out)]) == 0
    bundle = Bundle.model_validate_json(out.read_bytes())
    assert person_id in {e.resource.id for e in bundle.entry or []}
    with read_transaction(office) as conn:
        logged = conn.execute(
            select(office_audit.c.actor, office_audit.c.action).where(
                office_audit.c.action == "export fhir"
            )
        ).all()
    assert ("Sam Okafor", "export fhir") in [tuple(r) for r in logged]

    written = out.read_bytes()
    assert server_cli.main([*common, "--format", "csv", "--out", str(out)]) != 0
    assert out.read_bytes() == written  # never overwritten
    assert "already exists" in capsys.readouterr().err
    elsewhere = tmp_path / "none.zip"
    no_team = [*common, "--format", "csv", "--out", str(elsewhere), "--team", "Nowhere"]
    assert server_cli.main(no_team) != 0
    assert not elsewhere.exists()
