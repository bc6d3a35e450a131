"""`fluigbot send` at scale, against a loopback fake Cloud API (bench/fake_cloud.py, own process).

1. Throughput: N messages (2,000), the fake answers after 50 ms, send.concurrency = 32, no rate
   limit, quiet_hours off. The whole `fluigbot send --yes` process is timed; in the same run a
   bare httpx.AsyncClient loop with 32 in flight posts the same N messages to the same fake
   (before and after fluigbot: their mean is the yardstick).
   Goal: fluigbot >= 75% of the bare loop's messages/s.
2. Pacing: 500 messages with rate_per_second = 50. Goal: within 5% of 50/s, and never more
   than 50 arrivals in any one-second window, measured at the fake.

Also prints the journal's share of the send (time inside journal calls / wall), from the
`timings:` line fluigbot logs with -v.

    .venv/bin/python bench/send.py [N]
"""

from __future__ import annotations

import asyncio
import bisect
import csv
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

CONCURRENCY = 32
LATENCY = 0.05
RATE = 50
RATE_N = 500
TOKEN = "demo-token"
PHONE_NUMBER_ID = "123456789"
KEY = "bench-journal-key-" + "x" * 32


def start_fake() -> tuple[subprocess.Popen[str], str]:
    proc = subprocess.Popen(
        [sys.executable, str(ROOT / "bench" / "fake_cloud.py"), "--latency", str(LATENCY)],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    port = int(proc.stdout.readline())
    return proc, f"http://127.0.0.1:{port}"


def write_csv(path: Path, n: int, offset: int) -> None:
    with path.open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, delimiter=";")
        w.writerow(["processInstanceId", "processId", "startDate", "status", "requesterName",
                    "telefone", "nome_solicitante"])  # fmt: skip
        for i in range(n):
            number = offset + i
            phone = f"(11) 98{number:07d}"[:15]
            w.writerow([number, "abertura_chamado", "2026-07-01T10:00:00.000-0300", "OPEN",
                        f"Pessoa {number} da Silva", phone, f"Pessoa {number} da Silva"])  # fmt: skip


def write_config(path: Path, url: str, *, rate: float) -> None:
    path.write_text(
        f"""
[fluig]
process_ids = ["abertura_chamado"]
[whatsapp]
provider = "cloud"
base_url = "{url}"
phone_number_id = "{PHONE_NUMBER_ID}"
[message]
template = "primeiro_contato"
[send]
rate_per_second = {rate}
concurrency = {CONCURRENCY}
quiet_hours = false
cooldown_hours = 0
""",
        encoding="utf-8",
    )


def env_for(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FLUIGBOT_")}
    env.update(
        FLUIGBOT_CONFIG=str(home / "config.toml"),
        FLUIGBOT_STATE_DIR=str(home / "state"),
        FLUIGBOT_JOURNAL_KEY=KEY,
        FLUIGBOT_WHATSAPP_TOKEN=TOKEN,
        NO_COLOR="1",
    )
    return env


def _command() -> list[str]:
    return [sys.executable, "-m", "fluigbot"]


def fluigbot(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*_command(), *args], env=env, capture_output=True, text=True, cwd=ROOT,
    )  # fmt: skip


def prepare(home: Path, url: str, n: int, offset: int, rate: float) -> dict[str, str]:
    home.mkdir(parents=True)
    write_config(home / "config.toml", url, rate=rate)
    write_csv(home / "requests.csv", n, offset)
    env = env_for(home)
    done = fluigbot(env, "fetch", "--from", str(home / "requests.csv"), "--json")
    if done.returncode != 0:
        raise SystemExit(f"fetch failed ({done.returncode}): {done.stderr.strip()}")
    new = json.loads(done.stdout)["new"]
    if new != n:
        raise SystemExit(f"fetch recorded {new} pending of {n}")
    return env


def bodies(n: int, offset: int) -> list[bytes]:
    from fluigbot.whatsapp.base import Message, ProviderConfig
    from fluigbot.whatsapp.cloud import CloudProvider

    provider = CloudProvider(ProviderConfig(provider="cloud", phone_number_id=PHONE_NUMBER_ID),
                             TOKEN)  # fmt: skip
    out = []
    for i in range(n):
        number = offset + i
        msg = Message(
            key=("bench", str(number)),
            to=f"+55119 8{number:07d}".replace(" ", "")[:14],
            text="",
            template="primeiro_contato",
            parameters=[("nome", "Pessoa"), ("numero", str(number))],
        )
        out.append(provider.build_request(msg).encode())
    return out


async def bare_loop(url: str, payloads: list[bytes], *, sharded: bool = False) -> float:
    """32 in flight through one httpx.AsyncClient (`sharded`: over fluigbot's small pools)."""
    from fluigbot.dispatch.transport import ShardedTransport

    headers = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"}
    target = f"{url}/v23.0/{PHONE_NUMBER_ID}/messages"
    it = iter(payloads)
    async with httpx.AsyncClient(
        limits=httpx.Limits(max_connections=128, max_keepalive_connections=128),
        timeout=30,
        transport=ShardedTransport(CONCURRENCY) if sharded else None,
    ) as client:

        async def worker() -> None:
            for body in it:
                r = await client.post(target, content=body, headers=headers)
                r.raise_for_status()

        t0 = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))
        return time.perf_counter() - t0


def stats(url: str) -> dict[str, list]:  # type: ignore[type-arg]
    return httpx.get(f"{url}/stats").json()  # type: ignore[no-any-return]


def reset(url: str) -> None:
    httpx.post(f"{url}/reset", content=b"")


def max_in_window(arrivals: list[float], width: float = 1.0) -> int:
    times = sorted(arrivals)
    return max((bisect.bisect_left(times, t + width) - i for i, t in enumerate(times)), default=0)


TIMINGS = re.compile(r"timings: .*")
SEND_JOURNAL = re.compile(r"send ([\d.]+)s \(journal ([\d.]+)s")
PHASE = re.compile(r"(lock|plan|marks|report|unlock) ([\d.]+)s")


def timed_send(env: dict[str, str]) -> tuple[float, dict[str, object], str]:
    t0 = time.perf_counter()
    done = fluigbot(env, "-v", "send", "--yes", "--json")
    wall = time.perf_counter() - t0
    if done.returncode != 0:
        raise SystemExit(f"send exited {done.returncode}: {done.stderr.strip()[-2000:]}")
    found = TIMINGS.search(done.stderr)
    return wall, json.loads(done.stdout), found.group(0) if found else ""


def journal_share(timings: str, wall: float) -> str:
    m = SEND_JOURNAL.search(timings)
    phases = {k: float(v) for k, v in PHASE.findall(timings)}
    if not m:
        return "n/a"
    send_s, journal_s = float(m.group(1)), float(m.group(2))
    outside = phases.get("lock", 0) + phases.get("plan", 0) + phases.get("report", 0)
    outside += phases.get("unlock", 0)
    return (
        f"journal calls {journal_s:.3f} s during the send phase ({send_s:.3f} s; off the event "
        f"loop) = {journal_s / wall:.0%} of wall; lock+plan+report+unlock {outside:.3f} s = "
        f"{outside / wall:.0%} of wall"
    )


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
    proc, url = start_fake()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            env = prepare(Path(tmp) / "throughput", url, n, 1_000_000, rate=0)
            payloads = bodies(n, 5_000_000)
            bare1 = asyncio.run(bare_loop(url, payloads))
            reset(url)
            wall, report, timings = timed_send(env)
            got = stats(url)
            reset(url)
            bare2 = asyncio.run(bare_loop(url, payloads))
            reset(url)
            bare = (bare1 + bare2) / 2
            sharded = asyncio.run(bare_loop(url, payloads, sharded=True))
            reset(url)
            sent = report["sent"]
            distinct = len(set(got["recipients"]))
            print(f"throughput: {n} messages, fake latency {LATENCY * 1000:.0f} ms, "
                  f"concurrency {CONCURRENCY}, no rate limit")  # fmt: skip
            print(f"  bare httpx loop : {n / bare:7.1f} msg/s ({bare1:.2f} s, {bare2:.2f} s)")
            print(f"  fluigbot send   : {n / wall:7.1f} msg/s ({wall:.2f} s whole process; "
                  f"sent {sent}, fake got {len(got['arrivals'])} to {distinct} numbers)")  # fmt: skip
            print(f"  bare, sharded   : {n / sharded:7.1f} msg/s ({sharded:.2f} s; the same loop over "
                  "fluigbot's small pools: what the fake serves)")  # fmt: skip
            ratio = (n / wall) / (n / bare)
            print(
                f"  ratio           : {ratio:7.0%} (goal >= 75%) {'OK' if ratio >= 0.75 else 'UNDER'}"
            )
            print(f"  journal         : {journal_share(timings, wall)}")
            print(f"  {timings}")

            env = prepare(Path(tmp) / "rate", url, RATE_N, 2_000_000, rate=RATE)
            wall, report, timings = timed_send(env)
            arrivals = sorted(stats(url)["arrivals"])
            span = arrivals[-1] - arrivals[0]
            rate = (len(arrivals) - 1) / span if span > 0 else float("inf")
            peak = max_in_window(arrivals)
            within = abs(rate - RATE) / RATE <= 0.05
            print(f"pacing: {RATE_N} messages at rate_per_second = {RATE}")
            print(f"  measured at the fake: {rate:6.2f} msg/s over {span:.2f} s "
                  f"(goal within 5% of {RATE}) {'OK' if within else 'OFF'}")  # fmt: skip
            print(f"  busiest one-second window: {peak} (goal <= {RATE}) "
                  f"{'OK' if peak <= RATE else 'OVER'}")  # fmt: skip
            print(f"  whole process {wall:.2f} s; {journal_share(timings, wall)}")
    finally:
        proc.terminate()
        proc.wait(timeout=5)


if __name__ == "__main__":
    main()
