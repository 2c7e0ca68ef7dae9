"""The directory of services: offline search, reading entries, and ORUK import and export.

Search runs on an in-memory index (folded word prefixes and filter sets) so typing in the search
box never waits for the disk. The index is rebuilt when the directory changes: a trigger on the
`services` table bumps a counter in `store_meta` (migration 0002), so changes from sync, import
or anything else are noticed by one primary-key read per search.

The directory belongs to the office (advisers pull it, never push), so an import changes only
this laptop's copy: rows are stamped but not queued in the outbox, where the server would only
refuse them. Removing a service tombstones it, so prescriptions that name it still show it.
"""

from __future__ import annotations

import bisect
import enum
import json
import logging
import re
import threading
import weakref
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, select

from sp_desktop.domain.directory import Category, Service, ServiceQuery, WellbeingWay
from sp_desktop.domain.errors import SpDesktopError, ValidationError
from sp_desktop.domain.text import fold
from sp_desktop.interchange import oruk
from sp_desktop.interchange.directory_files import (
    DirectoryReading,
    read_path,
)
from sp_desktop.interchange.directory_files.findings import Finding, Kind
from sp_desktop.interchange.directory_files.rows import (
    SERVICE_FIELDS,
    service_from_row,
    service_row,
)
from sp_desktop.interchange.directory_files.terms import TermMapping
from sp_desktop.services.workspace import Changes
from sp_desktop.store.changes import now_text, wire_value
from sp_desktop.store.schema import services, store_meta

if TYPE_CHECKING:
    from sp_desktop.services.workspace import Workspace

log = logging.getLogger(__name__)
GENERATION_KEY = "directory_generation"  # bumped by triggers on `services` (migration 0002)
_WORD = re.compile(r"[a-z0-9]+")
__all__ = ["SERVICE_FIELDS", "service_from_row", "service_row"]  # shared with demo, prescribing


class ImportMode(enum.StrEnum):
    """What happens to services already on the laptop that the file does not list."""

    MERGE = "merge"  # kept: the file adds and updates
    REPLACE = "replace"  # removed: the directory becomes exactly the file


@dataclass(frozen=True, slots=True)
class ImportSummary:
    """What an import changed (or would change), named so the adviser can check it."""

    added: tuple[str, ...] = ()
    updated: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()
    unchanged: int = 0
    changes: Changes = Changes()

    def __str__(self) -> str:
        return (
            f"{len(self.added)} added, {len(self.updated)} updated, "
            f"{len(self.removed)} removed, {self.unchanged} unchanged"
        )


class ImportRefused(SpDesktopError):
    """Nothing can be imported from the file; `findings` say why, grouped for the reader."""

    def __init__(self, findings: Sequence[Finding], message: str = "") -> None:
        super().__init__(message or "Nothing was imported: the file holds no service that can "
                         "be imported.")
        self.findings = tuple(findings)
        self.problems = self.findings  # the name older callers used


@dataclass(frozen=True, slots=True)
class ImportPreview:
    """What importing a file's good services would change, with what was found on the way."""

    summary: ImportSummary
    reading: DirectoryReading


def words_of(text: str) -> list[str]:
    """Folded words, as search compares them: 'Tai-Chi for Zoë' -> ['tai', 'chi', 'for', 'zoe']."""
    return _WORD.findall(fold(text))


class DirectoryIndex:
    """An immutable search index over a snapshot of the directory.

    Words map to the positions of services whose name, organisation or description hold them;
    filters are sets of positions, so a search is a few set intersections. Services are kept in
    alphabetical order, so positions sort results by name for free.
    """

    def __init__(self, entries: Iterable[Service], generation: str = "") -> None:
        self.generation = generation
        self.skipped = 0  # entries in the store that could not be read (see the log)
        self.services: tuple[Service, ...] = tuple(
            sorted(entries, key=lambda s: (fold(s.name), s.id))
        )
        self.positions = {s.id: i for i, s in enumerate(self.services)}
        postings: dict[str, set[int]] = {}
        in_names: dict[str, set[int]] = {}
        by_category: dict[Category | None, set[int]] = {c: set() for c in (*Category, None)}
        by_way: dict[WellbeingWay, set[int]] = {w: set() for w in WellbeingWay}
        by_area: dict[str, set[int]] = {}
        free, step_free, active = set(), set(), set()
        for i, s in enumerate(self.services):
            for word in words_of(s.name):
                in_names.setdefault(word, set()).add(i)
                postings.setdefault(word, set()).add(i)
            for word in words_of(f"{s.organisation} {s.description}"):
                postings.setdefault(word, set()).add(i)
            by_category[s.category].add(i)
            for way in s.wellbeing_tags:
                by_way[way].add(i)
            by_area.setdefault(fold(s.area).strip(), set()).add(i)
            if s.free:
                free.add(i)
            if s.step_free:
                step_free.add(i)
            if s.active:
                active.add(i)
        self._words = sorted(postings)
        self._postings = {w: frozenset(p) for w, p in postings.items()}
        self._in_names = {w: frozenset(p) for w, p in in_names.items()}
        self._by_category = {c: frozenset(p) for c, p in by_category.items()}
        self._by_way = {w: frozenset(p) for w, p in by_way.items()}
        self._by_area = {a: frozenset(p) for a, p in by_area.items()}
        self._free, self._step_free, self._active = map(frozenset, (free, step_free, active))
        self._everyone = frozenset(range(len(self.services)))
        self.areas = tuple(sorted({s.area.strip() for s in self.services if s.area.strip()}))

    def _prefixed(self, prefix: str, postings: Mapping[str, frozenset[int]]) -> set[int]:
        """Positions of services with a word starting with `prefix` ('walk' finds 'walking')."""
        found: set[int] = set()
        start = bisect.bisect_left(self._words, prefix)
        for word in self._words[start:]:
            if not word.startswith(prefix):
                break
            hits = postings.get(word)
            if hits:
                found |= hits
        return found

    def search(self, query: ServiceQuery) -> list[Service]:
        """Matching services, those with every word in their name first, then by name."""
        candidates = [self._everyone if query.include_inactive else self._active]
        if query.category is not None:
            candidates.append(self._by_category[query.category])
        if query.to_categorise:
            candidates.append(self._by_category[None])
        candidates.extend(self._by_way[w] for w in query.ways)
        if query.area.strip():
            candidates.append(self._by_area.get(fold(query.area).strip(), frozenset()))
        if query.free_only:
            candidates.append(self._free)
        if query.step_free_only:
            candidates.append(self._step_free)
        candidates.sort(key=len)
        chosen = set(candidates[0]).intersection(*candidates[1:])
        words = sorted(set(words_of(query.words)), key=len, reverse=True)
        name_hits: set[int] | None = None
        for word in words:  # longest first: the narrowest sets shrink the rest soonest
            if not chosen:
                break
            chosen &= self._prefixed(word, self._postings)
        if words and chosen:
            name_hits = set(chosen)
            for word in words:
                name_hits &= self._prefixed(word, self._in_names)
        ordered = sorted(chosen)
        if name_hits:
            ordered = sorted(name_hits) + [i for i in ordered if i not in name_hits]
        return [self.services[i] for i in ordered]


class DirectoryService:
    """Search and read the directory; import and export it in the Open Referral UK shape."""

    def __init__(self, ws: Workspace) -> None:
        self.ws = ws
        self._index: DirectoryIndex | None = None
        # Searches may come from a worker thread while another refreshes: one builds at a time.
        self._lock = threading.Lock()

    # --- searching and reading ---------------------------------------------------------------

    def search(self, query: ServiceQuery | None = None, **filters: Any) -> list[Service]:
        """Offline search: `search(words="walk", free_only=True)` or `search(ServiceQuery(...))`."""
        return self.index().search(query or ServiceQuery(**filters))

    def index(self) -> DirectoryIndex:
        """The current index, rebuilt first if the directory changed since it was built."""
        generation = self._generation()
        index = self._index
        if index is not None and index.generation == generation:
            return index
        with self._lock:
            if self._index is None or self._index.generation != generation:
                self._index = self._build()
            return self._index

    def refresh(self) -> None:
        """Forgets the index, so the next search reads the directory afresh."""
        with self._lock:
            self._index = None

    def areas(self) -> tuple[str, ...]:
        """Areas named in the directory, for the area filter."""
        return self.index().areas

    def get(self, service_id: str) -> Service:
        """One entry, even one since removed from the directory (old prescriptions name it)."""
        found = self.get_many([service_id])
        if service_id not in found:
            raise ValidationError("service", "That service is not in the directory.")
        return found[service_id]

    def get_many(self, service_ids: Iterable[str]) -> dict[str, Service]:
        wanted = list(dict.fromkeys(service_ids))
        index = self._index
        found: dict[str, Service] = {}
        if index is not None:  # a possibly stale snapshot is fine for names of current entries
            for sid in wanted:
                position = index.positions.get(sid)
                if position is not None:
                    found[sid] = index.services[position]
        missing = [sid for sid in wanted if sid not in found]
        if missing:
            with self.ws.store.read() as conn:
                rows = conn.execute(select(services).where(services.c.id.in_(missing))).mappings()
                found.update({r["id"]: service_from_row(r) for r in rows})
        return found

    def count(self, *, include_inactive: bool = True) -> int:
        index = self.index()
        return len(index.services) if include_inactive else len(index.search(ServiceQuery()))

    def all(self, *, include_inactive: bool = True) -> list[Service]:
        return self.index().search(ServiceQuery(include_inactive=include_inactive))

    # --- import and export -------------------------------------------------------------------

    def check_file(self, path: Path, mapping: TermMapping | None = None) -> DirectoryReading:
        """Reads and checks a file (or a datapackage's folder) without changing anything.

        A file over the size cap is refused by its size, before any of it is read.
        """
        if not path.is_dir() and path.name.lower() != "datapackage.json":
            _kind(path, reading=True)
        return read_path(path, mapping)

    def preview_import(
        self, path: Path, mode: ImportMode, mapping: TermMapping | None = None
    ) -> ImportPreview:
        """What importing the file's good services would change, and what was found.

        Raises ImportRefused when nothing in it can be imported, or when it holds only some
        pages of a list and `mode` would replace the directory with them.
        """
        reading = self._readable(path, mode, mapping)
        with self.ws.store.read() as conn:
            return ImportPreview(self._plan(conn, reading.services, mode)[0], reading)

    def import_file(
        self, path: Path, mode: ImportMode, mapping: TermMapping | None = None
    ) -> ImportSummary:
        """Imports the file's good services in one transaction (the rest are in its findings,
        which the adviser saw in the preview); refuses as `preview_import` does."""
        return self.import_services(self._readable(path, mode, mapping).services, mode)

    def import_services(self, entries: Sequence[Service], mode: ImportMode) -> ImportSummary:
        """Adds, updates and (when replacing) removes services, all in one transaction."""
        with self.ws.write() as conn:
            summary, writes = self._plan(conn, entries, mode)
            stamp = str(self.ws.changes.clock.now())
            now = now_text()
            if writes.inserts:
                self.ws.changes.insert_many(
                    conn, services, writes.inserts, [None] * len(writes.inserts), queue=False
                )
            for row_id, changed, versions in writes.updates:
                versions.update({k: stamp for k in changed})
                conn.execute(
                    services.update()
                    .where(services.c.id == row_id)
                    .values(**changed, hlc=stamp, updated_at=now, versions=json.dumps(versions))
                )
            if summary.added or summary.updated or summary.removed:
                self.ws.audit(conn, "imported", "directory", None, None)
        # Rebuilt now, in the import's own (background) task, so the next search is instant.
        with self._lock:
            self._index = self._build()
        return summary

    def export_file(self, path: Path, *, include_inactive: bool = True) -> int:
        """Writes the directory as ORUK JSON or flat CSV (by extension); returns how many."""
        entries = self.all(include_inactive=include_inactive)
        data = oruk.serialise(entries, _kind(path))
        tmp = path.with_name(path.name + ".part")
        tmp.write_bytes(data)
        tmp.replace(path)
        return len(entries)

    # --- internals -----------------------------------------------------------------------------

    def _readable(
        self, path: Path, mode: ImportMode, mapping: TermMapping | None
    ) -> DirectoryReading:
        reading = self.check_file(path, mapping)
        if not reading.services:
            raise ImportRefused(reading.findings)
        if mode is ImportMode.REPLACE and not reading.complete:
            assert reading.pages is not None
            raise ImportRefused(
                [f for f in reading.findings if f.kind is Kind.PAGES],
                f"{reading.pages.describe()} Replacing the directory with it would remove the "
                "services on the other pages: import it with 'add and update', or get the "
                "whole list first.",
            )
        return reading

    def _generation(self) -> str:
        with self.ws.store.read() as conn:
            value = conn.execute(
                select(store_meta.c.value).where(store_meta.c.key == GENERATION_KEY)
            ).scalar_one_or_none()
        return value or "0"

    def _build(self) -> DirectoryIndex:
        with self.ws.store.read() as conn:
            generation = conn.execute(
                select(store_meta.c.value).where(store_meta.c.key == GENERATION_KEY)
            ).scalar_one_or_none()
            rows = conn.execute(select(services).where(services.c.deleted.is_(False))).mappings()
            entries = []
            skipped = 0
            for row in rows:
                try:
                    entries.append(service_from_row(row))
                except (ValidationError, ValueError, TypeError):
                    skipped += 1  # one bad row from elsewhere must not stop every search
        if skipped:
            log.warning("directory: %d entries skipped as unreadable", skipped)
        index = DirectoryIndex(entries, generation or "0")
        index.skipped = skipped
        return index

    def _plan(
        self, conn: Connection, entries: Sequence[Service], mode: ImportMode
    ) -> tuple[ImportSummary, _Writes]:
        current = {
            r["id"]: r for r in conn.execute(select(services)).mappings()
        }  # includes tombstones: a service coming back is revived, not duplicated
        writes = _Writes()
        added: list[str] = []
        updated: list[str] = []
        unchanged = 0
        incoming: set[str] = set()
        for entry in entries:
            incoming.add(entry.id)
            row = service_row(entry)
            existing = current.get(entry.id)
            if existing is None:
                writes.inserts.append(row)
                added.append(entry.name)
                continue
            changed = {
                k: v
                for k, v in row.items()
                if k != "id" and wire_value(existing[k]) != wire_value(v)
            }
            if existing["deleted"]:
                changed["deleted"] = False
                added.append(entry.name)
            elif changed:
                updated.append(entry.name)
            else:
                unchanged += 1
                continue
            writes.updates.append((entry.id, changed, json.loads(existing["versions"] or "{}")))
        removed: list[str] = []
        if mode is ImportMode.REPLACE:
            for row_id, existing in current.items():
                if row_id not in incoming and not existing["deleted"]:
                    removed.append(existing["name"])
                    versions = json.loads(existing["versions"] or "{}")
                    writes.updates.append((row_id, {"deleted": True}, versions))
        touched = frozenset([*(r["id"] for r in writes.inserts), *(u[0] for u in writes.updates)])
        summary = ImportSummary(
            tuple(added),
            tuple(updated),
            tuple(removed),
            unchanged,
            Changes(
                frozenset(), frozenset({"services"}) if touched else frozenset(), tuple(touched)
            ),
        )
        return summary, writes


@dataclass
class _Writes:
    inserts: list[dict[str, Any]]
    updates: list[tuple[str, dict[str, Any], dict[str, str]]]

    def __init__(self) -> None:
        self.inserts = []
        self.updates = []


_SHARED: weakref.WeakKeyDictionary[Workspace, DirectoryService] = weakref.WeakKeyDictionary()
_SHARED_LOCK = threading.Lock()


def directory_of(ws: Workspace) -> DirectoryService:
    """The workspace's one directory service, so every screen shares one search index.

    Uses `ws.directory` when the workspace wires one up; otherwise keeps one per workspace.
    """
    wired = getattr(ws, "directory", None)
    if isinstance(wired, DirectoryService):
        return wired
    with _SHARED_LOCK:
        found = _SHARED.get(ws)
        if found is None:
            found = _SHARED[ws] = DirectoryService(ws)
        return found


def _kind(path: Path, *, reading: bool = False) -> str:
    kind = path.suffix.lower().lstrip(".")
    if kind not in ("json", "csv") and not (reading and kind == "zip"):
        raise ValidationError(
            "file", "Directory files end in .json or .csv (or .zip for a datapackage)."
        )
    return kind
