"""Fixtures for the dispatch tests live in dispatch_helpers (tests/cli imports them too)."""

from __future__ import annotations

from dispatch_helpers import (
    cloud,
    configure,
    home,
    journal,
    run,
)

__all__ = ["cloud", "configure", "home", "journal", "run"]
