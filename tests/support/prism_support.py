"""Prism, serving the vendors' own specs on loopback and reporting every request that breaks them.

Shared by the contract tests of every package (tests/support is on pytest's pythonpath). The specs
are read from ../shared and never copied into the repository; without Prism or ../shared the
tests skip with a reason.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
# Read at import: the autouse isolation fixture removes FLUIGBOT_* variables from tests.
PRISM_ENV = os.environ.get("FLUIGBOT_PRISM")


def find_prism() -> list[str] | None:
    """The Prism command: $FLUIGBOT_PRISM, `prism` on PATH, ./node_modules/.bin/prism, or the
    developer copy in /tmp/prism. None when there is none (tests skip)."""
    candidates = [
        PRISM_ENV,
        shutil.which("prism"),
        str(REPO_ROOT / "node_modules" / ".bin" / "prism"),
        "/tmp/prism/node_modules/.bin/prism",
    ]
    for candidate in candidates:
        if candidate and Path(candidate).is_file() and os.access(candidate, os.X_OK):
            return [candidate]
    return None


def shared_specs_dir() -> Path | None:
    specs = REPO_ROOT.parent / "shared" / "specs"
    return specs if specs.is_dir() else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class PrismServer:
    url: str
    log_path: Path
    process: subprocess.Popen[bytes]
    violations: list[str] = field(default_factory=list)  # from sl-violations response headers

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def mark(self) -> int:
        """Where the log ends now: pass it to `errors(since=...)` to see one test's findings."""
        self.violations.clear()
        return len(self.log())

    def errors(self, since: int = 0) -> list[str]:
        """Validation problems Prism reported: its log lines and the sl-violations headers."""
        found = [
            line
            for line in self.log()[since:].splitlines()
            if "Violation:" in line or ("[VALIDATOR]" in line and "error" in line.split())
        ]
        return found + self.violations

    def watch(self, response: httpx.Response) -> None:
        """An httpx response hook that keeps every sl-violations header."""
        header = response.headers.get("sl-violations")
        if header:
            self.violations.append(header)


def flatten_swagger2(spec_path: Path, out_dir: Path) -> Path:
    """A temp copy of a Swagger 2.0 spec with basePath folded into every path (Prism serves paths
    without it). Written under `out_dir` (a tmp dir), never in the repository."""
    spec = json.loads(spec_path.read_text())
    base = (spec.pop("basePath", "") or "").rstrip("/")
    if base:
        spec["paths"] = {base + path: item for path, item in spec["paths"].items()}
    spec.pop("host", None)
    spec["schemes"] = ["http"]
    out = out_dir / spec_path.name
    out.write_text(json.dumps(spec))
    return out


@contextlib.contextmanager
def start_prism(spec_path: Path, work_dir: Path, *, dynamic: bool = True) -> Iterator[PrismServer]:
    """Runs `prism mock --errors` on a temp copy of `spec_path`; skips the test when Prism or
    ../shared is missing."""
    command = find_prism()
    if command is None:
        pytest.skip("Prism not found (set FLUIGBOT_PRISM or install @stoplight/prism-cli)")
    if not spec_path.is_file():
        pytest.skip(f"{spec_path} is missing (the ../shared checkout is not here)")
    swagger2 = (
        spec_path.suffix == ".json" and json.loads(spec_path.read_text()).get("swagger") == "2.0"
    )
    served = flatten_swagger2(spec_path, work_dir) if swagger2 else spec_path
    port = _free_port()
    log_path = work_dir / f"prism-{port}.log"
    args = [*command, "mock", "-h", "127.0.0.1", "-p", str(port), "--errors"]
    if dynamic:
        # Random data on each call (fuzzes the parser); no extra properties keeps pages small.
        args += ["-d", "--json-schema-faker-fillProperties=false"]
    with log_path.open("wb") as log:
        process = subprocess.Popen([*args, str(served)], stdout=log, stderr=subprocess.STDOUT)
    server = PrismServer(f"http://127.0.0.1:{port}", log_path, process)
    try:
        deadline = time.monotonic() + 120  # the Meta spec is over 1 MB
        while "listening" not in server.log().lower():
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"Prism did not start:\n{server.log()[-2000:]}")
            time.sleep(0.1)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
