"""Fixtures for the Fluig tests: the simulator and a client bound to it. (Prism: tests/conftest.py.)"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from fluigbot.demo.fluig_sim import FluigSimulator, sample_item
from fluigbot.fluig.client import FluigClient, FluigCredentials

REPO_ROOT = Path(__file__).resolve().parents[2]
# Read at import: the autouse isolation fixture removes every FLUIGBOT_* variable from tests.
PRISM_ENV = os.environ.get("FLUIGBOT_PRISM")


# -- simulator ------------------------------------------------------------------------------------


def make_client(sim: FluigSimulator, **kwargs: Any) -> FluigClient:
    """A client for `sim` that never really sleeps between retries (sleeps are recorded)."""
    sleeps: list[float] = kwargs.pop("sleeps", [])
    kwargs.setdefault("sleep", sleeps.append)
    kwargs.setdefault("timeout", 5.0)
    return FluigClient(sim.url, FluigCredentials(*sim.credentials), **kwargs)


@pytest.fixture
def sim() -> Iterator[FluigSimulator]:
    with FluigSimulator([sample_item(n) for n in range(1200)]) as server:
        yield server


@pytest.fixture
def fluig_for() -> Callable[..., FluigClient]:
    """`fluig_for(sim, sleeps=[...], retries=..., timeout=...)`: a client bound to a simulator."""
    return make_client


@pytest.fixture
def client(sim: FluigSimulator) -> Iterator[FluigClient]:
    with make_client(sim) as fluig:
        yield fluig
