"""Reading and writing the directory in the Open Referral UK (HSDS 3.0) shape, JSON and flat CSV.

JSON is a list of HSDS 3.0 services with their related objects nested, as an ORUK API serves
them (a bare list, or a page object with `contents`). How our fields map:

    name, description, status (active / inactive / defunct / temporarily closed),
    fees_description -> cost, application_process -> how to refer, assured_date -> last checked,
    organization.name -> organisation, service_areas[0].name -> area,
    service_at_locations[0].location.addresses[0] -> address_1 (+ address_2, city), postal_code,
    service_at_locations[0].location.accessibility[].description -> accessibility,
    contacts[0] -> name, email, phones[0].number (falling back to the service's email/phones),
    schedules[].description -> days and times (or byday/opens_at/closes_at when no description),
    cost_options[].amount == 0 -> free (or fees_description "free" when there are no options),
    attributes[].taxonomy_term -> category, five ways tags, step-free access, waiting weeks.

Category and five-ways terms are matched by code, name or a local synonym from
resources/directory/categories.json, so a council's own taxonomy can be mapped without code.

The flat CSV is one row per service, UTF-8, header row first, with these columns (ORUK field
names where ORUK has one): id, name, status, category, description, organization_name,
five_ways (separated by ';'), address, postal_code, service_area, contact_name, contact_phone,
contact_email, schedule, fees_description, free, step_free, accessibility,
application_process, waiting_weeks, assured_date. Required: id, name, status, category.
Yes/no columns take yes, no, true, false, y, n, 1, 0 or blank (no).

Parsing never touches the store: it returns every service it could read and every problem
with the row and field it was found at, so a file with any problem can be refused whole. A damaged
or hostile file (too large, binary, nested without end, a cell of megabytes) is one more problem
in words, never an exception.

CSV cells starting with =, +, -, @, a tab or a carriage return are written with a leading `'`, so
a spreadsheet shows them as text rather than running them as a formula (OWASP's advice against
CSV injection: an imported directory could hold `=HYPERLINK(…)`); reading strips that `'` again,
so an export imports back exactly.
"""

from __future__ import annotations

import csv
import html
import io
import json
import re
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import cache
from typing import Any

from sp_desktop.domain.directory import (
    Category,
    Service,
    WellbeingWay,
    normalise_postcode,
)
from sp_desktop.domain.errors import ValidationError
from sp_desktop.domain.text import fold
from sp_desktop.services.resources import load_json

MAX_ID_LENGTH = 36  # ids are stored in a String(36) column
# A council's whole directory (a few thousand services) is a few MB; a 320 MB file took 41 s and
# 1.4 GiB to read, so anything past this is refused before it is read.
MAX_FILE_BYTES = 50 * 1024 * 1024
MAX_FILE_WORDS = "50 MB"
_FORMULA_START = re.compile(r"^'*[=+\-@\t\r]")
ORUK_STATUSES = ("active", "inactive", "defunct", "temporarily closed")
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
)
CSV_REQUIRED = ("id", "name", "status", "category")
_YES = {"yes", "y", "true", "1"}
_NO = {"no", "n", "false", "0", ""}
_FREE_WORDS = {"free", "free of charge", "no charge", "no cost", "£0", "0"}
_HTML_TAG = re.compile(r"</?(?:p|br|ul|ol|li|strong|em|b|i|a|div|span|h[1-6])\b[^>]*>", re.I)
_ID_NAMESPACE = uuid.UUID("8f0c3c55-2d61-4e0b-9a4e-5b0c4d0f6a21")
_DAYS = {
    "MO": "Mondays",
    "TU": "Tuesdays",
    "WE": "Wednesdays",
    "TH": "Thursdays",
    "FR": "Fridays",
    "SA": "Saturdays",
    "SU": "Sundays",
}


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


# --- problems ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong in a file. `row` counts services in JSON (from 1) and lines in CSV
    (the header is line 1, as a spreadsheet numbers them); 0 means the file as a whole."""

    row: int
    field: str
    message: str

    def __str__(self) -> str:
        where = "File" if self.row == 0 else f"Row {self.row}"
        return (
            f"{where}, {self.field}: {self.message}" if self.field else f"{where}: {self.message}"
        )


@dataclass(frozen=True, slots=True)
class ParsedDirectory:
    """What a file holds: the services read and every problem found. Import only if `ok`."""

    services: tuple[Service, ...]
    problems: tuple[Problem, ...]

    @property
    def ok(self) -> bool:
        return not self.problems


class _Row:
    """Collects a row's fields and problems, so every problem in it is reported, not the first."""

    def __init__(self, row: int, problems: list[Problem]) -> None:
        self.row = row
        self.problems = problems
        self.failed = False

    def problem(self, path: str, message: str) -> None:
        self.failed = True
        self.problems.append(Problem(self.row, path, message))

    def text(self, obj: Mapping[str, Any], key: str, path: str, *, required: bool = False) -> str:
        value = obj.get(key)
        if value is None or value == "":
            if required:
                self.problem(path, "is required but missing.")
            return ""
        if not isinstance(value, str):
            self.problem(path, f"should be text, not {_kind(value)}.")
            return ""
        if not _storable(value):
            self.problem(path, "holds characters that cannot be text (a zero byte or half of "
                               "an emoji): this part of the file is damaged.")
            return ""
        value = value.strip()
        if required and not value:
            self.problem(path, "is required but empty.")
        return value

    def objects(self, obj: Mapping[str, Any], key: str, path: str) -> list[Mapping[str, Any]]:
        value = obj.get(key)
        if value is None:
            return []
        if not isinstance(value, list):
            self.problem(path, f"should be a list, not {_kind(value)}.")
            return []
        found: list[Mapping[str, Any]] = []
        for i, item in enumerate(value):
            if isinstance(item, dict):
                found.append(item)
            else:
                self.problem(f"{path}[{i}]", f"should be an object, not {_kind(item)}.")
        return found

    def obj(self, obj: Mapping[str, Any], key: str, path: str) -> Mapping[str, Any]:
        value = obj.get(key)
        if value is None:
            return {}
        if not isinstance(value, dict):
            self.problem(path, f"should be an object, not {_kind(value)}.")
            return {}
        return value


def _kind(value: object) -> str:
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, str):
        return "text"
    return type(value).__name__


def _storable(text: str) -> bool:
    """No zero bytes (binary data; SQLite cuts text there) and no lone surrogates (JSON can
    spell them, but they cannot be saved as UTF-8)."""
    return "\x00" not in text and not any("\ud800" <= ch <= "\udfff" for ch in text)


def _plain(text: str) -> str:
    """Descriptions may hold HTML (HSDS allows it); advisers read plain text."""
    if not _HTML_TAG.search(text):
        return text
    spaced = re.sub(r"<br\s*/?>|</p>|</li>", "\n", text, flags=re.I)
    return html.unescape(re.sub(r"<[^>]+>", "", spaced)).strip()


# --- decoding ----------------------------------------------------------------------------------


def too_large(size: int | None = None) -> Problem:
    """The file is refused unread: directory files are far smaller."""
    how_big = f" (this one is {size / 1_048_576:,.0f} MB)" if size else ""
    return Problem(
        0,
        "",
        f"is larger than {MAX_FILE_WORDS}{how_big}. A directory file is much smaller than that: "
        "please check it is the right file, or ask for the directory in parts.",
    )


_BINARY = Problem(
    0,
    "",
    "holds zero bytes, so it is not a text file: it may be a spreadsheet (.xlsx) or another "
    "kind of file renamed. Save the directory as CSV UTF-8 or ORUK JSON and import that.",
)


def _decode(data: bytes, what: str) -> tuple[str | None, list[Problem]]:
    """UTF-8 (with or without a byte-order mark); otherwise every line with bad bytes, by number."""
    try:
        return data.decode("utf-8-sig"), []
    except UnicodeDecodeError:
        pass
    problems = []
    for number, line in enumerate(data.split(b"\n"), start=1):
        try:
            line.decode("utf-8")
        except UnicodeDecodeError as exc:
            bad = line[exc.start : exc.start + 1].hex().upper()
            problems.append(
                Problem(
                    number,
                    "",
                    f"has bytes that are not UTF-8 (0x{bad} at character {exc.start + 1}). "
                    f"The {what} was probably saved as Latin-1 or Windows-1252: save it as "
                    "UTF-8 (in Excel: 'CSV UTF-8') and import it again.",
                )
            )
    return None, problems


# --- building a service from fields, checking every one --------------------------------------


@dataclass
class _Fields:
    """The fields of one service as read, each with the path to blame if it is wrong."""

    values: dict[str, Any] = field(default_factory=dict)
    paths: dict[str, str] = field(default_factory=dict)

    def set(self, name: str, value: Any, path: str) -> None:
        self.values[name] = value
        self.paths[name] = path


def _check_fields(row: _Row, f: _Fields) -> None:
    """Field rules checked one by one, so a row with three mistakes reports three problems."""
    v = f.values
    service_id = v.get("id", "")
    if len(service_id) > MAX_ID_LENGTH:
        row.problem(f.paths["id"], f"is longer than {MAX_ID_LENGTH} characters.")
    if v.get("postcode"):
        try:
            v["postcode"] = normalise_postcode(v["postcode"])
        except ValidationError as exc:
            row.problem(f.paths["postcode"], exc.message)
    checks = {"contact_email", "last_checked"}
    for name in checks & v.keys():
        try:
            Service(id="check", name="check", category=Category.SOCIAL_ACTIVITY, **{name: v[name]})
        except ValidationError as exc:
            row.problem(f.paths[name], exc.message)


def _build(row: _Row, f: _Fields) -> Service | None:
    _check_fields(row, f)
    if row.failed:
        return None
    try:
        return Service(**f.values)
    except ValidationError as exc:  # a rule not checked field by field above
        row.problem(f.paths.get(exc.field, exc.field), exc.message)
        return None


def _build_once(row: _Row, f: _Fields, seen: dict[str, int]) -> Service | None:
    """Builds the row's service; an id used by an earlier row is a problem even if that row
    had problems of its own."""
    service_id = f.values.get("id", "")
    if service_id in seen:
        row.problem(f.paths["id"], f"{service_id!r} is already used on row {seen[service_id]}.")
    elif service_id:
        seen[service_id] = row.row
    return _build(row, f)


def _whole_weeks(row: _Row, value: Any, path: str) -> int | None:
    if value is None or value == "":
        return None
    digits = value.strip() if isinstance(value, str) else ""
    # ASCII only: '²' passes isdigit() but int() refuses it, and a thousand digits is no wait.
    if digits.isascii() and digits.isdigit() and len(digits) <= 6:
        value = int(digits)
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        row.problem(path, f"should be a whole number of weeks, not {value!r}.")
        return None
    return value


def _iso_date(row: _Row, value: str, path: str) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value[:10])
    except ValueError:
        row.problem(path, f"should be a date like 2025-03-31, not {value!r}.")
        return None


def _active(row: _Row, status: str, path: str) -> bool:
    folded = fold(status).strip()
    if folded and folded not in ORUK_STATUSES:
        row.problem(path, f"{status!r} is not one of: {', '.join(ORUK_STATUSES)}.")
    return folded == "active"


# --- JSON --------------------------------------------------------------------------------------


def parse_json(data: bytes) -> ParsedDirectory:
    """Reads an ORUK/HSDS 3.0 service list; see the module docstring for the field mapping."""
    text, problems = _decode(data, "file")
    if text is None:
        return ParsedDirectory((), tuple(problems))
    if "\x00" in text:
        return ParsedDirectory((), (_BINARY,))
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as exc:
        message = f"is not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})."
        return ParsedDirectory((), (Problem(0, "", message),))
    except RecursionError:
        message = "is nested too deeply to be a directory (lists inside lists without end)."
        return ParsedDirectory((), (Problem(0, "", message),))
    except ValueError:  # e.g. a number thousands of digits long
        message = "is not valid JSON: it holds a number too long to read."
        return ParsedDirectory((), (Problem(0, "", message),))
    items = raw.get("contents", raw.get("services")) if isinstance(raw, dict) else raw
    if not isinstance(items, list):
        message = "should be a list of services (or an object with 'contents')."
        return ParsedDirectory((), (Problem(0, "", message),))
    services: list[Service] = []
    seen: dict[str, int] = {}
    for number, item in enumerate(items, start=1):
        row = _Row(number, problems)
        if not isinstance(item, dict):
            row.problem("", f"should be a service object, not {_kind(item)}.")
            continue
        service = _build_once(row, _json_fields(row, item), seen)
        if service is not None:
            services.append(service)
    return ParsedDirectory(tuple(services), tuple(problems))


def _json_fields(row: _Row, item: Mapping[str, Any]) -> _Fields:
    vocab = vocabulary()
    f = _Fields()
    f.set("id", row.text(item, "id", "id", required=True), "id")
    f.set("name", row.text(item, "name", "name", required=True), "name")
    f.set(
        "active",
        _active(row, row.text(item, "status", "status", required=True), "status"),
        "status",
    )
    f.set("description", _plain(row.text(item, "description", "description")), "description")
    organization = row.obj(item, "organization", "organization")
    f.set("organisation", row.text(organization, "name", "organization.name"), "organization.name")
    f.set(
        "how_to_refer",
        row.text(item, "application_process", "application_process"),
        "application_process",
    )
    fees = row.text(item, "fees_description", "fees_description")
    f.set("cost", fees, "fees_description")
    assured = row.text(item, "assured_date", "assured_date")
    f.set("last_checked", _iso_date(row, assured, "assured_date"), "assured_date")

    areas = row.objects(item, "service_areas", "service_areas")
    f.set(
        "area",
        row.text(areas[0], "name", "service_areas[0].name") if areas else "",
        "service_areas[0].name",
    )

    _json_location(row, item, f)
    _json_contact(row, item, f)
    _json_schedule(row, item, f)

    options = row.objects(item, "cost_options", "cost_options")
    free = fold(fees).strip(" .") in _FREE_WORDS if not options else False
    for i, option in enumerate(options):
        amount = option.get("amount")
        if amount is not None and (isinstance(amount, bool) or not isinstance(amount, int | float)):
            row.problem(f"cost_options[{i}].amount", f"should be a number, not {_kind(amount)}.")
        elif amount == 0:
            free = True
    f.set("free", free, "cost_options")

    categories: list[Category] = []
    ways: list[WellbeingWay] = []
    unknown: list[str] = []
    other_terms: list[str] = []
    step_free = False
    waiting: int | None = None
    terms = row.objects(item, "attributes", "attributes")
    legacy = row.objects(item, "service_taxonomys", "service_taxonomys")  # ORUK 1.x
    for i, attribute in enumerate([*terms, *legacy]):
        key = "taxonomy_term" if i < len(terms) else "taxonomy"
        base = f"attributes[{i}]" if i < len(terms) else f"service_taxonomys[{i - len(terms)}]"
        term = row.obj(attribute, key, f"{base}.{key}")
        code = row.text(term, "code", f"{base}.{key}.code")
        name = row.text(term, "name", f"{base}.{key}.name")
        taxonomy = _taxonomy_name(row, term, f"{base}.{key}.taxonomy")
        if taxonomy == fold(vocab.waiting_taxonomy) or code == "waiting_weeks":
            waiting = _whole_weeks(row, attribute.get("value"), f"{base}.value")
        elif taxonomy == fold(vocab.access_taxonomy) or code == "step_free":
            step_free = True
        elif (found := vocab.category(code) or vocab.category(name)) is not None:
            categories.append(found)
        elif (way := vocab.way(code) or vocab.way(name)) is not None:
            ways.append(way)
        elif taxonomy in (fold(vocab.category_taxonomy), fold(vocab.five_ways_taxonomy)):
            unknown.append(name or code)
        elif name or code:
            other_terms.append(name or code)
    path = "attributes (category)"
    if unknown:
        for term_name in unknown:
            row.problem(path, f"unknown category or five ways tag {term_name!r}.")
    elif not categories:
        listed = f" (terms found: {', '.join(repr(t) for t in other_terms)})" if other_terms else ""
        row.problem(
            path,
            f"is required: no term names one of {_category_list()}{listed}. A scheme can map "
            "its own terms in resources/directory/categories.json.",
        )
    f.set("category", categories[0] if categories else Category.SOCIAL_ACTIVITY, path)
    f.set("wellbeing_tags", tuple(ways), "attributes (five ways)")
    f.set("step_free", step_free, "attributes (access)")
    f.set("waiting_weeks", waiting, "attributes (waiting time)")
    return f


def _category_list() -> str:
    return ", ".join(vocabulary().category_labels[c].lower() for c in Category)


def _taxonomy_name(row: _Row, term: Mapping[str, Any], path: str) -> str:
    value = term.get("taxonomy") or term.get("vocabulary")
    if isinstance(value, dict):
        return fold(row.text(value, "name", f"{path}.name"))
    if isinstance(value, str):
        return fold(value.strip())
    if value is not None:
        row.problem(path, f"should be text or an object, not {_kind(value)}.")
    return ""


def _json_location(row: _Row, item: Mapping[str, Any], f: _Fields) -> None:
    at_locations = row.objects(item, "service_at_locations", "service_at_locations")
    base = "service_at_locations[0].location"
    location = row.obj(at_locations[0], "location", base) if at_locations else {}
    address_key = next(
        (k for k in ("addresses", "addresss", "physical_addresses") if k in location), "addresses"
    )
    addresses = row.objects(location, address_key, f"{base}.{address_key}")
    first = addresses[0] if addresses else {}
    apath = f"{base}.{address_key}[0]"
    parts = [row.text(first, k, f"{apath}.{k}") for k in ("address_1", "address_2", "city")]
    f.set("address", ", ".join(p for p in parts if p), f"{apath}.address_1")
    f.set(
        "postcode", row.text(first, "postal_code", f"{apath}.postal_code"), f"{apath}.postal_code"
    )
    access_key = next(
        (
            k
            for k in ("accessibility", "accessibilitys", "accessibility_for_disabilities")
            if k in location
        ),
        "accessibility",
    )
    notes = []
    for i, entry in enumerate(row.objects(location, access_key, f"{base}.{access_key}")):
        for k in ("description", "accessibility", "details"):
            text = row.text(entry, k, f"{base}.{access_key}[{i}].{k}")
            if text:
                notes.append(text)
    f.set("accessibility", "; ".join(notes), f"{base}.{access_key}")


def _json_contact(row: _Row, item: Mapping[str, Any], f: _Fields) -> None:
    contacts = row.objects(item, "contacts", "contacts")
    contact = contacts[0] if contacts else {}
    f.set("contact_name", row.text(contact, "name", "contacts[0].name"), "contacts[0].name")
    email = row.text(contact, "email", "contacts[0].email")
    email_path = "contacts[0].email"
    if not email:
        email, email_path = row.text(item, "email", "email"), "email"
    f.set("contact_email", email, email_path)
    phones = row.objects(contact, "phones", "contacts[0].phones")
    phone_path = "contacts[0].phones[0].number"
    if not phones:
        phones, phone_path = row.objects(item, "phones", "phones"), "phones[0].number"
    phone = row.text(phones[0], "number", phone_path) if phones else ""
    f.set("contact_phone", phone.strip('"'), phone_path)


def _json_schedule(row: _Row, item: Mapping[str, Any], f: _Fields) -> None:
    said = []
    key = "regular_schedules" if "regular_schedules" in item else "schedules"  # ORUK 1.x
    for i, schedule in enumerate(row.objects(item, key, key)):
        path = f"{key}[{i}]"
        text = row.text(schedule, "description", f"{path}.description")
        if not text:
            byday = row.text(schedule, "byday", f"{path}.byday") or row.text(
                schedule, "weekday", f"{path}.weekday"
            )
            days = ", ".join(
                _DAYS.get(d.strip()[-2:].upper(), d.strip()) for d in byday.split(",") if d.strip()
            )
            opens = row.text(schedule, "opens_at", f"{path}.opens_at")[:5]
            closes = row.text(schedule, "closes_at", f"{path}.closes_at")[:5]
            hours = f"{opens}–{closes}" if opens and closes else opens
            text = " ".join(p for p in (days, hours) if p)
        if text:
            said.append(text)
    f.set("schedule", "; ".join(said), "schedules[0].description")


def to_json(services: Iterable[Service]) -> bytes:
    """The services as an ORUK/HSDS 3.0 page of full service objects (UTF-8)."""
    contents = [_service_json(s) for s in services]
    page = {
        "total_items": len(contents),
        "total_pages": 1,
        "page_number": 1,
        "size": len(contents),
        "first_page": True,
        "last_page": True,
        "empty": not contents,
        "contents": contents,
    }
    return json.dumps(page, ensure_ascii=False, indent=1).encode("utf-8")


def _uid(*parts: str) -> str:
    """Ids for the related objects, stable across exports so a re-import matches them."""
    return str(uuid.uuid5(_ID_NAMESPACE, "\x1f".join(parts)))


def _term(service: Service, taxonomy: str, code: str, name: str, value: str | None = None) -> Any:
    attribute: dict[str, Any] = {
        "id": _uid(service.id, "attribute", taxonomy, code),
        "link_id": service.id,
        "link_type": "service",
        "link_entity": "service",
        "taxonomy_term": {
            "id": _uid("term", taxonomy, code),
            "code": code,
            "name": name,
            "taxonomy": {"id": _uid("taxonomy", taxonomy), "name": taxonomy},
        },
    }
    if value is not None:
        attribute["value"] = value
    return attribute


def _service_json(s: Service) -> dict[str, Any]:
    vocab = vocabulary()
    attributes = [
        _term(s, vocab.category_taxonomy, s.category.value, vocab.category_labels[s.category]),
        *(
            _term(s, vocab.five_ways_taxonomy, w.value, vocab.way_labels[w])
            for w in s.wellbeing_tags
        ),
    ]
    if s.step_free:
        attributes.append(_term(s, vocab.access_taxonomy, "step_free", "Step-free access"))
    if s.waiting_weeks is not None:
        attributes.append(
            _term(
                s,
                vocab.waiting_taxonomy,
                "waiting_weeks",
                "Waiting time in weeks",
                str(s.waiting_weeks),
            )
        )
    out: dict[str, Any] = {
        "id": s.id,
        "name": s.name,
        "description": s.description,
        "status": "active" if s.active else "inactive",
        "fees_description": s.cost,
        "application_process": s.how_to_refer,
        "assured_date": s.last_checked.isoformat() if s.last_checked else None,
        "organization": {
            "id": _uid("organization", fold(s.organisation)),
            "name": s.organisation,
            "description": "",
        },
        "service_areas": (
            [{"id": _uid(s.id, "area"), "name": s.area, "service_id": s.id}] if s.area else []
        ),
        "cost_options": (
            [{"id": _uid(s.id, "cost"), "option": "Free", "currency": "GBP", "amount": 0}]
            if s.free
            else []
        ),
        "contacts": [],
        "schedules": (
            [{"id": _uid(s.id, "schedule"), "service_id": s.id, "description": s.schedule}]
            if s.schedule
            else []
        ),
        "service_at_locations": [],
        "attributes": attributes,
    }
    if s.contact_name or s.contact_phone or s.contact_email:
        out["contacts"] = [
            {
                "id": _uid(s.id, "contact"),
                "name": s.contact_name,
                "email": s.contact_email,
                "phones": (
                    [{"id": _uid(s.id, "phone"), "number": s.contact_phone}]
                    if s.contact_phone
                    else []
                ),
            }
        ]
    if s.address or s.postcode or s.accessibility:
        location_id = _uid("location", fold(s.address), s.postcode)
        out["service_at_locations"] = [
            {
                "id": _uid(s.id, "service_at_location"),
                "service_id": s.id,
                "location": {
                    "id": location_id,
                    "location_type": "physical",
                    "addresses": [
                        {
                            "id": _uid(location_id, "address"),
                            "address_1": s.address,
                            "city": "",
                            "postal_code": s.postcode,
                            "country": "GB",
                            "address_type": "physical",
                        }
                    ],
                    "accessibility": (
                        [{"id": _uid(s.id, "access"), "description": s.accessibility}]
                        if s.accessibility
                        else []
                    ),
                },
            }
        ]
    return out


# --- flat CSV ----------------------------------------------------------------------------------


def parse_csv(data: bytes) -> ParsedDirectory:
    """Reads the flat CSV described in the module docstring."""
    text, problems = _decode(data, "file")
    if text is None:
        return ParsedDirectory((), tuple(problems))
    if "\x00" in text:
        return ParsedDirectory((), (_BINARY,))
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = [h.strip().lower() for h in next(reader)]
    except StopIteration:
        return ParsedDirectory((), (Problem(0, "", "is empty."),))
    except csv.Error as exc:
        return ParsedDirectory((), (_csv_problem(1, exc),))
    missing = [c for c in CSV_REQUIRED if c not in header]
    for column in missing:
        problems.append(Problem(1, column, "required column is missing from the header row."))
    if missing:
        return ParsedDirectory((), tuple(problems))
    services: list[Service] = []
    seen: dict[str, int] = {}
    while True:
        line = reader.line_num + 1
        try:
            cells = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            problems.append(_csv_problem(line, exc))
            break
        if not any(c.strip() for c in cells):
            continue
        row = _Row(line, problems)
        if len(cells) > len(header):
            row.problem("", f"has {len(cells)} cells but the header names {len(header)} columns.")
            continue
        values = dict(zip(header, cells, strict=False))
        service = _build_once(row, _csv_fields(row, values), seen)
        if service is not None:
            services.append(service)
    return ParsedDirectory(tuple(services), tuple(problems))


def _csv_problem(line: int, exc: csv.Error) -> Problem:
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
    return Problem(line, "", message)


def _neutralised(cell: str) -> str:
    """A cell a spreadsheet would run as a formula gets a leading ' (shown as text)."""
    return "'" + cell if _FORMULA_START.match(cell) else cell


def _restored(cell: str) -> str:
    """Undoes `_neutralised`: only a ' that it could have added is taken off."""
    return cell[1:] if cell.startswith("'") and _FORMULA_START.match(cell[1:]) else cell


def _csv_fields(row: _Row, cells: Mapping[str, str]) -> _Fields:
    vocab = vocabulary()
    f = _Fields()

    def cell(column: str, *, required: bool = False) -> str:
        return _restored(row.text(cells, column, column, required=required))

    def yes_no(column: str) -> bool:
        value = fold(cells.get(column, "")).strip()
        if value in _YES:
            return True
        if value not in _NO:
            row.problem(column, f"should be yes or no, not {cells[column]!r}.")
        return False

    f.set("id", cell("id", required=True), "id")
    f.set("name", cell("name", required=True), "name")
    f.set("active", _active(row, cell("status", required=True), "status"), "status")
    category_text = cell("category", required=True)
    category = vocab.category(category_text) if category_text else None
    if category_text and category is None:
        row.problem(
            "category", f"unknown category {category_text!r}: use one of " + _category_list() + "."
        )
    f.set("category", category or Category.SOCIAL_ACTIVITY, "category")
    ways = []
    for word in re.split(r"[;,]", cell("five_ways")):
        if not word.strip():
            continue
        way = vocab.way(word)
        if way is None:
            row.problem(
                "five_ways",
                f"unknown five ways tag {word.strip()!r}: use connect, "
                "be active, take notice, keep learning or give.",
            )
        else:
            ways.append(way)
    f.set("wellbeing_tags", tuple(ways), "five_ways")
    for name, column in (
        ("description", "description"),
        ("organisation", "organization_name"),
        ("address", "address"),
        ("postcode", "postal_code"),
        ("area", "service_area"),
        ("contact_name", "contact_name"),
        ("contact_phone", "contact_phone"),
        ("contact_email", "contact_email"),
        ("schedule", "schedule"),
        ("cost", "fees_description"),
        ("accessibility", "accessibility"),
        ("how_to_refer", "application_process"),
    ):
        f.set(name, cell(column), column)
    f.set("description", _plain(f.values["description"]), "description")
    f.set("free", yes_no("free"), "free")
    f.set("step_free", yes_no("step_free"), "step_free")
    f.set(
        "waiting_weeks", _whole_weeks(row, cell("waiting_weeks"), "waiting_weeks"), "waiting_weeks"
    )
    f.set("last_checked", _iso_date(row, cell("assured_date"), "assured_date"), "assured_date")
    return f


def to_csv(services: Iterable[Service]) -> bytes:
    """The flat CSV, UTF-8 with a byte-order mark so Excel opens accented names correctly."""
    vocab = vocabulary()
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for s in services:
        writer.writerow(
            _neutralised(cell)
            for cell in [
                s.id,
                s.name,
                "active" if s.active else "inactive",
                vocab.category_labels[s.category],
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
            ]
        )
    return out.getvalue().encode("utf-8-sig")


def parse(data: bytes, kind: str) -> ParsedDirectory:
    """`kind` is 'json' or 'csv' (usually the file's extension)."""
    if len(data) > MAX_FILE_BYTES:
        return ParsedDirectory((), (too_large(len(data)),))
    if kind == "json":
        return parse_json(data)
    if kind == "csv":
        return parse_csv(data)
    raise ValueError(f"Directory files are .json or .csv, not .{kind}")


def serialise(services: Sequence[Service], kind: str) -> bytes:
    if kind == "json":
        return to_json(services)
    if kind == "csv":
        return to_csv(services)
    raise ValueError(f"Directory files are .json or .csv, not .{kind}")
