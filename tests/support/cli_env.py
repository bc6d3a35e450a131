"""The environment of a `fluigbot` subprocess that sees only its own config, state and key."""

from __future__ import annotations

import os
from pathlib import Path


def subprocess_env(tmp_path: Path, config: Path) -> dict[str, str]:
    """os.environ without any FLUIGBOT_ setting of the caller's, plus a config, a state dir under
    tmp_path, a journal key and no keyring."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("FLUIGBOT_")}
    env |= {
        "FLUIGBOT_CONFIG": str(config),
        "FLUIGBOT_STATE_DIR": str(tmp_path / "state"),
        "FLUIGBOT_JOURNAL_KEY": "subprocess-journal-key-" + "x" * 32,
        "PYTHON_KEYRING_BACKEND": "keyring.backends.null.Keyring",
    }
    return env
