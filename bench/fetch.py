"""Benchmark: read 20,000 requests (40 pages of 500) from a loopback Fluig answering each page after
50 ms. Prints wall time, HTTP calls made and peak RSS.

Goals (issue 4): calls = pages (no per-request calls), wall time < 2 x (40 x 50 ms) = 4 s,
peak RSS < 150 MB.

The simulator runs in a child process so its 20,000 stored items do not count in the reader's
memory. Two figures: `iter_requests` timed in this process, and the whole `fluigbot fetch` process
(n/a while the command is not available).

    .venv/bin/python bench/fetch.py [--requests 20000] [--page-size 500] [--latency 0.05]
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import resource
import subprocess
import sys
import tempfile
import time
from multiprocessing.connection import Connection
from pathlib import Path

from fluigbot.demo.fluig_sim import FluigSimulator, sample_item
from fluigbot.fluig.client import FluigClient, FluigCredentials
from fluigbot.fluig.requests import REQUESTS_PATH, iter_requests

PROCESS = "abertura_chamado"


def serve(conn: Connection, count: int, latency: float) -> None:
    """Child process: serve the simulator until told to stop, then report the listing calls."""
    with FluigSimulator([sample_item(n) for n in range(count)], latency=latency) as sim:
        sim.warm()  # the server's own work would otherwise be timed as the client's
        conn.send((sim.url, sim.credentials))
        while True:
            message = conn.recv()
            if message == "calls":
                conn.send(len(sim.calls_to(REQUESTS_PATH)))
            elif message == "cpu":
                times = os.times()
                conn.send(times.user + times.system)
            elif message == "stop":
                return


def peak_rss_mb(who: int) -> float:
    return resource.getrusage(who).ru_maxrss / 1024  # ru_maxrss is in KiB on Linux


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def bench_in_process(
    url: str, creds: tuple[str, str, str, str], page_size: int
) -> tuple[float, float, int, int]:
    with FluigClient(url, FluigCredentials(*creds)) as client:
        cpu = cpu_seconds()
        start = time.perf_counter()
        total = pages = 0
        for page in iter_requests(
            client, source=url, process_ids=[PROCESS], since=None, page_size=page_size
        ):
            total += len(page)
            pages += 1
        elapsed = time.perf_counter() - start
        cpu = cpu_seconds() - cpu
    return elapsed, cpu, total, pages


def bench_cli(url: str, creds: tuple[str, str, str, str]) -> tuple[str, str]:
    """Times `fluigbot fetch` as a whole process; returns (wall, note)."""
    with tempfile.TemporaryDirectory() as tmp:
        config = Path(tmp) / "config.toml"
        config.write_text(
            f'[fluig]\nbase_url = "{url}"\nsource = "api"\nprocess_ids = ["{PROCESS}"]\n'
            '[fluig.fields]\nphone = "telefone"\nname = "nome_solicitante"\n'
        )
        env = {
            **os.environ,
            "FLUIGBOT_CONFIG": str(config),
            "FLUIGBOT_STATE_DIR": str(Path(tmp) / "state"),
            "FLUIGBOT_FLUIG_CONSUMER_KEY": creds[0],
            "FLUIGBOT_FLUIG_CONSUMER_SECRET": creds[1],
            "FLUIGBOT_FLUIG_ACCESS_TOKEN": creds[2],
            "FLUIGBOT_FLUIG_TOKEN_SECRET": creds[3],
            "FLUIGBOT_JOURNAL_KEY": "bench-journal-key-0123456789abcdefghijklmnop",
        }
        start = time.perf_counter()
        done = subprocess.run(
            [sys.executable, "-m", "fluigbot", "fetch", "--full", "--json"],
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        elapsed = time.perf_counter() - start
    if done.returncode != 0:
        reason = (done.stderr.strip().splitlines() or ["no output"])[-1][:120]
        return "n/a", f"exit {done.returncode}: {reason}"
    return f"{elapsed:.2f} s", f"peak RSS {peak_rss_mb(resource.RUSAGE_CHILDREN):.0f} MB"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=20_000)
    parser.add_argument("--page-size", type=int, default=500)
    parser.add_argument("--latency", type=float, default=0.05)
    args = parser.parse_args()

    parent, child = mp.Pipe()
    server = mp.get_context("fork").Process(
        target=serve, args=(child, args.requests, args.latency), daemon=True
    )
    server.start()
    url, creds = parent.recv()
    try:
        elapsed, cpu, total, pages = bench_in_process(url, creds, args.page_size)
        parent.send("calls")
        calls = parent.recv()
        floor = pages * args.latency
        print(f"iter_requests: {total} requests in {pages} pages")
        print(
            f"  wall time   {elapsed:.2f} s (server latency alone {floor:.2f} s; goal < {2 * floor:.2f} s)"
        )
        print(f"  CPU time    {cpu:.2f} s in this process (load average {os.getloadavg()[0]:.1f})")
        print(f"  HTTP calls  {calls} (goal = pages = {pages})")
        print(f"  peak RSS    {peak_rss_mb(resource.RUSAGE_SELF):.0f} MB (goal < 150 MB)")
        wall, note = bench_cli(url, creds)
        print(f"fluigbot fetch: wall time {wall} ({note})")
    finally:
        parent.send("stop")
        server.join(timeout=10)


if __name__ == "__main__":
    main()
