"""Fixtures for the dispatch tests: a Cloud API simulator, a config pointing at it, a journal
holding pending requests, and the CLI."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from dispatch_helpers import KEY, TOKEN, config_text

from fluigbot.demo.cloud_sim import CloudSimulator
from fluigbot.journal import Journal


@pytest.fixture
def cloud() -> Iterator[CloudSimulator]:
    with CloudSimulator(token=TOKEN) as sim:
        yield sim


@pytest.fixture
def home(isolated_env: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("FLUIGBOT_JOURNAL_KEY", KEY)
    monkeypatch.setenv("FLUIGBOT_WHATSAPP_TOKEN", TOKEN)
    return isolated_env


@pytest.fixture
def configure(home: Path, cloud: CloudSimulator) -> Callable[..., Path]:
    """Write config.toml pointing at the simulator; keyword tables override the defaults."""

    def write(**tables: dict[str, Any]) -> Path:
        path = home / "config.toml"
        path.write_text(config_text(cloud.url, **tables), encoding="utf-8")
        return path

    write()
    return write


@pytest.fixture
def journal(home: Path) -> Journal:
    return Journal(home / "state", KEY)


@pytest.fixture
def run() -> Callable[..., Any]:
    """Invoke the CLI in-process; stdout and stderr apart."""
    from typer.testing import CliRunner

    from fluigbot.cli.app import app

    runner = CliRunner()

    def invoke(*args: str, input: str | None = None) -> Any:
        return runner.invoke(app, list(args), input=input)

    return invoke


@pytest.fixture(autouse=True)
def _journal_exists_shim(
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # TEMP until Journal.exists lands
    if not hasattr(Journal, "exists"):
        monkeypatch.setattr(
            Journal,
            "exists",
            staticmethod(lambda d: (Path(d) / "meta.toml").exists()),
            raising=False,
        )
