"""Synthetic council directories built like the real thing, for tests and the benchmark.

`council_list` is an ORUK 1.0 `/services` list page as councils serve it: no taxonomy terms,
HTML descriptions, websites without a scheme, some postcodes that are not postcodes ('LS6',
'N/A', 'TBC', 'BFPO 57', 'LS6 2AB.'), one id shared by two services and one blank record.
`full_services` are ORUK 3.0 full services with every part an adviser uses (several places
with phones and times, several contacts, fees, ages, languages, council taxonomy terms).
Everything is invented: example.org addresses and Ofcom's drama phone numbers.
"""

from __future__ import annotations

import random
from typing import Any

BAD_POSTCODES = ("LS6", "N/A", "TBC", "BFPO 57", "LS6 2AB.")
_TOWNS = ("Fernside", "Greystone", "Ashworth", "Dunmore", "Millbrook", "Harwood")
_KINDS = ("Lunch club", "Walking group", "Men's shed", "Choir", "Benefits advice", "Tai chi",
          "Craft circle", "Befriending", "Allotment volunteers", "Memory cafe", "Chair yoga")
_TERMS = ("Social groups", "Sport and leisure", "Volunteering opportunities", "Advice",
          "Mental health and wellbeing", "Bingo", "Carers support", "Lunch clubs")
BAD_POSTCODE_EVERY = 25  # one service in 25 has a postcode that is not one


def _postcode(rng: random.Random, index: int) -> str:
    if index % BAD_POSTCODE_EVERY == 7:
        return BAD_POSTCODES[(index // BAD_POSTCODE_EVERY) % len(BAD_POSTCODES)]
    return f"LS{rng.randrange(1, 29)} {rng.randrange(1, 10)}{rng.choice('ABDEFGHJLNPQRSTUWXYZ')}" \
           f"{rng.choice('ABDEFGHJLNPQRSTUWXYZ')}"


def _listed_service(rng: random.Random, index: int) -> dict[str, Any]:
    town = rng.choice(_TOWNS)
    kind = rng.choice(_KINDS)
    slug = f"{kind.lower().replace(' ', '-').replace(chr(39), '')}-{index}"
    service: dict[str, Any] = {
        "id": str(10_000 + index),
        "name": f"{kind}, {town} ({index})",
        "description": (f"<h3>About</h3><p>A friendly {kind.lower()} in {town}.</p>"
                        f"<ul><li>Tea and biscuits</li><li>All welcome</li></ul>"
                        f"<p>More on <a href='https://{slug}.example.org/about'>our page</a>.</p>"),
        "url": f"www.{slug}.example.org" if index % 10 else "",
        "email": f"hello@{slug}.example.org",
        "status": "active",
        "fees": "Free" if index % 3 else "£3 a session",
        "organization": {"id": str(500 + index % 40), "name": f"{town} Community Trust"},
    }
    if index % 5:
        service["service_at_locations"] = [{"id": f"sl{index}", "location": {
            "id": f"l{index}", "name": f"{town} Village Hall",
            "physical_addresses": [{"id": f"pa{index}", "address_1": f"{index} High Street",
                                    "city": town, "postal_code": _postcode(rng, index)}],
        }}]
    return service


def council_list(count: int = 1000, seed: int = 16) -> dict[str, Any]:
    """One ORUK 1.0 list page of `count` records: `count - 1` services plus one blank record,
    with the service at position `count // 2` given the id of the one at position 10."""
    rng = random.Random(seed)
    content = [_listed_service(rng, i) for i in range(1, count)]
    content[count // 2 - 1]["id"] = content[9]["id"]
    content.insert(count // 2, {})
    return {"totalElements": count, "totalPages": 1, "number": 0, "size": count,
            "first": True, "last": True, "content": content}


def full_service(rng: random.Random, index: int) -> dict[str, Any]:
    """An ORUK 3.0 full service with everything an adviser would use."""
    town = rng.choice(_TOWNS)
    kind = rng.choice(_KINDS)
    sid = f"5f0c0000-0000-4000-8000-{index:012d}"
    places = []
    for p in range(rng.randrange(1, 4)):
        places.append({"id": f"{sid}-sal{p}", "location": {
            "id": f"{sid}-l{p}", "location_type": "physical", "name": f"{town} Hall {p + 1}",
            "addresses": [{"id": f"{sid}-a{p}", "address_1": f"{p + 1} Mill Lane",
                           "city": town, "state_province": "", "country": "GB",
                           "postal_code": _postcode(rng, index * 3 + p),
                           "address_type": "physical"}],
            "phones": [{"id": f"{sid}-lp{p}", "number": f"01632 96{rng.randrange(10000):04d}"}],
            "schedules": [{"id": f"{sid}-ls{p}", "freq": "WEEKLY", "byday": "MO,WE",
                           "opens_at": "10:00", "closes_at": "12:00"}],
            "accessibility": [{"id": f"{sid}-ac{p}", "description": "Step-free entrance"}],
        }})
    return {
        "id": sid,
        "name": f"{kind}, {town} ({index})",
        "description": f"<p>A {kind.lower()} for everyone in {town}.</p><p>Come along.</p>",
        "url": f"https://service-{index}.example.org",
        "email": f"info@service-{index}.example.org",
        "status": "active",
        "fees": "£2 a session, free for carers",
        "eligibility_description": "Adults living in the borough",
        "minimum_age": 18,
        "maximum_age": 99,
        "assured_date": "2025-06-01",
        "application_process": "Ring or just turn up",
        "languages": [{"id": f"{sid}-en", "name": "English"},
                      {"id": f"{sid}-pl", "name": "Polish"}],
        "organization": {"id": f"{sid}-org", "name": f"{town} Trust", "description": "A trust"},
        "service_areas": [{"id": f"{sid}-area", "name": town}],
        "cost_options": [{"id": f"{sid}-c", "option": "Carers", "amount": 0}],
        "contacts": [
            {"id": f"{sid}-k{c}", "name": f"Contact {c}", "title": "Organiser",
             "email": f"contact{c}@service-{index}.example.org",
             "phones": [{"id": f"{sid}-kp{c}", "number": f"01632 97{rng.randrange(10000):04d}"}]}
            for c in range(rng.randrange(1, 3))
        ],
        "schedules": [{"id": f"{sid}-s", "description": "Mondays and Wednesdays, mornings"}],
        "service_at_locations": places,
        "attributes": [{"id": f"{sid}-t{t}", "taxonomy_term": {
            "id": f"term-{t}", "name": rng.choice(_TERMS), "taxonomy": "Council service types"}}
            for t in range(2)],
    }


def full_services(count: int, seed: int = 5) -> dict[str, Any]:
    """A page of `count` full services (HSDS 3.0 envelope)."""
    rng = random.Random(seed)
    contents = [full_service(rng, i) for i in range(count)]
    return {"total_items": count, "total_pages": 1, "page_number": 1, "size": count,
            "first_page": True, "last_page": True, "empty": not contents, "contents": contents}
