"""`fluigbot history`: the journal, newest first."""

from __future__ import annotations

import typer

from fluigbot.cli.app import not_available


def history(
    status: list[str] = typer.Option([], "--status", help="Only this status (repeatable)."),
    request: str | None = typer.Option(None, "--request", help="Only this request id."),
    since: str | None = typer.Option(None, "--since", help="A date (YYYY-MM-DD) or an age (7d)."),
    limit: int = typer.Option(50, "--limit", min=1, help="At most N entries."),
    json_out: bool = typer.Option(False, "--json", help="Print one JSON array on stdout."),
    reveal: bool = typer.Option(False, "--reveal", help="Show full phone numbers (logged)."),
) -> None:
    """List journal entries, newest first."""
    not_available("history")
