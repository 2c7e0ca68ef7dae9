"""One list of synced tables: the protocol's, the store's and the rules' agree, column by column."""

from __future__ import annotations

from sp_desktop.domain.rows import ROWS
from sp_desktop.store.schema import LOCAL_ONLY_COLUMNS, SYNC_COLUMNS, SYNCED_TABLES
from sp_desktop.sync.protocol import TABLES


def test_the_protocol_the_store_and_the_rules_name_the_same_tables() -> None:
    store = {str(table.name) for table in SYNCED_TABLES}
    assert set(TABLES) == store == set(ROWS)


def test_every_synced_column_has_exactly_one_rule() -> None:
    for table in SYNCED_TABLES:
        travelling = {str(c.name) for c in table.columns} - SYNC_COLUMNS - LOCAL_ONLY_COLUMNS
        assert set(ROWS[str(table.name)].fields) == travelling, table.name


def test_a_new_row_requires_exactly_the_columns_the_store_cannot_fill_in() -> None:
    for table in SYNCED_TABLES:
        must = {str(c.name) for c in table.columns
                if c.name not in SYNC_COLUMNS and c.name not in LOCAL_ONLY_COLUMNS
                and not c.nullable and c.default is None}
        assert ROWS[str(table.name)].required == must, table.name


def test_nullable_columns_and_rules_agree() -> None:
    for table in SYNCED_TABLES:
        rules = ROWS[str(table.name)].fields
        for column in table.columns:
            if column.name in rules:
                assert rules[str(column.name)].nullable == bool(column.nullable), (
                    f"{table.name}.{column.name}")


def test_free_text_fields_named_by_the_protocol_are_text_in_the_rules() -> None:
    for name, spec in TABLES.items():
        assert spec.text_fields <= set(ROWS[name].fields), name
