"""Where output goes: data on stdout (table on a terminal, tab-separated when piped, JSON with
--json), everything else (progress, logs, prompts, errors) on stderr."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Any

import click

from fluigbot.errors import UsageError

if TYPE_CHECKING:
    from rich.console import Console


def stdin_is_tty() -> bool:
    """One place to ask, so tests can pretend to be a terminal."""
    return sys.stdin.isatty()


def stderr_is_tty() -> bool:
    return sys.stderr.isatty()


def stdout_is_tty() -> bool:
    return sys.stdout.isatty()


def _color_off(no_color: bool) -> bool:
    return no_color or "NO_COLOR" in os.environ


@dataclass
class Output:
    verbose: int = 0
    quiet: bool = False
    no_color: bool = False

    # rich loads only when something is drawn for a person: scripts and cron never pay for it.
    @cached_property
    def out(self) -> Console:
        from rich.console import Console

        return Console(no_color=_color_off(self.no_color), highlight=False, soft_wrap=True)

    @cached_property
    def err(self) -> Console:
        from rich.console import Console

        off = _color_off(self.no_color)
        return Console(stderr=True, no_color=off, highlight=False, soft_wrap=True)

    def _plain(self, line: str) -> bool:
        """Write a line to stderr without rich when no person is looking at a terminal."""
        if stderr_is_tty():
            return False
        sys.stderr.write(line + "\n")
        sys.stderr.flush()
        return True

    # --- stdout: data ---
    @property
    def tty(self) -> bool:
        return stdout_is_tty()

    def json(self, data: Any) -> None:
        # Indented for a person; compact (and C-fast) for a program reading a pipe.
        indent = 2 if self.tty else None
        sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=indent, default=str) + "\n")
        sys.stdout.flush()

    def table(
        self,
        columns: Sequence[str],
        rows: Iterable[Sequence[Any]],
        *,
        title: str | None = None,
        styles: Sequence[str | None] | None = None,
    ) -> None:
        """A rich table on a terminal; tab-separated rows (no header) when piped."""
        if not self.tty:
            for row in rows:
                sys.stdout.write("\t".join(_cell(c) for c in row) + "\n")
            sys.stdout.flush()
            return
        from rich.table import Table

        table = Table(title=title, title_justify="left", header_style="bold")
        for i, name in enumerate(columns):
            table.add_column(name, style=(styles[i] if styles and i < len(styles) else None))
        for row in rows:
            table.add_row(*(_cell(c) for c in row))
        self.out.print(table)

    # --- stderr: the rest ---
    def info(self, message: str) -> None:
        if not self.quiet and not self._plain(message):
            self.err.print(message, markup=False, highlight=False)

    def note(self, message: str) -> None:
        """Rich-markup narration (progress words, summaries)."""
        if not self.quiet:
            self.err.print(message)

    def warn(self, message: str) -> None:
        if not self._plain(f"warning: {message}"):
            self.err.print(f"warning: {message}", style="yellow", markup=False, highlight=False)

    def error(self, message: str) -> None:
        if not self._plain(f"error: {message}"):
            self.err.print(f"error: {message}", style="red", markup=False, highlight=False)

    def confirm(self, question: str, *, yes: bool, json_mode: bool = False) -> None:
        """Go on only with --yes or a 'yes' typed at a terminal; anything else is exit 2."""
        if yes:
            return
        if json_mode or not (stdin_is_tty() and stderr_is_tty()):
            raise UsageError(
                "refusing to go on without confirmation: no terminal to ask on.",
                hint="Pass --yes to confirm.",
            )
        try:
            ok = click.confirm(question, default=False, err=True)
        except click.Abort:
            ok = False
        if not ok:
            raise UsageError("cancelled: nothing was done.")


def _cell(value: Any) -> str:
    if value is None:
        return "-"
    text = str(value)
    return text.replace("\t", " ").replace("\n", " ")
