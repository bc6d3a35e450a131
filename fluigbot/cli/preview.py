"""`fluigbot preview`: exactly what `send` would send, sending nothing."""

from __future__ import annotations

import typer

from fluigbot.cli.app import not_available


def preview(
    request: list[str] = typer.Option([], "--request", help="Only this request id (repeatable)."),
    limit: int | None = typer.Option(None, "--limit", min=1, help="At most N messages."),
    json_out: bool = typer.Option(False, "--json", help="Print one JSON document on stdout."),
    reveal: bool = typer.Option(False, "--reveal", help="Show full phone numbers (logged)."),
) -> None:
    """Show, for each pending request, the masked recipient, the rendered text, the template and
    its parameters, and why a message would be held or skipped. Sends nothing."""
    not_available("preview")
