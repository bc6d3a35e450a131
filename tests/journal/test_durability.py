"""Crashes, torn and corrupt files, and two processes at once."""

from __future__ import annotations

import json
import logging
import os
import random
import signal
import subprocess
import sys
import textwrap
import time
import tomllib
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from journal_helpers import KEY, SOURCE, fetch, phone

from fluigbot.errors import JournalError
from fluigbot.journal import Journal
from fluigbot.journal.blocks import dump_block, make_block

REPO = Path(__file__).resolve().parents[2]

WORKER = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from fluigbot.journal import Journal, Outcome
    from fluigbot.models import FluigRequest

    state, key, start = Path(sys.argv[1]), sys.argv[2], int(sys.argv[3])
    src = "https://fluig.example.com"
    j = Journal(state, key)
    i = start
    while True:
        with j.locked():
            for n in range(i, i + 7):
                r = FluigRequest(source=src, request_id=str(n), process_id="p")
                j.record_fetched(r, phone=f"+55119{n:08d}", phone_masked=None, name="Zé",
                                 description="d", status="pending", reason=None)
            j.flush()
            print("F", i + 6, flush=True)
            keys = [(src, str(n)) for n in range(i, i + 7)]
            j.claim(keys)
            print("C", i + 6, flush=True)
            j.record_outcomes([Outcome(k, "sent", message_id="m" + k[1]) for k in keys[:4]])
            print("S", i + 3, flush=True)
            j.record_outcomes([Outcome(k, "failed", error_code="1") for k in keys[4:]])
            print("X", i + 6, flush=True)
        i += 7
    """
)


def _env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(REPO)}


def test_sigkill_at_many_points_loses_nothing_fsynced(tmp_path: Path) -> None:
    state = tmp_path / "state"
    script = tmp_path / "worker.py"
    script.write_text(WORKER)
    rng = random.Random(7)
    acked: dict[str, set[int]] = {"F": set(), "C": set(), "S": set(), "X": set()}
    start = 1
    for _round in range(10):
        proc = subprocess.Popen(
            [sys.executable, str(script), str(state), KEY, str(start)],
            stdout=subprocess.PIPE, text=True, env=_env(),
        )  # fmt: skip
        assert proc.stdout is not None
        proc.stdout.readline()  # running
        time.sleep(rng.uniform(0.0, 0.25))
        proc.send_signal(signal.SIGKILL)
        out, _ = proc.communicate()
        for line in out.splitlines():
            tag, n = line.split()
            last = int(n)
            first = last - {"S": 3, "X": 2}.get(tag, 6)
            acked[tag] |= set(range(first, last + 1))
        j = Journal(state, KEY)
        everything = {e.request_id: e for e in j.select(limit=None)}  # a reader: no torn data
        with j.locked():
            assert j.select(statuses=["sending"]) == []
            recovered = {e.request_id for e in j.recovered}
        for n in acked["F"]:
            assert str(n) in everything, f"request {n} was fsynced and then lost"
        for n in acked["C"] - acked["S"] - acked["X"]:
            e = j.get((SOURCE, str(n)))
            assert e is not None and e.status in ("sent", "failed", "unknown")
            assert e.status != "unknown" or str(n) in recovered or e.error_code == "interrupted"
        for n in acked["S"]:
            assert j.get((SOURCE, str(n))).status == "sent"  # type: ignore[union-attr]
            assert j.last_contact(phone(n)) is not None
        for n in acked["X"]:
            assert j.get((SOURCE, str(n))).status == "failed"  # type: ignore[union-attr]
        start = max(int(k) for k in everything) + 1 if everything else 1
    # the indexes the crashes left behind agree with a rebuild from the segments
    j = Journal(state, KEY)
    before = [(e.key, e.status, e.attempts) for e in j.select(limit=None)]
    failed = [e.key for e in j.select(statuses=["failed", "unknown"], limit=None)]
    contacts = {n: j.last_contact(phone(n)) for n in range(1, start)}
    with j.locked():
        j.rebuild_indexes()
    assert [(e.key, e.status, e.attempts) for e in j.select(limit=None)] == before
    assert [e.key for e in j.select(statuses=["failed", "unknown"], limit=None)] == failed
    assert {n: j.last_contact(phone(n)) for n in range(1, start)} == contacts
    assert acked["S"]  # the worker got somewhere before each kill


CLAIMER = textwrap.dedent(
    """
    import json, random, sys, time
    from pathlib import Path
    from fluigbot.journal import Journal, Outcome

    state, key, seed, go = Path(sys.argv[1]), sys.argv[2], int(sys.argv[3]), Path(sys.argv[4])
    keys = [("https://fluig.example.com", str(n)) for n in range(1, 121)]
    random.Random(seed).shuffle(keys)
    while not go.exists():
        time.sleep(0.001)
    j = Journal(state, key)
    mine = []
    for i in range(0, len(keys), 8):
        with j.locked(wait=30):
            got = j.claim(keys[i:i + 8])
            j.record_outcomes([Outcome(e.key, "sent", message_id="x") for e in got])
            mine += [e.request_id for e in got]
    print(json.dumps(mine))
    """
)


def test_two_processes_claiming_the_same_requests_send_each_once(
    make_journal, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    j = make_journal(path=tmp_path / "state")
    with j.locked():
        for n in range(1, 121):
            fetch(j, n, phone(n))
    script, go = tmp_path / "claimer.py", tmp_path / "go"
    script.write_text(CLAIMER)
    procs = [
        subprocess.Popen(
            [sys.executable, str(script), str(tmp_path / "state"), KEY, str(seed), str(go)],
            stdout=subprocess.PIPE,
            text=True,
            env=_env(),
        )
        for seed in (1, 2)
    ]
    time.sleep(0.3)
    go.touch()
    results = [json.loads(p.communicate(timeout=60)[0]) for p in procs]
    a, b = set(results[0]), set(results[1])
    assert not a & b
    assert a | b == {str(n) for n in range(1, 121)}
    assert len(results[0]) + len(results[1]) == 120
    assert all(e.status == "sent" for e in Journal(tmp_path / "state", KEY).select(limit=None))


def test_lock_timeout_names_the_folder(make_journal, state_dir: Path) -> None:  # type: ignore[no-untyped-def]
    a, b = make_journal(), make_journal()
    with a.locked():
        with pytest.raises(JournalError, match="another fluigbot is running on") as err:  # noqa: SIM117
            with b.locked(wait=0.1):
                pass
        assert str(state_dir) in str(err.value)


def _segment(state_dir: Path) -> Path:
    return sorted((state_dir / "wal").glob("*.toml"))[-1]


def test_torn_last_record_is_skipped_by_readers_and_cut_by_the_writer(
    journal: Journal, state_dir: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with journal.locked():
        fetch(journal, 1, phone(1))
        fetch(journal, 2, phone(2))
    seg = _segment(state_dir)
    good = seg.read_bytes()
    whole = good[good.index(b"[[r]]") : good.index(b"[[r]]", good.index(b"[[r]]") + 1)]
    with seg.open("ab") as f:
        f.write(whole.replace(b'"1"', b'"3"')[:150])  # killed mid-append
    reader = Journal(state_dir, KEY)
    assert [e.request_id for e in reader.select()] == ["2", "1"]
    with caplog.at_level(logging.WARNING), reader.locked():
        assert "unfinished record" in caplog.text
        assert seg.read_bytes() == good
        fetch(reader, 4, phone(4))
    assert [e.request_id for e in Journal(state_dir, KEY).select()] == ["4", "2", "1"]


def test_corrupt_record_names_file_and_line_and_other_days_still_work(
    journal: Journal, state_dir: Path, clock
) -> None:  # type: ignore[no-untyped-def]
    with journal.locked():
        fetch(journal, 1, phone(1))
        fetch(journal, 2, phone(2))
        fetch(journal, 3, phone(3))
        clock.advance(days=1)
        fetch(journal, 4, phone(4))
    old = sorted((state_dir / "wal").glob("*.toml"))[0]
    text = old.read_text()
    lines = text.splitlines(keepends=True)
    target = next(i for i, line in enumerate(lines) if line == 'request_id = "2"\n')
    lines[target] = 'request_id = "9"\n'  # a hand edit in the middle of the file
    old.write_text("".join(lines))
    j = Journal(state_dir, KEY)
    assert j.get((SOURCE, "4")).status == "pending"  # type: ignore[union-attr]
    assert [e.request_id for e in j.select(limit=1)] == ["4"]
    with pytest.raises(JournalError) as err:
        j.select(limit=None)
    block_line = max(i for i in range(target) if lines[i] == "[[r]]\n") + 1
    assert f"{old}, line {block_line}" in str(err.value)
    assert old.read_text() == "".join(lines)  # nothing rewritten or dropped


def test_corrupt_index_leaf_names_the_file(journal: Journal, state_dir: Path) -> None:
    with journal.locked():
        fetch(journal, 1, phone(1))
    leaf = state_dir / "index" / "keys" / "n0.toml"
    leaf.write_text('schema = 1\n[[u]]\n"1\\tx = [\n[[u]]\n"a" = ["b"]\n')
    with pytest.raises(JournalError, match=r"n0\.toml, line"):
        Journal(state_dir, KEY).get((SOURCE, "1"))


@settings(max_examples=200, deadline=None)
@given(
    st.dictionaries(
        st.text(alphabet="abcdefghijklmnopqrstuvwxyz_", min_size=1, max_size=12).filter(
            lambda k: k not in ("seq", "at", "source", "request_id", "status", "crc")
        ),
        st.one_of(
            st.text(max_size=30),
            st.integers(min_value=-(2**63), max_value=2**63 - 1),
            st.booleans(),
        ),
        max_size=6,
    ),
    st.text(max_size=20),
)
def test_the_fast_record_reader_agrees_with_tomllib(extra: dict, rid: str) -> None:  # type: ignore[type-arg]
    rec = {"seq": 1, "at": "2025-01-01T00:00:00.000000+00:00", "source": SOURCE,
           "request_id": rid, "status": "pending", **extra}  # fmt: skip
    text = dump_block(rec)
    expected = tomllib.loads(text)["r"][0]
    expected.pop("crc")
    assert make_block(text).record() == expected
