"""`fluigbot config init / show / path / validate`."""

from __future__ import annotations

import typer

from fluigbot.cli.app import get_state

app = typer.Typer(help="Write, show and check the config file.", no_args_is_help=True)


@app.command("init")
def init(
    non_interactive: bool = typer.Option(
        False, "--non-interactive", help="Write the defaults without asking anything."
    ),
    force: bool = typer.Option(False, "--force", help="Overwrite an existing config file."),
) -> None:
    """Write a starter config (asks a few questions on a terminal)."""
    from fluigbot.cli.output import stderr_is_tty, stdin_is_tty
    from fluigbot.config_file import ask_answers, default_answers, write_starter

    st = get_state()
    path = st.config_path
    answers = default_answers()
    if not non_interactive and stdin_is_tty() and stderr_is_tty():
        answers = ask_answers(answers)
    write_starter(path, answers, force=force)
    st.out.info(f"Wrote {path}")
    st.out.info("Next: `fluigbot auth set fluig`, `fluigbot auth set whatsapp`, `fluigbot doctor`.")


@app.command("show")
def show(
    json_out: bool = typer.Option(False, "--json", help="Print JSON instead of TOML."),
) -> None:
    """Show the effective config (defaults filled in). It never holds secrets."""
    from fluigbot.config_file import effective_dict, to_toml

    st = get_state()
    data = effective_dict(st.settings())
    if json_out:
        st.out.json(data)
    else:
        if not st.settings().exists:
            st.out.warn(f"{st.config_path} does not exist; showing the defaults.")
        typer.echo(to_toml(data), nl=False)


@app.command("path")
def path() -> None:
    """Print the config file's path."""
    typer.echo(str(get_state().config_path))


@app.command("validate")
def validate() -> None:
    """Check the config: types, allowed values, templates, the contact window."""
    from fluigbot.config_file import deep_check
    from fluigbot.errors import ConfigError

    st = get_state()
    settings = st.settings()
    if not settings.exists:
        raise ConfigError(
            f"no config file at {st.config_path}.", hint="Write one with `fluigbot config init`."
        )
    deep_check(settings)
    st.out.info(f"{st.config_path}: ok")
