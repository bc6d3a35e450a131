"""The fast reading of a listing page gives the same requests as the careful one, or steps aside."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fluigbot.demo.fluig_sim import sample_item
from fluigbot.fluig import listing
from fluigbot.fluig.requests import _parse_page

DATA = Path(__file__).parent.parent / "data" / "fluig"
SOURCE = "https://fluig.example.com"


def careful(raw: bytes) -> tuple[list[Any], int, Any]:
    data = json.loads(raw)
    items = data.get("items") or []
    return _parse_page(items, SOURCE, 1, None), len(items), data.get("hasNext")


def test_the_simulators_pages_take_the_fast_way() -> None:
    raw = json.dumps({"items": [sample_item(n) for n in range(50)], "hasNext": True}).encode()
    fast = listing.read_page(raw, SOURCE)
    assert fast is not None
    assert fast == careful(raw)
    assert fast[0][1].fields["telefone"]  # the form fields came through


def test_the_recorded_page_takes_the_fast_way() -> None:
    raw = (DATA / "requests_page.json").read_bytes()
    fast = listing.read_page(raw, SOURCE)
    assert fast is not None
    assert fast == careful(raw)


@pytest.mark.parametrize(
    "raw",
    [
        b'{"items": [{"processInstanceId": 1}, "not an object"]}',
        b'{"items": [{"processId": "p"}]}',  # no processInstanceId: the careful path counts it
        b'{"items": [{"processInstanceId": 1, "formFields": {"telefone": "1"}}]}',  # as a map
        b'{"items": [{"processInstanceId": 1, "requester": "someone"}]}',
        b'{"items": [{"processInstanceId": 1, "currentMovements": [{"state": 5}]}]}',
        b'{"items": [{"processInstanceId": NaN}]}',
        b'{"items": [{"processInstanceId": 1}',  # truncated
        b'{"items": {"processInstanceId": 1}}',
        b"[]",
        b"",
    ],
)
def test_odd_pages_go_the_careful_way(raw: bytes) -> None:
    assert listing.read_page(raw, SOURCE) is None


scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-5, 10**12),
    st.floats(allow_nan=False, allow_infinity=False),
    st.sampled_from(["", " 42 ", "7", "abc", "2026-07-08T16:02:06.652-0400", "08/07/2026 10:00"]),
    st.text(max_size=8),
)
movements = st.lists(
    st.fixed_dictionaries(
        {},
        optional={
            "active": st.one_of(st.booleans(), st.none(), st.just("true")),
            "threadSequence": scalars,
            "movementSequence": scalars,
            "stateSequence": scalars,
            "state": st.one_of(
                st.none(), st.fixed_dictionaries({}, optional={"sequence": scalars})
            ),
            "tasks": st.none(),
        },
    ),
    max_size=3,
)
fields = st.lists(
    st.fixed_dictionaries(
        {}, optional={"field": scalars, "fieldId": scalars, "value": scalars, "x": scalars}
    ),
    max_size=4,
)
items = st.fixed_dictionaries(
    {"processInstanceId": st.one_of(st.integers(1, 10**9), st.just("123"), st.just(9.0))},
    optional={
        "processId": scalars,
        "requester": st.one_of(
            st.none(), st.fixed_dictionaries({}, optional={"name": scalars, "code": scalars})
        ),
        "formRecordId": scalars,
        "formId": scalars,
        "startDate": scalars,
        "status": scalars,
        "formFields": st.one_of(st.none(), fields),
        "currentMovements": st.one_of(st.none(), movements),
        "activities": st.one_of(st.none(), movements),
        "_expandables": st.lists(st.text(max_size=5), max_size=2),
    },
)


@settings(max_examples=300, deadline=None)
@given(st.lists(items, max_size=5), st.one_of(st.none(), st.booleans(), st.just("yes")))
def test_fast_and_careful_agree(page_items: list[dict[str, Any]], has_next: Any) -> None:
    raw = json.dumps({"items": page_items, "hasNext": has_next}).encode()
    fast = listing.read_page(raw, SOURCE)
    assert fast is not None  # every item has a usable key and the shapes the structs allow
    assert fast == careful(raw)


def test_a_key_of_unicode_digits_is_skipped_not_a_crash() -> None:
    raw = '{"items": [{"processInstanceId": "²"}, {"processInstanceId": 7}]}'.encode()
    requests, count, _ = careful(raw)
    assert [r.request_id for r in requests] == ["7"] and count == 2
