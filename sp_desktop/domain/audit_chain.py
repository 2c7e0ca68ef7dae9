"""The audit trail's hash chain, defined once for the laptop that writes it and the office that
checks it as it arrives: each event's hash covers its fields and the hash of the one before."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping

import orjson

GENESIS = "0" * 64
# The fields an event's hash covers (its place in the chain, `prev_hash`, is covered too).
EVENT_FIELDS = ("id", "at", "actor", "device", "action", "person_id", "entity", "entity_id")


def event_body(event: Mapping[str, object]) -> dict[str, object]:
    return {k: event[k] for k in EVENT_FIELDS}


def event_digest(prev_hash: str, event: Mapping[str, object]) -> str:
    """The hash of one event: SHA-256 over the previous hash and the event's canonical JSON
    (compact UTF-8, sorted keys)."""
    canonical = orjson.dumps(event_body(event), option=orjson.OPT_SORT_KEYS)
    return hashlib.sha256(prev_hash.encode("ascii") + canonical).hexdigest()
