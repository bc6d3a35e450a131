"""Whole `fluigbot send` processes under faults: SIGKILL at random moments mid-batch, two runs
started together, and Ctrl-C. The invariant: no number ever receives a message twice."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
from dispatch_helpers import add_pending, entries, phone

ROOT = Path(__file__).resolve().parents[2]


def _command() -> list[str]:
    return [sys.executable, "-m", "fluigbot"]


def _start(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [*_command(), *args],
        cwd=ROOT,
        env=os.environ.copy(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _wait_for(cond, proc: subprocess.Popen[str], timeout: float = 30.0) -> bool:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if cond():
            return True
        if proc.poll() is not None:
            return False
        time.sleep(0.005)
    raise AssertionError("timed out waiting for the send process")


def _delivered(cloud) -> Counter[str]:  # type: ignore[no-untyped-def]
    return Counter(r.to for r in cloud.received if r.delivered)


def test_sigkill_mid_batch_never_sends_twice(configure, journal, cloud):
    cloud.latency = 0.02
    configure(send={"concurrency": 4})
    n = 40
    keys = add_pending(journal, [phone(i) for i in range(n)])
    rng = random.Random(20260701)
    warnings = []
    for _round in range(4):
        already = len(cloud.received)
        if already >= n:
            break
        target = already + rng.randint(1, max(1, (n - already) // 2))
        proc = _start("send", "--yes")
        _wait_for(lambda t=target: len(cloud.received) >= t, proc)
        time.sleep(rng.random() * 0.05)  # somewhere between two POSTs, or inside one
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
        warnings.append(proc.stderr.read() if proc.stderr else "")
    final = _start("send", "--yes")
    _out, err = final.communicate(timeout=60)
    assert final.returncode in (0, 6), err
    delivered = _delivered(cloud)
    assert max(delivered.values()) == 1, "a number received the message twice"
    found = entries(journal, keys)
    states = Counter(e.status for e in found)
    assert set(states) <= {"sent", "unknown"}, states  # nothing left sending or pending
    # Every "sent" entry was received; every number the fake got is sent or unknown.
    sent_to = {e.phone.lstrip("+") for e in found if e.status == "sent" and e.phone}
    assert sent_to <= set(delivered)
    if states["unknown"]:  # each run reports what a killed run left behind
        assert "now 'unknown'" in err + "".join(warnings)


def test_two_sends_started_together_send_each_once(configure, journal, cloud):
    cloud.latency = 0.01
    n = 30
    keys = add_pending(journal, [phone(i) for i in range(n)])
    first, second = _start("send", "--yes", "--json"), _start("send", "--yes", "--json")
    r1, r2 = first.communicate(timeout=60), second.communicate(timeout=60)
    assert {first.returncode, second.returncode} <= {0}, (r1[1], r2[1])
    delivered = _delivered(cloud)
    assert len(delivered) == n and max(delivered.values()) == 1
    assert [e.status for e in entries(journal, keys)] == ["sent"] * n


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_ctrl_c_records_in_flight_and_leaves_the_rest_pending(configure, journal, cloud, sig):
    cloud.latency = 0.3
    configure(send={"concurrency": 2})
    n = 12
    keys = add_pending(journal, [phone(i) for i in range(n)])
    proc = _start("send", "--yes", "--json")
    _wait_for(lambda: len(cloud.received) >= 3, proc)
    proc.send_signal(sig)
    _out, err = proc.communicate(timeout=30)
    assert proc.returncode == 130, err
    found = entries(journal, keys)
    states = Counter(e.status for e in found)
    assert set(states) <= {"sent", "pending"}, states  # in flight recorded, nothing sending
    assert states["pending"] >= n - 6
    delivered = _delivered(cloud)
    assert {e.phone.lstrip("+") for e in found if e.status == "sent" and e.phone} == set(delivered)
    # The next run sends the rest, each once.
    again = _start("send", "--yes")
    again.communicate(timeout=60)
    assert again.returncode == 0
    delivered = _delivered(cloud)
    assert len(delivered) == n and max(delivered.values()) == 1
