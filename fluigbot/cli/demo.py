"""`fluigbot demo` and `fluigbot sandbox`: the whole story against built-in simulators."""

from __future__ import annotations

import typer

from fluigbot.cli.app import not_available


def demo() -> None:
    """Run fetch, preview, send and history against built-in simulators of Fluig and the WhatsApp
    Cloud API, in a temporary state dir, with no config or credentials."""
    not_available("demo")


def sandbox(
    port: int = typer.Option(0, "--port", min=0, max=65535, help="First port (0: any free one)."),
) -> None:
    """Serve the simulators on loopback and write a config that points at them, to rehearse every
    command by hand."""
    not_available("sandbox")
