"""Printed documents from the store: a person's journey printout, the referrer letter, visit packs.

One module each (:mod:`.plan`, :mod:`.letter`, :mod:`.pack`) plus what they share
(:mod:`.shared`); the names callers use are all importable from here.
"""

from sp_desktop.services.documents.letter import codes_for, letter_for, letter_pdf
from sp_desktop.services.documents.pack import DueVisit, due_on, visit_pack_for, visit_pack_pdf
from sp_desktop.services.documents.plan import (
    NEXT_VISIT_WORDS,
    next_contact,
    next_visit,
    plan_for,
    plan_pdf,
)
from sp_desktop.services.documents.shared import (
    BuiltDocument,
    ContactDetails,
    DocumentKind,
    DocumentNotPossible,
    WorkPhoneMissing,
    link_worker,
    read_contact,
    record_exported,
    record_printed,
)

__all__ = [
    "NEXT_VISIT_WORDS",
    "BuiltDocument",
    "ContactDetails",
    "DocumentKind",
    "DocumentNotPossible",
    "DueVisit",
    "WorkPhoneMissing",
    "codes_for",
    "due_on",
    "letter_for",
    "letter_pdf",
    "link_worker",
    "next_contact",
    "next_visit",
    "plan_for",
    "plan_pdf",
    "read_contact",
    "record_exported",
    "record_printed",
    "visit_pack_for",
    "visit_pack_pdf",
]
