"""Every shape a directory arrives in, turned into service records of one shape (HSDS 3.0).

JSON: a bare list of services, an HSDS 3.0 page (`contents`), an ORUK 1.0 page (`content`),
a single full service (`/services/{id}`), or a list of pages (all pages of a paged answer in
one file). The tabular datapackage (HSDS 3.0 and 1.1 / ORUK 1.0 CSV files, with or without
`datapackage.json`) is joined back into nested services. Our own flat CSV (one row per
service) becomes the same nested shape, so one mapper reads every source.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
from collections import defaultdict
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sp_desktop.interchange import oruk
from sp_desktop.interchange.directory_files.findings import Finding, Kind

FLAT_ONLY_COLUMNS = frozenset({"category", "five_ways", "organization_name", "postal_code",
                               "contact_name", "contact_phone", "contact_email", "step_free"})


@dataclass(frozen=True, slots=True)
class Record:
    """One service as read, and where it is in the file(s) for messages."""

    where: str
    data: Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class Pages:
    """Which pages of a paged list a file holds (1-based); complete when it holds them all."""

    held: tuple[int, ...]
    total_pages: int
    total_items: int | None = None

    @property
    def complete(self) -> bool:
        return set(range(1, self.total_pages + 1)) <= set(self.held)

    def describe(self) -> str:
        held = ", ".join(str(p) for p in self.held)
        noun = "page" if len(self.held) == 1 else "pages"
        items = f" ({self.total_items:,} services in all)" if self.total_items else ""
        return f"This file holds {noun} {held} of {self.total_pages}{items}."


@dataclass
class Source:
    """What a file holds before mapping: records, page facts, and file-level findings."""

    records: list[Record]
    pages: Pages | None
    findings: list[Finding]


def decode(data: bytes, name: str) -> tuple[str | None, list[Finding]]:
    """UTF-8 text (a byte-order mark is fine), or why not in words."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        return None, [Finding(Kind.UNREADABLE, name, "", (
            f"line {line:,} has bytes that are not UTF-8. The file was probably saved as "
            "Latin-1 or Windows-1252: save it as UTF-8 (in Excel: 'CSV UTF-8') and import it "
            "again."), True)]
    if "\x00" in text:
        return None, [Finding(Kind.UNREADABLE, name, "", oruk.BINARY, True)]
    return text, []


# --- JSON ----------------------------------------------------------------------------------


def _page_of(raw: Mapping[str, Any]) -> tuple[list[Any], int | None, int | None, int | None]:
    """Items, page number (1-based), total pages and total items of an envelope."""
    if isinstance(raw.get("contents"), list):  # HSDS 3.0 / ORUK 3.0
        number = _int(raw.get("page_number"))
        return raw["contents"], number, _int(raw.get("total_pages")), _int(raw.get("total_items"))
    if isinstance(raw.get("content"), list):  # ORUK 1.0 (a Spring page: numbers from 0)
        number = _int(raw.get("number"))
        return (raw["content"], None if number is None else number + 1,
                _int(raw.get("totalPages")), _int(raw.get("totalElements")))
    for key in ("services", "items", "data"):
        if isinstance(raw.get(key), list):
            return raw[key], None, None, None
    return [], None, None, None


def _int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value)
    return None


def _is_page(value: Any) -> bool:
    return isinstance(value, dict) and any(
        isinstance(value.get(k), list) for k in ("contents", "content", "services", "items")
    )


def json_source(data: bytes, name: str) -> Source:
    text, findings = decode(data, name)
    if text is None:
        return Source([], None, findings)
    try:
        raw = json.loads(text)
    except RecursionError:
        return Source([], None, [Finding(Kind.UNREADABLE, name, "", "is nested too deeply to "
                                         "be a directory.", True)])
    except json.JSONDecodeError as exc:
        return Source([], None, [Finding(Kind.UNREADABLE, name, "", (
            f"is not valid JSON: {exc.msg} (line {exc.lineno:,}, column {exc.colno:,})."), True)])
    except ValueError:  # e.g. a number thousands of digits long
        return Source([], None, [Finding(Kind.UNREADABLE, name, "", (
            "is not valid JSON: it holds a number too long to read."), True)])
    return json_value_source(raw, name)


def json_value_source(raw: Any, name: str) -> Source:
    """Records from decoded JSON (also used for pages fetched from an API)."""
    pages_held: list[int] = []
    total_pages: int | None = None
    total_items: int | None = None
    items: list[tuple[str, Any]] = []
    envelopes = raw if isinstance(raw, list) and raw and all(_is_page(p) for p in raw) else None
    if isinstance(raw, dict) and _is_page(raw):
        envelopes = [raw]
    if envelopes is not None:
        for index, envelope in enumerate(envelopes, start=1):
            contents, number, page_count, count = _page_of(envelope)
            number = number or index
            pages_held.append(number)
            total_pages = page_count or total_pages
            total_items = count or total_items
            prefix = f"page {number}, " if len(envelopes) > 1 or (page_count or 1) > 1 else ""
            items.extend((f"{prefix}service {i}", item) for i, item in enumerate(contents, 1))
    elif isinstance(raw, list):
        items = [(f"service {i}", item) for i, item in enumerate(raw, start=1)]
    elif isinstance(raw, dict) and ("name" in raw or "id" in raw):
        items = [("the service", raw)]  # one full service, as /services/{id} answers
    else:
        return Source([], None, [Finding(Kind.UNREADABLE, name, "", (
            "holds no services: it should be a list of services, a page of them ('contents' "
            "or 'content'), or one service."), True)])
    pages: Pages | None = None
    if total_pages and total_pages > 1:
        pages = Pages(tuple(sorted(set(pages_held))), total_pages, total_items)
    records: list[Record] = []
    findings: list[Finding] = []
    for where, item in items:
        if isinstance(item, dict):
            records.append(Record(where, _our_row_to_hsds(item) if _is_our_row(item) else item))
        else:
            findings.append(Finding(Kind.NOT_A_SERVICE, where, "", f"is {_kind(item)}, not a "
                                    "service record.", True))
    if pages is not None and not pages.complete:
        findings.append(Finding(Kind.PAGES, name, "", pages.describe(), False))
    return Source(records, pages, findings)


def _kind(value: Any) -> str:
    if value is None:
        return "empty"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "text"
    return "a list" if isinstance(value, list) else "something else"


def _is_our_row(item: Mapping[str, Any]) -> bool:
    """A row as SP Desktop stores it (`category` a text, no HSDS `attributes`)."""
    return isinstance(item.get("category"), str) and "attributes" not in item and (
        "service_taxonomys" not in item)


def _our_row_to_hsds(row: Mapping[str, Any]) -> dict[str, Any]:
    """Our own stored row (what older office files held) read as a flat CSV row would be."""
    def cell(key: str) -> str:
        value = row.get(key)
        if value is None:
            return ""
        if isinstance(value, bool):
            return "yes" if value else "no"
        return value if isinstance(value, str) else json.dumps(value)

    ways = row.get("wellbeing_tags")
    if isinstance(ways, str) and ways.startswith("["):
        with contextlib.suppress(ValueError):
            ways = json.loads(ways)
    flat = {
        "id": cell("id"), "name": cell("name"), "category": cell("category"),
        "status": "inactive" if row.get("active") is False else "active",
        "description": cell("description"), "organization_name": cell("organisation"),
        "five_ways": ";".join(str(w) for w in ways) if isinstance(ways, list) else cell(
            "wellbeing_tags"),
        "address": cell("address"), "postal_code": cell("postcode"), "service_area": cell("area"),
        "contact_name": cell("contact_name"), "contact_phone": cell("contact_phone"),
        "contact_email": cell("contact_email"), "schedule": cell("schedule"),
        "fees_description": cell("cost"), "accessibility": cell("accessibility"),
        "application_process": cell("how_to_refer"), "waiting_weeks": cell("waiting_weeks"),
        "assured_date": cell("last_checked"), "url": cell("website"),
        "eligibility": cell("eligibility"), "minimum_age": cell("min_age"),
        "maximum_age": cell("max_age"),
    }
    flat.update({k: cell(k) for k in ("free", "step_free") if k in row})
    return _flat_to_hsds(flat)


# --- CSV -----------------------------------------------------------------------------------


def _csv_rows(text: str, name: str) -> tuple[list[str], list[tuple[int, dict[str, str]]],
                                             list[Finding]]:
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    findings: list[Finding] = []
    try:
        header = [h.strip().lower() for h in next(reader)]
    except StopIteration:
        return [], [], [Finding(Kind.UNREADABLE, name, "", "is empty.", True)]
    except csv.Error as exc:
        return [], [], [Finding(Kind.UNREADABLE, f"{name} line 1", "", oruk.csv_problem(exc),
                                True)]
    rows: list[tuple[int, dict[str, str]]] = []
    while True:
        line = reader.line_num + 1
        try:
            cells = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            findings.append(Finding(Kind.UNREADABLE, f"{name} line {line:,}", "",
                                    oruk.csv_problem(exc), True))
            break
        if not any(c.strip() for c in cells):
            continue
        if len(cells) > len(header):
            findings.append(Finding(Kind.BAD_VALUE, f"{name} line {line:,}", "", (
                f"has {len(cells)} cells but the header names {len(header)} columns."), True))
            continue
        rows.append((line, {k: v.strip() for k, v in zip(header, cells, strict=False) if k}))
    return header, rows, findings


def is_tabular(data: bytes) -> bool:
    """Whether a CSV is a table of an HSDS datapackage (not our flat one-row-per-service CSV)."""
    first = data[:4096].split(b"\n", 1)[0].decode("utf-8-sig", "replace").lower()
    header = {h.strip().strip('"') for h in first.split(",")}
    return not (FLAT_ONLY_COLUMNS & header) and (
        "organization_id" in header or "service_id" in header or "location_id" in header)


def csv_source(data: bytes, name: str) -> Source:
    """One CSV file: our flat CSV, or a lone services.csv of a tabular datapackage."""
    text, findings = decode(data, name)
    if text is None:
        return Source([], None, findings)
    if is_tabular(data):
        return datapackage_source({name: data})
    return flat_csv_source(text, name)


def flat_csv_source(text: str, name: str) -> Source:
    _, rows, findings = _csv_rows(text, name)
    records = [
        Record(f"{name} line {line:,}", _flat_to_hsds({k: oruk.restored(v) for k, v in
                                                       cells.items()}))
        for line, cells in rows
    ]
    return Source(records, None, findings)


def _flat_to_hsds(c: Mapping[str, str]) -> dict[str, Any]:
    """Our flat CSV row as an HSDS service; yes/no cells travel as `_yes_no` for checking."""
    vocab = oruk.vocabulary()
    terms: list[dict[str, Any]] = []
    if c.get("category"):
        terms.append({"taxonomy_term": {"name": c["category"],
                                        "taxonomy": vocab.category_taxonomy}})
    for word in c.get("five_ways", "").replace(",", ";").split(";"):
        if word.strip():
            terms.append({"taxonomy_term": {"name": word.strip(),
                                            "taxonomy": vocab.five_ways_taxonomy}})
    if c.get("waiting_weeks"):
        terms.append({"taxonomy_term": {"code": "waiting_weeks", "name": "Waiting time in weeks",
                                        "taxonomy": vocab.waiting_taxonomy},
                      "value": c["waiting_weeks"]})
    location: dict[str, Any] = {"name": c.get("location_name", "")}
    if c.get("address") or c.get("postal_code"):
        location["addresses"] = [{"address_1": c.get("address", ""),
                                  "postal_code": c.get("postal_code", "")}]
    if c.get("accessibility"):
        location["accessibility"] = [{"description": c["accessibility"]}]
    contact = {"name": c.get("contact_name", ""), "email": c.get("contact_email", ""),
               "phones": [{"number": c["contact_phone"]}] if c.get("contact_phone") else []}
    return {
        "id": c.get("id", ""),
        "name": c.get("name", ""),
        "status": c.get("status", ""),
        "description": c.get("description", ""),
        "url": c.get("url", ""),
        "organization": {"name": c.get("organization_name", "")},
        "service_areas": [{"name": c["service_area"]}] if c.get("service_area") else [],
        "service_at_locations": [{"location": location}] if len(location) > 1 or
        location["name"] else [],
        "contacts": [contact] if any((contact["name"], contact["email"], contact["phones"]))
        else [],
        "schedules": [{"description": c["schedule"]}] if c.get("schedule") else [],
        "fees_description": c.get("fees_description", ""),
        "application_process": c.get("application_process", ""),
        "eligibility_description": c.get("eligibility", ""),
        "minimum_age": c.get("minimum_age", ""),
        "maximum_age": c.get("maximum_age", ""),
        "languages": [{"name": n.strip()} for n in c.get("languages", "").split(";")
                      if n.strip()],
        "assured_date": c.get("assured_date", ""),
        "attributes": terms,
        "_yes_no": {k: c[k] for k in ("free", "step_free") if k in c},
    }


# --- the tabular datapackage ----------------------------------------------------------------

_TABLES = {
    "services": "services", "organizations": "organizations", "locations": "locations",
    "service_at_location": "sal", "service_at_locations": "sal", "services_at_location": "sal",
    "addresses": "addresses", "address": "addresses", "physical_addresses": "addresses",
    "accessibility": "access", "accessibility_for_disabilities": "access",
    "phones": "phones", "contacts": "contacts",
    "schedules": "schedules", "schedule": "schedules", "regular_schedules": "schedules",
    "service_areas": "areas", "languages": "languages", "cost_options": "costs",
    "eligibility": "eligibility", "attributes": "attributes", "attribute": "attributes",
    "taxonomy_terms": "terms", "taxonomies": "taxonomies", "taxonomy": "taxonomies",
    "services_taxonomy": "service_terms", "service_taxonomy": "service_terms",
}


def datapackage_source(files: Mapping[str, bytes]) -> Source:
    """Joins the package's CSV files (by file name; others are ignored) into services."""
    findings: list[Finding] = []
    tables: dict[str, dict[str, tuple[int, str, dict[str, str]]]] = defaultdict(dict)
    for name, data in sorted(files.items()):
        stem = name.rsplit("/", 1)[-1].rsplit(".", 1)[0].lower()
        kind = _TABLES.get(stem)
        if kind is None or not name.lower().endswith(".csv"):
            continue
        text, bad = decode(data, name)
        findings.extend(bad)
        if text is None:
            continue
        header, rows, found = _csv_rows(text, name)
        findings.extend(found)
        if kind == "taxonomies" and {"vocabulary", "parent_name"} & set(header):
            kind = "terms"  # HSDS 1.1's taxonomy.csv holds the terms themselves
        for line, row in rows:
            key = row.get("id") or f"{name}:{line}"
            tables[kind].setdefault(key, (line, name, row))  # the same row in two files: once
    if "services" not in tables:
        findings.append(Finding(Kind.UNREADABLE, "the datapackage", "",
                                "has no services.csv, so it holds no services.", True))
        return Source([], None, findings)
    return Source(list(_join(tables)), None, findings)


def _join(tables: Mapping[str, Mapping[str, tuple[int, str, dict[str, str]]]]) -> Iterator[Record]:
    def rows(kind: str) -> list[dict[str, str]]:
        return [row for _, _, row in tables.get(kind, {}).values()]

    def by(kind: str, column: str) -> dict[str, list[dict[str, Any]]]:
        grouped: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for row in rows(kind):
            if row.get(column):
                grouped[row[column]].append(dict(row))
        return grouped

    taxonomies = {r["id"]: r for r in rows("taxonomies") if r.get("id")}
    terms: dict[str, dict[str, Any]] = {}
    for row in rows("terms"):
        term: dict[str, Any] = dict(row)
        taxonomy = taxonomies.get(row.get("taxonomy_id", ""))
        term["taxonomy"] = row.get("taxonomy") or row.get("vocabulary") or (
            taxonomy.get("name", "") if taxonomy else "")
        terms[row.get("id", "")] = term
    phones_of = {k: by("phones", f"{k}_id") for k in ("service", "location", "contact",
                                                      "service_at_location")}
    schedules_of = {k: by("schedules", f"{k}_id") for k in ("service", "location",
                                                           "service_at_location")}
    contacts_of = {k: by("contacts", f"{k}_id") for k in ("service", "location",
                                                         "service_at_location")}
    for kind in contacts_of.values():
        for contact_rows in kind.values():
            for contact in contact_rows:
                contact["phones"] = phones_of["contact"].get(contact.get("id", ""), [])
    addresses = by("addresses", "location_id")
    access = by("access", "location_id")
    languages_of = {k: by("languages", f"{k}_id") for k in ("service", "location")}
    locations: dict[str, dict[str, Any]] = {}
    for row in rows("locations"):
        location: dict[str, Any] = dict(row)
        lid = row.get("id", "")
        location["addresses"] = addresses.get(lid, [])
        location["accessibility"] = access.get(lid, [])
        location["phones"] = phones_of["location"].get(lid, [])
        location["schedules"] = schedules_of["location"].get(lid, [])
        location["languages"] = languages_of["location"].get(lid, [])
        locations[lid] = location
    organizations = {r.get("id", ""): r for r in rows("organizations")}
    at_locations = by("sal", "service_id")
    areas = by("areas", "service_id")
    costs = by("costs", "service_id")
    eligibility = by("eligibility", "service_id")
    attributes = by("attributes", "link_id")
    service_terms = by("service_terms", "service_id")
    for line, name, row in tables["services"].values():
        sid = row.get("id", "")
        service: dict[str, Any] = dict(row)
        service["organization"] = organizations.get(row.get("organization_id", ""), {})
        service["service_at_locations"] = [
            {"id": sal.get("id", ""),
             "location": {**locations.get(sal.get("location_id", ""), {}),
                          "phones": [*locations.get(sal.get("location_id", ""), {}).get(
                              "phones", []), *phones_of["service_at_location"].get(
                              sal.get("id", ""), [])],
                          "schedules": [*locations.get(sal.get("location_id", ""), {}).get(
                              "schedules", []), *schedules_of["service_at_location"].get(
                              sal.get("id", ""), [])]}}
            for sal in at_locations.get(sid, [])
        ]
        service["phones"] = phones_of["service"].get(sid, [])
        service["schedules"] = schedules_of["service"].get(sid, [])
        service["contacts"] = contacts_of["service"].get(sid, [])
        service["service_areas"] = areas.get(sid, [])
        service["cost_options"] = costs.get(sid, [])
        service["languages"] = languages_of["service"].get(sid, [])
        if sid in eligibility:
            service["eligibility_description"] = "; ".join(
                e.get("eligibility", "") for e in eligibility[sid] if e.get("eligibility"))
        service["attributes"] = [
            {**a, "taxonomy_term": terms.get(a.get("taxonomy_term_id", ""), {})}
            for a in attributes.get(sid, []) if a.get("link_type", "service") in ("service", "")
            or a.get("link_entity") == "service"
        ]
        service["service_taxonomys"] = [
            {"taxonomy": terms.get(t.get("taxonomy_id", ""), {})}
            for t in service_terms.get(sid, [])
        ]
        yield Record(f"{name} line {line:,}", service)


def datapackage_names(descriptor: bytes) -> Sequence[str] | None:
    """The CSV files a datapackage.json lists, or None when it cannot be read."""
    try:
        raw = json.loads(descriptor)
    except ValueError:
        return None
    resources = raw.get("resources") if isinstance(raw, dict) else None
    if not isinstance(resources, list):
        return None
    paths = [r.get("path") for r in resources if isinstance(r, dict)]
    return [p for p in paths if isinstance(p, str)]
