"""Dates as operators type them on the command line."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from fluigbot.errors import UsageError

_AGE = re.compile(r"^(\d+)\s*([dhw])$")


def parse_since(text: str, *, now: datetime | None = None) -> datetime:
    """'2026-11-01', '2026-11-01T10:00', '2026-11-01T10:00-03:00', '7d', '12h', '2w'.
    Without an offset, a date is São Paulo time."""
    value = text.strip().lower()
    age = _AGE.match(value)
    if age:
        amount, unit = int(age.group(1)), age.group(2)
        delta = {
            "d": timedelta(days=amount),
            "h": timedelta(hours=amount),
            "w": timedelta(weeks=amount),
        }[unit]
        return (now or datetime.now(UTC)) - delta
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise UsageError(
            f"--since {text!r} is neither a date (YYYY-MM-DD) nor an age (7d, 12h, 2w)."
        ) from None
    # A date without an offset is Brazilian time, as Fluig and its operators write it.
    return moment if moment.tzinfo else moment.replace(tzinfo=ZoneInfo("America/Sao_Paulo"))
