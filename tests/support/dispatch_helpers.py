"""Shared helpers for the dispatch tests (imported by conftest and the test modules)."""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import tomli_w

from fluigbot.demo.cloud_sim import CloudSimulator
from fluigbot.journal import Entry, Journal
from fluigbot.models import FluigRequest

KEY = "dispatch-tests-journal-key-0123456789abcdef"
TOKEN = "demo-token"
SOURCE = "https://fluig.example.com"

BASE: dict[str, dict[str, Any]] = {
    "fluig": {"base_url": SOURCE, "process_ids": ["abertura_chamado"]},
    "whatsapp": {"provider": "cloud", "phone_number_id": "123456789", "timeout": 1.0},
    "message": {"template": "primeiro_contato"},
    "send": {
        "rate_per_second": 0,
        "concurrency": 4,
        "quiet_hours": False,
        "cooldown_hours": 24,
        "max_attempts": 3,
    },
}


def config_text(url: str, **tables: dict[str, Any]) -> str:
    data = copy.deepcopy(BASE)
    data["whatsapp"]["base_url"] = url
    for name, values in tables.items():
        section = data.setdefault(name, {})
        for key, value in values.items():
            if isinstance(value, dict) and isinstance(section.get(key), dict):
                section[key].update(value)
            else:
                section[key] = value
    return tomli_w.dumps(data)


def phone(n: int) -> str:
    """A distinct valid Brazilian mobile per n: +55 11 98xxx-xxxx."""
    return f"+551198{n:07d}"


def add_pending(
    journal: Journal,
    phones: Sequence[str],
    *,
    first: int = 1000,
    process_id: str = "abertura_chamado",
    names: Sequence[str] | None = None,
    **extra: Any,
) -> list[tuple[str, str]]:
    """Record one pending request per phone (request ids first, first+1, ...); their keys."""
    keys = []
    with journal.locked():
        for i, number in enumerate(phones):
            rid = str(first + i)
            req = FluigRequest(
                source=SOURCE,
                request_id=rid,
                process_id=process_id,
                requester_name=(names[i] if names else f"Pessoa {rid} da Silva"),
                start_date=datetime(2026, 7, 1, 13, 0, tzinfo=UTC),
                **extra,
            )
            journal.record_fetched(
                req,
                phone=number,
                phone_masked=None,
                name=req.requester_name,
                description=None,
                status="pending",
                reason=None,
            )
            keys.append((SOURCE, rid))
    return keys


def statuses(journal: Journal, keys: Sequence[tuple[str, str]]) -> list[str]:
    return [_get(journal, k).status for k in keys]


def _get(journal: Journal, key: tuple[str, str]) -> Entry:
    entry = journal.get(key)
    assert entry is not None
    return entry


def entries(journal: Journal, keys: Sequence[tuple[str, str]]) -> list[Entry]:
    return [_get(journal, k) for k in keys]


# --- fixtures (conftest and tests/cli import these) ---


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
