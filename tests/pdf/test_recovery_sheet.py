"""The recovery key sheet: one page, the key whole and large, embedded fonts, nothing on disk."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest

from sp_desktop.pdf.recovery_sheet import RecoverySheet, build_recovery_sheet, key_lines

KEY = "ABCD-EFGH-IJKL-MNOP-QRST-UVWX-YZ23-4567"
SHEET = RecoverySheet(KEY, "Łucja Dvořák", "0199aa00-1111-7000-8000-123456789abc", date(2026, 3, 2))


def test_one_page_with_the_key_whole_and_who_it_belongs_to(read_pdf: Any) -> None:
    pdf = read_pdf(build_recovery_sheet(SHEET))
    assert len(pdf.pages) == 1
    text = pdf.flat.replace("- ", "-")
    assert KEY in text
    assert "Łucja Dvořák" in text and SHEET.store_id in text and "2 March 2026" in text
    assert "never in the laptop bag" in text
    assert pdf.font_problems() == []
    assert max(pdf.font_sizes()) >= 20, "the key is large enough to read aloud"


def test_the_key_breaks_only_between_groups() -> None:
    first, second = key_lines(KEY).split("\n")
    assert first == "ABCD-EFGH-IJKL-MNOP-" and second == "QRST-UVWX-YZ23-4567"


def test_building_the_sheet_writes_no_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    pdf = build_recovery_sheet(SHEET)
    assert pdf.startswith(b"%PDF-")
    assert list(tmp_path.iterdir()) == []
