"""Reading and writing the directory as councils publish it (Open Referral UK / HSDS).

`read_path` / `read_bytes` take any source `sources` knows (JSON lists, pages, single
services, tabular datapackages, our flat CSV) through one mapper (`hsds`) and the checks every
directory row must pass, and return a `DirectoryReading`: the services that can be imported,
every finding grouped by kind, the pages held and the council terms still unmapped. The
laptop's import and the office's `sp-server directory import` / `fetch` both use it, so the
office never publishes a row a laptop cannot show.
"""

from __future__ import annotations

import io
import zipfile
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from sp_desktop.domain.directory import Service
from sp_desktop.interchange import oruk
from sp_desktop.interchange.directory_files.findings import (
    Finding,
    FindingGroup,
    Kind,
    grouped,
)
from sp_desktop.interchange.directory_files.hsds import map_record
from sp_desktop.interchange.directory_files.sources import (
    Pages,
    Source,
    csv_source,
    datapackage_names,
    datapackage_source,
    is_tabular,
    json_source,
)
from sp_desktop.interchange.directory_files.terms import TermMapping

SUFFIXES = (".json", ".csv", ".zip")


@dataclass(frozen=True)
class DirectoryReading:
    """What a file holds, checked: `services` can be imported; `findings` say what was left
    out (refused) or imported with something to look at (flagged)."""

    services: tuple[Service, ...]
    findings: tuple[Finding, ...]
    records: int  # services in the file, good or not
    pages: Pages | None = None
    unmapped_terms: Mapping[str, int] = field(default_factory=dict)
    source_ids: Mapping[str, str] = field(default_factory=dict)  # our id -> the council's

    @property
    def refused(self) -> int:
        """Records left out (each counted once however many problems it has)."""
        return len({(f.where, f.service) for f in self.findings
                    if f.refused and f.kind is not Kind.UNREADABLE})

    @property
    def flagged(self) -> int:
        """Services imported with something for the office to look at."""
        refused = {(f.where, f.service) for f in self.findings if f.refused}
        return len({(f.where, f.service) for f in self.findings
                    if not f.refused and f.kind is not Kind.PAGES} - refused)

    @property
    def to_categorise(self) -> int:
        return sum(1 for s in self.services if s.category is None)

    @property
    def unreadable(self) -> bool:
        """The file itself could not be read (nothing in it can be imported)."""
        return any(f.kind is Kind.UNREADABLE for f in self.findings) and not self.services

    @property
    def complete(self) -> bool:
        """Holds the whole list (not some pages of it), so it may replace the directory."""
        return self.pages is None or self.pages.complete

    @property
    def groups(self) -> tuple[FindingGroup, ...]:
        return grouped(self.findings)

    def summary(self) -> str:
        parts = [f"{self.records:,} services in the file: {len(self.services):,} can be imported"]
        if self.flagged:
            parts.append(f"{self.flagged:,} of them flagged")
        if self.to_categorise:
            parts.append(f"{self.to_categorise:,} to be categorised")
        text = ", ".join(parts)
        if self.refused:
            text += f"; {self.refused:,} left out"
        return text + "."


def read_records(source: Source, mapping: TermMapping | None = None) -> DirectoryReading:
    """Maps and checks every record of a source; ids used twice keep their first service."""
    mapping = mapping or TermMapping.built_in()
    findings = list(source.findings)
    services: list[Service] = []
    first: dict[str, str] = {}
    unmapped: Counter[str] = Counter()
    source_ids: dict[str, str] = {}
    for record in source.records:
        mapped = map_record(record, mapping)
        service = mapped.service
        if service is None:
            findings.extend(mapped.findings)
            continue
        if service.id in first:
            findings.append(Finding(Kind.DUPLICATE_ID, record.where, service.name,
                                    f"id {mapped.source_id[:40]!r} is also {first[service.id]}",
                                    True))
            continue
        first[service.id] = f"{record.where} ({service.name})"
        problem = row_problem(service)
        if problem:
            findings.append(Finding(Kind.BAD_VALUE, record.where, service.name, problem, True))
            continue
        findings.extend(mapped.findings)
        unmapped.update(mapped.unmapped_terms)
        services.append(service)
        source_ids[service.id] = mapped.source_id
    return DirectoryReading(tuple(services), tuple(findings), len(source.records),
                            source.pages, dict(unmapped), source_ids)


def row_problem(service: Service) -> str:
    """Why the office would refuse this entry's row (the rule laptops and office share)."""
    from sp_desktop.interchange.directory_files.rows import check_service_row

    return check_service_row(service)


def read_bytes(data: bytes, name: str, mapping: TermMapping | None = None) -> DirectoryReading:
    """A file's bytes, by its name's ending: .json, .csv or a .zip datapackage."""
    return read_records(source_of(data, name), mapping)


def source_of(data: bytes, name: str) -> Source:
    if len(data) > oruk.MAX_FILE_BYTES:
        return _unreadable(name, oruk.too_large(len(data)))
    lower = name.lower()
    if lower.endswith("datapackage.json"):
        return _unreadable(name, "is a datapackage description: choose it by its path "
                                 "so the CSV files beside it can be read.")
    if lower.endswith(".json"):
        return json_source(data, name)
    if lower.endswith(".csv"):
        return csv_source(data, name)
    if lower.endswith(".zip"):
        return _zip_source(data, name)
    return _unreadable(name, "is not a directory file: choose a .json, .csv or .zip file.")


def read_path(path: Path, mapping: TermMapping | None = None) -> DirectoryReading:
    """A file, a datapackage.json (with the CSV files beside it) or a folder of CSV files."""
    return read_records(source_at(path), mapping)


def source_at(path: Path) -> Source:
    try:
        if path.is_dir():
            return datapackage_source(_csv_files(path, None))
        size = path.stat().st_size
        if size > oruk.MAX_FILE_BYTES:  # refused by its size, unread
            return _unreadable(path.name, oruk.too_large(size))
        if path.name.lower() == "datapackage.json":
            names = datapackage_names(path.read_bytes())
            return datapackage_source(_csv_files(path.parent, names))
        data = path.read_bytes()
        if path.suffix.lower() == ".csv" and is_tabular(data):
            return datapackage_source(_csv_files(path.parent, None) | {path.name: data})
        return source_of(data, path.name)
    except OSError as exc:
        return _unreadable(path.name, f"could not be read ({exc.strerror or 'no access'}).")


def _csv_files(folder: Path, names: Sequence[str] | None) -> dict[str, bytes]:
    found: dict[str, bytes] = {}
    candidates = [folder / n for n in names] if names else sorted(folder.glob("*.csv"))
    total = 0
    for file in candidates:
        if file.suffix.lower() == ".csv" and file.is_file():
            total += file.stat().st_size
            if total > oruk.MAX_FILE_BYTES:
                break
            found[file.name] = file.read_bytes()
    return found


def _zip_source(data: bytes, name: str) -> Source:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        files: dict[str, bytes] = {}
        total = 0
        for info in archive.infolist():
            lower = info.filename.lower()
            if lower.endswith(".csv"):
                total += info.file_size
                if total > oruk.MAX_FILE_BYTES:
                    return _unreadable(name, oruk.too_large(total))
                files[info.filename.rsplit("/", 1)[-1]] = archive.read(info)
            elif (lower.endswith(".json") and not lower.endswith("datapackage.json")
                  and info.file_size <= oruk.MAX_FILE_BYTES):
                return json_source(archive.read(info), info.filename)
    except (zipfile.BadZipFile, OSError):
        return _unreadable(name, "is not a zip file that can be opened.")
    return datapackage_source(files)


def _unreadable(name: str, detail: str) -> Source:
    return Source([], None, [Finding(Kind.UNREADABLE, name, "", detail, True)])
