"""100,000 requests from a CSV export: read_export + phones.pick over every row, then the whole
`fluigbot fetch --from FILE` process.

Goal: the whole fetch under 20 s. Prints rows/s, wall times and peak memory of the in-process
part; "n/a" for the fetch command while it is not available (it exits 2 or says so).

    .venv/bin/python bench/fetch_csv.py [ROWS]
"""

from __future__ import annotations

import csv
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from fluigbot import phones  # noqa: E402
from fluigbot.fluig.exports import read_export  # noqa: E402

GOAL_S = 20.0

# How phones arrive in real forms, weighted roughly by how often (the first few dominate).
PHONE_SHAPES = [
    ("({ddd}) 9{a}-{b}", 30),
    ("{ddd}9{a}{b}", 20),
    ("{ddd} 9{a}-{b}", 10),
    ("+55 {ddd} 9{a} {b}", 5),
    ("55{ddd}9{a}{b}", 5),
    ("0{ddd} 9{a}-{b}", 3),
    ("cel {ddd} 9{a}-{b} / fixo {ddd} 3{c}-{b}", 5),
    ("{ddd} 9{a}-{b} ramal 12", 2),
    ("({ddd}) {a}-{b}", 5),  # missing the ninth digit or a landline
    ("9{a}-{b}", 5),  # missing DDD
    ("{ddd} 99999-9999", 2),
    ("não tem", 3),
    ("", 5),
]
DDDS = ["11", "21", "31", "41", "51", "61", "71", "81", "85", "91", "19", "27", "48", "62"]


def write_csv(path: Path, rows: int) -> None:
    rng = random.Random(42)
    shapes, weights = zip(*PHONE_SHAPES, strict=True)
    with path.open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, delimiter=";")
        header = "processInstanceId processId startDate status requesterName telefone celular"
        w.writerow([*header.split(), "nome_solicitante", "descricao"])
        for n in range(1, rows + 1):
            shape = rng.choices(shapes, weights)[0]
            phone = shape.format(
                ddd=rng.choice(DDDS),
                a=f"{rng.randrange(10000):04d}",
                b=f"{rng.randrange(10000):04d}",
                c=f"{rng.randrange(1000):03d}",
            )
            start = f"2026-07-{1 + n % 28:02d}T{n % 24:02d}:{n % 60:02d}:06.652-0300"
            name = f"Pessoa {n} da Silva"
            description = f"Pedido de teste número {n}; favor retornar."
            w.writerow(
                [100000 + n, "abertura_chamado", start, "OPEN", name, phone, "", name, description]
            )


def in_process(path: Path) -> tuple[int, float, float, dict[str, int]]:
    reasons: dict[str, int] = {}
    t0 = time.perf_counter()
    requests = list(read_export(path))
    t1 = time.perf_counter()
    for req in requests:
        result = phones.pick([req.fields.get("telefone"), req.fields.get("celular")])
        key = "ok" if result.ok else str(result.reason)
        reasons[key] = reasons.get(key, 0) + 1
    t2 = time.perf_counter()
    return len(requests), t1 - t0, t2 - t1, reasons


def fetch_command(path: Path, tmp: Path) -> str:
    config = tmp / "config.toml"
    config.write_text(
        '[fluig]\nsource = "file"\nprocess_ids = ["abertura_chamado"]\n'
        '[fluig.fields]\nphone = ["telefone", "celular"]\nname = "nome_solicitante"\n'
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("FLUIGBOT_")}
    env.update(
        FLUIGBOT_CONFIG=str(config),
        FLUIGBOT_STATE_DIR=str(tmp / "state"),
        FLUIGBOT_JOURNAL_KEY="bench-journal-key-" + "x" * 32,
        PYTHON_KEYRING_BACKEND="keyring.backends.null.Keyring",
    )
    cmd = [sys.executable, "-m", "fluigbot", "-q", "fetch", "--from", str(path), "--json"]
    start = time.perf_counter()
    proc = subprocess.run(cmd, env=env, cwd=ROOT, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - start
    missing = "not available yet" in proc.stderr + proc.stdout or "ImportError" in proc.stderr
    if proc.returncode == 2 or missing:
        return "n/a (" + (proc.stderr.strip().splitlines() or ["exit 2"])[-1][:100] + ")"
    if proc.returncode != 0:
        tail = (proc.stderr.strip().splitlines() or [""])[-1][:120]
        return f"failed, exit {proc.returncode}: {tail}"
    verdict = "OK" if wall < GOAL_S else "OVER"
    return f"{wall:.2f} s (goal < {GOAL_S:.0f} s) {verdict}"


def main() -> None:
    rows = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        path = tmp / "export.csv"
        write_csv(path, rows)
        size_mb = path.stat().st_size / 1e6
        count, t_read, t_pick, reasons = in_process(path)
        peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        total = t_read + t_pick
        print(f"rows                   : {count} ({size_mb:.1f} MB CSV)")
        print(f"read_export            : {t_read:6.2f} s  ({count / t_read:,.0f} rows/s)")
        print(f"phones.pick            : {t_pick:6.2f} s  ({count / t_pick:,.0f} rows/s)")
        print(f"read + pick            : {total:6.2f} s  ({count / total:,.0f} rows/s)")
        print(f"peak RSS (list kept)   : {peak_mb:6.0f} MB")
        print(
            "phone outcomes         : " + ", ".join(f"{k} {v}" for k, v in sorted(reasons.items()))
        )
        print(f"fluigbot fetch --from  : {fetch_command(path, tmp)}")


if __name__ == "__main__":
    main()
