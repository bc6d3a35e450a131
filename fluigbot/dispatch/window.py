"""The rate limit as the far end sees it: arrivals, not scheduled slots (see StartWindow)."""

from __future__ import annotations

import asyncio
import math
import time
from collections import deque
from collections.abc import Callable
from typing import Any

START_MARGIN = 0.025  # seconds added to the one-second window: start-to-arrival jitter


class StartWindow:
    """At most ceil(rate) requests reach the far end in any one-second window.

    RateLimiter spaces the *scheduled* slots; when the event loop stalls (a busy CPU, a journal
    write holding the GIL), overdue slots start together, and a request that first opens its
    connection reaches the far end later than it started. So this guard keeps the actual start
    times, and once a request is answered it moves its time to the latest moment it can have
    arrived: its end minus the fastest round trip seen (its end itself while no other round
    trip is known). A margin of one slot (at most
    START_MARGIN) absorbs the remaining jitter; the cost is that 50/s becomes about 49/s.
    """

    def __init__(
        self,
        rate: float | None,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Any] = asyncio.sleep,
    ) -> None:
        self._clock = clock
        self._sleep = sleep
        self._starts: deque[list[float]] | None = None
        self._width = 1.0
        self._fastest = math.inf
        self._answers = 0
        if rate:
            self._starts = deque(maxlen=math.ceil(rate))
            self._width = 1.0 + min(1.0 / rate, START_MARGIN)

    def _arrived(self, ticket: list[float]) -> float:
        start, end = ticket
        if math.isnan(end):  # not answered yet
            return start
        if self._answers < 2:  # its own round trip is the only one known: assume the worst
            return end
        return max(start, end - self._fastest)

    async def wait(self) -> list[float]:
        """Wait for room; the ticket returned goes back to done() when the answer is in."""
        ticket = [math.nan, math.nan]  # [start, end]
        starts = self._starts
        if starts is None:
            return ticket
        while len(starts) == starts.maxlen:
            free_at = self._arrived(starts[0]) + self._width
            now = self._clock()
            if now >= free_at:
                break
            await self._sleep(free_at - now)
        ticket[0] = self._clock()
        starts.append(ticket)  # no await between the check and the append
        return ticket

    def done(self, ticket: list[float]) -> None:
        if self._starts is None or math.isnan(ticket[0]):
            return
        ticket[1] = self._clock()
        self._fastest = min(self._fastest, ticket[1] - ticket[0])
        self._answers += 1
