"""The root of the CLI: global options, the shared per-run state, and the one place where errors
become exit codes. Command modules stay thin: options in, a call into the core, output rendered.

Nothing here imports httpx, keyring, phonenumbers or cryptography: `fluigbot --help` stays light.
"""

from __future__ import annotations

import logging
import os
import sys
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import click
import typer
from typer.core import TyperGroup

from fluigbot import __version__
from fluigbot.cli.output import Output
from fluigbot.errors import FluigbotError, Interrupted, UsageError

if TYPE_CHECKING:
    from fluigbot.config import Settings
    from fluigbot.journal import Journal
    from fluigbot.secrets import Secrets

ISSUES_URL = "https://github.com/fluigbot/fluigbot/issues"
log = logging.getLogger("fluigbot")


class AppState:
    """What one run of `fluigbot` shares between the root and the command: consoles, settings,
    secrets and the journal, each made on first use."""

    def __init__(self, config: Path | None, verbose: int, quiet: bool, no_color: bool) -> None:
        self.config_arg = config
        self.verbose = verbose
        self.out = Output(verbose=verbose, quiet=quiet, no_color=no_color)
        self._settings: Settings | None = None
        self._secrets: Secrets | None = None

    @property
    def config_path(self) -> Path:
        from fluigbot.config import config_path

        return config_path(self.config_arg)

    def settings(self) -> Settings:
        if self._settings is None:
            from fluigbot.config import load

            self._settings = load(self.config_path)
            for warning in self._settings.warnings:
                self.out.warn(warning)
        return self._settings

    def secrets(self) -> Secrets:
        if self._secrets is None:
            from fluigbot.secrets import Secrets

            self._secrets = Secrets()
        return self._secrets

    @contextmanager
    def progress(self, label: str) -> Iterator[Callable[[str], None]]:
        """A status line on stderr while work runs (a terminal only); yields an updater."""
        from fluigbot.cli.output import stderr_is_tty

        if self.out.quiet or not stderr_is_tty():
            yield lambda text: None
            return
        with self.out.err.status(label) as status:
            yield lambda text: status.update(f"{label}: {text}")

    def state_dir(self) -> Path:
        from fluigbot.config import state_dir

        return state_dir()

    def journal(self) -> Journal:
        """The journal, opened with its key (generated, stored and announced for a new one)."""
        from fluigbot.credentials import journal_exists
        from fluigbot.journal import Journal

        directory = self.state_dir()
        exists = journal_exists(directory)
        key = self.secrets().journal_key(journal_exists=exists, announce=self.out.warn)
        return Journal(directory, key)


def get_state() -> AppState:
    ctx = click.get_current_context()
    obj = ctx.find_root().obj
    if not isinstance(obj, AppState):  # a command invoked without the root callback
        obj = AppState(None, 0, False, False)
        ctx.find_root().obj = obj
    return obj


def not_available(what: str) -> NoReturn:
    raise UsageError(f"`fluigbot {what}` is not available yet in this version.")


class FluigbotGroup(TyperGroup):
    """Maps the error tree to exit codes, for the installed script and for CliRunner alike."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except FluigbotError as exc:
            _report(ctx, exc)
            raise click.exceptions.Exit(exc.exit_code) from None
        except click.exceptions.Abort:
            _err(ctx).error("cancelled: nothing was done.")
            raise click.exceptions.Exit(2) from None
        except KeyboardInterrupt:
            _err(ctx).error("interrupted.")
            raise click.exceptions.Exit(130) from None
        except BrokenPipeError:
            # Whoever read stdout went away (`| head`): stop quietly, as shell tools do. What
            # was recorded stays recorded; only the rest of the output is dropped.
            _drop_stdout()
            raise click.exceptions.Exit(PIPE_CLOSED) from None
        except (click.exceptions.Exit, click.ClickException):
            raise
        except Exception as exc:
            _report_bug(ctx, exc)
            raise click.exceptions.Exit(1) from None


PIPE_CLOSED = 141  # 128 + SIGPIPE, what a shell reports for a tool stopped by `| head`


def _drop_stdout() -> None:
    """Point stdout at /dev/null so the interpreter's final flush does not fail again."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):  # no real descriptor (tests' runner)
        pass


def _err(ctx: click.Context) -> Output:
    obj = ctx.find_root().obj
    return obj.out if isinstance(obj, AppState) else Output()


def _verbose(ctx: click.Context) -> int:
    obj = ctx.find_root().obj
    return obj.verbose if isinstance(obj, AppState) else 0


def _report(ctx: click.Context, exc: FluigbotError) -> None:
    out = _err(ctx)
    if isinstance(exc, Interrupted):
        out.error(str(exc))
        return
    out.error(str(exc))
    problems = getattr(exc, "problems", None) or []
    if len(problems) > 1 and _verbose(ctx):
        for p in problems:
            out.info(f"  - {p}")
    if _verbose(ctx) > 1:
        out.info("".join(traceback.format_exception(exc)))


def _report_bug(ctx: click.Context, exc: BaseException) -> None:
    out = _err(ctx)
    tb = traceback.extract_tb(exc.__traceback__)
    where = f"{Path(tb[-1].filename).name}:{tb[-1].lineno}" if tb else "?"
    # The message may hold data from a request: only the type and place, unless -v.
    out.error(
        f"internal error {type(exc).__name__} at {where}. This is a bug: please report it at "
        f"{ISSUES_URL} with the output of the same command run with -v."
    )
    if _verbose(ctx):
        out.info("".join(traceback.format_exception(exc)))


app = typer.Typer(
    cls=FluigbotGroup,
    name="fluigbot",
    help="First-contact WhatsApp messages for TOTVS Fluig service requests, each sent at most once.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    pretty_exceptions_show_locals=False,
    context_settings={"help_option_names": ["-h", "--help"]},
    rich_markup_mode=None,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"fluigbot {__version__}")
        raise typer.Exit(0)


@app.callback()
def root(
    ctx: typer.Context,
    config: Path | None = typer.Option(
        None, "--config", help="Config file (default: FLUIGBOT_CONFIG, or the user config dir)."
    ),
    verbose: int = typer.Option(
        0, "-v", "--verbose", count=True, help="More detail on stderr (-vv for debug)."
    ),
    quiet: bool = typer.Option(False, "-q", "--quiet", help="Only errors on stderr."),
    no_color: bool = typer.Option(False, "--no-color", help="No colors (NO_COLOR works too)."),
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version and exit."
    ),
) -> None:
    ctx.obj = AppState(config, verbose, quiet, no_color)
    level = logging.WARNING if verbose == 0 else logging.INFO if verbose == 1 else logging.DEBUG
    if quiet:
        level = logging.ERROR
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    logging.basicConfig(level=level, handlers=[handler], force=True)
    # httpx logs every URL at INFO; keep that for -vv.
    logging.getLogger("httpx").setLevel(logging.DEBUG if verbose > 1 else logging.WARNING)
    logging.getLogger("httpcore").setLevel(logging.WARNING)


def _register() -> None:
    from fluigbot.cli import (
        auth,
        config_cmd,
        demo,
        doctor,
        fetch,
        history,
        lgpd,
        preview,
        send,
    )

    app.command("fetch")(fetch.fetch)
    app.command("preview")(preview.preview)
    app.command("send")(send.send)
    app.command("history")(history.history)
    app.command("retry")(send.retry)
    app.add_typer(config_cmd.app, name="config")
    app.add_typer(auth.app, name="auth")
    app.command("doctor")(doctor.doctor)
    app.command("demo")(demo.demo)
    app.command("sandbox")(demo.sandbox)
    app.add_typer(lgpd.optout_app, name="optout")
    app.command("purge")(lgpd.purge)
    app.command("forget")(lgpd.forget)


_register()


def main() -> None:
    try:
        app(prog_name="fluigbot")
    finally:
        # A large fetch leaves about a million small objects, every file written and closed:
        # the collection Python runs at exit would walk them all (0.1-0.2 s) to free memory
        # the OS takes back anyway.
        import gc

        gc.freeze()
