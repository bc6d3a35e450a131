"""Sending policies: quiet hours, consent, and the send / hold / skip decision.

Pure: the caller passes the clock (`at`, `now`) and every fact from the journal. Nothing here
reads files or speaks HTTP, so `preview` and `send` reach the same decision from the same facts.

The default window, Monday to Friday 10:00-18:00 America/Sao_Paulo, is 08:00-16:00 in Acre
(America/Rio_Branco, UTC-5) and 09:00-17:00 in Manaus (UTC-4): inside every Brazilian state's
contact-hours rule while evaluated in one zone. An operator who sets `send.window.timezone` to
another zone moves the whole window to that zone's wall clock.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays as holidays_lib

from fluigbot.errors import ConfigError

DAY_NAMES: tuple[str, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_DAY_TITLES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_WINDOW_KEYS = ("days", "start", "end", "timezone", "holidays")
_HHMM = re.compile(r"(\d{1,2}):(\d{2})")


@dataclass(frozen=True)
class Window:
    """The hours a first contact may go out. `end` is exclusive; `holidays=""` means none."""

    days: tuple[str, ...] = ("mon", "tue", "wed", "thu", "fri")
    start: time = time(10, 0)
    end: time = time(18, 0)
    timezone: str = "America/Sao_Paulo"
    holidays: str = "BR"

    def __post_init__(self) -> None:
        problems = _window_problems(self.days, self.start, self.end, self.timezone, self.holidays)
        if problems:
            raise ConfigError(problems[0], problems=problems)

    @classmethod
    def from_config(cls, table: Mapping[str, Any]) -> Window:
        """Build from the `[send.window]` table; a key left out keeps its default.

        Raises ConfigError whose `problems` name each bad dotted key (`send.window.start`, ...).
        """
        # Unknown keys are the config loader's business (it warns and ignores them).
        problems: list[str] = []
        fields: dict[str, Any] = {}
        if "days" in table:
            days = table["days"]
            if not isinstance(days, list) or not all(isinstance(d, str) for d in days):
                problems.append('send.window.days: must be a list like ["mon", "tue"]')
            else:
                # Keep the operator's days in week order, once each.
                wanted = {d.strip().lower() for d in days}
                unknown = sorted(wanted - set(DAY_NAMES))
                if unknown:
                    problems.append(
                        f"send.window.days: unknown day {', '.join(map(repr, unknown))}"
                        f" (use {', '.join(DAY_NAMES)})"
                    )
                fields["days"] = tuple(d for d in DAY_NAMES if d in wanted)
        for key in ("start", "end"):
            if key in table:
                parsed = _parse_time(table[key])
                if parsed is None:
                    problems.append(f'send.window.{key}: {table[key]!r} is not a time like "10:00"')
                else:
                    fields[key] = parsed
        for key in ("timezone", "holidays"):
            if key in table:
                if isinstance(table[key], str):
                    fields[key] = table[key].strip()
                else:
                    problems.append(f"send.window.{key}: must be a string")
        if not problems:
            return cls(**fields)
        # Report the keys that parsed but are still wrong too, so one run shows every problem.
        bad = {p.split(":")[0].removeprefix("send.window.") for p in problems}
        checked = {k: (None if k in bad else fields.get(k, getattr(cls, k))) for k in _WINDOW_KEYS}
        problems += _window_problems(**checked)
        raise ConfigError(problems[0], problems=problems)


def _parse_time(value: object) -> time | None:
    if isinstance(value, time):  # TOML local time: start = 10:00:00
        return value
    if not isinstance(value, str):
        return None
    match = _HHMM.fullmatch(value.strip())
    if not match:
        return None
    hour, minute = int(match[1]), int(match[2])
    return time(hour, minute) if hour < 24 and minute < 60 else None


def _window_problems(
    days: tuple[str, ...] | None,
    start: time | None,
    end: time | None,
    timezone: str | None,
    holidays: str | None,
) -> list[str]:
    """Every problem with these values; None marks a value already reported as unreadable."""
    problems: list[str] = []
    if days is not None:
        if not days:
            problems.append(
                "send.window.days: no day left to send on (set send.quiet_hours = false instead)"
            )
        elif unknown := [d for d in days if d not in DAY_NAMES]:
            problems.append(f"send.window.days: unknown day {unknown[0]!r}")
    if start is not None and end is not None and start >= end:
        problems.append(
            f"send.window.start: {start:%H:%M} must be before send.window.end ({end:%H:%M})"
        )
    if timezone is not None:
        try:
            _zone(timezone)
        except ConfigError as exc:
            problems.append(exc.message)
    if holidays and holidays.upper() not in holidays_lib.list_supported_countries():
        problems.append(
            f"send.window.holidays: {holidays!r} is not a country the holidays package knows"
            ' (use "BR", or "" for none)'
        )
    return problems


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(
            f"send.window.timezone: unknown time zone {name!r} (e.g. America/Sao_Paulo)"
        ) from None


@functools.lru_cache(maxsize=64)
def _holidays_of(country: str, year: int) -> dict[date, str]:
    """National holidays of one year, names in Portuguese when the package has them."""
    # A country without pt_BR names falls back to its own default language.
    calendar = holidays_lib.country_holidays(country.upper(), years=year, language="pt_BR")
    return dict(calendar.items())


class QuietHours:
    """Answers "may a first contact go out at this instant?" for one Window."""

    def __init__(self, window: Window, *, enabled: bool = True) -> None:
        self.window = window
        self.enabled = enabled
        self.zone: tzinfo = _zone(window.timezone)
        self._weekdays = frozenset(DAY_NAMES.index(d) for d in window.days)

    def holiday(self, day: date) -> str | None:
        """The holiday's name on that local date, or None."""
        if not self.window.holidays:
            return None
        return _holidays_of(self.window.holidays, day.year).get(day)

    def _local(self, at: datetime) -> datetime:
        if at.tzinfo is None or at.utcoffset() is None:
            raise ValueError("QuietHours needs a timezone-aware datetime")
        return at.astimezone(self.zone)

    def reason(self, at: datetime) -> str | None:
        """Why `at` is outside the window, or None when a message may go."""
        local = self._local(at)
        if not self.enabled:
            return None
        if local.weekday() not in self._weekdays:
            return f"quiet hours ({_DAY_TITLES[local.weekday()]})"
        if name := self.holiday(local.date()):
            return f"quiet hours (holiday: {name})"
        w = self.window
        if local.time() < w.start:
            return f"quiet hours (before {w.start:%H:%M} {w.timezone})"
        if local.time() >= w.end:
            return f"quiet hours (after {w.end:%H:%M} {w.timezone})"
        return None

    def allows(self, at: datetime) -> bool:
        return self.reason(at) is None

    def next_open(self, at: datetime) -> datetime:
        """The first instant >= `at` a message may go (`at` itself when allowed), in at's zone."""
        if self.allows(at):
            return at
        local = self._local(at)
        day = local.date()
        if local.time() >= self.window.start:  # today's window has begun or passed
            day += timedelta(days=1)
        for _ in range(800):  # a few weeks at most; the bound only stops a runaway loop
            if day.weekday() in self._weekdays and not self.holiday(day):
                opening = datetime.combine(day, self.window.start, tzinfo=self.zone)
                return opening.astimezone(at.tzinfo)
            day += timedelta(days=1)
        raise ValueError("the send window never opens")  # unreachable with a valid Window


_YES = frozenset({"sim", "s", "yes", "y", "true", "1", "x", "on"})


def consent_given(value: str | None) -> bool:
    """True for a yes: sim, s, yes, y, true, 1, x, on (any case, accents and spaces ignored)."""
    if value is None:
        return False
    text = unicodedata.normalize("NFKD", str(value))
    text = "".join(c for c in text if not unicodedata.combining(c))
    return text.strip().casefold() in _YES


@dataclass(frozen=True)
class Decision:
    """What to do with one pending request now.

    `skip` is final (the request is recorded skipped with `reason`); `hold` leaves it pending;
    `until` is when the hold's cause ends (the cooldown's end, the next window opening).
    """

    action: Literal["send", "hold", "skip"]
    reason: str | None = None
    until: datetime | None = None


SEND = Decision("send")


def decide(
    *,
    now: datetime,
    quiet: QuietHours,
    ignore_quiet_hours: bool,
    opted_out: bool,
    consent_field: str,
    consent_value: str | None,
    already_contacted: bool,
    last_contact: datetime | None,
    cooldown: timedelta,
) -> Decision:
    """Skips first (they never change by waiting), then holds, then send."""
    if opted_out:
        return Decision("skip", "opted_out")
    if consent_field.strip() and not consent_given(consent_value):
        return Decision("skip", "no_consent")
    if already_contacted:
        return Decision("skip", "already_contacted")
    if last_contact is not None and cooldown > timedelta(0):
        until = last_contact + cooldown
        if now < until:
            shown = until.astimezone(quiet.zone)
            return Decision(
                "hold", f"cooldown until {shown:%Y-%m-%d %H:%M} {quiet.window.timezone}", until
            )
    if not ignore_quiet_hours:
        reason = quiet.reason(now)
        if reason is not None:
            return Decision("hold", reason, quiet.next_open(now))
    return SEND
