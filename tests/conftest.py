"""Every test runs with its own config and state dir, and no FLUIGBOT_* from the environment."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def isolated_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    for name in list(os.environ):
        if name.startswith("FLUIGBOT_"):
            monkeypatch.delenv(name)
    monkeypatch.delenv("FORCE_COLOR", raising=False)
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.setenv("COLUMNS", "200")
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("FLUIGBOT_CONFIG", str(home / "config.toml"))
    monkeypatch.setenv("FLUIGBOT_STATE_DIR", str(home / "state"))
    yield home
