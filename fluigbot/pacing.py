"""Pacing primitives for the dispatch pipeline: a global rate limit, per-recipient spacing, backoff.

The clock and the sleep are injected so tests run in virtual time. Both limiters reserve a slot
synchronously, before their first `await`, so any number of tasks may call them concurrently on
one event loop: no two tasks ever get the same slot. A task cancelled while waiting leaves its
slot unused, which can only make the pace slower, never faster.

Suggested use per message: `await spacing.wait(phone_key)` first, then `await limiter.acquire()`
right before the POST, so a rate slot is not spent while waiting out a recipient's 6 s.
"""

from __future__ import annotations

import asyncio
import math
import random
import time
from collections import deque
from collections.abc import Awaitable, Callable
from datetime import timedelta

Clock = Callable[[], float]
Sleep = Callable[[float], Awaitable[object]]


class RateLimiter:
    """At most `rate` starts per second with a burst of one. `rate` None or 0: unlimited.

    Starts are spaced at least 1/rate apart, each slot computed from the previous *scheduled*
    slot (not from "now"), so a queue of waiters runs at exactly `rate`. On top of the spacing a
    guard keeps every slot at least 1.0 s after the slot `ceil(rate)` places earlier, computed in
    the same floating point as any check, so rounding can never squeeze one start too many into
    a second. The guarantee: every half-open window [t, t+1) holds at most ceil(rate) starts,
    which is `rate` itself for whole-number rates (the config's usual values). A fractional rate
    above 1 (2.5/s) keeps its average but some windows hold ceil(rate) starts.
    """

    def __init__(
        self, rate: float | None, *, clock: Clock = time.monotonic, sleep: Sleep = asyncio.sleep
    ) -> None:
        if rate is not None and (rate < 0 or math.isnan(rate) or math.isinf(rate)):
            raise ValueError("rate must be a positive number, or None/0 for unlimited")
        self.rate = rate or None
        self._clock = clock
        self._sleep = sleep
        self._interval = 1.0 / rate if rate else 0.0
        self._recent: deque[float] = deque(maxlen=math.ceil(rate) if rate else 1)
        self._next = -math.inf  # earliest slot for the next start
        self._paused_until = -math.inf

    def pause_until(self, t: float) -> None:
        """Hold every start until clock() >= t (a rate_limited answer's Retry-After).

        Also applies to tasks already waiting for a slot: they take a new one after the pause.
        """
        self._paused_until = max(self._paused_until, t)

    def pause_for(self, seconds: float) -> None:
        self.pause_until(self._clock() + seconds)

    @property
    def paused_until(self) -> float:
        return self._paused_until

    def _reserve(self, now: float) -> float:
        slot = max(now, self._next, self._paused_until)
        if self.rate is not None:
            recent = self._recent
            if len(recent) == recent.maxlen:
                slot = max(slot, recent[0] + 1.0)
            recent.append(slot)
            self._next = slot + self._interval
        return slot

    async def acquire(self) -> None:
        """Wait for this task's slot. Returns at the moment the caller may start."""
        while True:
            now = self._clock()
            slot = self._reserve(now)
            while now < slot:  # a sleep may end a hair early (clock resolution): never start early
                await self._sleep(slot - now)
                now = self._clock()
            if self._paused_until <= slot:
                return
            # A pause began after the slot was reserved: the slot is void, queue again.


class RecipientSpacing:
    """At most one message to the same recipient within `interval` seconds (Meta's pair limit).

    `recipient_key` should be the normalized number (or its keyed hash); it is never logged.
    """

    _PRUNE_EVERY = 1024

    def __init__(
        self, interval: float = 6.0, *, clock: Clock = time.monotonic, sleep: Sleep = asyncio.sleep
    ) -> None:
        if interval < 0:
            raise ValueError("interval must not be negative")
        self.interval = interval
        self._clock = clock
        self._sleep = sleep
        self._next: dict[str, float] = {}
        self._calls = 0

    async def wait(self, recipient_key: str) -> None:
        now = self._clock()
        slot = max(now, self._next.get(recipient_key, -math.inf))
        self._next[recipient_key] = slot + self.interval
        self._calls += 1
        if self._calls % self._PRUNE_EVERY == 0:  # forget recipients whose spacing has passed
            self._next = {k: t for k, t in self._next.items() if t > now}
        while now < slot:
            await self._sleep(slot - now)
            now = self._clock()


def backoff(
    attempt: int,
    *,
    base: float = 60.0,
    cap: float = 6 * 3600,
    rand: Callable[[], float] = random.random,
) -> timedelta:
    """Delay before retry number `attempt` (1 = the first retry): doubling, equal jitter, capped.

    d = min(cap, base * 2**(attempt-1)); the delay is uniform in [d/2, d]. Equal jitter keeps a
    floor of d/2, so a failure is never retried at once, and the expected delay (3d/4) never
    decreases with the attempt.
    """
    if attempt < 1:
        raise ValueError("attempt starts at 1")
    ceiling = min(cap, base * 2.0 ** min(attempt - 1, 1000))
    return timedelta(seconds=ceiling / 2 + rand() * ceiling / 2)
