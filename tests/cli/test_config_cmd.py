"""`config init / show / path / validate` as an operator runs them."""

from __future__ import annotations

import os
import stat
import tomllib
from pathlib import Path


def test_init_writes_a_private_valid_config(run, isolated_env: Path) -> None:
    result = run("config", "init", "--non-interactive")
    assert result.exit_code == 0, result.output
    path = isolated_env / "config.toml"
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    data = tomllib.loads(path.read_text())
    assert data["whatsapp"]["provider"] == "cloud"  # what init proposes
    assert run("config", "validate").exit_code == 0


def test_init_refuses_to_overwrite_without_force(run, isolated_env: Path) -> None:
    run("config", "init", "--non-interactive")
    (isolated_env / "config.toml").write_text('[fluig]\nbase_url = "https://mine.example"\n')
    again = run("config", "init", "--non-interactive")
    assert again.exit_code == 2 and "--force" in again.stderr
    assert "mine.example" in (isolated_env / "config.toml").read_text()
    assert run("config", "init", "--non-interactive", "--force").exit_code == 0


def test_show_and_path(run, isolated_env: Path) -> None:
    run("config", "init", "--non-interactive")
    shown = run("config", "show")
    assert shown.exit_code == 0 and 'provider = "cloud"' in shown.stdout
    assert "token" not in shown.stdout.lower()
    as_json = run("config", "show", "--json")
    assert '"phone_number_id": "123456789"' in as_json.stdout
    assert run("config", "path").stdout.strip() == str(isolated_env / "config.toml")


def test_config_option_and_env(run, tmp_path: Path) -> None:
    other = tmp_path / "other.toml"
    assert run("--config", str(other), "config", "path").stdout.strip() == str(other)


def test_validate_reports_problems_with_exit_2(run, isolated_env: Path) -> None:
    (isolated_env / "config.toml").write_text(
        '[whatsapp]\nprovider = "cloud"\n[send]\nconcurrency = 0\n'
    )
    result = run("config", "validate")
    assert result.exit_code == 2
    assert "config.toml:4: send.concurrency" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1  # one line


def test_validate_needs_provider_keys(run, isolated_env: Path) -> None:
    (isolated_env / "config.toml").write_text('[whatsapp]\nprovider = "cloud"\n')
    result = run("config", "validate")
    assert result.exit_code == 2 and "whatsapp.phone_number_id must be set" in result.stderr


def test_validate_without_file(run) -> None:
    result = run("config", "validate")
    assert result.exit_code == 2 and "config init" in result.stderr


def test_unknown_key_warning_on_stderr(run, isolated_env: Path) -> None:
    (isolated_env / "config.toml").write_text('[fluig]\nsourc = "api"\n')
    result = run("config", "show")
    assert result.exit_code == 0
    assert "did you mean fluig.source" in result.stderr
    assert "did you mean" not in result.stdout


def test_config_dir_is_an_error(run, tmp_path: Path) -> None:
    result = run("--config", str(tmp_path), "config", "show")
    assert result.exit_code == 2 and "is a directory" in result.stderr
