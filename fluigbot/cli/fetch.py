"""`fluigbot fetch`: read requests from Fluig or an export file into the journal."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import typer

from fluigbot.cli.app import get_state


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
    from fluigbot import intake
    from fluigbot.cli.render import fetch_summary, fetch_table
    from fluigbot.errors import ConfigError

    st = get_state()
    settings = st.settings()
    journal = st.journal()
    path = from_file or (Path(settings.fluig.file) if settings.fluig.source == "file" else None)
    if settings.fluig.source == "file" and path is None:
        raise ConfigError("fluig.source is file but fluig.file is not set.", hint="Or use --from.")
    process_ids = list(process) or list(settings.fluig.process_ids)
    client = None
    if path is not None:
        pages = intake.file_pages(path, process_ids=process_ids)
    else:
        if not process_ids:
            raise ConfigError(
                f"no process to read: set fluig.process_ids in {settings.path}, or pass --process."
            )
        from fluigbot import connect

        client = connect.fluig_client(settings, st.secrets())
        pages = intake.api_pages(
            client, settings, journal, process_ids=process_ids, since=since, full=full
        )
    if since is not None and path is not None:
        pages = _since_filter(pages, since)
    with st.progress("Reading requests") as progress, journal.locked():
        report = intake.record_pages(
            journal,
            settings,
            pages,
            limit=limit,
            on_progress=lambda r: progress(f"{r.read} read, page {r.pages}"),
        )
    if client is not None:
        client.close()
    if json_out:
        st.out.json(report.to_json())
        return
    fetch_table(st.out, report.entries)
    st.out.info(fetch_summary(report))


def _since_filter(pages, since):  # type: ignore[no-untyped-def]
    from datetime import UTC

    floor = since if since.tzinfo else since.replace(tzinfo=UTC)
    for page in pages:
        yield [r for r in page if r.start_date is None or r.start_date >= floor]
