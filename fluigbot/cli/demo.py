"""`fluigbot demo` and `fluigbot sandbox`: the whole story against built-in simulators."""

from __future__ import annotations

import typer

from fluigbot.cli.app import get_state


def demo() -> None:
    """Run fetch, preview, send and history against built-in simulators of Fluig and the WhatsApp
    Cloud API, in a temporary state dir, with no config or credentials."""
    from fluigbot.cli.app import app
    from fluigbot.demo.run import run_demo

    st = get_state()

    def invoke(args: list[str]) -> int:
        flags = ["--no-color"] if st.out.no_color else []
        code = app(flags + args, prog_name="fluigbot", standalone_mode=False)
        return code if isinstance(code, int) else 0

    code = run_demo(invoke, st.out.note)
    raise typer.Exit(code)


def sandbox(
    port: int = typer.Option(
        0, "--port", min=0, max=65534, help="Fluig on PORT, the Cloud API on PORT+1 (0: any)."
    ),
) -> None:
    """Serve the simulators on loopback and write a config that points at them, to rehearse every
    command by hand."""
    from fluigbot.demo.run import serve_sandbox

    st = get_state()
    serve_sandbox(port=port, say=st.out.note, out=st.out.info)
