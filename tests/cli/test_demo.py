"""`fluigbot demo` and `fluigbot sandbox` as a new operator meets them."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path


def test_demo_runs_the_story_and_touches_no_keyring(
    run, memory_keyring, isolated_env: Path
) -> None:
    result = run("demo")
    assert result.exit_code == 0, result.output
    assert "demo finished: 28 messages delivered to 28 numbers (nobody twice)" in result.stderr
    assert "28 marks written back to Fluig" in result.stderr
    assert memory_keyring.store == {}  # throwaway secrets by environment only
    assert not (isolated_env / "state").exists()  # a temporary state dir, cleaned up
    assert "FLUIGBOT_JOURNAL_KEY" not in os.environ  # the environment is restored


def test_sandbox_serves_and_rehearses(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FLUIGBOT_")}
    env |= {
        "XDG_STATE_HOME": str(tmp_path / "xdg"),
        "PYTHON_KEYRING_BACKEND": "keyring.backends.null.Keyring",
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "fluigbot", "sandbox"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        line = ""
        deadline = time.monotonic() + 60
        while "set -a" not in line and time.monotonic() < deadline:
            line = proc.stderr.readline() if proc.stderr else ""
        assert "set -a" in line, "sandbox printed no rehearsal line"
        env_file = Path(line.split(". ", 1)[1].split(";", 1)[0])
        assert env_file.stat().st_mode & 0o077 == 0  # private
        rehearsal = env | dict(
            ln.split("=", 1) for ln in env_file.read_text().splitlines() if "=" in ln
        )
        assert str(tmp_path / "xdg") in rehearsal["FLUIGBOT_STATE_DIR"]  # never the real journal
        fetched = subprocess.run(
            [sys.executable, "-m", "fluigbot", "fetch"],
            env=rehearsal,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert fetched.returncode == 0, fetched.stderr
        assert "36 read" in fetched.stderr
    finally:
        proc.send_signal(signal.SIGINT)
        _out, err = proc.communicate(timeout=30)
    assert "sandbox stopped" in err
