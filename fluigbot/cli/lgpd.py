"""The LGPD commands: opt-outs, retention purge, and forgetting one person."""

from __future__ import annotations

import typer

from fluigbot.cli.app import not_available

optout_app = typer.Typer(
    help="The opt-out list: numbers that must never be messaged.", no_args_is_help=True
)

PHONE_HELP = "The phone number, or - to read it from stdin (keeps it out of shell history)."


@optout_app.command("add")
def optout_add(phone: str = typer.Argument(..., help=PHONE_HELP)) -> None:
    """Put a number on the opt-out list."""
    not_available("optout add")


@optout_app.command("remove")
def optout_remove(phone: str = typer.Argument(..., help=PHONE_HELP)) -> None:
    """Take a number off the opt-out list."""
    not_available("optout remove")


@optout_app.command("list")
def optout_list(
    json_out: bool = typer.Option(False, "--json", help="Print one JSON array on stdout."),
) -> None:
    """List the opted-out numbers, masked."""
    not_available("optout list")


def purge(
    older_than: int = typer.Option(..., "--older-than", min=0, help="Age in days."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Say what would go; change nothing."),
    yes: bool = typer.Option(False, "--yes", "-y", help="Do not ask for confirmation."),
    json_out: bool = typer.Option(False, "--json", help="Print one JSON document on stdout."),
) -> None:
    """Remove phone and name from entries older than DAYS; the phone-free audit stays."""
    not_available("purge")


def forget(
    phone: str = typer.Argument(..., help=PHONE_HELP),
    dry_run: bool = typer.Option(False, "--dry-run", help="Say what would go; change nothing."),
    yes: bool = typer.Option(False, "--yes", "-y", help="Do not ask for confirmation."),
    json_out: bool = typer.Option(False, "--json", help="Print one JSON document on stdout."),
) -> None:
    """Erase all personal data about a number and put it on the opt-out list."""
    not_available("forget")
