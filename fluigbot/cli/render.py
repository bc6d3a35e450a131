"""How records look to an operator: tables and one-line summaries. No logic beyond layout.

Names are shortened to the first name and an initial, phones are masked, unless --reveal.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from fluigbot.cli.output import Output

if TYPE_CHECKING:
    from fluigbot.intake import FetchReport
    from fluigbot.journal import Entry

STATUS_STYLE = {
    "pending": "cyan",
    "sending": "magenta",
    "sent": "green",
    "failed": "yellow",
    "dead": "red",
    "unknown": "bold red",
    "skipped": "dim",
    "held": "blue",
}


def short_name(name: str | None) -> str:
    """'Maria Aparecida da Silva' -> 'Maria S.'; a name is personal data."""
    if not name:
        return "-"
    words = name.split()
    if len(words) == 1:
        return words[0]
    return f"{words[0]} {words[-1][0]}."


def styled(status: str, tty: bool) -> str:
    style = STATUS_STYLE.get(status)
    return f"[{style}]{status}[/]" if tty and style else status


def _phone(entry: Entry, reveal: bool) -> str:
    if entry.phone is None and entry.phone_masked is None:
        return "-"
    return (entry.phone if reveal else entry.phone_masked) or "-"


def fetch_table(out: Output, entries: Sequence[Entry]) -> None:
    if not entries:
        return
    out.table(
        ["request", "process", "requester", "phone", "status", "reason"],
        [
            (
                e.request_id,
                e.process_id,
                short_name(e.name),
                _phone(e, False),
                styled(e.status, out.tty),
                e.reason,
            )
            for e in entries
        ],
        title="Recorded",
    )


def fetch_summary(report: FetchReport) -> str:
    parts = [
        f"{report.read} read",
        f"{report.new} new",
        f"{report.skipped} skipped",
        f"{report.known} already known",
    ]
    if report.updated:
        parts.append(f"{report.updated} of the new were skipped before (phone fixed)")
    if report.invalid:
        parts.append(f"{report.invalid} without a request number (see -v)")
    return "fetch: " + ", ".join(parts) + "."


def history_table(out: Output, entries: Sequence[Entry], *, reveal: bool) -> None:
    out.table(
        ["updated", "request", "process", "requester", "phone", "status", "tries", "detail"],
        [
            (
                e.updated_at.astimezone().strftime("%Y-%m-%d %H:%M") if e.updated_at else "-",
                e.request_id,
                e.process_id,
                (e.name or "-") if reveal else short_name(e.name),
                _phone(e, reveal),
                styled(e.status, out.tty),
                e.attempts,
                _detail(e),
            )
            for e in entries
        ],
    )


def _detail(e: Entry) -> str:
    if e.status == "skipped":
        return e.reason or "-"
    if e.error_code or e.error_message:
        return f"{e.error_code or ''} {e.error_message or ''}".strip()
    if e.message_id:
        return e.message_id
    return e.reason or "-"


def counts_line(label: str, counts: dict[str, Any]) -> str:
    return f"{label}: " + ", ".join(f"{v} {k}" for k, v in counts.items()) + "."
