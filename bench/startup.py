"""Startup cost: median wall time of `fluigbot --help` against a bare Typer app with two commands,
measured in the same run (these machines are noisy: only the ratio means much).

Goal: ratio at most 1.2.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

RUNS = 21

BARE = '''
import typer
app = typer.Typer()
@app.command()
def one() -> None:
    """One."""
@app.command()
def two() -> None:
    """Two."""
app()
'''


def median_wall(cmd: list[str]) -> float:
    times = []
    for _ in range(RUNS):
        start = time.perf_counter()
        subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        bare = Path(tmp) / "bare.py"
        bare.write_text(BARE)
        # Interleave a warm-up of each so neither profits from a cold page cache.
        median_wall([sys.executable, str(bare), "--help"])
        median_wall([sys.executable, "-m", "fluigbot", "--help"])
        t_bare = median_wall([sys.executable, str(bare), "--help"])
        t_fb = median_wall([sys.executable, "-m", "fluigbot", "--help"])
    print(f"bare typer app --help : {t_bare * 1000:7.1f} ms (median of {RUNS})")
    print(f"fluigbot --help       : {t_fb * 1000:7.1f} ms (median of {RUNS})")
    ratio = t_fb / t_bare
    print(f"ratio                 : {ratio:7.2f} (goal <= 1.2) {'OK' if ratio <= 1.2 else 'OVER'}")


if __name__ == "__main__":
    main()
