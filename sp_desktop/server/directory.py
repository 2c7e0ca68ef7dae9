"""The office publishes its council's directory, read and checked exactly as a laptop reads it.

`sp-server directory import FILE` and `sp-server directory fetch URL` both go through
`interchange.directory_files` (one importer): the same mapping, the same findings, the same row
rules, so the office never publishes a row a laptop cannot show. When some services are left
out, nothing is published unless the office asks for the good ones (`--good-rows`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine

from sp_desktop.domain.errors import ValidationError
from sp_desktop.interchange.directory_files import DirectoryReading
from sp_desktop.interchange.directory_files.findings import report_lines
from sp_desktop.interchange.directory_files.rows import wire_row
from sp_desktop.interchange.directory_files.terms import TermMapping, mapping_template

SHOWN_PER_GROUP = 20


@dataclass(frozen=True, slots=True)
class PublishChoice:
    """What the office asked for: publish the good services even when some are left out,
    or only report (a dry run); where to write the terms still to map."""

    good_rows: bool = False
    dry_run: bool = False
    unmapped_terms: Path | None = None


def load_mapping(path: Path | None) -> TermMapping:
    """The office's term mapping file, or the built-in names alone; ValueError in words."""
    if path is None:
        return TermMapping.built_in()
    try:
        return TermMapping.from_json(path.read_bytes())
    except OSError as exc:
        raise ValueError(f"The mapping file {path} could not be read "
                         f"({exc.strerror or 'no access'}).") from None
    except ValidationError as exc:
        raise ValueError(exc.message) from None


def publish_reading(
    engine: Engine, reading: DirectoryReading, choice: PublishChoice, say: Callable[[str], None]
) -> bool:
    """Reports what the reading holds and publishes its good services as chosen; True when
    something was published or nothing needed to be (a clean dry run)."""
    from sp_desktop.server.sync import publish_directory

    say(reading.summary())
    for line in report_lines(reading.groups, SHOWN_PER_GROUP):
        say(line)
    if choice.unmapped_terms is not None:
        choice.unmapped_terms.write_text(mapping_template(reading.unmapped_terms),
                                         encoding="utf-8")
        say(f"Council terms still to map ({len(reading.unmapped_terms):,}) written to "
            f"{choice.unmapped_terms}: fill in their categories and import with --mapping.")
    if not reading.services:
        say("Nothing was published: no service in it can be imported.")
        return False
    if choice.dry_run:
        say(f"Dry run: nothing was published ({len(reading.services):,} services could be).")
        return True
    if reading.refused and not choice.good_rows:
        say(f"Nothing was published: {reading.refused:,} services are left out (listed above). "
            f"Run again with --good-rows to publish the {len(reading.services):,} good ones, "
            "or correct the file first.")
        return False
    result = publish_directory(engine, [wire_row(s) for s in reading.services])
    say(f"Directory published: {result.applied} entries, {result.rejected} refused.")
    return result.rejected == 0
