"""`fluigbot fetch`: read requests from Fluig or an export file into the journal."""

from __future__ import annotations

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
    since: str | None = typer.Option(
        None,
        "--since",
        help="Only requests started since a date (YYYY-MM-DD, São Paulo time) or an age (7d).",
    ),
    full: bool = typer.Option(False, "--full", help="Re-read everything, not only what is new."),
    limit: int | None = typer.Option(None, "--limit", min=1, help="Read at most N requests."),
    json_out: bool = typer.Option(False, "--json", help="Print one JSON document on stdout."),
) -> None:
    """Read requests, normalize each phone, and record new ones as pending (or skipped, with a
    reason). Fetching the same request again changes nothing."""
    from fluigbot import gcpause, intake
    from fluigbot.cli.render import fetch_summary, fetch_table
    from fluigbot.errors import ConfigError
    from fluigbot.timeparse import parse_since

    st = get_state()
    start = parse_since(since) if since else None
    settings = st.settings()
    journal = st.journal()
    path = from_file or (settings.fluig_file() if settings.fluig.source == "file" else None)
    if settings.fluig.source == "file" and path is None:
        raise ConfigError("fluig.source is file but fluig.file is not set.", hint="Or use --from.")
    process_ids = list(process) or list(settings.fluig.process_ids)
    client = None
    report = intake.FetchReport(json_rows=[] if json_out else None)

    def invalid(page: int, index: int, reason: str) -> None:
        report.invalid += 1

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
            client,
            settings,
            journal,
            process_ids=process_ids,
            since=start,
            full=full,
            on_invalid=invalid,
        )
    if start is not None and path is not None:
        pages = intake.started_since(pages, start)
    try:
        with gcpause.paused(), journal.locked():
            with st.progress("Reading requests") as progress:
                report = intake.record_pages(
                    journal,
                    settings,
                    pages,
                    limit=limit,
                    on_progress=lambda r: progress(f"{r.read} read, page {r.pages}"),
                    report=report,
                )
            # What was read is recorded (durable); its indexes are written beside the output.
            with journal.checkpoint_aside():
                if json_out:
                    st.out.json(report.to_json())
                else:
                    fetch_table(st.out, report.entries)
                    st.out.info(fetch_summary(report))
    finally:
        if client is not None:
            client.close()
