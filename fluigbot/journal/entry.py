"""The journal's public value types: Entry, Outcome, OptOut, Status, EntryKey."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, NamedTuple

from fluigbot.journal import numbers
from fluigbot.models import FluigRequest

EntryKey = tuple[str, str]  # (source, request_id): the Fluig base URL or export file name


class Status(StrEnum):
    PENDING = "pending"
    SKIPPED = "skipped"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"
    DEAD = "dead"
    UNKNOWN = "unknown"


OPEN_STATUSES = frozenset({"pending", "failed", "sending", "unknown"})
CLAIMABLE = frozenset({"pending", "failed"})
FORCE_CLAIMABLE = CLAIMABLE | {"dead", "unknown"}
OUTCOME_STATUSES = frozenset({"sent", "failed", "dead", "unknown", "pending"})
MARK_STATES = frozenset({"pending", "done", "failed"})


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


@dataclass(frozen=True, slots=True, repr=False)
class Entry:
    """One request as the journal knows it now (its latest record), PII decrypted."""

    source: str
    request_id: str
    process_id: str
    status: str
    reason: str | None
    phone: str | None  # E.164
    phone_masked: str | None
    wa_id: str | None
    name: str | None
    description: str | None
    start_date: datetime | None
    attempts: int
    message_id: str | None
    error_code: str | None
    error_message: str | None
    next_attempt_at: datetime | None
    created_at: datetime
    updated_at: datetime
    sent_at: datetime | None
    form_id: int | None
    form_record_id: int | None
    state_sequence: int | None
    thread_sequence: int | None
    movement_sequence: int | None
    mark_state: str | None
    mark_error: str | None
    phone_ref: str | None = None  # keyed hash of the canonical phone (audit, dedup)
    scrubbed: str | None = None  # "purge" or "forget" once personal data was removed

    @property
    def key(self) -> EntryKey:
        return (self.source, self.request_id)

    def __repr__(self) -> str:
        return (
            f"Entry(source={self.source!r}, request_id={self.request_id!r}, "
            f"status={self.status!r}, phone={self.phone_masked!r}, attempts={self.attempts})"
        )

    def to_json(self, reveal: bool = False) -> dict[str, Any]:
        """The `history --json` record. Masked phone unless reveal; null when there is none."""
        phone = self.phone if reveal else self.phone_masked
        if self.phone is None and self.phone_masked is None:
            phone = None
        wa_id = None
        if self.wa_id:
            wa_id = self.wa_id if reveal else _safe_mask(self.wa_id)
        error = None
        if self.error_code is not None or self.error_message is not None:
            error = {"code": self.error_code, "message": self.error_message}
        mark = None
        if self.mark_state is not None:
            mark = {"state": self.mark_state, "error": self.mark_error}
        return {
            "request_id": self.request_id,
            "process_id": self.process_id,
            "status": self.status,
            "reason": self.reason,
            "phone": phone,
            "attempts": self.attempts,
            "message_id": self.message_id,
            "error": error,
            "created_at": _iso(self.created_at),
            "updated_at": _iso(self.updated_at),
            "source": self.source,
            "wa_id": wa_id,
            "next_attempt_at": _iso(self.next_attempt_at),
            "sent_at": _iso(self.sent_at),
            "mark": mark,
            "scrubbed": self.scrubbed,
        }


def _safe_mask(value: str) -> str:
    try:
        return numbers.mask(value)
    except ValueError:
        return "****"


class Fetched(NamedTuple):
    """A request read from Fluig, as fetch records it (see Journal.record_fetched_many). Flat and
    plain, so that a page of them crosses from the reading process cheaply (readahead)."""

    source: str
    request_id: str
    process_id: str
    start_date: str | None  # UTC, as the journal writes it
    form_id: int | None
    form_record_id: int | None
    state_sequence: int | None
    thread_sequence: int | None
    movement_sequence: int | None
    status: str  # pending | skipped
    reason: str | None
    phone: str | None  # E.164
    phone_masked: str | None
    name: str | None
    description: str | None

    @classmethod
    def of(
        cls,
        req: FluigRequest,
        status: str,
        reason: str | None,
        phone: str | None,
        phone_masked: str | None,
        name: str | None,
        description: str | None,
    ) -> Fetched:
        start = req.start_date
        return cls(
            req.source,
            str(req.request_id),
            req.process_id,
            ts(start) if start is not None else None,
            req.form_id,
            req.form_record_id,
            req.state_sequence,
            req.thread_sequence,
            req.movement_sequence,
            status,
            reason,
            phone,
            phone_masked,
            name,
            description,
        )

    def __repr__(self) -> str:  # the phone and the name are personal data
        return f"Fetched(request_id={self.request_id!r}, status={self.status!r})"


def ts(value: datetime) -> str:
    """A journal timestamp: UTC, ISO-8601, microseconds."""
    if value.tzinfo is None:
        raise ValueError("journal timestamps must be timezone-aware")
    return value.astimezone(UTC).isoformat(timespec="microseconds")


@dataclass(frozen=True)
class Outcome:
    """What happened to one claimed request; see Journal.record_outcomes."""

    key: EntryKey
    status: str  # sent | failed | dead | unknown | pending (released unsent)
    message_id: str | None = None
    wa_id: str | None = None
    error_code: str | None = None
    error_message: str | None = None
    next_attempt_at: datetime | None = None

    def __repr__(self) -> str:  # wa_id and provider text may hold a number
        return f"Outcome(key={self.key!r}, status={self.status!r}, error_code={self.error_code!r})"


@dataclass(frozen=True)
class OptOut:
    masked: str
    added_at: datetime
    source: str
