"""The root: global options, exit codes derived from the error tree, a light --help."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import typer
from cli_env import subprocess_env

from fluigbot.cli.app import app
from fluigbot.errors import (
    AuthRejected,
    ConfigError,
    CredentialError,
    FluigLoginPage,
    Interrupted,
    RemoteError,
    SendFailures,
    UsageError,
)

HEAVY = ("httpx", "keyring", "phonenumbers", "cryptography")


def test_help_imports_nothing_heavy() -> None:
    code = (
        "import sys, runpy; sys.argv=['fluigbot','--help'];\n"
        "try: runpy.run_module('fluigbot', run_name='__main__')\n"
        "except SystemExit: pass\n"
        f"bad=[m for m in {HEAVY!r} if m in sys.modules]; print('HEAVY', bad, file=sys.stderr)"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert "Commands:" in proc.stdout
    assert "HEAVY []" in proc.stderr, proc.stderr


def test_every_command_of_the_contract_is_there(run) -> None:
    result = run("--help")
    for name in [
        "fetch",
        "preview",
        "send",
        "history",
        "retry",
        "config",
        "auth",
        "doctor",
        "demo",
        "sandbox",
        "optout",
        "purge",
        "forget",
    ]:
        assert f"  {name}" in result.stdout


def test_version(run) -> None:
    result = run("--version")
    assert result.exit_code == 0 and result.stdout.startswith("fluigbot ")


@pytest.mark.parametrize(
    ("exc", "code"),
    [
        (UsageError("u"), 2),
        (ConfigError("c"), 2),
        (CredentialError("k"), 3),
        (AuthRejected("a"), 4),
        (FluigLoginPage("login page"), 4),
        (RemoteError("r"), 5),
        (SendFailures("s"), 6),
        (Interrupted("i"), 130),
        (KeyboardInterrupt(), 130),
        (typer.Abort(), 2),
    ],
)
def test_exit_codes_come_from_the_error_class(run, exc: BaseException, code: int) -> None:
    @app.command("boom-test", hidden=True)
    def boom() -> None:
        raise exc

    try:
        result = run("boom-test")
    finally:
        app.registered_commands.pop()
    assert result.exit_code == code
    assert "Traceback" not in result.output
    assert result.stdout == ""  # errors go to stderr


def test_bug_is_exit_1_without_locals_or_message(run) -> None:
    @app.command("bug-test", hidden=True)
    def bug() -> None:
        phone = "+5511987654321"
        raise ValueError(f"bad {phone}")

    try:
        quiet = run("bug-test")
        loud = run("-v", "bug-test")
    finally:
        app.registered_commands.pop()
    assert quiet.exit_code == 1
    assert "internal error ValueError" in quiet.stderr and "report" in quiet.stderr
    assert "987654321" not in quiet.stderr  # the message may hold personal data
    assert "Traceback" not in quiet.stderr
    assert loud.exit_code == 1 and "Traceback" in loud.stderr


def test_usage_error_is_2(run) -> None:
    assert run("history", "--limit", "zero").exit_code == 2
    assert run("no-such-command").exit_code == 2


def test_a_reader_that_goes_away_stops_the_output_quietly(tmp_path: Path) -> None:
    """`fluigbot fetch | head -1`: the rows after the first go nowhere. That is no bug: exit 141
    (as shell tools stopped by SIGPIPE) with nothing on stderr, and everything is recorded."""
    export = tmp_path / "export.csv"
    lines = ["processInstanceId;processId;telefone;nome"]
    lines += [f"{n};abertura_chamado;(11) 98765-{n:04d};Maria Souza" for n in range(1, 3001)]
    export.write_text("\n".join(lines) + "\n", encoding="utf-8")
    config = tmp_path / "config.toml"
    config.write_text('[fluig.fields]\nphone = "telefone"\nname = "nome"\n', encoding="utf-8")
    env = subprocess_env(tmp_path, config)
    cmd = [sys.executable, "-m", "fluigbot"]
    proc = subprocess.Popen(
        [*cmd, "fetch", "--from", str(export)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert proc.stdout is not None and proc.stderr is not None
    first = proc.stdout.readline()
    proc.stdout.close()  # `head -1` has what it wanted
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=60) == 141, err
    assert first.startswith(b"1\tabertura_chamado\t")
    assert err == ""
    again = subprocess.run(
        [*cmd, "fetch", "--from", str(export), "--json"], env=env, capture_output=True, check=True
    )
    assert json.loads(again.stdout)["known"] == 3000
