"""What each provider answer means for the journal: one pure table, by error class."""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import datetime

from fluigbot.journal.entry import Outcome
from fluigbot.pacing import backoff
from fluigbot.whatsapp.base import ErrorClass, SendResult


def outcome_for(
    key: tuple[str, str],
    result: SendResult,
    *,
    attempts: int,
    max_attempts: int,
    now: datetime,
    rand: Callable[[], float] = random.random,
) -> Outcome:
    """The journal record for one finished POST.

    `attempts` counts this one (the claim added it). rate_limited and stop never reach here: the
    pipeline waits out the first and releases the second.
    """
    if result.ok:
        return Outcome(key, "sent", message_id=result.message_id, wa_id=result.wa_id)
    code, detail = result.code, result.detail
    klass = result.error_class
    if klass is ErrorClass.RETRYABLE or klass is ErrorClass.RATE_LIMITED:
        if attempts >= max_attempts:
            return Outcome(
                key,
                "dead",
                error_code=code,
                error_message=_join(detail, f"gave up after {attempts} attempts"),
            )
        return Outcome(
            key,
            "failed",
            error_code=code,
            error_message=detail,
            next_attempt_at=now + backoff(max(attempts, 1), rand=rand),
        )
    if klass is ErrorClass.PERMANENT:
        return Outcome(key, "dead", error_code=code, error_message=detail)
    # UNKNOWN, or a class this table does not know: it may have gone out; never again
    # without --force.
    return Outcome(
        key, "unknown", message_id=result.message_id, error_code=code, error_message=detail
    )


def released(key: tuple[str, str], result: SendResult | None = None) -> Outcome:
    """An unsent claim given back: the entry is pending again (a stop, Ctrl-C)."""
    if result is None:
        return Outcome(key, "pending")
    return Outcome(key, "pending", error_code=result.code, error_message=result.detail)


def _join(*parts: str | None) -> str:
    return "; ".join(p for p in parts if p)
