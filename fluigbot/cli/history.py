"""`fluigbot history`: the journal, newest first."""

from __future__ import annotations

import typer

from fluigbot.cli.app import get_state


def history(
    status: list[str] = typer.Option([], "--status", help="Only this status (repeatable)."),
    request: str | None = typer.Option(None, "--request", help="Only this request id."),
    since: str | None = typer.Option(None, "--since", help="A date (YYYY-MM-DD) or an age (7d)."),
    limit: int = typer.Option(50, "--limit", min=1, help="At most N entries."),
    json_out: bool = typer.Option(False, "--json", help="Print one JSON array on stdout."),
    reveal: bool = typer.Option(False, "--reveal", help="Show full phone numbers (logged)."),
) -> None:
    """List journal entries, newest first."""
    from fluigbot.cli.render import history_table
    from fluigbot.journal import Status
    from fluigbot.timeparse import parse_since

    st = get_state()
    known = [s.value for s in Status]
    bad = [s for s in status if s not in known]
    if bad:
        raise typer.BadParameter(
            f"unknown status {', '.join(bad)}; use one of {', '.join(known)}",
            param_hint="--status",
        )
    journal = st.journal()
    entries = journal.select(
        statuses=status,
        request_ids=[request] if request else (),
        since=parse_since(since) if since else None,
        limit=limit,
    )
    if reveal:
        with journal.locked():
            journal.log_access("history --reveal", f"{len(entries)} entries shown unmasked")
    if json_out:
        st.out.json([e.to_json(reveal=reveal) for e in entries])
        return
    if not entries:
        st.out.info("No entries.")
        return
    history_table(st.out, entries, reveal=reveal)
