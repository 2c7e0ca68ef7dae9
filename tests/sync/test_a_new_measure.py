"""A new measure needs only its definition file: asked, stored, synced, checked by the office,
shown and printed without a line of code.

The throwaway measure lives in a folder of its own (SP_DESKTOP_MEASURES, read by the laptop
and by the office started after it is set), next to copies of the shipped definitions.
"""

from __future__ import annotations

import io
import json
import secrets
import shutil
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pypdf
import pytest
from laptops import FAST_KEYS, Laptop

from sp_desktop.domain import measures
from sp_desktop.domain.choices import AssessmentContext
from sp_desktop.domain.errors import ValidationError
from sp_desktop.server.testing import RunningServer, start_server, team_rows
from sp_desktop.services.documents.plan import plan_pdf
from sp_desktop.services.documents.shared import ContactDetails
from sp_desktop.services.settings import MEASURES_AT_BASELINE, Settings
from sp_desktop.services.timeline import person_overview
from sp_desktop.services.visit_summary import visit_summary
from sp_desktop.services.workspace import Workspace
from sp_desktop.sync.client import register_device

SHIPPED = Path(__file__).resolve().parents[2] / "resources" / "measures"

GARDEN = {
    "key": "garden3",
    "title": "Three garden questions",
    "short_title": "Garden-3",
    "source": "Made up for a test; not a real instrument.",
    "licence": {"registration_required": False, "note": "Test only."},
    "preamble": "Thinking about the last month:",
    "missing": "No total when an answer is declined.",
    "answer_sets": {
        "how_often": {
            "kind": "choice",
            "options": [
                {"value": 1, "label": "Never"},
                {"value": 2, "label": "Sometimes"},
                {"value": 3, "label": "Most days"},
                {"value": 4, "label": "Every day"},
            ],
        }
    },
    "items": [
        {
            "key": "outdoors",
            "question": "How often did you get outside?",
            "label": "Outside",
            "plain_label": "Getting outside",
            "answers": "how_often",
        },
        {
            "key": "growing",
            "question": "How often did you tend something growing?",
            "label": "Growing",
            "plain_label": "Tending plants",
            "answers": "how_often",
        },
        {
            "key": "sharing",
            "question": "How often did you share the garden?",
            "label": "Sharing",
            "plain_label": "Sharing the garden",
            "answers": "how_often",
        },
    ],
    "results": [
        {
            "key": "gardening",
            "label": "Gardening total",
            "plain_label": "Your time in gardens",
            "from": "sum",
            "items": ["outdoors", "growing", "sharing"],
            "better": "higher",
            "bands": [{"from": 3, "word": "a little"}, {"from": 7, "word": "a lot"}],
            "sentence": "Your time in gardens was {then}; now {now}.",
            "sentence_now": "Your time in gardens is {now}.",
        },
    ],
}


@pytest.fixture
def garden_measures(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    folder = tmp_path / "measures"
    shutil.copytree(SHIPPED, folder)
    (folder / "garden3.json").write_text(json.dumps(GARDEN), encoding="utf-8")
    monkeypatch.setenv(measures.MEASURES_FOLDER_ENV, str(folder))
    measures.catalogue.cache_clear()
    yield folder
    monkeypatch.delenv(measures.MEASURES_FOLDER_ENV)
    measures.catalogue.cache_clear()


@pytest.fixture
def garden_server(garden_measures: Path, tmp_path: Path) -> Iterator[RunningServer]:
    work = tmp_path / "server"
    running = start_server(f"sqlite+pysqlite:///{work / 'server.db'}", work)
    yield running
    running.stop()


def _laptop(server: RunningServer, tmp_path: Path, team: str) -> Laptop:
    name = f"adviser_{secrets.token_hex(4)}"
    password = secrets.token_urlsafe(12)
    server.add_adviser(name, team, password)
    folder = tmp_path / name
    ws, _recovery = Workspace.create(folder, "a long passphrase", adviser=name, params=FAST_KEYS)
    register_device(ws.store, server.url, name, password)
    return Laptop(name, folder, ws, server.url)


def test_a_new_measure_is_asked_stored_synced_shown_and_printed(
    garden_server: RunningServer, tmp_path: Path
) -> None:
    team = f"team_{secrets.token_hex(4)}"
    garden_server.add_team(team)
    ann, ben = _laptop(garden_server, tmp_path, team), _laptop(garden_server, tmp_path, team)
    try:
        ws = ann.ws
        Settings.in_folder(ws.store.folder).set(MEASURES_AT_BASELINE, "ons4, garden3")
        person = ws.people.create(
            given_name="Ada", family_name="Lovelace", date_of_birth=date(1941, 2, 3)
        ).id
        first_visit = ws.visits.start(person, date(2026, 1, 5)).id
        # Asked: the visit offers it (the form is built from the definition alone).
        assert [m.key for m in visit_summary(ws, first_visit).offered] == ["ons4", "garden3"]
        # Stored and checked: answers that do not fit are refused in words.
        with pytest.raises(ValidationError, match="Sharing is a whole number from 1 to 4"):
            ws.visits.sign(
                first_visit, answers={"garden3": {"outdoors": 1, "growing": 1, "sharing": 9}}
            )
        ws.visits.sign(
            first_visit, answers={"garden3": {"outdoors": 1, "growing": 2, "sharing": 1}}
        )
        later = ws.visits.start(person, date(2026, 3, 2)).id
        ws.visits.sign(later, answers={"garden3": {"outdoors": 4, "growing": 3, "sharing": 2}})
        contexts = [s.context for s in ws.wellbeing.sittings(person, "garden3")]
        assert contexts == [AssessmentContext.BASELINE, AssessmentContext.REVIEW]

        # Synced: the office checks it with the same definition and holds it; a teammate's
        # laptop receives it.
        ann.sync()
        held = team_rows(garden_server.database_url, team)
        answers = [row for (table, _id), row in held.items() if table == "answers"]
        assert len(answers) == 2
        assert {row["fields"]["measure"] for row in answers} == {"garden3"}  # type: ignore[index]
        ben.sync()
        assert [s.answers for s in ben.ws.wellbeing.sittings(person, "garden3")] == [
            {"outdoors": 1, "growing": 2, "sharing": 1},
            {"outdoors": 4, "growing": 3, "sharing": 2},
        ]

        # Shown: the person's then and now, and the timeline, in words.
        overview = person_overview(ben.ws, person, audited=False)
        [garden] = [m for m in overview.then_and_now if m.measure.key == "garden3"]
        sentence = "Your time in gardens was a little (4 out of 12); now a lot (9 out of 12)."
        assert [line.sentence for line in garden.lines] == [sentence]
        assert any(
            e.title == "Garden-3 (review)" and e.detail == "gardening total 9 (a lot)"
            for e in overview.timeline
        )

        # Printed: the journey printout says it in words.
        built = plan_pdf(
            ben.ws, person, today=date(2026, 3, 3), contact=ContactDetails(phone="0115 496 0000")
        )
        text = "\n".join(
            page.extract_text() for page in pypdf.PdfReader(io.BytesIO(built.pdf)).pages
        )
        flat = " ".join(text.replace("\u00a0", " ").split())
        assert "Three garden questions" in flat
        assert sentence in flat
    finally:
        for laptop in (ann, ben):
            if laptop.ws.store.is_open:
                laptop.ws.close()
