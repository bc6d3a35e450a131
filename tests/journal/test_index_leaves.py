"""Phone index leaves: how a leaf splits, and the text a leaf is written as."""

from __future__ import annotations

import tomllib

import tomli_w
from hypothesis import given, settings
from hypothesis import strategies as st

from fluigbot.journal import index
from fluigbot.journal.blocks import NEEDS_ESCAPE
from fluigbot.journal.index import LEAF_SPLIT, PhoneLeaves, _size_of, _split

refs = st.text(alphabet="0123456789abcdef", min_size=32, max_size=32)
tokens = st.sets(
    st.one_of(
        st.from_regex(r"k:[0-9]{1,9}\thttps://fluig\.example\.com", fullmatch=True),
        st.from_regex(r"c:2026-0[1-9]-1[0-9]T10:00:00\.000000\+00:00", fullmatch=True),
    ),
    min_size=1,
    max_size=3,
)


def _split_by_bits(prefix: str, leaf: dict[str, set[str]]) -> dict[str, dict[str, set[str]]]:
    """The definition: halve by the next bit of each ref's hash until every part fits."""
    size = sum(_size_of(ref, toks) for ref, toks in leaf.items())
    if size <= LEAF_SPLIT or len(prefix) >= 32:
        return {prefix: leaf}
    out: dict[str, dict[str, set[str]]] = {}
    for bit in "01":
        head = prefix + bit
        part = {r: t for r, t in leaf.items() if PhoneLeaves.bits(r).startswith(head)}
        out.update(_split_by_bits(head, part))
    return out


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(refs, tokens, max_size=400), st.sampled_from(["", "0", "1", "01", "110"]))
def test_split_is_halving_by_hash_bits(leaf: dict[str, set[str]], prefix: str) -> None:
    leaf = {prefix + ref[len(prefix) :]: t for ref, t in leaf.items()} if prefix else leaf
    leaf = {r: t for r, t in leaf.items() if PhoneLeaves.bits(r).startswith(prefix)}
    assert _split(prefix, leaf) == _split_by_bits(prefix, leaf)


def test_a_big_leaf_splits_into_small_ones_that_cover_every_ref() -> None:
    leaf = {f"{n * 2654435761 % 2**32:08x}" + "0" * 24: {f"k:{n}\tapi"} for n in range(3000)}
    parts = _split("", leaf)
    assert len(parts) > 16
    assert {r for part in parts.values() for r in part} == set(leaf)
    for head, part in parts.items():
        assert all(PhoneLeaves.bits(r).startswith(head) for r in part)
        assert sum(_size_of(r, t) for r, t in part.items()) <= LEAF_SPLIT


names = st.one_of(refs, st.text(min_size=1, max_size=12))  # key leaves: "<id>\t<source>"
any_tokens = st.one_of(
    tokens, st.sets(st.text(max_size=12).filter(lambda t: t != index.CLEAR), max_size=3)
)


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(names, any_tokens, max_size=30))
def test_leaf_text_is_what_tomli_w_writes(leaf: dict[str, set[str]]) -> None:
    text = index.leaf_text(leaf)
    table = {n: sorted(t) for n, t in sorted(leaf.items()) if t}
    expected = index.FILE_HEADER + (index.TABLE + tomli_w.dumps(table) if table else "")
    assert text == expected
    live = {n: t for n, t in leaf.items() if t}
    assert index.fold(tomllib.loads(text).get("u", [])) == live


@settings(max_examples=300, deadline=None)
@given(st.lists(st.dictionaries(names, any_tokens, max_size=8), min_size=1, max_size=4), st.data())
def test_a_leaf_reads_the_same_without_the_toml_parser(
    tables: list[dict[str, set[str]]], data: st.DataObject
) -> None:
    """What a checkpoint wrote (tables appended to a leaf) reads the same fast as with tomllib;
    a leaf cut anywhere (torn) is either read the same or left to tomllib."""
    text = index.leaf_text(tables[0]) + "".join(index.table_text(t) for t in tables[1:])
    fast = index._written_tables(text)
    words = [w for t in tables for n, toks in t.items() for w in (n, *toks)]
    if not any(NEEDS_ESCAPE.search(w) for w in words):
        assert fast is not None  # what table_text() writes itself is read fast
    if fast is not None:
        assert fast == tomllib.loads(text).get("u", [])
    cut = text[: data.draw(st.integers(0, len(text)))]
    torn = index._written_tables(cut)
    if torn is not None:
        assert torn == tomllib.loads(cut).get("u", [])


def test_an_edited_or_foreign_leaf_goes_to_the_toml_parser() -> None:
    ok = index.leaf_text({"abc": {"k:1\tapi"}})
    assert index._written_tables(ok) == [{"abc": ["k:1\tapi"]}]
    for text in (
        ok.replace("schema = 1", "schema = 2"),
        ok + "abc = [\n]\n",  # the same name twice in one table
        ok.replace('"k:1\tapi"', '"k:1\\tapi"'),  # an escape
        ok.replace('"k:1\tapi"', '"k:1\x01api"'),  # a control character
        ok + "# a comment\n",
        ok[:-3],
    ):
        assert index._written_tables(text) is None
