"""Row identities: client-generated, time-ordered UUIDv7 so offline devices never collide."""

import uuid_utils


def new_id() -> str:
    """A fresh UUIDv7 in its canonical text form."""
    return str(uuid_utils.uuid7())
