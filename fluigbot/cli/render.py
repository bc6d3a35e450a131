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
    """'MARIA APARECIDA DA SILVA' -> 'Maria S.'; a name is personal data."""
    if not name:
        return "-"
    from fluigbot.templates import title_name

    words = title_name(name).split()
    if len(words) == 1:
        return words[0]
    return f"{words[0]} {words[-1][0]}."


def styled(status: str, tty: bool) -> str:
    style = STATUS_STYLE.get(status)
    return f"[{style}]{status}[/]" if tty and style else status


def _phone(entry: Entry, reveal: bool) -> str:
    if entry.phone is None and entry.phone_masked is None:
        return "-"
    return (entry.phone if reveal and entry.phone else entry.phone_masked) or "-"


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


# --- preview, send, retry (dispatch) -----------------------------------------------------------


def preview_records(items: Sequence[Any], *, reveal: bool) -> list[dict[str, Any]]:
    """`preview --json`: one record per planned request (dispatch.PlanItem)."""
    out: list[dict[str, Any]] = []
    for item in items:
        e, msg = item.entry, item.message
        template = None
        if msg is not None:
            params: Any = [v for _, v in msg.parameters]
            if msg.parameter_format == "named":
                params = dict(msg.parameters)
            template = {"name": msg.template, "language": msg.language, "parameters": params}
        out.append(
            {
                "request_id": e.request_id,
                "process_id": e.process_id,
                "phone": _phone(e, reveal) if (e.phone or e.phone_masked) else None,
                "text": msg.text if msg is not None else None,
                "template": template,
                "held": item.reason if item.action == "hold" else None,
                "skipped": item.reason if item.action == "skip" else None,
                "status": e.status,
            }
        )
    return out


def preview_table(out: Output, records: Sequence[dict[str, Any]]) -> None:
    out.table(
        ["request", "phone", "template", "text", "would"],
        [
            (
                r["request_id"],
                r["phone"],
                r["template"]["name"] if r["template"] else None,
                r["text"],
                (f"held: {r['held']}" if r["held"] else None)
                or (f"skipped: {r['skipped']}" if r["skipped"] else None)
                or "send",
            )
            for r in records
        ],
    )


def send_table(out: Output, report: Any) -> None:
    """The requests a send/retry run looked at, as they are now (dispatch.SendReport)."""
    rows = []
    for r in report.records():
        status = r["status"]
        if r.get("held"):
            status, detail = "held", r["held"]
        elif report.dry_run:
            status, detail = f"would {r['would']}", r["reason"]
        else:
            error = r.get("error") or {}
            detail = (
                " ".join(str(x) for x in (error.get("code"), error.get("message")) if x)
                or r["message_id"]
                or r["reason"]
            )
        rows.append((r["request_id"], r["process_id"], r["phone"], styled(status, out.tty), detail))
    if rows:
        out.table(["request", "process", "phone", "status", "detail"], rows)


def send_summary(report: Any) -> str:
    c = report.counts()
    label = ("retry" if report.mode == "retry" else "send") + (
        " (dry run)" if report.dry_run else ""
    )
    parts = [f"{c['sent']} sent", f"{c['failed']} failed", f"{c['held']} held"]
    parts.append(f"{c['skipped']} skipped")
    for key in ("dead", "unknown"):
        if c[key]:
            parts.append(f"{c[key]} {key}")
    if report.dry_run:
        parts.insert(0, f"{c['would_send']} would be sent")
        parts = [p for p in parts if not p.startswith(("0 sent", "0 failed"))]
    if c.get("pending"):
        parts.append(f"{c['pending']} left pending")
    marks = report.marks
    if marks.done or marks.failed:
        parts.append(f"Fluig marks: {marks.done} done, {marks.failed} failed (retried next run)")
    return f"{label}: " + ", ".join(parts) + "."
