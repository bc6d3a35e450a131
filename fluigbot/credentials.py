"""What `auth` does, apart from the CLI: read secrets, store them, and report their state."""

from __future__ import annotations

import getpass
from pathlib import Path
from typing import Any, TextIO

from fluigbot.config import Settings
from fluigbot.errors import CredentialError, UsageError
from fluigbot.secrets import FLUIG, GROUPS, JOURNAL, JOURNAL_KEY_MIN, WHATSAPP, Secrets


def read_secrets(group: str, *, stream: TextIO | None) -> dict[str, str]:
    """From `stream` (one per line, in order) or from hidden prompts on the terminal."""
    names = GROUPS[group]
    values: dict[str, str] = {}
    if stream is not None:
        lines = stream.read().splitlines()
        lines = [line.strip() for line in lines]
        while lines and not lines[-1]:
            lines.pop()
        if len(lines) != len(names) or not all(lines):
            raise UsageError(
                f"expected {len(names)} non-empty line(s) on stdin for `auth set {group}` "
                f"({', '.join(names)}), got {len(lines)}."
            )
        values = dict(zip(names, lines, strict=True))
    else:
        for name in names:
            value = getpass.getpass(f"{name}: ").strip()
            if not value:
                raise UsageError(f"{name} cannot be empty.")
            values[name] = value
    if group == "journal" and len(values[JOURNAL[0]]) < JOURNAL_KEY_MIN:
        raise UsageError(f"{JOURNAL[0]} must be at least {JOURNAL_KEY_MIN} characters long.")
    return values


def store_secrets(secrets: Secrets, values: dict[str, str]) -> str:
    for name, value in values.items():
        secrets.keyring.set(name, value)
    return secrets.keyring.backend_name()


def needed(settings: Settings) -> set[str]:
    out: set[str] = set()
    if settings.fluig.source in ("api", "dataset"):
        out.update(FLUIG)
    if settings.whatsapp.provider in ("cloud", "twilio", "evolution"):
        out.update(WHATSAPP)
    return out


def status_rows(
    settings: Settings, secrets: Secrets, state_dir: Path
) -> tuple[list[dict[str, Any]], list[str]]:
    """One row per secret, and the names the config needs that are missing. Never raises for a
    missing secret or an unusable keyring: the table is shown first, the exit code follows."""
    need = needed(settings)
    if journal_exists(state_dir):
        need.update(JOURNAL)  # an existing journal cannot be read without its key
    rows: list[dict[str, Any]] = []
    missing: list[str] = []
    keyring_problem: str | None = None
    for group, names in GROUPS.items():
        for name in names:
            found = secrets.find(name, use_keyring=False)
            if found.value is None and keyring_problem is None:
                try:
                    found = secrets.find(name)
                except CredentialError as exc:
                    keyring_problem = exc.message
            present = found.value is not None
            state = "present" if present else "missing"
            origin = found.origin
            if not present and keyring_problem is not None:
                origin = "keyring unusable"
            if group == "journal" and not present and name not in need:
                state = "not yet (made on first use)"
            rows.append(
                {
                    "name": name,
                    "group": group,
                    "state": state,
                    "present": present,
                    "origin": origin,
                    "needed": name in need,
                }
            )
            if name in need and not present:
                missing.append(name)
    return rows, missing


def journal_exists(state_dir: Path) -> bool:
    """Whether a journal was ever written there (so its key must not be made anew)."""
    from fluigbot.journal import Journal

    return Journal.exists(state_dir)
