"""Every test runs with its own config and state dir, and no FLUIGBOT_* from the environment."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from prism_support import PrismServer, shared_specs_dir, start_prism


@pytest.fixture(autouse=True)
def isolated_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    for name in list(os.environ):
        if name.startswith("FLUIGBOT_") and not name.startswith(
            ("FLUIGBOT_TEST_", "FLUIGBOT_PRISM")
        ):
            monkeypatch.delenv(name)
    monkeypatch.delenv("FORCE_COLOR", raising=False)
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.setenv("COLUMNS", "200")
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("FLUIGBOT_CONFIG", str(home / "config.toml"))
    monkeypatch.setenv("FLUIGBOT_STATE_DIR", str(home / "state"))
    yield home


class MemoryKeyring:
    """keyring's in-memory stand-in; the real Secret Service is exercised in tests marked
    keyring_real."""

    priority = 1

    def __init__(self) -> None:
        self.store: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.store.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.store[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        import keyring.errors

        if (service, username) not in self.store:
            raise keyring.errors.PasswordDeleteError("not found")
        del self.store[(service, username)]


@pytest.fixture(autouse=True)
def memory_keyring() -> Iterator[MemoryKeyring]:
    """No test touches the OS keyring unless it asks for it."""
    import keyring
    from keyring.backend import KeyringBackend

    class Backend(MemoryKeyring, KeyringBackend):  # type: ignore[misc]
        pass

    previous = keyring.get_keyring()
    backend = Backend()
    keyring.set_keyring(backend)
    yield backend
    keyring.set_keyring(previous)


@pytest.fixture
def run() -> Any:
    """Invoke the CLI in-process; stdout and stderr stay apart (Click >= 8.2)."""
    from typer.testing import CliRunner

    from fluigbot.cli.app import app

    runner = CliRunner()

    def invoke(*args: str, input: str | None = None, env: dict[str, str] | None = None) -> Any:
        return runner.invoke(app, list(args), input=input, env=env)

    return invoke


# -- Prism serving the vendors' specs (session-wide; skipped without Prism or ../shared) ----------


def _spec(*parts: str) -> Path:
    specs = shared_specs_dir()
    if specs is None:
        pytest.skip("../shared/specs is missing: the contract tests need the vendors' specs")
    return specs.joinpath(*parts)


@pytest.fixture(scope="session")
def prism_process_management(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PrismServer]:
    spec = _spec("fluig", "fluig-process-management.swagger.json")
    with start_prism(spec, tmp_path_factory.mktemp("prism-pm")) as server:
        yield server


@pytest.fixture(scope="session")
def prism_ecm_forms(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PrismServer]:
    spec = _spec("fluig", "fluig-ecm-forms.swagger.json")
    with start_prism(spec, tmp_path_factory.mktemp("prism-forms")) as server:
        yield server


@pytest.fixture(scope="session")
def prism_meta(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PrismServer]:
    spec = _spec("whatsapp", "meta-business-messaging-api_v23.0.yaml")
    with start_prism(spec, tmp_path_factory.mktemp("prism-meta"), dynamic=False) as server:
        yield server


@pytest.fixture(scope="session")
def prism_twilio(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PrismServer]:
    spec = _spec("whatsapp", "twilio_api_v2010.yaml")
    with start_prism(spec, tmp_path_factory.mktemp("prism-twilio"), dynamic=False) as server:
        yield server
