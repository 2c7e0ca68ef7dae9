"""Invariants of both codecs: whatever the directory holds, an export reads back the same, and
every JSON export is valid against the ORUK 3.0 profile and the HSDS 3.0 JSON schemas."""

from __future__ import annotations

import json
from datetime import date

from hypothesis import given, settings
from hypothesis import strategies as st

from sp_desktop.domain.directory import Category, Contact, Place, Service, WellbeingWay
from sp_desktop.interchange import oruk

from .schemas import schema_errors

# Any printable text, accents and other scripts included, trimmed as an import trims it.
# '<' is left out: descriptions holding HTML tags are deliberately turned into plain text.
_ALPHABET = st.characters(
    blacklist_categories=("Cc", "Cs", "Zl", "Zp"), blacklist_characters="<\x85"
)
text = st.text(_ALPHABET, max_size=40).map(str.strip)
postcodes = st.sampled_from(["", "LS6 2AB", "FS4 2AB", "EC1A 1BB", "M1 1AE", "GIR 0AA", "LS6",
                             "TBC", "BFPO 57"])
emails = st.sampled_from(["", "jean@fernside.example.org", "a.b@c.example"])
phones = st.text("0123456789 +()", max_size=16).map(str.strip)
places = st.builds(Place, name=text, address=text, postcode=postcodes,
                   phones=st.lists(phones.filter(bool), max_size=2, unique=True).map(tuple),
                   schedule=text, accessibility=text).filter(lambda p: not p.empty)
contacts = st.builds(Contact, name=text, role=text, phone=phones, email=emails).filter(
    lambda c: not c.empty)

services = st.builds(
    Service,
    id=st.uuids().map(str),
    name=text.filter(bool),
    category=st.none() | st.sampled_from(list(Category)),
    organisation=text,
    description=text,
    wellbeing_tags=st.lists(st.sampled_from(list(WellbeingWay))).map(tuple),
    area=text,
    schedule=text,
    cost=text.filter(lambda t: t.casefold() not in {"free", "0", "£0", "no charge", "none"}),
    free=st.booleans(),
    step_free=st.booleans(),
    how_to_refer=text,
    waiting_weeks=st.none() | st.integers(0, 104),
    active=st.booleans(),
    last_checked=st.none() | st.dates(date(2000, 1, 1), date(2025, 12, 31)),
    website=st.sampled_from(["", "https://fernside.example.org/walks"]),
    eligibility=text,
    min_age=st.none() | st.integers(0, 60),
    max_age=st.none() | st.integers(60, 120),
    languages=st.lists(text.filter(lambda t: bool(t) and ";" not in t), max_size=3,
                       unique=True).map(tuple),
    places=st.lists(places, max_size=3, unique=True).map(tuple),
    contacts=st.lists(contacts, max_size=3, unique=True).map(tuple),
)
directories = st.lists(services, max_size=5, unique_by=lambda s: s.id)


@settings(max_examples=60, deadline=None)
@given(directories)
def test_json_export_reads_back_the_same_and_is_valid_oruk(entries: list[Service]) -> None:
    data = oruk.to_json(entries)
    for service in json.loads(data)["contents"]:
        assert schema_errors(service) == []
    parsed = oruk.parse(data, "json")
    assert [f for f in parsed.findings if f.refused] == []
    assert parsed.services == tuple(entries)


def _flat(service: Service) -> bool:
    """What one CSV row can hold: one place (without its own phones or times), one contact."""
    return len(service.places) <= 1 and len(service.contacts) <= 1 and all(
        not p.phones and not p.schedule for p in service.places) and all(
        not c.role for c in service.contacts)


@settings(max_examples=60, deadline=None)
@given(st.lists(services.filter(_flat), max_size=5, unique_by=lambda s: s.id))
def test_csv_export_reads_back_the_same(entries: list[Service]) -> None:
    parsed = oruk.parse(oruk.to_csv(entries), "csv")
    assert [f for f in parsed.findings if f.refused] == []
    assert parsed.services == tuple(entries)
