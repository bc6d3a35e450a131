"""The LGPD commands: opt-outs, retention purge, and forgetting one person."""

from __future__ import annotations

import typer

from fluigbot.cli.app import get_state

optout_app = typer.Typer(
    help="The opt-out list: numbers that must never be messaged.", no_args_is_help=True
)

PHONE_HELP = "The phone number, or - to read it from stdin (keeps it out of shell history)."


def _phone(arg: str) -> str:
    """The E.164 form of PHONE (or of stdin's first line for '-'); never echoes the input."""
    import sys

    from fluigbot import phones
    from fluigbot.errors import UsageError

    raw = sys.stdin.readline().strip() if arg == "-" else arg
    if not raw:
        raise UsageError("no phone number given (stdin was empty).")
    result = phones.normalize(raw, allow_foreign=True)
    if result.e164 is None:
        raise UsageError(f"that is not a usable phone number ({result.reason}).")
    return result.e164


@optout_app.command("add")
def optout_add(phone: str = typer.Argument(..., help=PHONE_HELP)) -> None:
    """Put a number on the opt-out list."""
    from fluigbot.phones import mask

    st = get_state()
    e164 = _phone(phone)
    journal = st.journal()
    with journal.locked():
        added = journal.optout_add(e164, source="operator")
    st.out.info(f"{mask(e164)} {'is now' if added else 'was already'} on the opt-out list.")


@optout_app.command("remove")
def optout_remove(phone: str = typer.Argument(..., help=PHONE_HELP)) -> None:
    """Take a number off the opt-out list."""
    from fluigbot.phones import mask

    st = get_state()
    e164 = _phone(phone)
    journal = st.journal()
    with journal.locked():
        removed = journal.optout_remove(e164)
    st.out.info(f"{mask(e164)} {'was removed from' if removed else 'was not on'} the opt-out list.")


@optout_app.command("list")
def optout_list(
    json_out: bool = typer.Option(False, "--json", help="Print one JSON array on stdout."),
) -> None:
    """List the opted-out numbers, masked."""
    st = get_state()
    items = st.journal().optout_list()
    rows = [
        {"phone": o.masked, "added_at": o.added_at.isoformat(), "source": o.source} for o in items
    ]
    if json_out:
        st.out.json(rows)
        return
    if not rows:
        st.out.info("The opt-out list is empty.")
        return
    st.out.table(
        ["phone", "added", "source"], [(r["phone"], r["added_at"], r["source"]) for r in rows]
    )


def purge(
    older_than: int = typer.Option(..., "--older-than", min=0, help="Age in days."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Say what would go; change nothing."),
    yes: bool = typer.Option(False, "--yes", "-y", help="Do not ask for confirmation."),
    json_out: bool = typer.Option(False, "--json", help="Print one JSON document on stdout."),
) -> None:
    """Remove phone and name from entries older than DAYS; the phone-free audit stays."""
    from datetime import timedelta

    st = get_state()
    journal = st.journal()
    with journal.locked():
        count = journal.purge(timedelta(days=older_than), dry_run=True)
        if not dry_run and count:
            st.out.confirm(
                f"Remove phone, name and description from {count} entries older than "
                f"{older_than} days?",
                yes=yes,
                json_mode=json_out,
            )
            count = journal.purge(timedelta(days=older_than))
    if json_out:
        st.out.json({"purged": count, "dry_run": dry_run, "older_than_days": older_than})
        return
    verb = "would be purged" if dry_run else "purged"
    st.out.info(f"{count} entries {verb} (older than {older_than} days; the audit record stays).")


def forget(
    phone: str = typer.Argument(..., help=PHONE_HELP),
    dry_run: bool = typer.Option(False, "--dry-run", help="Say what would go; change nothing."),
    yes: bool = typer.Option(False, "--yes", "-y", help="Do not ask for confirmation."),
    json_out: bool = typer.Option(False, "--json", help="Print one JSON document on stdout."),
) -> None:
    """Erase all personal data about a number and put it on the opt-out list."""
    from fluigbot.phones import mask

    st = get_state()
    e164 = _phone(phone)
    journal = st.journal()
    with journal.locked():
        keys = journal.forget(e164, dry_run=True)
        if not dry_run:
            st.out.confirm(
                f"Erase the personal data of {mask(e164)} from {len(keys)} entries and opt it out?",
                yes=yes,
                json_mode=json_out,
            )
            keys = journal.forget(e164)
    if json_out:
        st.out.json(
            {
                "phone": mask(e164),
                "dry_run": dry_run,
                "requests": [{"source": s, "request_id": r} for s, r in keys],
                "opted_out": not dry_run,
            }
        )
        return
    if keys:
        st.out.table(["source", "request"], keys)
    verb = "would be erased" if dry_run else "erased"
    tail = "" if dry_run else f"; {mask(e164)} is on the opt-out list"
    st.out.info(f"Personal data {verb} from {len(keys)} entries{tail}.")
