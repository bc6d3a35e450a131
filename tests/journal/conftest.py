"""Fixtures for the journal tests: a controllable clock and a journal factory."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from journal_helpers import KEY, Clock

from fluigbot.journal import Journal


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def state_dir(tmp_path: Path) -> Path:
    return tmp_path / "state"


@pytest.fixture
def make_journal(state_dir: Path, clock: Clock) -> Callable[..., Journal]:
    def make(key: str = KEY, path: Path | None = None) -> Journal:
        return Journal(path or state_dir, key, clock=clock)

    return make


@pytest.fixture
def journal(make_journal: Callable[..., Journal]) -> Journal:
    return make_journal()
