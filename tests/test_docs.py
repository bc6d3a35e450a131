"""The documentation cannot drift from the code: docs/cli.md is what scripts/gen_cli_docs.py
generates now, and README.md names every command, exit code, config key and secret variable."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
CLI_DOC = ROOT / "docs" / "cli.md"
EXIT_CODES = {0, 1, 2, 3, 4, 5, 6, 130}  # DESIGN.md, "Output and exit codes"


def _generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "gen_cli_docs", ROOT / "scripts" / "gen_cli_docs.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def gen() -> ModuleType:
    return _generator()


@pytest.fixture(scope="module")
def readme() -> str:
    return README.read_text(encoding="utf-8")


def _command_names(gen: ModuleType) -> list[str]:
    import typer

    from fluigbot.cli.app import app

    root = typer.main.get_command(app)
    return [" ".join(("fluigbot", *p)) for p in gen.command_paths(root) if p]


def test_cli_reference_is_fresh(gen: ModuleType) -> None:
    current = CLI_DOC.read_text(encoding="utf-8") if CLI_DOC.exists() else "(missing)"
    fresh = gen.render()
    assert current == fresh, (
        "docs/cli.md is out of date with the commands' --help: run "
        "`python scripts/gen_cli_docs.py` and commit docs/cli.md."
    )


def test_generation_does_not_depend_on_the_terminal(
    gen: ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = gen.render()
    monkeypatch.setenv("COLUMNS", "37")
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.setenv("FORCE_COLOR", "1")
    assert gen.render() == first


def test_cli_reference_has_every_option_of_every_command(gen: ModuleType) -> None:
    import typer

    from fluigbot.cli.app import app

    text = CLI_DOC.read_text(encoding="utf-8")
    root = typer.main.get_command(app)
    for path in gen.command_paths(root):
        cmd = root
        for name in path:
            cmd = cmd.commands[name]  # type: ignore[attr-defined]
        section = text.split(f"## {' '.join(('fluigbot', *path))}\n", 1)[1].split("\n## ", 1)[0]
        for param in cmd.params:
            for opt in getattr(param, "opts", []):
                if opt.startswith("-"):
                    assert opt in section, f"{opt} of `fluigbot {' '.join(path)}` not in cli.md"


def test_readme_starts_with_the_two_setup_commands(readme: str) -> None:
    head = "\n".join(readme.splitlines()[:12])
    assert "pip install . && fluigbot demo" in head
    assert "pip install -e '.[test]' && pytest" in head


def test_readme_mentions_every_command(gen: ModuleType, readme: str) -> None:
    missing = [name for name in _command_names(gen) if name not in readme]
    assert not missing, f"README.md never mentions: {', '.join(missing)}"


def test_readme_links_the_cli_reference(readme: str) -> None:
    assert "docs/cli.md" in readme


def test_readme_exit_code_table_is_complete(readme: str) -> None:
    from fluigbot import errors

    section = readme.split("## Exit codes", 1)[1].split("\n## ", 1)[0]
    documented = {int(m) for m in re.findall(r"^\|\s*`?(\d+)`?\s*\|", section, re.MULTILINE)}
    derived = {
        cls.exit_code
        for cls in vars(errors).values()
        if isinstance(cls, type) and issubclass(cls, errors.FluigbotError)
    }
    assert documented == EXIT_CODES, f"exit code table has {sorted(documented)}"
    assert derived <= documented, f"errors.py uses {sorted(derived - documented)}, undocumented"


def test_readme_documents_every_config_key(readme: str) -> None:
    from fluigbot.config import SCHEMA

    missing = [key for key in SCHEMA if f"`{key}`" not in readme]
    assert not missing, f"README.md does not document these config keys: {', '.join(missing)}"


def test_readme_names_every_secret_variable(readme: str) -> None:
    from fluigbot.secrets import ALL

    missing = [
        name for name in (*ALL, "FLUIGBOT_CONFIG", "FLUIGBOT_STATE_DIR") if name not in readme
    ]
    assert not missing, f"README.md does not name: {', '.join(missing)}"


def test_readme_shows_no_unmasked_phone(readme: str) -> None:
    """Examples use masked numbers, or fake ones made of 0s and 1s after the area code."""
    for number in re.findall(r"\+55\d{10,11}", readme):
        assert set(number[5:]) <= {"9", "0", "1"}, f"{number} looks like a real number"
