"""One service record (HSDS 3.0, ORUK 3.0 profile or ORUK 1.0 names) as a directory entry.

Everything an adviser would use is kept: name, description (as plain text keeping paragraphs,
lists and link addresses), organisation, website, cost (`fees` / `fees_description`, and
`cost_options`), eligibility and ages, languages, every location with its name, address,
phones, times and access notes, every contact, how to refer, the area, when it was checked,
and the terms that give its category and five ways (through the office's mapping).

A record is refused only when it cannot be an entry (blank, no id, no name, a value of the
wrong kind); a postcode that is not a UK postcode is kept as written and flagged, an address
that is not an email is left out and flagged, a service with no mapped term arrives 'to be
categorised' and is flagged with the terms it carries.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sp_desktop.domain.directory import (
    EMAIL_PATTERN,
    MAX_AGE,
    MAX_POSTCODE_CHARS,
    MAX_WAITING_WEEKS,
    Category,
    Contact,
    Place,
    Service,
    WellbeingWay,
    postcode_as_given,
    ways_in_order,
)
from sp_desktop.domain.errors import ValidationError
from sp_desktop.domain.text import fold
from sp_desktop.interchange import oruk
from sp_desktop.interchange.directory_files.findings import Finding, Kind
from sp_desktop.interchange.directory_files.plain_text import plain_text
from sp_desktop.interchange.directory_files.sources import Record
from sp_desktop.interchange.directory_files.terms import TermMapping

ID_NAMESPACE = uuid.UUID("3b0f5f7e-6c1a-4e57-9a4c-2f0d6a1e5b10")  # council ids -> our UUIDs
INACTIVE = ("inactive", "defunct", "temporarily closed")
_YES = {"yes", "y", "true", "1"}
_NO = {"no", "n", "false", "0", ""}
_DAYS = {"MO": "Mondays", "TU": "Tuesdays", "WE": "Wednesdays", "TH": "Thursdays",
         "FR": "Fridays", "SA": "Saturdays", "SU": "Sundays"}
_ORDINALS = {"1": "first", "2": "second", "3": "third", "4": "fourth", "-1": "last"}
_BARE_SITE = re.compile(r"^(www\.)?[a-z0-9-]+(\.[a-z0-9-]+)+(/\S*)?$", re.I)
MAX_PHONE_CHARS = 32


def service_id(raw: str) -> str:
    """The entry's id: a UUID as given, anything else as a UUID made from it, so the same
    council record always lands on the same entry and exports are valid ORUK."""
    try:
        return str(uuid.UUID(raw))
    except ValueError:
        return str(uuid.uuid5(ID_NAMESPACE, raw))


@dataclass
class Mapped:
    """The outcome for one record: an entry (None when refused), its findings, its terms."""

    service: Service | None
    findings: list[Finding] = field(default_factory=list)
    unmapped_terms: tuple[str, ...] = ()
    source_id: str = ""


class _Reader:
    """Reads one record's values, collecting findings instead of stopping at the first."""

    def __init__(self, record: Record) -> None:
        self.where = record.where
        self.label = ""
        self.findings: list[Finding] = []
        self.refused = False

    def refuse(self, kind: Kind, detail: str) -> None:
        self.refused = True
        self.findings.append(Finding(kind, self.where, self.label, detail, True))

    def flag(self, kind: Kind, detail: str) -> None:
        self.findings.append(Finding(kind, self.where, self.label, detail, False))

    def text(self, obj: Mapping[str, Any], *keys: str) -> str:
        """The first of `keys` holding text (numbers are accepted as their text)."""
        for key in keys:
            value = obj.get(key)
            if value is None or value == "":
                continue
            if isinstance(value, bool):
                self.refuse(Kind.BAD_VALUE, f"{key} should be text, not true/false.")
                return ""
            if isinstance(value, int) and abs(value) < 10**15 or isinstance(value, float):
                return str(value)
            if isinstance(value, int):
                self.refuse(Kind.BAD_VALUE, f"{key} is a number too long to be text.")
                return ""
            if not isinstance(value, str):
                self.refuse(Kind.BAD_VALUE, f"{key} should be text, not a list or object.")
                return ""
            if not oruk.storable(value):
                self.refuse(Kind.BAD_VALUE, f"{key} holds characters that cannot be text (a "
                                            "zero byte or half of an emoji): this part of the "
                                            "file is damaged.")
                return ""
            return value.strip()
        return ""

    def objects(self, obj: Mapping[str, Any], *keys: str) -> list[Mapping[str, Any]]:
        for key in keys:
            value = obj.get(key)
            if value is None:
                continue
            if isinstance(value, dict):
                return [value]
            if not isinstance(value, list):
                self.refuse(Kind.BAD_VALUE, f"{key} should be a list.")
                return []
            return [v for v in value if isinstance(v, dict)]
        return []

    def obj(self, obj: Mapping[str, Any], key: str) -> Mapping[str, Any]:
        value = obj.get(key)
        return value if isinstance(value, dict) else {}

    def whole(self, value: Any, what: str, high: int) -> int | None:
        if value is None or value == "":
            return None
        # ASCII digits only: '²' passes isdigit() but int() refuses it
        if isinstance(value, str) and re.fullmatch(r"\s*[0-9]{1,6}(\.0+)?\s*", value):
            value = int(float(value))
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= high:
            self.flag(Kind.LEFT_OUT, f"{what} {str(value)[:30]!r} is not a whole number from 0 "
                                     f"to {high}, so it was left out.")
            return None
        return value


def map_record(record: Record, mapping: TermMapping) -> Mapped:
    data = record.data
    r = _Reader(record)
    raw_id = r.text(data, "id")
    name = r.text(data, "name")
    r.label = name or (f"id {raw_id}" if raw_id else "")
    if not raw_id and not name:
        meaningful = [k for k, v in data.items() if v not in (None, "", [], {}) and k != "_yes_no"]
        if not meaningful:
            r.refuse(Kind.BLANK, "is an empty record.")
        else:
            r.refuse(Kind.NO_ID, "has neither an id nor a name.")
        return Mapped(None, r.findings)
    if not raw_id:
        r.refuse(Kind.NO_ID, "has no id.")
    if not name:
        r.refuse(Kind.NO_NAME, "has no name.")

    status = fold(r.text(data, "status")).strip()
    if status and status != "active" and status not in INACTIVE:
        r.flag(Kind.LEFT_OUT, f"status {status[:30]!r} is not one the standard names; "
                              "taken as active.")
    active = status not in INACTIVE

    organisation_obj = r.obj(data, "organization")
    website = _website(r.text(data, "url", "website") or r.text(organisation_obj, "website", "url"))
    places = _places(r, data)
    contacts = _contacts(r, data)
    meaning_terms, own = _terms(r, data)
    category, ways, unmapped = _meaning(r, mapping, meaning_terms, own, raw_id)
    free, cost = _cost(r, data)
    min_age, max_age = _ages(r, data)
    values: dict[str, Any] = dict(
        id=service_id(raw_id) if raw_id else "missing",
        name=name or "missing",
        category=category,
        organisation=r.text(organisation_obj, "name"),
        description=plain_text(r.text(data, "description")),
        wellbeing_tags=ways,
        area=_area(r, data),
        schedule=_schedules(r, r.objects(data, "schedules", "regular_schedules")),
        cost=cost,
        free=free,
        step_free=own.step_free,
        how_to_refer=r.text(data, "application_process", "referral_process"),
        waiting_weeks=own.waiting_weeks,
        active=active,
        last_checked=_checked(r, r.text(data, "assured_date")),
        website=website,
        eligibility=_eligibility(r, data),
        min_age=min_age,
        max_age=max_age,
        languages=_languages(r, data),
        places=tuple(places),
        contacts=tuple(contacts),
    )
    if r.refused:  # what is wrong with it, not what would have been flagged
        return Mapped(None, [f for f in r.findings if f.refused], unmapped, raw_id)
    try:
        service = Service(**values)
    except ValidationError as exc:  # a rule the reading above does not already cover
        r.refuse(Kind.BAD_VALUE, exc.message)
        return Mapped(None, r.findings, unmapped, raw_id)
    return Mapped(service, r.findings, unmapped, raw_id)


def _website(text: str) -> str:
    text = text.strip()
    if text and _BARE_SITE.match(text):
        return f"https://{text}"
    return text


def _address(r: _Reader, address: Mapping[str, Any]) -> str:
    parts = [r.text(address, k) for k in ("address_1", "address_2", "address_3", "address_4",
                                         "city")]
    out: list[str] = []
    for part in parts:
        if part and fold(part) not in (fold(p) for p in out):
            out.append(part)
    return ", ".join(out)


def _postcode(r: _Reader, text: str, address: str) -> tuple[str, str]:
    """(postcode, address): kept as written and flagged when it is not a UK postcode; a
    'postcode' too long to be one joins the address instead."""
    if not text:
        return "", address
    postcode, ok = postcode_as_given(text)
    if ok:
        return postcode, address
    r.flag(Kind.BAD_POSTCODE, f"{text[:40]!r}")
    if len(postcode) > MAX_POSTCODE_CHARS:
        return "", ", ".join(p for p in (address, postcode) if p)
    return postcode, address


def _phones(r: _Reader, phones: Iterable[Mapping[str, Any]]) -> tuple[str, ...]:
    found: list[str] = []
    for phone in phones:
        number = r.text(phone, "number").strip('"')
        extension = r.text(phone, "extension")
        if extension:
            number = f"{number} ext. {extension}"
        if not number:
            continue
        if len(number) > MAX_PHONE_CHARS:
            r.flag(Kind.LEFT_OUT, f"phone {number[:40]!r} is too long to be a number, so it "
                                  "was left out.")
            continue
        if number not in found:
            found.append(number)
    return tuple(found)


def _places(r: _Reader, data: Mapping[str, Any]) -> list[Place]:
    places: list[Place] = []
    for at in r.objects(data, "service_at_locations", "service_at_location"):
        location = r.obj(at, "location") or at
        addresses = r.objects(location, "addresses", "physical_addresses", "addresss",
                              "postal_addresses", "address")
        physical = [a for a in addresses if fold(str(a.get("address_type", ""))) != "postal"]
        address_obj = (physical or addresses or [{}])[0]
        address = _address(r, address_obj)
        postcode, address = _postcode(r, r.text(address_obj, "postal_code", "postcode"), address)
        access = []
        for entry in r.objects(location, "accessibility", "accessibility_for_disabilities",
                               "accessibilitys"):
            for key in ("description", "accessibility", "details"):
                text = r.text(entry, key)
                if text and text not in access:
                    access.append(text)
        schedules = [*r.objects(location, "schedules", "regular_schedules"),
                     *r.objects(at, "schedules", "regular_schedules")]
        phones = _phones(r, [*r.objects(location, "phones"), *r.objects(at, "phones")])
        place = Place(
            name=r.text(location, "name"),
            address=address,
            postcode=postcode,
            phones=phones,
            schedule=_schedules(r, schedules),
            accessibility="; ".join(access),
        )
        if not place.empty and place not in places:
            places.append(place)
    return places


def _email(r: _Reader, text: str) -> str:
    text = text.strip().removeprefix("mailto:")
    if text and not EMAIL_PATTERN.match(text):
        r.flag(Kind.BAD_EMAIL, f"{text[:60]!r}")
        return ""
    return text


def _contacts(r: _Reader, data: Mapping[str, Any]) -> list[Contact]:
    contacts: list[Contact] = []
    for entry in r.objects(data, "contacts"):
        phones = _phones(r, r.objects(entry, "phones"))
        contact = Contact(
            name=r.text(entry, "name"),
            role=r.text(entry, "title", "department"),
            phone=_joined(phones),
            email=_email(r, r.text(entry, "email")),
        )
        if not contact.empty and contact not in contacts:
            contacts.append(contact)
    general_phones = _phones(r, r.objects(data, "phones"))
    general_email = _email(r, r.text(data, "email"))
    known_phones = {c.phone for c in contacts}
    known_emails = {c.email for c in contacts}
    phone = _joined(tuple(p for p in general_phones if p not in known_phones))
    email = general_email if general_email not in known_emails else ""
    if phone or email:
        contacts.insert(0, Contact(phone=phone, email=email))
    return contacts


def _joined(phones: tuple[str, ...]) -> str:
    """As many of the numbers as fit the contact's phone field, the first always."""
    text = phones[0] if phones else ""
    for phone in phones[1:]:
        if len(text) + 3 + len(phone) <= MAX_PHONE_CHARS:
            text = f"{text} / {phone}"
    return text


def _schedules(r: _Reader, schedules: Iterable[Mapping[str, Any]]) -> str:
    said: list[str] = []
    for schedule in schedules:
        text = r.text(schedule, "description")
        if not text:
            byday = r.text(schedule, "byday", "weekday")
            days = []
            for day in byday.split(","):
                day = day.strip().upper()
                if not day:
                    continue
                nth, code = day[:-2], day[-2:]
                word = _DAYS.get(code, day.title())
                days.append(f"the {_ORDINALS[nth]} {word[:-1]} of the month"
                            if nth in _ORDINALS else word)
            opens = r.text(schedule, "opens_at")[:5]
            closes = r.text(schedule, "closes_at")[:5]
            hours = f"{opens}–{closes}" if opens and closes else opens
            text = " ".join(p for p in (", ".join(days), hours) if p)
        notes = r.text(schedule, "notes")
        if notes:
            text = f"{text} ({notes})" if text else notes
        if text and text not in said:
            said.append(text)
    return "; ".join(said)


def _area(r: _Reader, data: Mapping[str, Any]) -> str:
    for area in r.objects(data, "service_areas", "service_area"):
        text = r.text(area, "name", "service_area")
        if text:
            return text
    return r.text(data, "service_area") if isinstance(data.get("service_area"), str) else ""


def _cost(r: _Reader, data: Mapping[str, Any]) -> tuple[bool, str]:
    fees = r.text(data, "fees_description", "fees")
    free = fold(fees).strip(" .") in {"free", "free of charge", "no charge", "no cost", "£0",
                                     "0", "none"}
    said: list[str] = []
    for option in r.objects(data, "cost_options"):
        amount_text = r.text(option, "amount")
        try:
            amount = float(amount_text) if amount_text else None
        except ValueError:
            r.flag(Kind.LEFT_OUT, f"cost amount {amount_text[:20]!r} is not a number, so it was "
                                  "left out.")
            amount = None
        if amount == 0:
            free = True
            continue
        words = " ".join(p for p in (
            f"£{amount:,.2f}".replace(".00", "") if amount is not None else "",
            r.text(option, "amount_description"),
        ) if p)
        who = r.text(option, "option")
        if words or (who and amount is not None):
            said.append(f"{words} ({who})" if who and words else words or who)
    yes_no = data.get("_yes_no") or {}
    if "free" in yes_no:
        free = _yes_no(r, "free", yes_no["free"]) or free
    cost = fees or "; ".join(said)
    return free, cost


def _yes_no(r: _Reader, column: str, text: str) -> bool:
    value = fold(str(text)).strip()
    if value not in _YES | _NO:
        r.refuse(Kind.BAD_VALUE, f"{column} should be yes or no, not {str(text)[:20]!r}.")
    return value in _YES


def _ages(r: _Reader, data: Mapping[str, Any]) -> tuple[int | None, int | None]:
    low = r.whole(data.get("minimum_age"), "minimum age", MAX_AGE)
    high = r.whole(data.get("maximum_age"), "maximum age", MAX_AGE)
    for entry in r.objects(data, "eligibilitys"):  # ORUK 1.0
        low = low if low is not None else r.whole(entry.get("minimum_age"), "minimum age",
                                                  MAX_AGE)
        high = high if high is not None else r.whole(entry.get("maximum_age"), "maximum age",
                                                     MAX_AGE)
    if low is not None and high is not None and low > high:
        r.flag(Kind.LEFT_OUT, f"ages {low} to {high} are the wrong way round, so they were "
                              "left out.")
        return None, None
    return low, high


def _eligibility(r: _Reader, data: Mapping[str, Any]) -> str:
    text = r.text(data, "eligibility_description")
    if text:
        return plain_text(text)
    said = [r.text(e, "eligibility") for e in r.objects(data, "eligibilitys", "eligibility")]
    return "; ".join(s for s in said if s)


def _languages(r: _Reader, data: Mapping[str, Any]) -> tuple[str, ...]:
    found: list[str] = []
    for entry in r.objects(data, "languages"):
        text = r.text(entry, "name", "language", "code")
        if text and text not in found:
            found.append(text)
    return tuple(found)


def _checked(r: _Reader, text: str) -> date | None:
    if not text:
        return None
    try:
        day = date.fromisoformat(text[:10])
    except ValueError:
        r.flag(Kind.LEFT_OUT, f"date checked {text[:30]!r} is not a date, so it was left out.")
        return None
    if day > date.today() or day.year < 2000:
        r.flag(Kind.LEFT_OUT, f"date checked {day.isoformat()} is not believable, so it was "
                              "left out.")
        return None
    return day


@dataclass
class _Own:
    """What our own taxonomies (written by our export) say."""

    categories: list[Category] = field(default_factory=list)
    ways: list[WellbeingWay] = field(default_factory=list)
    step_free: bool = False
    waiting_weeks: int | None = None


def _terms(r: _Reader, data: Mapping[str, Any]) -> tuple[list[str], _Own]:
    """Council terms (code and name of each, for the mapping) and our own taxonomies' values."""
    vocab = oruk.vocabulary()
    own = _Own()
    texts: list[str] = []
    entries = [(a, r.obj(a, "taxonomy_term")) for a in r.objects(data, "attributes")]
    entries += [(t, r.obj(t, "taxonomy")) for t in r.objects(data, "service_taxonomys")]
    for attribute, term in entries:
        taxonomy_value = term.get("taxonomy") or term.get("vocabulary") or ""
        if isinstance(taxonomy_value, dict):
            taxonomy_value = taxonomy_value.get("name", "")
        detail = term.get("taxonomy_detail")
        if not taxonomy_value and isinstance(detail, dict):
            taxonomy_value = detail.get("name", "")
        taxonomy = fold(str(taxonomy_value)).strip()
        code, name = r.text(term, "code"), r.text(term, "name", "term")
        if taxonomy == fold(vocab.waiting_taxonomy) or code == "waiting_weeks":
            own.waiting_weeks = r.whole(attribute.get("value"), "waiting time",
                                        MAX_WAITING_WEEKS)
        elif taxonomy == fold(vocab.access_taxonomy) or code == "step_free":
            own.step_free = True
        elif taxonomy == fold(vocab.category_taxonomy):
            found = vocab.category(code) or vocab.category(name)
            if found is not None:
                own.categories.append(found)
            else:
                texts.append(name or code)
        elif taxonomy == fold(vocab.five_ways_taxonomy):
            way = vocab.way(code) or vocab.way(name)
            if way is not None:
                own.ways.append(way)
        else:
            texts.extend(t for t in (name, code) if t)
    yes_no = data.get("_yes_no") or {}
    if "step_free" in yes_no:
        own.step_free = _yes_no(r, "step_free", yes_no["step_free"])
    return texts, own


def _meaning(
    r: _Reader, mapping: TermMapping, texts: list[str], own: _Own, raw_id: str
) -> tuple[Category | None, tuple[WellbeingWay, ...], tuple[str, ...]]:
    """Our own category first, then the office's choice for this service (by the council's
    id or ours), then the council's terms through the mapping."""
    category = own.categories[0] if own.categories else None
    ways = list(own.ways)
    by_service = (mapping.for_service(raw_id) or mapping.for_service(service_id(raw_id))
                  if raw_id else None)
    if by_service is not None:
        category = category or by_service.category
        ways.extend(by_service.ways)
    meaning = mapping.meaning(texts)
    if meaning is not None:
        category = category or meaning.category
        ways.extend(meaning.ways)
    unmapped: tuple[str, ...] = ()
    if category is None:
        unmapped = tuple(dict.fromkeys(t for t in texts if mapping.meaning([t]) is None))
        shown = ", ".join(repr(t[:40]) for t in unmapped[:5])
        r.flag(Kind.UNCATEGORISED, f"council terms: {shown}" if unmapped else "no terms")
    return category, ways_in_order(ways), unmapped
