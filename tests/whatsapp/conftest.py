"""Fixtures for the WhatsApp tests: the Cloud API simulator, providers bound to it, and Prism.

Prism is started once per session per spec (the Meta spec is over 1 MB: it takes a few seconds)
and skipped with a reason where Prism or ../shared is missing.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from fluigbot.demo.cloud_sim import CloudSimulator
from fluigbot.whatsapp import Message, ProviderConfig

REPO_ROOT = Path(__file__).resolve().parents[2]
# Read at import: the autouse isolation fixture removes every FLUIGBOT_* variable from tests.
PRISM_ENV = os.environ.get("FLUIGBOT_PRISM")
SPECS = REPO_ROOT.parent / "shared" / "specs" / "whatsapp"


def message(
    to: str = "+5511987654321",
    *,
    request_id: str = "1001",
    params: list[tuple[str, str]] | None = None,
    template: str = "primeiro_contato",
    fmt: str = "positional",
) -> Message:
    parameters = params if params is not None else [("nome", "Maria"), ("numero", request_id)]
    return Message(
        key=("https://fluig.example.com", request_id),
        to=to,
        text=f"Olá {parameters[0][1] if parameters else ''}! Recebemos sua solicitação.",
        template=template,
        language="pt_BR",
        parameters=parameters,
        parameter_format=fmt,  # type: ignore[arg-type]
    )


@pytest.fixture
def make_message() -> Callable[..., Message]:
    """`make_message(to=..., request_id=..., params=[(name, value)], template=..., fmt=...)`."""
    return message


@pytest.fixture
def cloud_sim() -> Iterator[CloudSimulator]:
    with CloudSimulator(old_accounts=["+5531987654321"]) as sim:
        yield sim


@pytest.fixture
def cloud_cfg(cloud_sim: CloudSimulator) -> ProviderConfig:
    return ProviderConfig(
        provider="cloud", base_url=cloud_sim.url, phone_number_id="123456789", timeout=1.0
    )
