"""`fluigbot fetch`: read requests from Fluig or an export file into the journal."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import typer

from fluigbot.cli.app import not_available


def fetch(
    from_file: Path | None = typer.Option(
        None, "--from", help="Read an export file (CSV, JSON or .xlsx) instead of the Fluig API."
    ),
    process: list[str] = typer.Option(
        [], "--process", help="Process id to read (repeatable; default: fluig.process_ids)."
    ),
    since: datetime | None = typer.Option(
        None, "--since", help="Read requests started on or after this date (YYYY-MM-DD)."
    ),
    full: bool = typer.Option(False, "--full", help="Re-read everything, not only what is new."),
    limit: int | None = typer.Option(None, "--limit", min=1, help="Read at most N requests."),
    json_out: bool = typer.Option(False, "--json", help="Print one JSON document on stdout."),
) -> None:
    """Read requests, normalize each phone, and record new ones as pending (or skipped, with a
    reason). Fetching the same request again changes nothing."""
    not_available("fetch")
