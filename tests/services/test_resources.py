"""Resources read the same frozen (a namespace package) as from source."""

from __future__ import annotations

from importlib.readers import MultiplexedPath  # type: ignore[import-not-found]
from importlib.resources import files
from pathlib import Path

import pytest

from sp_desktop import resource_files as resources
from sp_desktop.domain import measures


@pytest.fixture
def frozen_layout(monkeypatch: pytest.MonkeyPatch) -> None:
    """What PyInstaller's bundle gives: resources/ as a namespace package's MultiplexedPath,
    whose joinpath takes one part on Python 3.11."""
    source = resources._SOURCE_RESOURCES
    folder = source if source.is_dir() else Path(str(files("sp_desktop.resources")))
    monkeypatch.setattr(resources, "files", lambda _package: MultiplexedPath(str(folder)))
    # No source checkout beside the package, as in the bundle.
    monkeypatch.setattr(resources, "_SOURCE_RESOURCES", Path("/nonexistent/resources"))
    measures.catalogue.cache_clear()


def test_word_lists_and_json_load_from_a_namespace_package(frozen_layout: None) -> None:
    from sp_desktop.services.demo import _words
    from sp_desktop.services.demo_directory import _lines

    assert _words("family_names.txt")
    assert _lines("streets.txt")
    assert resources.load_json("conversation_guide.json")
    assert resources.resource("measures", "ons4.json").is_file()
    assert "ons4" in measures.catalogue()
    measures.catalogue.cache_clear()


def test_a_demo_store_can_be_made_from_a_namespace_package(
    frozen_layout: None, tmp_path: Path
) -> None:
    from sp_desktop.services.demo import create_demo_store
    from sp_desktop.store.keyfile import Argon2Params

    ws = create_demo_store(
        tmp_path / "demo", "demo store only - not for real people", 3, seed=2,
        params=Argon2Params(memory_kib=8192, iterations=1, lanes=1),
    )
    try:
        assert len(ws.caseload.search("")) == 3
    finally:
        ws.close()
