"""The journal's fast writer must give tomli-w's bytes exactly, or step aside."""

from __future__ import annotations

import tomllib

import tomli_w
from hypothesis import given, settings
from hypothesis import strategies as st

from fluigbot.journal.blocks import NEEDS_ESCAPE, flat_toml, needs_escape

keys = st.text(alphabet=st.sampled_from('abcxyz_-0129AZ." é'), min_size=1, max_size=8)
texts = st.text(max_size=30)
values = st.one_of(
    texts, st.integers(), st.booleans(), st.floats(allow_nan=False), st.lists(texts, max_size=3)
)


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


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.tuples(keys, st.sampled_from([str, int])),
        min_size=1,
        max_size=6,
        unique_by=lambda kv: kv[0],
    ),
    st.lists(st.tuples(texts, st.integers()), min_size=1, max_size=5),
)
def test_one_shape_many_values(shape: list, rows: list) -> None:
    """Records of one shape with any values (quotes, newlines, braces, backslashes): tomli-w's
    bytes, or None exactly when something needs escaping."""
    for text, number in rows:
        table = {key: (text if kind is str else number) for key, kind in shape}
        fast = flat_toml(table)
        if fast is not None:
            assert fast == tomli_w.dumps(table)
        else:  # only when something must be escaped, which tomli-w does
            assert any((ord(c) < 32 and c != "\t") or c in '"\\\x7f' for c in text + "".join(table))


def test_a_value_needing_escape_in_a_known_shape_steps_aside() -> None:
    plain = {"seq": 1, "name": "Maria"}
    assert flat_toml(plain) == tomli_w.dumps(plain)
    for tricky in ('Ma"ria', "Ma\\ria", "Ma\nria", "Ma\x00ria", "{0}{seq}"):
        table = {"seq": 1, "name": tricky}
        fast = flat_toml(table)
        assert fast is None or fast == tomli_w.dumps(table)
    assert flat_toml({"seq": 1, "name": "{0}"}) == 'seq = 1\nname = "{0}"\n'


@settings(max_examples=500, deadline=None)
@given(st.text(max_size=40) | st.text(alphabet=st.characters(max_codepoint=127), max_size=40))
def test_the_escape_check_is_the_regex(text: str) -> None:
    assert needs_escape(text) == (NEEDS_ESCAPE.search(text) is not None)
