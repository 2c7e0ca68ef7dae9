"""The every-page check the app leaves until after unlock (so the caseload is not kept waiting
for it) still finds a damaged page, names it, offers the newest good backup, never backs up a
damaged store, and makes the next unlock check everything before opening."""

from __future__ import annotations

from pathlib import Path

import pytest

from sp_desktop.services.workspace import Workspace
from sp_desktop.store.database import OPEN_MARKER_NAME, database_path, list_backups
from sp_desktop.store.errors import DamagedStore
from tests.conftest import PASSPHRASE
from tests.store.test_damage import digest, fill, flip, root_page


def test_a_healthy_store_opens_unchecked_then_passes_and_is_backed_up(
    workspace: Workspace, store_dir: Path
) -> None:
    fill(workspace)
    workspace.close()
    ws = Workspace.open(store_dir, PASSPHRASE, check_pages_later=True)
    try:
        assert ws.store.pages_unchecked
        assert len(ws.caseload.rows()) == 3  # the adviser works while the check is pending
        backup = ws.check_and_back_up()
        assert not ws.store.pages_unchecked
        assert backup is not None and backup in [b.path for b in list_backups(store_dir)]
    finally:
        ws.close()
    assert not (store_dir / OPEN_MARKER_NAME).exists()


def test_a_damaged_page_is_found_after_unlock_with_the_newest_good_backup(
    workspace: Workspace, store_dir: Path
) -> None:
    fill(workspace)
    good = workspace.store.backup()
    page = root_page(workspace, "concerns")
    workspace.close()
    flip(database_path(store_dir), page)
    before = digest(store_dir)

    ws = Workspace.open(store_dir, PASSPHRASE, check_pages_later=True)  # opens: not checked yet
    with pytest.raises(DamagedStore) as caught:
        ws.check_and_back_up()
    assert any("concerns" in finding for finding in caught.value.findings)
    assert caught.value.backup is not None and caught.value.backup.path == good
    assert [b.path for b in list_backups(store_dir)] == [good]  # no backup of a damaged store
    ws.close()
    assert (store_dir / OPEN_MARKER_NAME).exists()  # the next unlock checks everything first
    assert digest(store_dir) == before  # left exactly as it was

    # The app's next unlock (still asking for the check later) refuses before opening.
    with pytest.raises(DamagedStore) as again:
        Workspace.open(store_dir, PASSPHRASE, check_pages_later=True)
    assert any("concerns" in finding for finding in again.value.findings)
    assert again.value.backup is not None and again.value.backup.path == good


def test_damage_met_while_opening_is_checked_there_and_then(
    workspace: Workspace, store_dir: Path
) -> None:
    """A damaged page the opening itself reads (the store's settings) is named with its backup
    at once, not reported as a bare read error."""
    fill(workspace)
    good = workspace.store.backup()
    page = root_page(workspace, "store_meta")
    workspace.close()
    flip(database_path(store_dir), page)
    with pytest.raises(DamagedStore) as caught:
        Workspace.open(store_dir, PASSPHRASE, check_pages_later=True)
    assert caught.value.findings
    assert caught.value.backup is not None and caught.value.backup.path == good
    assert (store_dir / OPEN_MARKER_NAME).exists()


def test_a_store_locked_before_its_check_ran_reports_no_damage(
    workspace: Workspace, store_dir: Path
) -> None:
    fill(workspace)
    workspace.close()
    ws = Workspace.open(store_dir, PASSPHRASE, check_pages_later=True)
    ws.close()
    ws.store.finish_page_check()  # the key is gone: no false report of damage (no raise)
    assert not (store_dir / OPEN_MARKER_NAME).exists()
