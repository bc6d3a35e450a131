"""`fluigbot auth set / status / delete`: credentials in the OS keyring, never in argv."""

from __future__ import annotations

import sys
from enum import StrEnum

import typer

from fluigbot.cli.app import get_state

app = typer.Typer(
    help="Store, check and delete credentials in the OS keyring.", no_args_is_help=True
)


class Group(StrEnum):
    fluig = "fluig"
    whatsapp = "whatsapp"
    journal = "journal"


class Deletable(StrEnum):
    fluig = "fluig"
    whatsapp = "whatsapp"


@app.command("set")
def set_(
    group: Group = typer.Argument(
        ..., help="fluig (4 OAuth secrets), whatsapp (1) or journal (1)."
    ),
    stdin: bool = typer.Option(
        False, "--stdin", help="Read the secrets from stdin, one per line, in the README's order."
    ),
) -> None:
    """Store credentials in the OS keyring (hidden prompts, or stdin with --stdin)."""
    from fluigbot.cli.output import stdin_is_tty
    from fluigbot.credentials import read_secrets, store_secrets

    st = get_state()
    if not stdin and not stdin_is_tty():
        from fluigbot.errors import UsageError

        raise UsageError("no terminal to prompt on.", hint="Pipe the secrets in with --stdin.")
    values = read_secrets(group.value, stream=sys.stdin if stdin else None)
    backend = store_secrets(st.secrets(), values)
    st.out.info(f"Stored {', '.join(values)} in the OS keyring ({backend}).")


@app.command("status")
def status(json_out: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """Say which secrets are present and where from, never their values. Exit 3 when one the
    config needs is missing."""
    from fluigbot.credentials import status_rows
    from fluigbot.errors import CredentialError

    st = get_state()
    rows, missing_needed = status_rows(st.settings(), st.secrets(), st.state_dir())
    if json_out:
        st.out.json(rows)
    else:
        st.out.table(
            ["secret", "state", "from", "needed"],
            [(r["name"], r["state"], r["origin"], "yes" if r["needed"] else "no") for r in rows],
        )
    if missing_needed:
        unusable = any(r["origin"] == "keyring unusable" for r in rows)
        raise CredentialError(
            f"missing credential(s) the config needs: {', '.join(missing_needed)}"
            + (" (and the OS keyring cannot be used here)." if unusable else "."),
            hint="Set them in the environment (FLUIGBOT_*)"
            + ("." if unusable else ", or store them with `fluigbot auth set ...`."),
        )


@app.command("delete")
def delete(group: Deletable = typer.Argument(..., help="fluig or whatsapp.")) -> None:
    """Delete stored credentials (no confirmation: they can be set again)."""
    from fluigbot.secrets import GROUPS

    st = get_state()
    keyring = st.secrets().keyring
    removed = [name for name in GROUPS[group.value] if keyring.delete(name)]
    st.out.info(f"Deleted {', '.join(removed)}." if removed else "Nothing was stored.")
