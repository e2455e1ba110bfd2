"""Button values and private_metadata come back from Slack as text: every record round-trips,
and one whose fields are of the wrong type, or ids beyond what the database stores, is refused
as stale rather than passed on to a query."""

from __future__ import annotations

import json
from dataclasses import fields
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.text import row_id
from handlers.metadata import (
    AccountRef,
    AlertMove,
    ListState,
    Meta,
    ModalContext,
    ProfileRef,
    RowOp,
    StaleMetadata,
    TrackerRef,
    parse_row_op,
    row_op_value,
)

RECORDS: list[type[Meta]] = [AccountRef, ProfileRef, TrackerRef, ListState, ModalContext, AlertMove]
ids = st.integers(1, 2**63 - 1)
short = st.text(max_size=20)


@given(
    st.sampled_from(
        [
            st.builds(AccountRef, account_id=ids, response_url=st.none() | short),
            st.builds(ProfileRef, profile_id=ids),
            st.builds(TrackerRef, tracker_id=st.none() | ids),
            st.builds(
                ListState,
                provider=st.none() | short,
                tags=st.lists(short, max_size=3).map(tuple),
                enabled=st.none() | st.booleans(),
                page=st.integers(1, 10_000),
            ),
            st.builds(
                ModalContext,
                account_ids=st.lists(ids, max_size=5).map(tuple),
                profile_id=st.none() | ids,
            ),
            st.builds(AlertMove, alert_id=ids, backup_id=ids),
        ]
    ).flatmap(lambda s: s)
)
def test_every_record_round_trips(record: Meta):
    assert type(record).decode(record.encode()) == record


WRONG: dict[str, list[Any]] = {
    "int": ["7", 7.0, True, -1, 2**63, None, [7]],
    "str": [7, ["x"], {"x": 1}],
    "bool": [1, "true"],
    "tuple": ["1,2", [1, "2"], [2**64], [True]],
}


def _wrong_values(record: type[Meta]) -> list[tuple[str, Any]]:
    cases = []
    for f in fields(record):
        kind = str(f.type)
        if "tuple" in kind:
            bad = WRONG["tuple"] if "int" in kind else [[1], "x"]
        elif kind.startswith("int"):
            bad = WRONG["int"] if "None" not in kind else [v for v in WRONG["int"] if v is not None]
        elif kind.startswith("bool"):
            bad = WRONG["bool"]
        else:
            bad = WRONG["str"]
        cases += [(f.name, value) for value in bad]
    return cases


@pytest.mark.parametrize("record", RECORDS, ids=lambda r: r.__name__)
def test_fields_of_the_wrong_type_are_stale(record: type[Meta]):
    cases = _wrong_values(record)
    assert cases
    for name, value in cases:
        text = json.dumps({"v": 1, "k": record.kind, name: value})
        with pytest.raises(StaleMetadata):
            record.decode(text)


@pytest.mark.parametrize(
    "text", ["", "null", "[]", '{"v": 2, "k": "account", "account_id": 1}', '{"k": "list"}']
)
def test_other_versions_and_kinds_are_stale(text: str):
    with pytest.raises(StaleMetadata):
        AccountRef.decode(text)


@pytest.mark.parametrize("text", ["²", "١٢", "0", "-1", "1.0", " 1", str(2**63), "", "1e3"])
def test_row_id_refuses_what_is_not_a_storable_id(text: str):
    assert row_id(text) is None


@given(ids)
def test_row_id_reads_every_storable_id(number: int):
    assert row_id(str(number)) == number
    assert parse_row_op(row_op_value("archive", number)) == RowOp("archive", number, None)
    keyed = row_op_value("archive", number, "0123456789abcdef")
    assert len(keyed) <= 150
    assert parse_row_op(keyed) == RowOp("archive", number, "0123456789abcdef")
