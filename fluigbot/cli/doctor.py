"""`fluigbot doctor`: is everything in place to run?"""

from __future__ import annotations

import typer

from fluigbot.cli.app import get_state

MARK = {"ok": "[green]ok[/]  ", "warn": "[yellow]warn[/]", "fail": "[red]fail[/]"}


def doctor(json_out: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """Check the config, the keyring, the credentials, and that Fluig and the WhatsApp provider
    answer and accept them."""
    from fluigbot.doctor import Check, run_all, worst_exit
    from fluigbot.errors import ConfigError

    st = get_state()
    try:
        settings = st.settings()
    except ConfigError as exc:
        checks = [Check("config", "fail", str(exc), 2)]
        settings = None
    if settings is not None:

        def show(c: Check) -> None:
            if not json_out:
                if st.out.tty:
                    st.out.out.print(f"{MARK[c.status]} {c.name:<18} ", end="")
                    st.out.out.print(c.detail, markup=False, highlight=False)
                else:
                    print(f"{c.status}\t{c.name}\t{c.detail}", flush=True)

        checks = run_all(settings, st.secrets(), st.state_dir(), on_check=show)
    elif not json_out:
        st.out.error(checks[0].detail)
    if json_out:
        st.out.json([c.to_json() for c in checks])
    code = worst_exit(checks)
    if code:
        raise typer.Exit(code)
