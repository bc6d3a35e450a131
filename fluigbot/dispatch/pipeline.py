"""The send pipeline: claims, pacing, concurrency, outcomes. One asyncio loop, one journal thread.

    feeder --claim batch (1 fsync)--> ready queue --> N workers --POST--> outbox --record batch-->

- Every message's `sending` claim is on disk before its POST; many claims share one fsync (the
  feeder claims up to `concurrency` at a time, refilling when the ready queue runs half empty, so
  at most about 2 x concurrency messages are claimed and not yet posted).
- Outcomes are recorded the same way: whatever finished while the previous write ran goes in the
  next one (group commit).
- Journal calls run on one dedicated thread, in order, so the event loop keeps sending while the
  disk syncs.
- A `stop` answer or Ctrl-C halts at once: no new POST starts, the POSTs in flight finish and are
  recorded, claimed-but-unposted messages are released to pending, the rest was never claimed.
  A second Ctrl-C cancels the POSTs in flight (recorded `unknown`: they may have gone out).
"""

from __future__ import annotations

import asyncio
import functools
import logging
import random
import signal
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, TypeVar

from fluigbot.dispatch.outcomes import outcome_for, released
from fluigbot.dispatch.planning import PlanItem, _line, utcnow
from fluigbot.dispatch.window import StartWindow
from fluigbot.errors import FluigbotError, Interrupted
from fluigbot.journal.entry import Outcome
from fluigbot.pacing import RateLimiter, RecipientSpacing
from fluigbot.whatsapp.base import ErrorClass, Message, Provider, SendResult, stop_error

if TYPE_CHECKING:
    from fluigbot.journal import Entry, Journal

log = logging.getLogger("fluigbot.dispatch")
T = TypeVar("T")

MAX_RATE_RETRIES = 5  # a message rate-limited more often than this ends failed
MAX_PAUSE = 120.0  # a longer wait than this ends the run's sending (the rest stays pending)
DEFAULT_PAUSE = 2.0  # a rate limit without a hint: 2 s, doubling per retry of the same message
RECIPIENT_SPACING = 6.0  # Meta: about one message every 6 s to the same person
LINGER = 0.05  # an outcome waits up to this long for others to share its fsync


@dataclass
class Stats:
    journal_seconds: float = 0.0  # time spent inside journal calls (on the journal thread)
    journal_calls: int = 0
    claim_batches: int = 0
    outcome_batches: int = 0
    posts: int = 0
    rate_limited: int = 0


@dataclass
class RunResult:
    outcomes: dict[tuple[str, str], Outcome] = field(default_factory=dict)  # recorded, by key
    claimed: dict[tuple[str, str], Entry] = field(default_factory=dict)  # as claimed, by key
    not_claimed: list[tuple[str, str]] = field(default_factory=list)  # taken by someone else
    held: list[tuple[str, str]] = field(default_factory=list)  # window closed mid-run
    held_reason: str | None = None
    error: FluigbotError | None = None  # stop answer, Ctrl-C, or a journal failure
    halted: str | None = None  # why sending ended early without an error (rate-limit bound)
    stats: Stats = field(default_factory=Stats)

    @property
    def interrupted(self) -> bool:
        return isinstance(self.error, Interrupted)


@dataclass
class _Job:
    item: PlanItem
    entry: Entry  # as claimed (attempts counts this try)
    rate_retries: int = 0

    @property
    def key(self) -> tuple[str, str]:
        return self.entry.key

    @property
    def message(self) -> Message:
        assert self.item.message is not None
        return self.item.message


class Pipeline:
    """Sends planned messages through `provider`, recording everything in `journal`.

    The caller holds the journal's writer lock for the whole run. `recheck(now)` returns a hold
    reason when sending must pause (the contact window closed), checked before each claim batch.
    """

    def __init__(
        self,
        journal: Journal,
        provider: Provider,
        *,
        concurrency: int = 8,
        rate: float | None = None,
        max_attempts: int = 5,
        force: bool = False,
        mark_sent: bool = False,
        spacing: float | None = None,
        now: Callable[[], datetime] = utcnow,
        recheck: Callable[[datetime], str | None] = lambda _now: None,
        on_outcome: Callable[[Outcome], None] | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Any] = asyncio.sleep,
        rand: Callable[[], float] = random.random,
    ) -> None:
        self.journal = journal
        self.provider = provider
        self.concurrency = max(1, concurrency)
        self.max_attempts = max_attempts
        self.force = force
        self.mark_sent = mark_sent  # a Fluig mark is due after each send: record it pending
        self._now = now
        self._recheck = recheck
        self._on_outcome = on_outcome
        self._rand = rand
        self._limiter = RateLimiter(rate or None, clock=clock, sleep=sleep)
        self._window = StartWindow(rate or None, clock=clock, sleep=sleep)
        self._spacing = RecipientSpacing(
            RECIPIENT_SPACING if spacing is None else spacing, clock=clock, sleep=sleep
        )
        self.result = RunResult()
        self._halt = False
        self._interrupts = 0
        self._outbox: list[Outcome] = []
        self._flights: set[asyncio.Task[Any]] = set()
        self._io: ThreadPoolExecutor | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    # --- control ------------------------------------------------------------------------------

    def stop(self, error: FluigbotError) -> None:
        """Start no new POST; the first reason wins."""
        if self.result.error is None:
            self.result.error = error
        self._halt = True
        self._refill.set()

    def interrupt(self) -> None:
        """Ctrl-C: the first stops the batch; a second one cancels the POSTs in flight."""
        self._interrupts += 1
        if self._interrupts == 1:
            self.stop(
                Interrupted(
                    "interrupted: the messages in flight were recorded, the rest stays pending."
                )
            )
            log.warning("interrupted: finishing the messages in flight (Ctrl-C again to abandon)")
        else:
            for task in list(self._flights):
                task.cancel()

    # --- the run ------------------------------------------------------------------------------

    async def run(self, items: Sequence[PlanItem]) -> RunResult:
        self._loop = asyncio.get_running_loop()
        self._io = ThreadPoolExecutor(1, thread_name_prefix="fluigbot-journal")
        self._refill = asyncio.Event()
        self._refill.set()
        self._wake_writer = asyncio.Event()
        self._closing = False
        self._target = self.concurrency
        self._low = self.concurrency // 2
        ready: asyncio.Queue[_Job | None] = asyncio.Queue()
        signals = self._install_sigint()
        writer = asyncio.create_task(self._writer())
        workers = [asyncio.create_task(self._worker(ready)) for _ in range(self.concurrency)]
        try:
            await self._feed(list(items), ready)
        except FluigbotError as exc:  # a claim failed (journal error): nothing more goes out
            self.stop(exc)
        finally:
            for _ in workers:
                ready.put_nowait(None)
            await asyncio.gather(*workers, return_exceptions=True)
            self._closing = True
            self._wake_writer.set()
            try:
                await writer
            except FluigbotError as exc:
                self.stop(exc)
            finally:
                self._remove_sigint(signals)
                self._io.shutdown(wait=True)
        return self.result

    async def _journal(self, fn: Callable[..., T], *args: Any) -> T:
        """Run one journal call on the journal thread; its own time counts toward the stats."""
        stats = self.result.stats

        def timed() -> T:
            t0 = time.perf_counter()
            try:
                return fn(*args)
            finally:
                stats.journal_seconds += time.perf_counter() - t0
                stats.journal_calls += 1

        assert self._loop is not None and self._io is not None
        return await self._loop.run_in_executor(self._io, timed)

    async def _feed(self, items: list[PlanItem], ready: asyncio.Queue[_Job | None]) -> None:
        queue = deque(items)
        while queue and not self._halt:
            # Claim only once the ready queue ran half empty, so claims come in big batches.
            while ready.qsize() > self._low and not self._halt:
                self._refill.clear()
                await self._refill.wait()
            if self._halt:
                break
            room = self._target - ready.qsize()
            reason = self._recheck(self._now())
            if reason is not None:  # e.g. the window closed while sending: the rest waits
                self.result.held_reason = reason
                self.result.held.extend(i.key for i in queue)
                return
            batch = [queue.popleft() for _ in range(min(room, len(queue)))]
            claimed = await self._journal(
                functools.partial(self.journal.claim, force=self.force), [i.key for i in batch]
            )
            self.result.stats.claim_batches += 1
            by_key = {e.key: e for e in claimed}
            for item in batch:
                entry = by_key.get(item.key)
                if entry is None:  # another run took it, or it changed since the plan
                    self.result.not_claimed.append(item.key)
                else:
                    self.result.claimed[entry.key] = entry
                    ready.put_nowait(_Job(item, entry))

    async def _worker(self, ready: asyncio.Queue[_Job | None]) -> None:
        while True:
            job = await ready.get()
            if job is None:
                return
            if ready.qsize() <= self._low:
                self._refill.set()
            task = asyncio.current_task()
            try:
                await self._send(job, task)
            except asyncio.CancelledError:
                if self._loop is not None and self._interrupts > 1:
                    continue  # recorded in _send; keep draining the queue (releasing)
                raise

    async def _send(self, job: _Job, task: asyncio.Task[Any] | None) -> None:
        if self._halt:
            return self._emit(released(job.key))
        await self._spacing.wait(_line(job.message.to))
        while True:
            ticket = None
            if not self._halt:
                await self._limiter.acquire()
                ticket = await self._window.wait()
            if self._halt:
                return self._emit(released(job.key))
            self.result.stats.posts += 1
            if task is not None:
                self._flights.add(task)
            try:
                result = await self.provider.send(job.message)
            except asyncio.CancelledError:
                self._emit(
                    Outcome(
                        job.key,
                        "unknown",
                        error_code="interrupted",
                        error_message="abandoned in flight (Ctrl-C): it may have been sent",
                    )
                )
                raise
            finally:
                if task is not None:
                    self._flights.discard(task)
                if ticket is not None:
                    self._window.done(ticket)
            if result.error_class is ErrorClass.RATE_LIMITED:
                if self._rate_limited(job, result):
                    continue
                return None
            if result.error_class is ErrorClass.STOP:
                self.stop(stop_error(result, self.provider.name))
                return self._emit(released(job.key, result))
            return self._emit(
                outcome_for(
                    job.key,
                    result,
                    attempts=job.entry.attempts,
                    max_attempts=self.max_attempts,
                    now=self._now(),
                    rand=self._rand,
                )
            )

    def _rate_limited(self, job: _Job, result: SendResult) -> bool:
        """Pause everyone and try again (True), or give this message up as failed (False)."""
        self.result.stats.rate_limited += 1
        wait = result.retry_after
        if wait is None:
            wait = DEFAULT_PAUSE * 2**job.rate_retries
        job.rate_retries += 1
        if wait <= MAX_PAUSE and job.rate_retries <= MAX_RATE_RETRIES:
            log.info("rate limited (%s): everyone waits %.1f s", result.code, wait)
            self._limiter.pause_for(wait)
            return True
        self.result.halted = (
            f"the provider keeps rate-limiting ({result.code}; wait {wait:.0f} s): "
            "sending stopped, the rest stays pending"
        )
        self._halt = True
        self._refill.set()
        self._emit(
            Outcome(
                job.key,
                "failed",
                error_code=result.code,
                error_message=result.detail or "rate limited",
                next_attempt_at=self._now() + timedelta(seconds=max(wait, 60.0)),
            )
        )
        return False

    # --- outcomes: group commit ------------------------------------------------------------------

    def _record(self, batch: list[Outcome]) -> None:
        """On the journal thread: the outcomes, then a pending Fluig mark for each one sent, so
        a run killed before its marks leaves them due for the next run."""
        self.journal.record_outcomes(batch)
        if self.mark_sent:
            for outcome in batch:
                if outcome.status == "sent":
                    self.journal.set_mark(outcome.key, "pending")

    def _emit(self, outcome: Outcome) -> None:
        self._outbox.append(outcome)
        self._wake_writer.set()

    async def _writer(self) -> None:
        enough = max(1, self.concurrency // 2)
        while True:
            await self._wake_writer.wait()
            self._wake_writer.clear()
            # Linger a moment so more outcomes share this fsync (only claims must be on disk
            # before their POST; an outcome lost in a crash turns into `unknown`, never a resend).
            deadline = time.monotonic() + LINGER
            while len(self._outbox) < enough and not (self._closing or self._halt):
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                self._wake_writer.clear()
                try:
                    await asyncio.wait_for(self._wake_writer.wait(), left)
                except TimeoutError:
                    break
            batch, self._outbox = self._outbox, []
            if batch:
                await self._journal(self._record, batch)
                self.result.stats.outcome_batches += 1
                for outcome in batch:
                    self.result.outcomes[outcome.key] = outcome
                    if self._on_outcome is not None:
                        self._on_outcome(outcome)
            elif self._closing:
                return
            if self._closing and not self._outbox:
                return

    # --- Ctrl-C ---------------------------------------------------------------------------------

    def _install_sigint(self) -> bool:
        if threading.current_thread() is not threading.main_thread() or self._loop is None:
            return False
        try:
            # SIGTERM (systemd stop, a cron timeout) ends a run as gracefully as Ctrl-C.
            for sig in (signal.SIGINT, signal.SIGTERM):
                self._loop.add_signal_handler(sig, self.interrupt)
        except (NotImplementedError, RuntimeError, ValueError):  # Windows, or no signals here
            return False
        return True

    def _remove_sigint(self, installed: bool) -> None:
        if installed and self._loop is not None:
            for sig in (signal.SIGINT, signal.SIGTERM):
                self._loop.remove_signal_handler(sig)
