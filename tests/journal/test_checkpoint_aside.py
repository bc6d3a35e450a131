"""Journal.checkpoint_aside: the indexes written by a second process while fetch prints.

Forking needs a process with a single thread, so each case runs in a fresh interpreter."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="fork is POSIX only")

PRELUDE = """
import json, os, sys, tomllib
from pathlib import Path
from datetime import UTC, datetime
from fluigbot.errors import FluigbotError, JournalError
from fluigbot.journal import Journal
from fluigbot.journal.entry import Fetched
from fluigbot.models import FluigRequest

KEY = "aside-test-journal-key-0123456789abcdefghij"
state = Path(sys.argv[1])
out = {"parent": os.getpid()}

def items(first, count):
    for n in range(first, first + count):
        req = FluigRequest(source="https://fluig.example.com", request_id=str(n), process_id="p",
                           start_date=datetime(2026, 7, 1, tzinfo=UTC))
        phone = f"+55119{n:08d}"
        yield Fetched.of(req, "pending", None, phone, None, "Ana", None)

def head():
    return tomllib.loads((state / "index" / "head.toml").read_text())["seq"]
"""


def run(body: str, state: Path) -> dict:
    code = PRELUDE + textwrap.dedent(body) + "\nprint(json.dumps(out))\n"
    done = subprocess.run(
        [sys.executable, "-c", code, str(state)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_the_indexes_are_written_aside_and_nothing_is_left_to_do(tmp_path: Path) -> None:
    out = run(
        """
        j = Journal(state, KEY)
        with j.locked():
            j.record_fetched_many(list(items(1, 1500)))
            with j.checkpoint_aside():
                out["during"] = os.getpid()
            out["head_after_aside"] = head()
            before = (state / "index" / "head.toml").stat().st_mtime_ns
        out["head_rewritten_at_release"] = (state / "index" / "head.toml").stat().st_mtime_ns != before
        again = Journal(state, KEY)
        out["found"] = [e.request_id for e in again.find_by_phone("+5511900000777")]
        out["pending"] = len(again.select(statuses=["pending"], limit=None))
        """,
        tmp_path / "state",
    )
    assert out["head_after_aside"] == 1500  # written by the second process, before release
    assert out["head_rewritten_at_release"] is False  # the release found nothing left to write
    assert out["found"] == ["777"] and out["pending"] == 1500


def test_a_failed_checkpoint_aside_is_reported_and_loses_nothing(tmp_path: Path) -> None:
    out = run(
        """
        from fluigbot.journal import state as st_mod
        j = Journal(state, KEY)
        real = st_mod.Store.write_leaves
        def broken(self, plan, **parts):
            if os.getpid() != out["parent"]:  # the second process fails
                raise JournalError("disk full (simulated)")
            return real(self, plan, **parts)
        st_mod.Store.write_leaves = broken
        try:
            with j.locked():
                j.record_fetched_many(list(items(1, 1200)))
                with j.checkpoint_aside():
                    pass
        except JournalError as exc:
            out["error"] = str(exc)
        st_mod.Store.write_leaves = real
        again = Journal(state, KEY)
        out["pending"] = len(again.select(statuses=["pending"], limit=None))
        with again.locked():  # the next writer writes the indexes
            pass
        out["head"] = head()
        out["found"] = [e.request_id for e in Journal(state, KEY).find_by_phone("+5511900001100")]
        """,
        tmp_path / "state",
    )
    assert out["error"] == "disk full (simulated)"
    assert out["pending"] == 1200  # the records were durable before the checkpoint
    assert out["head"] == 1200 and out["found"] == ["1100"]


def test_writing_the_journal_during_the_checkpoint_aside_is_refused(tmp_path: Path) -> None:
    out = run(
        """
        j = Journal(state, KEY)
        with j.locked():
            j.record_fetched_many(list(items(1, 1000)))
            try:
                with j.checkpoint_aside():
                    j.record_fetched_many(list(items(5000, 1)))
            except FluigbotError as exc:
                out["refused"] = "checkpoint_aside" in str(exc)
        out["known"] = Journal(state, KEY).get(("https://fluig.example.com", "5000")) is None
        """,
        tmp_path / "state",
    )
    assert out["refused"] is True and out["known"] is True


def test_a_small_tail_is_left_to_the_lock_release(tmp_path: Path) -> None:
    out = run(
        """
        j = Journal(state, KEY)
        with j.locked():
            j.record_fetched_many(list(items(1, 10)))
            with j.checkpoint_aside():
                out["head_during"] = (state / "index" / "head.toml").exists() and head()
        out["head"] = head()
        """,
        tmp_path / "state",
    )
    assert out["head_during"] in (False, 0)  # nothing written aside for 10 records
    assert out["head"] == 10


def test_an_interrupted_output_leaves_a_journal_the_next_run_completes(tmp_path: Path) -> None:
    out = run(
        """
        import multiprocessing
        j = Journal(state, KEY)
        try:
            with j.locked():
                j.record_fetched_many(list(items(1, 1100)))
                with j.checkpoint_aside():
                    raise KeyboardInterrupt  # Ctrl-C while the output prints
        except KeyboardInterrupt:
            out["interrupted"] = True
        out["children"] = len(multiprocessing.active_children())
        out["marker"] = (state / "index" / "checkpoint.toml").exists()
        again = Journal(state, KEY)
        out["pending"] = len(again.select(statuses=["pending"], limit=None))
        with again.locked():
            pass
        out["head"] = head()
        """,
        tmp_path / "state",
    )
    assert out["interrupted"] is True and out["children"] == 0
    assert out["marker"] is False  # repaired at once
    assert out["pending"] == 1100 and out["head"] == 1100
