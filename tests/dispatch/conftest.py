"""Fixtures for the dispatch tests live in dispatch_helpers (tests/cli imports them too)."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from dispatch_helpers import (
    _journal_exists_shim,
    cloud,
    configure,
    home,
    journal,
    run,
)

__all__ = ["_journal_exists_shim", "cloud", "configure", "home", "journal", "run"]
