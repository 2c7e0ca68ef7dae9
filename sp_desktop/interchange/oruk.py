"""Open Referral UK files: the scheme's vocabulary, our flat CSV, and the doors to the codec.

Reading is `services.directory_files` (every shape councils publish, one mapper, good rows
taken and the rest listed); JSON export is `directory_files.writing` (valid ORUK 3.0 profile
and HSDS 3.0). This module keeps what both share: the category and five-ways vocabulary from
resources/directory/categories.json, the size cap, and the flat CSV we write.

The flat CSV is one row per service, UTF-8, header row first, with these columns (ORUK field
names where ORUK has one): id, name, status, category, description, organization_name,
five_ways (separated by ';'), address, postal_code, service_area, contact_name, contact_phone,
contact_email, schedule, fees_description, free, step_free, accessibility,
application_process, waiting_weeks, assured_date, url, eligibility, minimum_age, maximum_age,
languages (separated by ';'), location_name. It holds the first place and contact of each
service; JSON holds them all. Yes/no columns take yes, no, true, false, y, n, 1, 0 or blank (no).
A blank category means "to be categorised".

A damaged or hostile file (too large, binary, nested without end, a cell of megabytes) is one
more finding in words, never an exception.

CSV cells starting with =, +, -, @, a tab or a carriage return are written with a leading `'`, so
a spreadsheet shows them as text rather than running them as a formula (OWASP's advice against
CSV injection: an imported directory could hold `=HYPERLINK(…)`); reading strips that `'` again,
so an export imports back exactly.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING

from sp_desktop.domain.directory import Category, Service, WellbeingWay
from sp_desktop.domain.text import fold
from sp_desktop.resource_files import load_json

if TYPE_CHECKING:
    from sp_desktop.interchange.directory_files import DirectoryReading

# A council's whole directory (a few thousand services) is a few MB; a 320 MB file took 41 s and
# 1.4 GiB to read, so anything past this is refused before it is read.
MAX_FILE_BYTES = 50 * 1024 * 1024
MAX_FILE_WORDS = "50 MB"
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
_FORMULA_START = re.compile(r"^'*[=+\-@\t\r]")
CSV_COLUMNS = (
    "id",
    "name",
    "status",
    "category",
    "description",
    "organization_name",
    "five_ways",
    "address",
    "postal_code",
    "service_area",
    "contact_name",
    "contact_phone",
    "contact_email",
    "schedule",
    "fees_description",
    "free",
    "step_free",
    "accessibility",
    "application_process",
    "waiting_weeks",
    "assured_date",
    "url",
    "eligibility",
    "minimum_age",
    "maximum_age",
    "languages",
    "location_name",
)


# --- the vocabulary: categories, five ways and the names other directories use for them --------


@dataclass(frozen=True, slots=True)
class Vocabulary:
    """Labels and local synonyms for categories and the five ways (from resources)."""

    category_labels: Mapping[Category, str]
    category_descriptions: Mapping[Category, str]
    way_labels: Mapping[WellbeingWay, str]
    way_descriptions: Mapping[WellbeingWay, str]
    category_names: Mapping[str, Category]  # folded code, label or synonym -> category
    way_names: Mapping[str, WellbeingWay]
    category_taxonomy: str
    five_ways_taxonomy: str
    access_taxonomy: str
    waiting_taxonomy: str

    def category(self, text: str) -> Category | None:
        return self.category_names.get(_key(text))

    def way(self, text: str) -> WellbeingWay | None:
        return self.way_names.get(_key(text))


def _key(text: str) -> str:
    return " ".join(re.split(r"[\s_\-]+", fold(text).strip()))


@cache
def vocabulary() -> Vocabulary:
    raw = load_json("directory/categories.json")
    labels: dict[Category, str] = {}
    descriptions: dict[Category, str] = {}
    names: dict[str, Category] = {}
    for entry in raw["categories"]:
        category = Category(entry["key"])
        labels[category] = entry["label"]
        descriptions[category] = entry["description"]
        for name in (entry["key"], entry["label"], *entry.get("also_known_as", ())):
            names[_key(name)] = category
    way_labels: dict[WellbeingWay, str] = {}
    way_descriptions: dict[WellbeingWay, str] = {}
    way_names: dict[str, WellbeingWay] = {}
    for entry in raw["five_ways"]["ways"]:
        way = WellbeingWay(entry["key"])
        way_labels[way] = entry["label"]
        way_descriptions[way] = entry["description"]
        for name in (entry["key"], entry["label"]):
            way_names[_key(name)] = way
    missing = set(Category) - set(labels) or set(WellbeingWay) - set(way_labels)
    if missing:
        raise RuntimeError(f"resources/directory/categories.json lacks {sorted(missing)}")
    oruk = raw["oruk"]
    return Vocabulary(
        labels,
        descriptions,
        way_labels,
        way_descriptions,
        names,
        way_names,
        oruk["category_taxonomy"],
        oruk["five_ways_taxonomy"],
        oruk["accessibility_taxonomy"],
        oruk["waiting_taxonomy"],
    )


# --- limits and damage, in words ----------------------------------------------------------------


def storable(text: str) -> bool:
    """No zero bytes (binary data; SQLite cuts text there) and no lone surrogates (JSON can
    spell them, but they cannot be saved as UTF-8)."""
    return _UNSTORABLE.search(text) is None


def too_large(size: int | None = None) -> str:
    """The file is refused unread: directory files are far smaller."""
    how_big = f" (this one is {size / 1_048_576:,.0f} MB)" if size else ""
    return (
        f"is larger than {MAX_FILE_WORDS}{how_big}. A directory file is much smaller than that: "
        "please check it is the right file, or ask for the directory in parts."
    )


BINARY = (
    "holds zero bytes, so it is not a text file: it may be a spreadsheet (.xlsx) or another "
    "kind of file renamed. Save the directory as CSV UTF-8 or ORUK JSON and import that."
)


def csv_problem(exc: csv.Error) -> str:
    """The csv module's complaint, in words (its own text names parser internals)."""
    said = str(exc)
    if "field larger than field limit" in said:
        message = (
            f"has a cell longer than {csv.field_size_limit():,} characters: no directory entry "
            "is that long, so a quote is probably missing or this is not a directory file."
        )
    elif "new-line character" in said:
        message = "has a line break inside a cell that is not in quotes."
    else:
        message = (
            "could not be read as CSV: a quote (\") is not closed, or stands inside a cell. "
            "Put quotes round the whole cell and double any quote inside it."
        )
    return message


def neutralised(cell: str) -> str:
    """A cell a spreadsheet would run as a formula gets a leading ' (shown as text)."""
    return "'" + cell if _FORMULA_START.match(cell) else cell


def restored(cell: str) -> str:
    """Undoes `neutralised`: only a ' that it could have added is taken off."""
    return cell[1:] if cell.startswith("'") and _FORMULA_START.match(cell[1:]) else cell


def to_csv(services: Iterable[Service]) -> bytes:
    """The flat CSV, UTF-8 with a byte-order mark so Excel opens accented names correctly."""
    vocab = vocabulary()
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for s in services:
        writer.writerow(
            neutralised(cell)
            for cell in [
                s.id,
                s.name,
                "active" if s.active else "inactive",
                vocab.category_labels[s.category] if s.category is not None else "",
                s.description,
                s.organisation,
                "; ".join(vocab.way_labels[w] for w in s.wellbeing_tags),
                s.address,
                s.postcode,
                s.area,
                s.contact_name,
                s.contact_phone,
                s.contact_email,
                s.schedule,
                s.cost,
                "yes" if s.free else "no",
                "yes" if s.step_free else "no",
                s.accessibility,
                s.how_to_refer,
                "" if s.waiting_weeks is None else str(s.waiting_weeks),
                s.last_checked.isoformat() if s.last_checked else "",
                s.website,
                s.eligibility,
                "" if s.min_age is None else str(s.min_age),
                "" if s.max_age is None else str(s.max_age),
                "; ".join(s.languages),
                s.places[0].name if s.places else "",
            ]
        )
    return out.getvalue().encode("utf-8-sig")


def to_json(services: Iterable[Service]) -> bytes:
    """ORUK 3.0 JSON (a page of full services), valid against the profile and HSDS 3.0."""
    from sp_desktop.interchange.directory_files import writing

    return writing.to_json(services)


def parse(data: bytes, kind: str) -> DirectoryReading:
    """Reads a file's bytes; `kind` is its ending ('json', 'csv' or 'zip')."""
    from sp_desktop.interchange.directory_files import read_bytes

    return read_bytes(data, f"file.{kind}")


def serialise(services: Sequence[Service], kind: str) -> bytes:
    if kind == "json":
        return to_json(services)
    if kind == "csv":
        return to_csv(services)
    raise ValueError(f"Directory files are .json or .csv, not .{kind}")
