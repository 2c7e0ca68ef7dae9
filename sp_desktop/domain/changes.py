"""The vocabulary of a recorded change, shared by the store's outbox and the sync protocol.

It lives below both: the store writes changes in these words and the protocol sends them, so
neither has to import the other.
"""

from __future__ import annotations

import enum


class OpKind(enum.StrEnum):
    UPSERT = "upsert"  # create a row or change some of its fields
    APPEND = "append"  # an append-only fact: written once, never edited, never conflicts
    DELETE = "delete"  # a tombstone; wins only over edits older than itself


# The conflict "field" of a delete racing an edit: the whole row, not one of its fields.
ROW_FIELD = "*"
