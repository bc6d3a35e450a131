"""Secrets: env first, then the keyring; an unusable keyring is a clear exit-3 error, never a hang."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator

import keyring
import keyring.errors
import pytest
from keyring.backend import KeyringBackend

from fluigbot.errors import CredentialError
from fluigbot.secrets import Keyring, Secrets


class Locked(KeyringBackend):
    priority = 1  # type: ignore[assignment]

    def get_password(self, service: str, username: str) -> str | None:
        raise keyring.errors.KeyringLocked("Failed to unlock the collection!")

    def set_password(self, service: str, username: str, password: str) -> None:
        raise keyring.errors.KeyringLocked("Failed to unlock the collection!")

    def delete_password(self, service: str, username: str) -> None:
        raise keyring.errors.KeyringLocked("Failed to unlock the collection!")


class Hanging(Locked):
    release = threading.Event()

    def get_password(self, service: str, username: str) -> str | None:
        self.release.wait(30)  # an unlock prompt no one answers
        return None


@pytest.fixture
def backend_of(request: pytest.FixtureRequest) -> Iterator[None]:
    previous = keyring.get_keyring()
    keyring.set_keyring(request.param())
    yield
    keyring.set_keyring(previous)


def test_env_wins_over_keyring(memory_keyring, monkeypatch: pytest.MonkeyPatch) -> None:
    memory_keyring.set_password("fluigbot", "FLUIGBOT_WHATSAPP_TOKEN", "from-keyring")
    monkeypatch.setenv("FLUIGBOT_WHATSAPP_TOKEN", "from-env")
    found = Secrets().find("FLUIGBOT_WHATSAPP_TOKEN")
    assert (found.value, found.origin) == ("from-env", "env")
    monkeypatch.delenv("FLUIGBOT_WHATSAPP_TOKEN")
    found = Secrets().find("FLUIGBOT_WHATSAPP_TOKEN")
    assert found.value == "from-keyring" and found.origin.startswith("keyring (")
    assert "from-keyring" not in repr(found)


def test_require_lists_every_missing_name(memory_keyring) -> None:
    memory_keyring.set_password("fluigbot", "FLUIGBOT_FLUIG_CONSUMER_KEY", "ck")
    with pytest.raises(CredentialError) as err:
        Secrets().require(["FLUIGBOT_FLUIG_CONSUMER_KEY", "FLUIGBOT_FLUIG_CONSUMER_SECRET"])
    assert err.value.exit_code == 3
    assert "FLUIGBOT_FLUIG_CONSUMER_SECRET" in str(err.value)
    assert "auth set fluig" in str(err.value)


@pytest.mark.parametrize(
    "backend_of",
    [
        pytest.param(
            lambda: __import__("keyring.backends.fail").backends.fail.Keyring(), id="fail"
        ),
        pytest.param(
            lambda: __import__("keyring.backends.null").backends.null.Keyring(), id="null"
        ),
        pytest.param(Locked, id="locked"),
    ],
    indirect=True,
)
def test_unusable_keyring_is_exit_3_naming_the_variable(backend_of: None) -> None:
    with pytest.raises(CredentialError) as err:
        Secrets().require(["FLUIGBOT_WHATSAPP_TOKEN"])
    assert err.value.exit_code == 3
    assert "FLUIGBOT_WHATSAPP_TOKEN" in str(err.value)
    with pytest.raises(CredentialError):
        Keyring().set("FLUIGBOT_WHATSAPP_TOKEN", "x")  # never a silent plaintext fallback


@pytest.mark.parametrize("backend_of", [Hanging], indirect=True)
def test_hanging_keyring_is_bounded(backend_of: None) -> None:
    started = time.monotonic()
    with pytest.raises(CredentialError, match="did not answer"):
        Keyring(timeout=0.3).get("FLUIGBOT_WHATSAPP_TOKEN")
    assert time.monotonic() - started < 5
    Hanging.release.set()


def test_journal_key_generated_once_and_announced(memory_keyring) -> None:
    said: list[str] = []
    key = Secrets().journal_key(journal_exists=False, announce=said.append)
    assert len(key) >= 32 and len(said) == 1 and "BACK IT UP" in said[0]
    again = Secrets().journal_key(journal_exists=True, announce=said.append)
    assert again == key and len(said) == 1


def test_lost_journal_key_is_never_silently_replaced(memory_keyring) -> None:
    with pytest.raises(CredentialError, match="journal exists but its key is missing"):
        Secrets().journal_key(journal_exists=True, announce=lambda m: None)
    assert memory_keyring.store == {}


def test_short_journal_key_from_env_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FLUIGBOT_JOURNAL_KEY", "short")
    with pytest.raises(CredentialError, match="at least 32"):
        Secrets().journal_key(journal_exists=False, announce=lambda m: None)


@pytest.mark.keyring_real
def test_real_secret_service_roundtrip() -> None:
    """Against the OS keyring itself (CI starts gnome-keyring under dbus-run-session)."""
    if not os.environ.get("FLUIGBOT_TEST_REAL_KEYRING"):
        pytest.skip("set FLUIGBOT_TEST_REAL_KEYRING=1 under an unlocked Secret Service to run this")
    from keyring.backends import SecretService

    previous = keyring.get_keyring()
    keyring.set_keyring(SecretService.Keyring())
    try:
        k = Keyring()
        assert k.usable(), k.backend_name()
        k.set("FLUIGBOT_WHATSAPP_TOKEN", "real-token-123")
        assert Secrets(environ={}).find("FLUIGBOT_WHATSAPP_TOKEN").value == "real-token-123"
        assert k.delete("FLUIGBOT_WHATSAPP_TOKEN") is True
        assert k.get("FLUIGBOT_WHATSAPP_TOKEN") is None
    finally:
        keyring.set_keyring(previous)
