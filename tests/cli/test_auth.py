"""`auth set / status / delete`: secrets in the keyring, from prompts or stdin, never argv."""

from __future__ import annotations

import json
from pathlib import Path

import keyring
import pytest


def test_set_whatsapp_from_stdin(run, memory_keyring) -> None:
    result = run("auth", "set", "whatsapp", "--stdin", input="EAAG-secret\n")
    assert result.exit_code == 0, result.output
    assert memory_keyring.store[("fluigbot", "FLUIGBOT_WHATSAPP_TOKEN")] == "EAAG-secret"
    assert "EAAG-secret" not in result.output


def test_set_fluig_reads_four_lines_in_order(run, memory_keyring) -> None:
    result = run("auth", "set", "fluig", "--stdin", input="ck\ncs\nat\nts\n")
    assert result.exit_code == 0
    assert [
        memory_keyring.store[("fluigbot", n)]
        for n in (
            "FLUIGBOT_FLUIG_CONSUMER_KEY",
            "FLUIGBOT_FLUIG_CONSUMER_SECRET",
            "FLUIGBOT_FLUIG_ACCESS_TOKEN",
            "FLUIGBOT_FLUIG_TOKEN_SECRET",
        )
    ] == ["ck", "cs", "at", "ts"]


def test_set_fluig_with_three_lines_stores_nothing(run, memory_keyring) -> None:
    result = run("auth", "set", "fluig", "--stdin", input="ck\ncs\nat\n")
    assert result.exit_code == 2 and "expected 4" in result.stderr
    assert memory_keyring.store == {}


def test_set_without_terminal_or_stdin_flag(run) -> None:
    result = run("auth", "set", "whatsapp", input="x\n")
    assert result.exit_code == 2 and "--stdin" in result.stderr


def test_status_says_where_each_came_from(
    run, memory_keyring, isolated_env: Path, monkeypatch
) -> None:
    (isolated_env / "config.toml").write_text(
        '[fluig]\nsource = "file"\n[whatsapp]\nprovider = "cloud"\nphone_number_id = "1"\n'
    )
    run("auth", "set", "whatsapp", "--stdin", input="tok\n")
    monkeypatch.setenv("FLUIGBOT_FLUIG_CONSUMER_KEY", "from-env")
    result = run("auth", "status", "--json")
    assert result.exit_code == 0, result.output
    rows = {r["name"]: r for r in json.loads(result.stdout)}
    assert rows["FLUIGBOT_WHATSAPP_TOKEN"]["origin"].startswith("keyring (")
    assert rows["FLUIGBOT_FLUIG_CONSUMER_KEY"]["origin"] == "env"
    assert rows["FLUIGBOT_FLUIG_TOKEN_SECRET"]["needed"] is False  # source = file
    assert "tok" not in result.stdout.replace("token", "").replace("TOKEN", "")


def test_status_exit_3_when_a_needed_secret_is_missing(run, isolated_env: Path) -> None:
    (isolated_env / "config.toml").write_text('[whatsapp]\nprovider = "cloud"\n')
    result = run("auth", "status")
    assert result.exit_code == 3
    assert "FLUIGBOT_WHATSAPP_TOKEN" in result.stderr
    assert "FLUIGBOT_WHATSAPP_TOKEN\tmissing" in result.stdout  # piped: tab-separated


def test_delete(run, memory_keyring) -> None:
    run("auth", "set", "whatsapp", "--stdin", input="tok\n")
    result = run("auth", "delete", "whatsapp")
    assert result.exit_code == 0 and memory_keyring.store == {}
    assert run("auth", "delete", "whatsapp").exit_code == 0  # nothing there: still fine


@pytest.fixture
def fail_keyring():
    from keyring.backends import fail

    previous = keyring.get_keyring()
    keyring.set_keyring(fail.Keyring())
    yield
    keyring.set_keyring(previous)


def test_no_keyring_is_exit_3_naming_the_variable(run, fail_keyring, isolated_env: Path) -> None:
    (isolated_env / "config.toml").write_text(
        '[fluig]\nsource = "file"\n[whatsapp]\nprovider = "cloud"\n'
    )
    status = run("auth", "status")
    assert status.exit_code == 3 and "FLUIGBOT_WHATSAPP_TOKEN" in status.stderr
    stored = run("auth", "set", "whatsapp", "--stdin", input="tok\n")
    assert stored.exit_code == 3 and "FLUIGBOT_WHATSAPP_TOKEN" in stored.stderr
    assert len(stored.stderr.strip().splitlines()) == 1


def test_env_only_works_without_keyring(run, fail_keyring, isolated_env: Path, monkeypatch) -> None:
    (isolated_env / "config.toml").write_text(
        '[fluig]\nsource = "file"\n[whatsapp]\nprovider = "cloud"\n'
    )
    monkeypatch.setenv("FLUIGBOT_WHATSAPP_TOKEN", "tok")
    assert run("auth", "status").exit_code == 0


def test_no_keyring_still_shows_the_table(
    run, fail_keyring, isolated_env: Path, monkeypatch
) -> None:
    (isolated_env / "config.toml").write_text(
        '[fluig]\nsource = "file"\n[whatsapp]\nprovider = "cloud"\n'
    )
    monkeypatch.setenv("FLUIGBOT_FLUIG_CONSUMER_KEY", "ck")
    result = run("auth", "status")
    assert result.exit_code == 3
    assert "FLUIGBOT_FLUIG_CONSUMER_KEY\tpresent\tenv" in result.stdout
    assert "FLUIGBOT_WHATSAPP_TOKEN\tmissing\tkeyring unusable" in result.stdout
    assert "cannot be used" in result.stderr


def test_existing_journal_needs_its_key(run, isolated_env: Path, monkeypatch) -> None:
    (isolated_env / "config.toml").write_text(
        '[fluig]\nsource = "file"\n[whatsapp]\nprovider = "outbox"\n'
    )
    assert run("auth", "status").exit_code == 0  # no journal yet: a key is made on first use
    monkeypatch.setenv("FLUIGBOT_JOURNAL_KEY", "j" * 40)
    assert run("optout", "add", "-", input="11987654321\n").exit_code == 0  # writes a journal
    monkeypatch.delenv("FLUIGBOT_JOURNAL_KEY")
    result = run("auth", "status")
    assert result.exit_code == 3 and "FLUIGBOT_JOURNAL_KEY" in result.stderr
