"""The journal's fast writer must give tomli-w's bytes exactly, or step aside."""

from __future__ import annotations

import tomllib

import tomli_w
from hypothesis import given, settings
from hypothesis import strategies as st

from fluigbot.journal.blocks import flat_toml

keys = st.text(alphabet=st.sampled_from('abcxyz_-0129AZ." é'), min_size=1, max_size=8)
values = st.one_of(st.text(max_size=30), st.integers(), st.booleans(), st.floats(allow_nan=False))


@settings(max_examples=500, deadline=None)
@given(st.dictionaries(keys, values, max_size=8))
def test_flat_toml_is_tomli_w_or_nothing(table: dict) -> None:
    fast = flat_toml(table)
    if fast is not None:
        assert fast == tomli_w.dumps(table)
        assert tomllib.loads(fast) == table


def test_typical_record_takes_the_fast_path() -> None:
    record = {
        "seq": 7,
        "at": "2026-11-25T20:00:00+00:00",
        "source": "https://fluig.example.com",
        "request_id": "100001",
        "status": "pending",
        "phone": "AbC+/==",
    }
    assert flat_toml(record) == tomli_w.dumps(record)


def test_index_leaf_takes_the_fast_path() -> None:
    leaf = {"100001\thttps://fluig.example.com": ["d:2026-11-25", "s:pending"], "x": []}
    assert flat_toml(leaf) == tomli_w.dumps(leaf)
