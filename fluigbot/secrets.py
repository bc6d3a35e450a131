"""Secrets: the environment first, then the OS keyring (service `fluigbot`), else a clear error.

Keyring calls run in a daemon thread with a deadline, because a locked Secret Service can wait
forever on an unlock prompt that no one will answer (cron, SSH). A fail/null backend is reported
as unusable, never replaced by a plaintext file.
"""

from __future__ import annotations

import os
import secrets as _random
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from fluigbot.errors import CredentialError

SERVICE = "fluigbot"
FLUIG = (
    "FLUIGBOT_FLUIG_CONSUMER_KEY",
    "FLUIGBOT_FLUIG_CONSUMER_SECRET",
    "FLUIGBOT_FLUIG_ACCESS_TOKEN",
    "FLUIGBOT_FLUIG_TOKEN_SECRET",
)
WHATSAPP = ("FLUIGBOT_WHATSAPP_TOKEN",)
JOURNAL = ("FLUIGBOT_JOURNAL_KEY",)
GROUPS: dict[str, tuple[str, ...]] = {"fluig": FLUIG, "whatsapp": WHATSAPP, "journal": JOURNAL}
ALL = FLUIG + WHATSAPP + JOURNAL
JOURNAL_KEY_MIN = 32
KEYRING_TIMEOUT = float(os.environ.get("FLUIGBOT_KEYRING_TIMEOUT", "10"))

T = TypeVar("T")


@dataclass(frozen=True)
class Found:
    name: str
    value: str | None
    origin: str  # "env", "keyring (<backend>)", or "missing"

    def __repr__(self) -> str:  # never show the value
        return (
            f"Found(name={self.name!r}, origin={self.origin!r}, present={self.value is not None})"
        )


class Keyring:
    """The OS keyring behind a deadline. One instance per process is enough."""

    def __init__(self, timeout: float = KEYRING_TIMEOUT) -> None:
        self.timeout = timeout
        self._backend: Any = None

    def _call(self, what: str, fn: Callable[[], T]) -> T:
        box: dict[str, Any] = {}

        def run() -> None:
            try:
                box["value"] = fn()
            except BaseException as exc:  # re-raised in the caller's thread
                box["error"] = exc

        thread = threading.Thread(target=run, name="fluigbot-keyring", daemon=True)
        thread.start()
        thread.join(self.timeout)
        if thread.is_alive():
            raise CredentialError(
                f"the OS keyring did not answer within {self.timeout:g}s while trying to {what} "
                "(locked, or waiting for an unlock prompt).",
                hint="Unlock it, or set the FLUIGBOT_* environment variables instead.",
            )
        if "error" in box:
            raise _keyring_error(box["error"], what)
        return box.get("value")  # type: ignore[return-value]

    def backend(self) -> Any:
        if self._backend is None:

            def get() -> Any:
                import keyring

                return keyring.get_keyring()

            self._backend = self._call("load the backend", get)
        return self._backend

    def backend_name(self) -> str:
        b = self.backend()
        return f"{type(b).__module__}.{type(b).__name__}"

    def usable(self) -> bool:
        return _is_usable(self.backend())

    def _require_usable(self, name: str) -> Any:
        backend = self.backend()
        if not _is_usable(backend):
            raise CredentialError(
                f"no usable OS keyring here ({self.backend_name()}).",
                hint=f"Set {name} in the environment, or run where a Secret Service is unlocked.",
            )
        return backend

    def get(self, name: str) -> str | None:
        backend = self._require_usable(name)
        return self._call(f"read {name}", lambda: backend.get_password(SERVICE, name))

    def set(self, name: str, value: str) -> None:
        backend = self._require_usable(name)
        self._call(f"store {name}", lambda: backend.set_password(SERVICE, name, value))

    def delete(self, name: str) -> bool:
        backend = self._require_usable(name)

        def delete() -> bool:
            import keyring.errors

            try:
                backend.delete_password(SERVICE, name)
            except keyring.errors.PasswordDeleteError:
                return False
            return True

        return self._call(f"delete {name}", delete)


def _is_usable(backend: Any) -> bool:
    module = type(backend).__module__
    name = type(backend).__name__.lower()
    if module.startswith(("keyring.backends.fail", "keyring.backends.null")):
        return False
    if "plaintext" in name or "plaintext" in module:
        return False
    if module.startswith("keyring.backends.chainer"):
        return bool(getattr(backend, "backends", []))
    return True


def _keyring_error(exc: BaseException, what: str) -> Exception:
    if isinstance(exc, CredentialError):
        return exc
    kind = type(exc).__name__
    return CredentialError(
        f"the OS keyring failed to {what} ({kind}).",
        hint="Unlock it, or set the FLUIGBOT_* environment variables instead.",
    )


class Secrets:
    """Looks secrets up: environment first, then the keyring. Values never reach a repr."""

    def __init__(self, keyring: Keyring | None = None, environ: dict[str, str] | None = None):
        self.keyring = keyring or Keyring()
        self.environ = environ if environ is not None else os.environ

    def find(self, name: str, *, use_keyring: bool = True) -> Found:
        value = self.environ.get(name)
        if value:
            return Found(name, value, "env")
        if use_keyring:
            value = self.keyring.get(name)
            if value:
                return Found(name, value, f"keyring ({self.keyring.backend_name()})")
        return Found(name, None, "missing")

    def require(self, names: Sequence[str]) -> dict[str, str]:
        """Every name's value, or one CredentialError listing what is missing and how to set it."""
        missing: list[str] = []
        values: dict[str, str] = {}
        for name in names:
            if self.environ.get(name):
                values[name] = self.environ[name]
                continue
            try:
                found = self.find(name)
            except CredentialError as exc:
                raise CredentialError(
                    f"{name} is not set and {exc.message}",
                    hint=f"Set {name} in the environment, or unlock the keyring.",
                ) from None
            if found.value is None:
                missing.append(name)
            else:
                values[name] = found.value
        if missing:
            group = next((g for g, ns in GROUPS.items() if missing[0] in ns), "fluig")
            raise CredentialError(
                f"missing credential(s): {', '.join(missing)}.",
                hint=f"Store them with `fluigbot auth set {group}`, or set them in the environment.",
            )
        return values

    def journal_key(self, *, journal_exists: bool, announce: Callable[[str], None]) -> str:
        """The journal secret. Generated and stored in the keyring only for a brand-new journal:
        a lost key must never silently start a new journal that forgot who opted out."""
        name = JOURNAL[0]
        env = self.environ.get(name)
        if env:
            if len(env) < JOURNAL_KEY_MIN:
                raise CredentialError(f"{name} must be at least {JOURNAL_KEY_MIN} characters long.")
            return env
        try:
            stored = self.keyring.get(name)
        except CredentialError as exc:
            raise CredentialError(
                f"{name} is not set and {exc.message}",
                hint=f"Set {name} (at least {JOURNAL_KEY_MIN} characters) in the environment.",
            ) from None
        if stored:
            return stored
        if journal_exists:
            raise CredentialError(
                f"the journal exists but its key is missing ({name} is neither in the environment "
                "nor in the keyring).",
                hint="Restore it from your backup with `fluigbot auth set journal --stdin`.",
            )
        key = _random.token_urlsafe(48)
        self.keyring.set(name, key)
        announce(
            f"Generated a new journal key and stored it in the OS keyring as {name}. "
            "BACK IT UP NOW (e.g. `secret-tool lookup service fluigbot username "
            f"{name}`): without it the journal, and the opt-out list in it, cannot be read."
        )
        return key
