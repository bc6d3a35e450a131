"""One `send` or `retry` run, end to end: lock, recover, plan, confirm, send, mark, report.

The CLI builds the collaborators (settings, journal, provider, Fluig client) and renders the
report; everything between is here.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import TYPE_CHECKING, Any

from fluigbot.config import Settings
from fluigbot.dispatch import marks as marks_mod
from fluigbot.dispatch.marks import MarkReport
from fluigbot.dispatch.pipeline import Pipeline, RunResult
from fluigbot.dispatch.planning import Plan, Selection, make_plan, quiet_hours
from fluigbot.dispatch.planning import now as clock_now
from fluigbot.errors import FluigbotError, SendFailures

if TYPE_CHECKING:
    from fluigbot.fluig.client import FluigClient
    from fluigbot.journal import Entry, Journal
    from fluigbot.journal.entry import Outcome
    from fluigbot.whatsapp.base import Provider

log = logging.getLogger("fluigbot.dispatch")
LOCK_WAIT = 10.0
FAILURE_STATUSES = ("failed", "dead", "unknown")
MARK_THREADS = 4


@dataclass
class SendReport:
    mode: str
    dry_run: bool
    plan: Plan
    result: RunResult | None = None
    recovered: list[Entry] = field(default_factory=list)
    marks: MarkReport = field(default_factory=MarkReport)
    after: dict[tuple[str, str], Entry] = field(default_factory=dict)  # entries after the run
    timings: dict[str, float] = field(default_factory=dict)  # phase -> seconds (for -v, bench)

    def counts(self) -> dict[str, int]:
        final: dict[str, int] = {"sent": 0, "failed": 0, "dead": 0, "unknown": 0, "released": 0}
        if self.result is not None:
            for outcome in self.result.outcomes.values():
                name = "released" if outcome.status == "pending" else outcome.status
                final[name] = final.get(name, 0) + 1
        held = len(self.plan.held) + (len(self.result.held) if self.result else 0)
        counts = {
            "sent": final["sent"],
            "failed": final["failed"],
            "held": held,
            "skipped": len(self.plan.skipped),
            "dead": final["dead"],
            "unknown": final["unknown"],
        }
        if self.dry_run:
            counts["would_send"] = len(self.plan.to_send)
        if self.result is not None:
            counts["pending"] = final["released"] + len(self.result.not_claimed)
        return counts

    @property
    def failures(self) -> int:
        c = self.counts()
        return c["failed"] + c["dead"] + c["unknown"]

    def records(self, reveal: bool = False) -> list[dict[str, Any]]:
        """history-shaped records of every request this run looked at, plan order."""
        mid_run_held = set(self.result.held) if self.result else set()
        held_reason = self.result.held_reason if self.result else None
        out: list[dict[str, Any]] = []
        for item in self.plan.items:
            entry = self.after.get(item.key, item.entry)
            record = entry.to_json(reveal=reveal)
            held = item.reason if item.action == "hold" else None
            if item.key in mid_run_held:
                held = held_reason
            record["held"] = held
            if self.dry_run:
                record["would"] = item.action
            out.append(record)
        return out

    def to_json(self, reveal: bool = False) -> dict[str, Any]:
        data: dict[str, Any] = dict(self.counts())
        data["recovered"] = len(self.recovered)
        data["dry_run"] = self.dry_run
        if self.marks.done or self.marks.failed:
            data["marks"] = self.marks.to_json()
        data["requests"] = self.records(reveal)
        return data


@dataclass
class Dispatcher:
    """The collaborators of one run. `fluig` is None when fluig.writeback.mode is none."""

    settings: Settings
    journal: Journal
    provider: Provider
    fluig: FluigClient | None = None
    now: Callable[[], datetime] = clock_now
    on_outcome: Callable[[Outcome], None] | None = None
    on_start: Callable[[int], None] | None = None  # how many messages are about to go
    on_recovered: Callable[[list[Entry]], None] | None = None  # a killed run's claims, found
    lock_wait: float = LOCK_WAIT

    def plan(self, selection: Selection) -> Plan:
        """What the run would do now (reads only). Raises TemplateError for a bad template."""
        if marks_mod.enabled(self.settings):
            marks_mod.check(self.settings)
        return make_plan(self.journal, self.settings, selection, now=self.now())

    def dry_run(self, selection: Selection) -> SendReport:
        """Everything but the POST: plan, render, build each request. Writes nothing."""
        plan = self.plan(selection)
        for item in plan.to_send:
            assert item.message is not None
            self.provider.build_request(item.message)
        return SendReport(selection.mode, True, plan)

    def run(
        self, selection: Selection, *, confirm: Callable[[Plan], None] | None = None
    ) -> SendReport:
        """Send (or retry). `confirm(plan)` may raise to refuse; it is asked before the lock.

        Returns the report; raises nothing for failed messages (see `raise_for_outcome`).
        """
        if confirm is not None:
            preliminary = self.plan(selection)
            if preliminary.to_send:
                confirm(preliminary)
        timings: dict[str, float] = {}
        t0 = time.perf_counter()
        with self.journal.locked(wait=self.lock_wait):
            t1 = time.perf_counter()
            recovered = list(getattr(self.journal, "recovered", []) or [])
            if recovered and self.on_recovered is not None:
                self.on_recovered(recovered)
            plan = self.plan(selection)  # the authority: made under the lock
            self._record_skips(plan)
            t2 = time.perf_counter()
            report = SendReport(selection.mode, False, plan, recovered=recovered)
            if self.on_start is not None:
                self.on_start(len(plan.to_send))
            report.result = self._send(plan, selection)
            t3 = time.perf_counter()
            if self.fluig is not None and report.result.error is None:
                report.marks = self._marks(report.result)
            t4 = time.perf_counter()
            report.after = after_run(report.result, self.now())
            for key, (state, error) in report.marks.states.items():
                if key in report.after:
                    report.after[key] = replace(
                        report.after[key], mark_state=state, mark_error=error
                    )
            t5 = time.perf_counter()
        t6 = time.perf_counter()
        stats = report.result.stats
        timings.update(
            lock=t1 - t0,
            plan=t2 - t1,
            send=t3 - t2,
            send_journal=stats.journal_seconds,
            marks=t4 - t3,
            report=t5 - t4,
            unlock=t6 - t5,
        )
        report.timings = timings
        log.info(
            "timings: lock %.3fs, plan %.3fs, send %.3fs (journal %.3fs in %d calls: "
            "%d claim and %d outcome batches), marks %.3fs, report %.3fs, unlock %.3fs",
            timings["lock"],
            timings["plan"],
            timings["send"],
            stats.journal_seconds,
            stats.journal_calls,
            stats.claim_batches,
            stats.outcome_batches,
            timings["marks"],
            timings["report"],
            timings["unlock"],
        )
        return report

    def _record_skips(self, plan: Plan) -> None:
        """Skips found now (an opt-out since the fetch) are final: record them."""
        skips = [
            (i.key, i.reason or "skipped") for i in plan.skipped if i.entry.status != "skipped"
        ]
        if skips:
            self.journal.skip(skips)

    def _send(self, plan: Plan, selection: Selection) -> RunResult:
        quiet = quiet_hours(self.settings)

        def recheck(now: datetime) -> str | None:
            return None if selection.ignore_quiet_hours else quiet.reason(now)

        send = self.settings.send
        pipeline = Pipeline(
            self.journal,
            self.provider,
            concurrency=send.concurrency,
            rate=send.rate_per_second or None,
            max_attempts=send.max_attempts,
            force=selection.force,
            mark_sent=self.fluig is not None,
            now=self.now,
            recheck=recheck,
            on_outcome=self.on_outcome,
        )

        async def go() -> RunResult:
            try:
                return await pipeline.run(plan.to_send)
            finally:
                await self.provider.aclose()

        if not plan.to_send:
            asyncio.run(self.provider.aclose())
            return pipeline.result
        return asyncio.run(go())

    def _marks(self, result: RunResult) -> MarkReport:
        """Mark what this run sent, and every mark left failed or pending before."""
        assert self.fluig is not None
        sent = [k for k, o in result.outcomes.items() if o.status == "sent"]
        due = {e.key: e for e in self.journal.marks_due()}  # this run's sends are among them
        for key in sent:
            if key not in due:  # not recorded pending (cannot happen; never lose a mark)
                entry = self.journal.get(key)
                if entry is not None:
                    due[key] = entry
        report = MarkReport()
        if not due:
            return report
        client, settings = self.fluig, self.settings
        with ThreadPoolExecutor(MARK_THREADS, thread_name_prefix="fluigbot-mark") as pool:
            futures = {
                key: pool.submit(marks_mod.attempt, client, settings, entry, now=self.now)
                for key, entry in due.items()
            }
            for key, future in futures.items():
                state, error = future.result()
                self.journal.set_mark(key, state, error)
                report.states[key] = (state, error)
                if state == "done":
                    report.done += 1
                else:
                    report.failed += 1
                    if error and error not in report.errors:
                        report.errors.append(error)
        return report


def after_run(result: RunResult, now: datetime) -> dict[tuple[str, str], Entry]:
    """The entries as this run left them, from the claims and the outcomes it recorded (what
    the journal now holds, without reading it back)."""
    after: dict[tuple[str, str], Entry] = {}
    for key, outcome in result.outcomes.items():
        claimed = result.claimed.get(key)
        if claimed is None:
            continue
        changes: dict[str, Any] = {
            "status": outcome.status,
            "updated_at": now,
            "error_code": outcome.error_code,
            "error_message": outcome.error_message,
            "next_attempt_at": outcome.next_attempt_at,
        }
        if outcome.status == "sent":
            changes.update(message_id=outcome.message_id, sent_at=now)
            if outcome.wa_id:
                changes["wa_id"] = outcome.wa_id
        elif outcome.status == "pending":
            changes.update(attempts=max(0, claimed.attempts - 1), error_code=None,
                           error_message=None)  # fmt: skip
        after[key] = replace(claimed, **changes)
    return after


def raise_for_outcome(report: SendReport) -> None:
    """The run's exit: a stop or Ctrl-C first (4, 2, 130), then 6 when any message failed."""
    result = report.result
    if result is not None and result.error is not None:
        raise result.error
    if report.failures:
        c = report.counts()
        raise SendFailures(
            f"{c['failed']} failed, {c['dead']} dead, {c['unknown']} unknown in this run.",
            hint="See `fluigbot history --status failed --status dead --status unknown`; "
            "`fluigbot retry` sends the failed ones again when they are due.",
        )


__all__ = ["Dispatcher", "FluigbotError", "SendReport", "raise_for_outcome"]
