"""`fluigbot send` and `fluigbot retry`: messages out, outcomes into the journal, marks to Fluig."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import typer

from fluigbot.cli.app import AppState, get_state

if TYPE_CHECKING:
    from fluigbot.dispatch import Plan, Selection


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
    from fluigbot.dispatch import Selection

    selection = Selection("send", tuple(request), limit, ignore_quiet_hours=ignore_quiet_hours)
    _run(get_state(), selection, dry_run=dry_run, yes=yes, json_out=json_out)


def retry(
    request: list[str] = typer.Option([], "--request", help="Only this request id (repeatable)."),
    all_: bool = typer.Option(False, "--all", help="Ignore the backoff: retry every failed one."),
    force: bool = typer.Option(
        False, "--force", help="Include dead and unknown entries (check them first)."
    ),
    limit: int | None = typer.Option(None, "--limit", min=1, help="Send at most N messages."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Do everything but send; write nothing."),
    yes: bool = typer.Option(False, "--yes", "-y", help="Do not ask for confirmation."),
    json_out: bool = typer.Option(False, "--json", help="Print one JSON document on stdout."),
    ignore_quiet_hours: bool = typer.Option(
        False, "--ignore-quiet-hours", help="Send outside the contact window too."
    ),
) -> None:
    """Send again the failed messages that are due."""
    from fluigbot.dispatch import Selection

    selection = Selection(
        "retry",
        tuple(request),
        limit,
        all_due=all_,
        force=force,
        ignore_quiet_hours=ignore_quiet_hours,
    )
    _run(get_state(), selection, dry_run=dry_run, yes=yes, json_out=json_out)


def _run(st: AppState, selection: Selection, *, dry_run: bool, yes: bool, json_out: bool) -> None:
    from fluigbot.cli.output import stderr_is_tty, stdin_is_tty

    # No terminal to ask on (or --json): refuse before reading anything, unless --yes.
    if not dry_run and not yes and (json_out or not (stdin_is_tty() and stderr_is_tty())):
        st.out.confirm("", yes=False, json_mode=json_out)

    from fluigbot import connect
    from fluigbot.cli.render import send_summary, send_table
    from fluigbot.dispatch import Dispatcher, raise_for_outcome
    from fluigbot.dispatch.marks import enabled

    settings = st.settings()
    from fluigbot.dispatch.transport import for_provider

    transport = for_provider(settings.whatsapp.provider, settings.send.concurrency)
    provider = connect.provider(settings, st.secrets(), transport=transport)
    fluig = None
    if enabled(settings) and not dry_run:
        fluig = connect.fluig_client(settings, st.secrets())
    journal = st.journal()
    bar = _Bar(st)

    def recovered(found: list[Any]) -> None:
        n = len(found)
        st.out.warn(
            f"{n} message{'s were' if n != 1 else ' was'} left 'sending' by a run that did not "
            "finish (killed?); now 'unknown': never sent again without `fluigbot retry --force`. "
            "Check with `fluigbot history --status unknown`."
        )

    dispatcher = Dispatcher(
        settings,
        journal,
        provider,
        fluig,
        on_outcome=bar.advance,
        on_start=bar.start,
        on_recovered=recovered,
    )

    def confirm(plan: Plan) -> None:
        verb = "Send" if selection.mode == "send" else "Send again"
        n = len(plan.to_send)
        st.out.confirm(
            f"{verb} {n} WhatsApp message{'s' if n != 1 else ''} now?", yes=yes, json_mode=json_out
        )

    try:
        if dry_run:
            report = dispatcher.dry_run(selection)
        else:
            report = dispatcher.run(selection, confirm=None if yes else confirm)
    finally:
        bar.close()
        if fluig is not None:
            fluig.close()
    if json_out:
        st.out.json(report.to_json())
    else:
        send_table(st.out, report)
    st.out.info(send_summary(report))
    for line in report.marks.errors[:3]:
        st.out.warn(f"Fluig mark: {line}")
    if report.result is not None and report.result.halted:
        st.out.warn(report.result.halted)
    raise_for_outcome(report)


class _Bar:
    """A rich progress bar on stderr, only on a terminal, only while messages go out."""

    def __init__(self, st: AppState) -> None:
        self._st = st
        self._progress: Any = None
        self._task: Any = None

    def start(self, total: int) -> None:
        from fluigbot.cli.output import stderr_is_tty

        if total == 0 or self._st.out.quiet or not stderr_is_tty():
            return
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

        self._progress = Progress(
            "[progress.description]{task.description}",
            BarColumn(),
            MofNCompleteColumn(),
            TimeRemainingColumn(),
            console=self._st.out.err,
            transient=True,
        )
        self._task = self._progress.add_task("Sending", total=total)
        self._progress.start()

    def advance(self, outcome: Any) -> None:
        if self._progress is not None:
            self._progress.advance(self._task)

    def close(self) -> None:
        if self._progress is not None:
            self._progress.stop()
            self._progress = None
