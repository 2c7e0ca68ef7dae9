"""`sp-desktop export`: one person's record to a file from a script, audited, refusing in words."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest
from fhir.resources.R4B.bundle import Bundle

from sp_desktop import cli
from sp_desktop.services.workspace import Workspace
from sp_desktop.store.keyfile import Argon2Params

PASSPHRASE = "correct horse battery staple"
FAST = Argon2Params(memory_kib=8192, iterations=1, lanes=1)
NHS = "943 476 5919"


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A store holding one person with a known NHS number; the passphrase in the environment."""
    store = tmp_path / "store"
    ws, _key = Workspace.create(store, PASSPHRASE, adviser="Sam Adviser", params=FAST)
    ws.people.create(
        given_name="Ann", family_name="Example", date_of_birth="1950-02-03", nhs_number=NHS
    )
    ws.close()
    monkeypatch.setenv(cli.PASSPHRASE_ENV, PASSPHRASE)
    return store


def test_fhir_export_by_nhs_number(folder: Path, tmp_path: Path) -> None:
    out = tmp_path / "ann.json"
    assert cli.main(["export", "--data-dir", str(folder), "--person", NHS, "--out", str(out)]) == 0
    bundle = Bundle.model_validate_json(out.read_bytes())
    (patient,) = [e.resource for e in bundle.entry or []]
    assert patient.identifier[0].value == NHS.replace(" ", "")
    ws = Workspace.open(folder, PASSPHRASE)
    try:
        person = ws.people.find(NHS)
        assert ws.people.find(person.id).id == person.id
    finally:
        ws.close()


def test_csv_export_writes_a_zip(folder: Path, tmp_path: Path) -> None:
    out = tmp_path / "ann.zip"
    argv = ["export", "--data-dir", str(folder), "--person", NHS.replace(" ", "")]
    assert cli.main([*argv, "--format", "csv", "--out", str(out)]) == 0
    assert "people.csv" in zipfile.ZipFile(io.BytesIO(out.read_bytes())).namelist()


def test_nobody_found_and_an_existing_file_are_refused_in_words(
    folder: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "x.json"
    argv = ["export", "--data-dir", str(folder), "--out", str(out)]
    assert cli.main([*argv, "--person", "999 000 0018"]) == 2
    assert "Nobody on this caseload" in capsys.readouterr().err
    assert not out.exists()
    out.write_text("keep me")
    assert cli.main([*argv, "--person", NHS]) == 2
    assert "already exists" in capsys.readouterr().err
    assert out.read_text() == "keep me"
