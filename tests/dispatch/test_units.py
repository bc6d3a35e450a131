"""Pure parts of the dispatch: the outcome table by error class, and the start window (virtual
time, no real sleeping)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fluigbot.dispatch.outcomes import outcome_for, released
from fluigbot.dispatch.window import StartWindow
from fluigbot.whatsapp.base import ErrorClass, SendResult

KEY = ("https://fluig.example.com", "1")
NOW = datetime(2026, 7, 1, 15, 0, tzinfo=UTC)


def _out(result: SendResult, attempts: int = 1, max_attempts: int = 3):  # type: ignore[no-untyped-def]
    return outcome_for(
        KEY, result, attempts=attempts, max_attempts=max_attempts, now=NOW, rand=lambda: 0.5
    )


def test_ok_is_sent_with_ids():
    o = _out(SendResult(ok=True, message_id="wamid.1", wa_id="551187654321"))
    assert (o.status, o.message_id, o.wa_id) == ("sent", "wamid.1", "551187654321")


def test_retryable_is_failed_with_jittered_doubling_backoff():
    fail = SendResult(ok=False, error_class=ErrorClass.RETRYABLE, code="131000", detail="x")
    first, second = _out(fail, attempts=1), _out(fail, attempts=2)
    assert first.status == second.status == "failed"
    assert first.next_attempt_at == NOW + timedelta(seconds=45)  # 60 s, equal jitter at 0.5
    assert second.next_attempt_at == NOW + timedelta(seconds=90)
    assert first.error_code == "131000"


def test_retryable_at_max_attempts_is_dead():
    fail = SendResult(ok=False, error_class=ErrorClass.RETRYABLE, code="131000")
    o = _out(fail, attempts=3, max_attempts=3)
    assert o.status == "dead" and "gave up after 3 attempts" in (o.error_message or "")


@pytest.mark.parametrize(
    ("klass", "status"),
    [(ErrorClass.PERMANENT, "dead"), (ErrorClass.UNKNOWN, "unknown")],
)
def test_permanent_and_unknown(klass, status):
    assert _out(SendResult(ok=False, error_class=klass, code="c")).status == status


def test_released_claim_is_pending_again():
    assert released(KEY).status == "pending"


class VirtualTime:
    def __init__(self) -> None:
        self.now = 0.0

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += max(seconds, 0.0)
        await asyncio.sleep(0)


@settings(max_examples=40, deadline=None)
@given(
    rate=st.integers(min_value=1, max_value=60),
    slow_first=st.floats(min_value=0.0, max_value=0.5),
)
def test_start_window_never_lets_more_than_rate_arrive_in_a_second(rate, slow_first):
    """Arrival = start + a round trip of 0.05 s, except the first request, which also opens its
    connection (slow_first). No one-second window of arrivals may hold more than `rate`."""
    vt = VirtualTime()
    window = StartWindow(rate, clock=vt.clock, sleep=vt.sleep)
    arrivals: list[float] = []

    async def one(i: int) -> None:
        ticket = await window.wait()
        extra = slow_first if i == 0 else 0.0
        arrivals.append(vt.now + extra)
        answered = vt.now + extra + 0.05
        while vt.now < answered:  # the answer comes back after the round trip
            await vt.sleep(answered - vt.now)
        window.done(ticket)

    async def main() -> None:
        for i in range(3 * rate + 2):
            await one(i)  # one at a time: the window is the only pacing

    asyncio.run(main())
    times = sorted(arrivals)
    for i, t in enumerate(times):
        inside = [x for x in times[i:] if x < t + 1.0]
        assert len(inside) <= rate
