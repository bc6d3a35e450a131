"""Rate limiter, recipient spacing and backoff, in virtual time (no test waits for real)."""

from __future__ import annotations

import asyncio
import heapq
import itertools
import math
import random
from bisect import bisect_left
from collections.abc import Coroutine
from datetime import timedelta
from typing import Any, TypeVar

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fluigbot.pacing import RateLimiter, RecipientSpacing, backoff

T = TypeVar("T")


class VirtualTime:
    """A clock and a sleep for one asyncio run: time jumps to the next sleeper's wake-up once
    every task is blocked (tasks under test await nothing but this sleep)."""

    def __init__(self, start: float = 1000.0) -> None:
        self.now = start
        self.sleeps = 0
        self._sleepers: list[tuple[float, int, asyncio.Future[None]]] = []
        self._seq = itertools.count()

    def clock(self) -> float:
        return self.now

    async def sleep(self, delay: float) -> None:
        self.sleeps += 1
        fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        heapq.heappush(self._sleepers, (self.now + max(0.0, delay), next(self._seq), fut))
        await fut

    def run(self, main: Coroutine[Any, Any, T]) -> T:
        async def drive() -> T:
            task = asyncio.ensure_future(main)
            while True:
                for _ in range(10):  # let every woken task reach its next sleep
                    await asyncio.sleep(0)
                if task.done():
                    return task.result()
                assert self._sleepers, "deadlock: nothing sleeping and the main task not done"
                wake, _, fut = heapq.heappop(self._sleepers)
                self.now = max(self.now, wake)
                fut.set_result(None)

        return asyncio.run(drive())


def max_in_window(starts: list[float], width: float = 1.0) -> int:
    """The most starts in any half-open window [t, t+width). A fullest window can always slide
    right until it begins at a start, so checking windows that begin at each start suffices."""
    starts = sorted(starts)
    return max((bisect_left(starts, s + width) - i for i, s in enumerate(starts)), default=0)


def limiter(vt: VirtualTime, rate: float | None) -> RateLimiter:
    return RateLimiter(rate, clock=vt.clock, sleep=vt.sleep)


async def acquire_and_stamp(lim: RateLimiter, vt: VirtualTime, starts: list[float]) -> None:
    await lim.acquire()
    starts.append(vt.now)


def concurrent_starts(
    rate: float | None, n: int, origin: float = 1000.0
) -> tuple[list[float], int]:
    """n tasks call acquire() at once; their start times and how many sleeps that took."""
    vt = VirtualTime(origin)
    lim = limiter(vt, rate)
    starts: list[float] = []

    async def main() -> None:
        await asyncio.gather(*(acquire_and_stamp(lim, vt, starts) for _ in range(n)))

    vt.run(main())
    return starts, vt.sleeps


# --- RateLimiter -------------------------------------------------------------------------------


def test_500_sequential_acquires_at_50_per_second() -> None:
    vt = VirtualTime()
    lim = limiter(vt, 50)
    starts: list[float] = []

    async def main() -> None:
        for _ in range(500):
            await acquire_and_stamp(lim, vt, starts)

    vt.run(main())
    assert max_in_window(starts) == 50
    elapsed = starts[-1] - starts[0]
    assert elapsed == pytest.approx(499 / 50, rel=1e-9)  # 50/s exactly, well within 5% of 10 s
    assert min(b - a for a, b in itertools.pairwise(starts)) >= 1 / 50 - 1e-9  # burst of one


def test_500_concurrent_acquirers_each_get_their_own_slot() -> None:
    vt = VirtualTime()
    lim = limiter(vt, 50)
    starts: list[float] = []

    async def main() -> None:
        await asyncio.gather(*(acquire_and_stamp(lim, vt, starts) for _ in range(500)))

    vt.run(main())
    assert len(starts) == 500
    assert len(set(starts)) == 500
    assert max_in_window(starts) == 50
    assert starts[-1] - starts[0] == pytest.approx(9.98, rel=0.05)


def test_workers_with_uneven_work_never_exceed_the_rate() -> None:
    vt = VirtualTime()
    lim = limiter(vt, 20)
    starts: list[float] = []
    rng = random.Random(7)

    async def worker(n: int) -> None:
        for _ in range(n):
            await acquire_and_stamp(lim, vt, starts)
            await vt.sleep(rng.uniform(0, 0.5))  # the POST

    async def main() -> None:
        await asyncio.gather(*(worker(25) for _ in range(8)))

    vt.run(main())
    assert len(starts) == 200
    assert max_in_window(starts) <= 20
    assert starts[-1] - starts[0] == pytest.approx(199 / 20, rel=0.05)  # 8 workers keep up


def test_an_idle_limiter_allows_one_start_at_once_not_a_burst() -> None:
    vt = VirtualTime()
    lim = limiter(vt, 10)
    starts: list[float] = []

    async def main() -> None:
        await acquire_and_stamp(lim, vt, starts)
        await vt.sleep(60)  # long idle: no credit is saved up
        await asyncio.gather(*(acquire_and_stamp(lim, vt, starts) for _ in range(3)))

    vt.run(main())
    assert starts == pytest.approx([1000.0, 1060.0, 1060.1, 1060.2])


def test_pause_until_holds_everyone_including_those_already_waiting() -> None:
    vt = VirtualTime()
    lim = limiter(vt, 10)
    starts: list[float] = []

    async def rate_limited_answer() -> None:
        await vt.sleep(0.25)  # a 429 arrives while others wait for their slots
        lim.pause_for(30)

    async def main() -> None:
        await asyncio.gather(
            rate_limited_answer(), *(acquire_and_stamp(lim, vt, starts) for _ in range(10))
        )

    vt.run(main())
    before = [s for s in starts if s < 1000.25]
    after = [s for s in starts if s >= 1000.25]
    assert before == pytest.approx([1000.0, 1000.1, 1000.2])
    assert len(after) == 7
    assert min(after) == pytest.approx(1030.25)
    assert max_in_window(starts) <= 10
    assert min(b - a for a, b in itertools.pairwise(after)) >= 0.1 - 1e-9


def test_a_shorter_pause_never_shortens_a_longer_one() -> None:
    vt = VirtualTime()
    lim = limiter(vt, None)
    lim.pause_until(1010.0)
    lim.pause_until(1005.0)
    assert lim.paused_until == 1010.0
    starts: list[float] = []
    vt.run(acquire_and_stamp(lim, vt, starts))
    assert starts == [1010.0]


@pytest.mark.parametrize("rate", [None, 0])
def test_unlimited_never_sleeps(rate: float | None) -> None:
    starts, sleeps = concurrent_starts(rate, 1000)
    assert sleeps == 0
    assert starts == [1000.0] * 1000


@pytest.mark.parametrize("rate", [-1.0, math.nan, math.inf])
def test_bad_rate_is_refused(rate: float) -> None:
    with pytest.raises(ValueError):
        RateLimiter(rate)


@pytest.mark.parametrize("rate", [0.5, 2.5])
def test_fractional_rates_keep_their_average_and_their_spacing(rate: float) -> None:
    starts, _ = concurrent_starts(rate, 50)
    assert starts[-1] - starts[0] == pytest.approx(49 / rate)
    assert max_in_window(starts) <= math.ceil(rate)


arrivals = st.lists(st.floats(0, 3, allow_nan=False), min_size=1, max_size=120)


@settings(max_examples=150, deadline=None)
@given(
    rate=st.one_of(st.integers(1, 200).map(float), st.floats(0.2, 150)),
    gaps=arrivals,
    origin=st.one_of(st.just(0.0), st.floats(0, 1e7)),
)
def test_window_property_for_any_rate_and_arrival_pattern(
    rate: float, gaps: list[float], origin: float
) -> None:
    """Tasks arrive at arbitrary moments (gaps between arrivals); whatever the rate and the
    clock's origin (large origins stress float rounding), no half-open second holds more than
    ceil(rate) starts, starts keep 1/rate apart, and no start is later than FIFO pacing needs."""
    vt = VirtualTime(origin)
    lim = limiter(vt, rate)
    starts: list[float] = []
    times = list(itertools.accumulate(gaps, initial=origin))[1:]

    async def arrive(at: float) -> None:
        await vt.sleep(at - origin)
        await acquire_and_stamp(lim, vt, starts)

    async def main() -> None:
        await asyncio.gather(*(arrive(t) for t in times))

    vt.run(main())
    assert max_in_window(starts) <= math.ceil(rate)
    interval = 1 / rate
    tolerance = 1e-9 * max(1.0, origin)
    expected = -math.inf
    for arrived, started in zip(times, starts, strict=True):  # FIFO: arrival order = start order
        expected = max(arrived, expected + interval)
        assert started == pytest.approx(expected, abs=tolerance + 1e-6)


@pytest.mark.parametrize(
    ("rate", "origin"), [(3.0, 0.1), (7.0, 123456.789), (50.0, 1e7 + 0.3), (49.0, 86400.01)]
)
def test_rounding_never_lets_an_extra_start_in(rate: float, origin: float) -> None:
    # 1/3, 1/7, 1/49 are inexact; a clock far from zero makes every addition round.
    starts, _ = concurrent_starts(rate, 2000, origin)
    assert max_in_window(starts) == int(rate)
    assert starts[-1] - starts[0] == pytest.approx(1999 / rate)


# --- RecipientSpacing --------------------------------------------------------------------------


def spacing(vt: VirtualTime, interval: float = 6.0) -> RecipientSpacing:
    return RecipientSpacing(interval, clock=vt.clock, sleep=vt.sleep)


def test_same_recipient_waits_six_seconds_others_do_not() -> None:
    vt = VirtualTime()
    sp = spacing(vt)
    sent: list[tuple[str, float]] = []

    async def send(key: str) -> None:
        await sp.wait(key)
        sent.append((key, vt.now))

    async def main() -> None:
        await asyncio.gather(*(send(k) for k in ["a", "b", "a", "c", "a", "b"]))

    vt.run(main())
    by_key: dict[str, list[float]] = {}
    for key, at in sent:
        by_key.setdefault(key, []).append(at - 1000.0)
    assert by_key == {"a": [0.0, 6.0, 12.0], "b": [0.0, 6.0], "c": [0.0]}


def test_spacing_counts_from_the_last_message_not_from_the_request() -> None:
    vt = VirtualTime()
    sp = spacing(vt)
    stamps: list[float] = []

    async def main() -> None:
        await sp.wait("a")
        stamps.append(vt.now)
        await vt.sleep(4)
        await sp.wait("a")  # 4 s after the first: waits 2 more
        stamps.append(vt.now)
        await vt.sleep(10)
        await sp.wait("a")  # long after: no wait
        stamps.append(vt.now)

    vt.run(main())
    assert [s - 1000.0 for s in stamps] == [0.0, 6.0, 16.0]


def test_pruning_forgets_only_recipients_whose_spacing_has_passed() -> None:
    vt = VirtualTime()
    sp = spacing(vt)
    stamps: list[float] = []

    async def main() -> None:
        for i in range(3000):  # crosses the pruning point several times, all at one instant
            await sp.wait(f"k{i}")
        await sp.wait("k0")
        stamps.append(vt.now)

    vt.run(main())
    assert stamps == [1006.0]


# --- backoff -----------------------------------------------------------------------------------


def test_backoff_doubles_with_equal_jitter() -> None:
    assert backoff(1, rand=lambda: 0.0) == timedelta(seconds=30)
    assert backoff(1, rand=lambda: 1.0) == timedelta(seconds=60)
    assert backoff(2, rand=lambda: 0.0) == timedelta(seconds=60)
    assert backoff(3, rand=lambda: 1.0) == timedelta(seconds=240)


def test_backoff_is_capped() -> None:
    assert backoff(30, rand=lambda: 1.0) == timedelta(hours=6)
    assert backoff(10_000, rand=lambda: 0.0) == timedelta(hours=3)
    assert backoff(3, base=10, cap=25, rand=lambda: 1.0) == timedelta(seconds=25)


def test_backoff_expectation_never_decreases() -> None:
    means = [backoff(a, rand=lambda: 0.5) for a in range(1, 40)]
    assert means == sorted(means)


def test_backoff_rejects_attempt_zero() -> None:
    with pytest.raises(ValueError):
        backoff(0)


@given(attempt=st.integers(1, 5000), r=st.floats(0, 1, exclude_max=True))
def test_backoff_within_bounds(attempt: int, r: float) -> None:
    ceiling = min(6 * 3600, 60 * 2.0 ** min(attempt - 1, 1000))
    delay = backoff(attempt, rand=lambda: r).total_seconds()
    assert ceiling / 2 - 1e-6 <= delay <= ceiling + 1e-6
    assert delay > 0
