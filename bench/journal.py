"""Journal benchmark: does the work of a command grow with the whole history?

Builds journals of 2,000 and 200,000 requests spread over 24 months (two records per request,
as fetch and send write them), then times in the same run: a dedup lookup by phone, recording
1,000 new requests, claiming and completing 1,000 sends, and `fluigbot history --limit 50` /
`--status failed` as whole processes. Prints each figure and the 200k/2k ratio.

    .venv/bin/python bench/journal.py [--big 200000] [--small 2000] [--keep DIR]
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from fluigbot.journal import (  # noqa: E402
    Journal,
    Outcome,
    bulk,
)
from fluigbot.journal.numbers import mask  # noqa: E402
from fluigbot.journal.state import ts  # noqa: E402
from fluigbot.models import FluigRequest  # noqa: E402

KEY = "bench-journal-key-0123456789abcdefghijklmnop"
SOURCE = "https://fluig.example.com"
DAYS = 730


def phone_of(n: int) -> str:
    return f"+55{11 + n % 80:02d}9{n:08d}"[:14]


def build(state: Path, n: int, now: datetime, rng: random.Random) -> dict[str, Any]:
    """n requests over 24 months ending yesterday; most sent, some skipped, dead, failed."""
    j = Journal(state, KEY)
    per_day: dict[str, list[dict[str, Any]]] = {}
    phones = [phone_of(rng.randrange(1, 1 + int(n * 0.75))) for _ in range(n)]
    failed = 0
    t0 = time.perf_counter()
    with j.locked():
        for i in range(n):
            at = now - timedelta(days=DAYS) + timedelta(seconds=(DAYS - 1) * 86400 * i / n)
            day = at.date().isoformat()
            rid = str(100_000 + i)
            base: dict[str, Any] = {
                "at": ts(at), "source": SOURCE, "request_id": rid, "status": "pending",
                "attempts": 0, "process_id": "abertura_chamado", "created_at": ts(at),
                "start_date": ts(at - timedelta(minutes=3)), "form_id": 4101,
                "form_record_id": 900_000 + i, "state_sequence": 5, "thread_sequence": 0,
                "movement_sequence": 2,
            }  # fmt: skip
            roll = rng.random()
            recent = i >= n - max(30, n // 700)  # the last days still have open work
            if roll < 0.08:
                base.update(status="skipped", reason=rng.choice(["invalid", "landline"]))
                per_day.setdefault(day, []).append(base)
                continue
            ph = phones[i]
            base.update(phone_ref=j.keys.phone_ref(ph), phone_masked=mask(ph))
            bulk.encrypt_fields(j, base, phone=ph, name=f"Pessoa {i}", description="Chamado")
            final = dict(base)
            final["at"] = ts(at + timedelta(seconds=40))
            final["attempts"] = 1
            if recent and roll < 0.5:
                failed += 1
                final.update(status="failed", error_code="131000", next_attempt_at=ts(now))
                bulk.encrypt_fields(j, final, error_message="Something went wrong")
            elif roll < 0.09:
                final.update(status="dead", error_code="131026")
            else:
                final.update(status="sent", sent_at=final["at"], mark_state="done",
                             message_id=f"wamid.HBgN{rid}AAA=")  # fmt: skip
            per_day.setdefault(day, []).extend([base, final])
        bulk.write_days(j, sorted(per_day.items()))
    return {"build_s": time.perf_counter() - t0, "phones": phones, "failed": failed}


def timed(fn: Any) -> float:
    t = time.perf_counter()
    fn()
    return time.perf_counter() - t


def history(state: Path, *args: str) -> str:
    env = {**os.environ, "FLUIGBOT_STATE_DIR": str(state), "FLUIGBOT_JOURNAL_KEY": KEY,
           "PYTHONPATH": str(REPO), "NO_COLOR": "1"}  # fmt: skip
    cmd = [sys.executable, "-m", "fluigbot", "history", *args, "--json"]
    runs = []
    for _ in range(3):
        t = time.perf_counter()
        p = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=REPO)
        runs.append(time.perf_counter() - t)
        if p.returncode == 2 and "not available yet" in p.stderr + p.stdout:
            return "n/a (history not available yet)"
        if p.returncode != 0:
            return f"error (exit {p.returncode}: {p.stderr.strip()[-120:]})"
    return f"{min(runs):.3f} s"


def cli_baseline() -> str:
    """`fluigbot --version`: what every command costs before it touches the journal."""
    runs = []
    for _ in range(3):
        t = time.perf_counter()
        p = subprocess.run([sys.executable, "-m", "fluigbot", "--version"], capture_output=True,
                           env={**os.environ, "PYTHONPATH": str(REPO)}, cwd=REPO)  # fmt: skip
        runs.append(time.perf_counter() - t)
        if p.returncode != 0:
            return "n/a"
    return f"{min(runs):.3f} s"


def journal_process(state: Path, code: str) -> float:
    """A bare Python process that opens the journal and runs `code` (history minus the CLI)."""
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    prog = (
        "import sys; from pathlib import Path; from fluigbot.journal import Journal; "
        f"j = Journal(Path(sys.argv[1]), sys.argv[2]); [e.to_json() for e in {code}]"
    )
    runs = []
    for _ in range(3):
        t = time.perf_counter()
        subprocess.run([sys.executable, "-c", prog, str(state), KEY], check=True, env=env)
        runs.append(time.perf_counter() - t)
    return min(runs)


def measure(state: Path, n: int, rng: random.Random) -> dict[str, Any]:
    now = datetime.now(UTC)
    info = build(state, n, now, rng)
    out: dict[str, Any] = {"build": info["build_s"]}
    reader = Journal(state, KEY)
    sample = [rng.choice(info["phones"]) for _ in range(1000)]
    reader.last_contact(sample[0])
    laps = []
    for ph in sample:
        t = time.perf_counter()
        reader.last_contact(ph)
        laps.append(time.perf_counter() - t)
    out["lookup_ms"] = statistics.mean(laps) * 1000
    out["lookup_p95_ms"] = sorted(laps)[int(len(laps) * 0.95)] * 1000

    j = Journal(state, KEY)
    first = 100_000 + n + 10

    def record() -> None:
        with j.locked():
            for i in range(1000):
                r = FluigRequest(source=SOURCE, request_id=str(first + i), process_id="p")
                j.record_fetched(r, phone=phone_of(10_000_000 + i), phone_masked=None,
                                 name=f"Nova {i}", description="d", status="pending",
                                 reason=None)  # fmt: skip

    def send() -> None:
        keys = [(SOURCE, str(first + i)) for i in range(1000)]
        with j.locked():
            for b in range(0, 1000, 50):
                got = j.claim(keys[b : b + 50])
                j.record_outcomes([Outcome(e.key, "sent", message_id="wamid.x") for e in got])

    out["record_1000_s"] = timed(record)
    out["send_1000_s"] = timed(send)
    out["history_limit_50"] = history(state, "--limit", "50")
    out["history_failed"] = history(state, "--status", "failed")
    out["journal_limit_50_s"] = journal_process(state, "j.select(limit=50)")
    out["journal_failed_s"] = journal_process(state, "j.select(statuses=['failed'])")
    out["files"] = sum(1 for p in state.rglob("*") if p.is_file())
    out["mbytes"] = sum(p.stat().st_size for p in state.rglob("*") if p.is_file()) / 1e6
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--big", type=int, default=200_000)
    ap.add_argument("--small", type=int, default=2_000)
    ap.add_argument("--keep", type=Path, help="build under this folder and keep it")
    args = ap.parse_args()
    root = args.keep or Path(tempfile.mkdtemp(prefix="fluigbot-bench-"))
    rng = random.Random(2024)
    try:
        results = {n: measure(root / f"state-{n}", n, rng) for n in (args.small, args.big)}
    finally:
        if not args.keep:
            shutil.rmtree(root, ignore_errors=True)
    small, big = results[args.small], results[args.big]
    rows = [
        ("dedup lookup by phone, mean (goal < 5 ms)", "lookup_ms", "ms"),
        ("dedup lookup by phone, p95", "lookup_p95_ms", "ms"),
        ("record 1,000 new requests", "record_1000_s", "s"),
        ("claim + complete 1,000 sends", "send_1000_s", "s"),
        ("journal-only process: select(limit=50)", "journal_limit_50_s", "s"),
        ("journal-only process: select(failed)", "journal_failed_s", "s"),
    ]
    print(f"journal bench: {args.small:,} vs {args.big:,} requests over 24 months")
    print(f"  build: {small['build']:.1f} s / {big['build']:.1f} s; on disk "
          f"{small['files']} files {small['mbytes']:.1f} MB / "
          f"{big['files']} files {big['mbytes']:.1f} MB")  # fmt: skip
    print(f"  {'figure':44} {args.small:>10,} {args.big:>10,}   ratio (goal <= 2x)")
    for label, key, unit in rows:
        a, b = small[key], big[key]
        print(f"  {label:44} {a:>8.3f}{unit:>2} {b:>8.3f}{unit:>2}   {b / a:.2f}x")
    for label, key in (("history --limit 50 (goal < 0.3 s)", "history_limit_50"),
                       ("history --status failed (goal < 0.3 s)", "history_failed")):  # fmt: skip
        print(f"  {label:44} {small[key]:>10} {big[key]:>10}")
    print(f"  {'for reference: fluigbot --version process':44} {cli_baseline():>10}")


if __name__ == "__main__":
    main()
