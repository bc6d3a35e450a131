"""`fluigbot preview`: exactly what `send` would send, sending nothing."""

from __future__ import annotations

import typer

from fluigbot.cli.app import get_state


def preview(
    request: list[str] = typer.Option([], "--request", help="Only this request id (repeatable)."),
    limit: int | None = typer.Option(None, "--limit", min=1, help="At most N messages."),
    json_out: bool = typer.Option(False, "--json", help="Print one JSON document on stdout."),
    reveal: bool = typer.Option(False, "--reveal", help="Show full phone numbers (logged)."),
    ignore_quiet_hours: bool = typer.Option(
        False, "--ignore-quiet-hours", help="Decide as `send --ignore-quiet-hours` would."
    ),
) -> None:
    """Show, for each pending request, the masked recipient, the rendered text, the template and
    its parameters, and why a message would be held or skipped. Sends nothing."""
    from fluigbot.cli.render import preview_records, preview_table
    from fluigbot.dispatch import Selection, make_plan

    st = get_state()
    settings = st.settings()
    journal = st.journal()
    selection = Selection("send", tuple(request), limit, ignore_quiet_hours=ignore_quiet_hours)
    plan = make_plan(journal, settings, selection)
    items = plan.items[:limit] if limit is not None else plan.items
    if reveal and items:
        journal.log_access("preview --reveal", f"{len(items)} request(s)")
    records = preview_records(items, reveal=reveal)
    if json_out:
        st.out.json(records)
        return
    if not records:
        st.out.info("preview: nothing pending.")
        return
    preview_table(st.out, records)
    sending = sum(1 for r in records if not r["held"] and not r["skipped"])
    held = sum(1 for r in records if r["held"])
    skipped = sum(1 for r in records if r["skipped"])
    st.out.info(f"preview: {sending} would be sent, {held} held, {skipped} skipped.")
