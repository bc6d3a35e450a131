"""Fixtures for the WhatsApp tests: the Cloud API simulator, providers bound to it, and Prism.

Prism is started once per session per spec (the Meta spec is over 1 MB: it takes a few seconds)
and skipped with a reason where Prism or ../shared is missing.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
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


# -- Prism ----------------------------------------------------------------------------------------


def find_prism() -> str | None:
    for candidate in (
        PRISM_ENV,
        shutil.which("prism"),
        str(REPO_ROOT / "node_modules" / ".bin" / "prism"),
        "/tmp/prism/node_modules/.bin/prism",
    ):
        if candidate and Path(candidate).is_file() and os.access(candidate, os.X_OK):
            return candidate
    return None


@dataclass
class Prism:
    url: str
    log_path: Path

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def errors(self, since: int = 0) -> list[str]:
        """Validation problems Prism logged since offset `since`."""
        return [
            line
            for line in self.log()[since:].splitlines()
            if "Violation:" in line or ("[VALIDATOR]" in line and "error" in line.split())
        ]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _prism(spec_name: str, work: Path) -> Iterator[Prism]:
    command = find_prism()
    if command is None:
        pytest.skip("Prism not found (set FLUIGBOT_PRISM or install @stoplight/prism-cli)")
    spec = SPECS / spec_name
    if not spec.is_file():
        pytest.skip(f"{spec} is missing (the ../shared checkout is not here)")
    port = _free_port()
    log_path = work / f"prism-{port}.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [command, "mock", "-h", "127.0.0.1", "-p", str(port), "--errors", str(spec)],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    prism = Prism(f"http://127.0.0.1:{port}", log_path)
    try:
        deadline = time.monotonic() + 90
        while "listening" not in prism.log().lower():
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"Prism did not start on {spec_name}:\n{prism.log()[-2000:]}")
            time.sleep(0.1)
        yield prism
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture(scope="session")
def prism_meta(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Prism]:
    yield from _prism("meta-business-messaging-api_v23.0.yaml", tmp_path_factory.mktemp("pm"))


@pytest.fixture(scope="session")
def prism_twilio(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Prism]:
    yield from _prism("twilio_api_v2010.yaml", tmp_path_factory.mktemp("pt"))
