"""Subject access from the app: every row of every table naming the person is in the copy
(checked by walking the schema here, independently), conflict copies, outbox entries, drafts
and audit events included; the PDF is readable; making it is audited."""

from __future__ import annotations

import io
from datetime import date

import orjson
from pypdf import PdfReader
from sqlalchemy import select

from sp_desktop.domain.ids import new_id
from sp_desktop.services.demo import populate
from sp_desktop.services.subject_access import subject_access
from sp_desktop.services.visit_summary import visit_draft_key
from sp_desktop.services.workspace import Workspace
from sp_desktop.store.changes import now_text
from sp_desktop.store.schema import audit_events, conflicts, metadata, people
from tests.conftest import give_consent

TODAY = date.today()


def _journey(ws: Workspace) -> str:
    person = ws.people.create(given_name="Wiktoria", family_name="Zaręba",
                              date_of_birth=date(1948, 9, 9), nhs_number="9990000026").id
    give_consent(ws, person)
    visit = ws.visits.start(person, TODAY).id
    ws.visits.add_concern(visit, "connection", "Misses the choir", 6)
    ws.visits.add_step(person, "Ring the choir leader")
    ws.drafts.save(visit_draft_key(visit), {"notes": {"connection": "half typed"}})
    carer = ws.people.create(given_name="Jan", family_name="Zaręba",
                             date_of_birth=date(1946, 1, 1)).id
    ws.people.set_carer_of(carer, person)
    ws.people.view(person)
    with ws.write() as conn:
        conn.execute(conflicts.insert().values(
            id=new_id(), table_name="people", row_id=person, person_id=person, field="phone",
            kept_value="07700 900001", other_value="07700 900002", created_at=now_text()))
    return person


def _referencing_rows(ws: Workspace, person: str) -> dict[str, set[tuple[object, ...]]]:
    """Walked here without the code under test: every table, every column that names a person
    (a foreign key to people.id, or person_id), primary keys of the rows naming them."""
    found: dict[str, set[tuple[object, ...]]] = {}
    with ws.store.read() as conn:
        for table in metadata.tables.values():
            naming = [c for c in table.columns
                      if c.name == "person_id"
                      or any(fk.column is people.c.id for fk in c.foreign_keys)]
            if table is people:
                naming = [people.c.id]  # a carer's own row names them, but is the carer's
            keys = list(table.primary_key.columns)
            for column in naming:
                for row in conn.execute(select(*keys).where(column == person)):
                    found.setdefault(str(table.name), set()).add(tuple(row))
    return found


def test_the_copy_holds_every_row_naming_them_in_every_table(workspace: Workspace) -> None:
    populate(workspace, 5, seed=3)
    person = _journey(workspace)
    expected = _referencing_rows(workspace, person)
    # the walk must reach the kinds of record the issue names, not only the obvious ones
    assert {"people", "consents", "visits", "concerns", "steps", "outbox", "audit_events",
            "conflicts", "caseload_summary"} <= set(expected)
    made = subject_access(workspace, person)
    copy = orjson.loads(made.json)
    for table_name, keys in expected.items():
        table = metadata.tables[table_name]
        names = [c.name for c in table.primary_key.columns]
        held = {tuple(row[n] for n in names) for row in copy["tables"][table_name]}
        assert keys <= held, table_name
    assert len(copy["tables"]["drafts"]) == 1, "the half-typed visit draft is theirs too"
    assert all(r["id"] == person for r in copy["tables"]["people"]), "not the carer's row"
    assert made.total == sum(len(k) for k in expected.values()) + 1  # + the draft
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(made.pdf)).pages)
    assert "Wiktoria" in text and "9990000026" in text and "Misses the choir" in text
    with workspace.store.read() as conn:
        actions = conn.execute(select(audit_events.c.action).where(
            audit_events.c.person_id == person)).scalars().all()
    assert actions[-1] == "subject_access"
    assert repr(made).count("Wiktoria") == 0
