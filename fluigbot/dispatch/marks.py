"""The Fluig mark after a send (fluig.writeback.mode): an observation or a form field.

The mark has its own state in the journal (pending, done, failed). A failed mark is tried again by
the next `send` or `retry` on its own; the message is never sent again for it. The Fluig client
is synchronous: callers on an event loop run `mark_one` in a thread.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from fluigbot.config import Settings
from fluigbot.errors import FluigbotError

if TYPE_CHECKING:
    from fluigbot.fluig.client import FluigClient
    from fluigbot.journal import Entry

MAX_ERROR = 200


@dataclass
class MarkReport:
    done: int = 0
    failed: int = 0
    errors: list[str] = field(default_factory=list)  # one line each, no personal data
    states: dict[tuple[str, str], tuple[str, str | None]] = field(default_factory=dict)

    def to_json(self) -> dict[str, int]:
        return {"done": self.done, "failed": self.failed}


def enabled(settings: Settings) -> bool:
    return settings.fluig.writeback.mode in ("observation", "form_field")


def check(settings: Settings) -> None:
    """Fail before sending when the mark could never be written (a bad mark template)."""
    from fluigbot.fluig.writeback import render_mark

    wb = settings.fluig.writeback
    if wb.mode == "observation":
        render_mark(wb.text, datetime.now())
    elif wb.mode == "form_field":
        render_mark(wb.value, datetime.now())


def mark_one(client: FluigClient, settings: Settings, entry: Entry, *, sent_at: datetime) -> None:
    """Write the mark for one sent entry; raises FluigbotError (or ValueError) when it fails."""
    from fluigbot.errors import RemoteError
    from fluigbot.fluig.writeback import post_observation, render_mark, set_form_field

    wb = settings.fluig.writeback
    if wb.mode == "observation":
        post_observation(
            client,
            process_instance_id=_request_number(entry),
            state_sequence=entry.state_sequence,
            thread_sequence=entry.thread_sequence,
            text=render_mark(wb.text, sent_at),
        )
    elif wb.mode == "form_field":
        if entry.form_id is None or entry.form_record_id is None:
            raise RemoteError(
                f"request {entry.request_id} has no form id in the journal: the field cannot be set."
            )
        set_form_field(
            client,
            form_id=entry.form_id,
            form_record_id=entry.form_record_id,
            field=wb.field,
            value=render_mark(wb.value, sent_at),
        )


def _request_number(entry: Entry) -> int:
    try:
        return int(entry.request_id)
    except ValueError:
        from fluigbot.errors import RemoteError

        raise RemoteError(
            f"request {entry.request_id!r} is not a Fluig request number: no observation."
        ) from None


def attempt(
    client: FluigClient, settings: Settings, entry: Entry, *, now: Callable[[], datetime]
) -> tuple[str, str | None]:
    """("done", None) or ("failed", a one-line reason without personal data)."""
    try:
        mark_one(client, settings, entry, sent_at=entry.sent_at or now())
    except FluigbotError as exc:
        return "failed", _short(str(exc))
    except (ValueError, OSError) as exc:
        return "failed", _short(f"{type(exc).__name__}")
    return "done", None


def _short(text: str) -> str:
    line = " ".join(text.split())
    return line if len(line) <= MAX_ERROR else line[: MAX_ERROR - 1] + "…"
