"""readahead: a source read in a forked child comes back in order, errors included.

The fork path only runs in a process with a single thread, so each case runs in a fresh
interpreter (pytest's own process may hold threads from other tests)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import pytest

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="fork is POSIX only")

PRELUDE = """
import json, os, sys, threading, time
from fluigbot import readahead
from fluigbot.errors import FluigbotError
from fluigbot.fluig.client import FluigHTTPError
out = {"parent": os.getpid()}
"""


def run(body: str) -> dict:
    code = PRELUDE + textwrap.dedent(body) + "\nprint(json.dumps(out))\n"
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_pages_come_back_in_order_from_another_process() -> None:
    out = run("""
        def produce():
            for n in range(5):
                yield {"n": n, "pid": os.getpid()}
        got = list(readahead.run(produce))
        out["ns"] = [g["n"] for g in got]
        out["pids"] = sorted({g["pid"] for g in got})
    """)
    assert out["ns"] == [0, 1, 2, 3, 4]
    assert out["pids"] != [out["parent"]]  # read by the child, one process for all


def test_an_error_in_the_child_comes_after_the_pages_before_it() -> None:
    out = run("""
        def produce():
            yield 1
            yield 2
            raise FluigHTTPError("Fluig answered HTTP 404", status_code=404, hint="Check it.")
        got = []
        try:
            for page in readahead.run(produce):
                got.append(page)
        except FluigHTTPError as exc:
            out["error"] = [type(exc).__name__, exc.status_code, str(exc), exc.exit_code]
        out["got"] = got
    """)
    assert out["got"] == [1, 2]
    assert out["error"] == ["FluigHTTPError", 404, "Fluig answered HTTP 404. Check it.", 5]


def test_a_bug_in_the_child_is_an_internal_error_not_a_hang() -> None:
    out = run("""
        def produce():
            yield 1
            {}["missing"]
        try:
            list(readahead.run(produce))
        except readahead.ReaderCrashed as exc:
            out["crash"] = str(exc).splitlines()[0]
    """)
    assert out["crash"] == "KeyError while reading"


def test_a_reader_that_stops_early_leaves_no_child_behind() -> None:
    out = run("""
        import multiprocessing
        def produce():
            n = 0
            while True:  # endless: only the parent's stop ends it
                n += 1
                yield n
        start = time.monotonic()
        for page in readahead.run(produce):
            if page == 3:
                break
        out["children"] = len(multiprocessing.active_children())
        out["seconds"] = time.monotonic() - start
    """)
    assert out["children"] == 0 and out["seconds"] < 10


def test_with_another_thread_running_it_reads_in_this_process() -> None:
    out = run("""
        stop = threading.Event()
        threading.Thread(target=stop.wait, daemon=True).start()
        def produce():
            yield os.getpid()
        out["pids"] = list(readahead.run(produce))
        stop.set()
    """)
    assert out["pids"] == [out["parent"]]


@pytest.mark.skipif(not os.path.isdir("/proc/self/fd"), reason="needs /proc")
def test_the_reader_holds_none_of_our_files_so_a_lock_dies_with_us(tmp_path) -> None:
    lock = str(tmp_path / "journal.lock")
    out = run(f"""
        held = os.open({lock!r}, os.O_RDWR | os.O_CREAT)
        def open_files():
            names = []
            for fd in os.listdir("/proc/self/fd"):
                try:
                    names.append(os.readlink(f"/proc/self/fd/{{fd}}"))
                except OSError:  # the listing's own descriptor, closed by now
                    pass
            return sorted(names)
        out["parent_files"] = open_files()
        out["child_files"] = next(iter(readahead.run(lambda: iter([open_files()]))))
    """)
    assert lock in out["parent_files"]
    assert lock not in out["child_files"]
