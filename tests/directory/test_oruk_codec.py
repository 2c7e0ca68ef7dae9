"""Invariant of both codecs: whatever the directory holds, an export reads back the same."""

from __future__ import annotations

import string
from datetime import date

from hypothesis import given, settings
from hypothesis import strategies as st

from sp_desktop.domain.directory import Category, Service, WellbeingWay
from sp_desktop.services import oruk

# Any printable text, accents and other scripts included, trimmed as an import trims it.
# '<' is left out: descriptions holding HTML tags are deliberately turned into plain text.
_ALPHABET = st.characters(
    blacklist_categories=("Cc", "Cs", "Zl", "Zp"), blacklist_characters="<\x85"
)
text = st.text(_ALPHABET, max_size=40).map(str.strip)
postcodes = st.sampled_from(["", "LS6 2AB", "FS4 2AB", "EC1A 1BB", "M1 1AE", "GIR 0AA"])
emails = st.sampled_from(["", "jean@fernside.example.org", "a.b@c.example"])
ids = st.text(string.ascii_letters + string.digits + "-", min_size=1, max_size=36)

services = st.builds(
    Service,
    id=ids,
    name=text.filter(bool),
    category=st.sampled_from(list(Category)),
    organisation=text,
    description=text,
    wellbeing_tags=st.lists(st.sampled_from(list(WellbeingWay))).map(tuple),
    address=text,
    postcode=postcodes,
    area=text,
    contact_name=text,
    contact_phone=st.text("0123456789 +()", max_size=16).map(str.strip),
    contact_email=emails,
    schedule=text,
    cost=text.filter(lambda t: t.casefold() not in {"free", "0", "£0", "no charge"}),
    free=st.booleans(),
    step_free=st.booleans(),
    accessibility=text,
    how_to_refer=text,
    waiting_weeks=st.none() | st.integers(0, 104),
    active=st.booleans(),
    last_checked=st.none() | st.dates(date(2000, 1, 1), date(2025, 12, 31)),
)
directories = st.lists(services, max_size=5, unique_by=lambda s: s.id)


@settings(max_examples=150, deadline=None)
@given(directories)
def test_json_export_reads_back_the_same(entries: list[Service]) -> None:
    parsed = oruk.parse_json(oruk.to_json(entries))
    assert parsed.problems == ()
    assert parsed.services == tuple(entries)


@settings(max_examples=150, deadline=None)
@given(directories)
def test_csv_export_reads_back_the_same(entries: list[Service]) -> None:
    parsed = oruk.parse_csv(oruk.to_csv(entries))
    assert parsed.problems == ()
    assert parsed.services == tuple(entries)
