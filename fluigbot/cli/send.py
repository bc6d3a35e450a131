"""`fluigbot send` and `fluigbot retry`: messages out, outcomes into the journal, marks to Fluig."""

from __future__ import annotations

import typer

from fluigbot.cli.app import not_available


def send(
    request: list[str] = typer.Option([], "--request", help="Only this request id (repeatable)."),
    limit: int | None = typer.Option(None, "--limit", min=1, help="Send at most N messages."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Do everything but send; write nothing."),
    yes: bool = typer.Option(False, "--yes", "-y", help="Do not ask for confirmation."),
    json_out: bool = typer.Option(False, "--json", help="Print one JSON document on stdout."),
    ignore_quiet_hours: bool = typer.Option(
        False, "--ignore-quiet-hours", help="Send outside the contact window too."
    ),
) -> None:
    """Send the pending messages, then write the mark back to Fluig. Asks for confirmation on a
    terminal; without one it needs --yes."""
    not_available("send")


def retry(
    request: list[str] = typer.Option([], "--request", help="Only this request id (repeatable)."),
    all_: bool = typer.Option(False, "--all", help="Ignore the backoff: retry every failed one."),
    force: bool = typer.Option(
        False, "--force", help="Include dead and unknown entries (check them first)."
    ),
    dry_run: bool = typer.Option(False, "--dry-run", help="Do everything but send; write nothing."),
    yes: bool = typer.Option(False, "--yes", "-y", help="Do not ask for confirmation."),
    json_out: bool = typer.Option(False, "--json", help="Print one JSON document on stdout."),
) -> None:
    """Send again the failed messages that are due."""
    not_available("retry")
