"""`fluigbot send` / `retry` at the CLI: confirmation rules, --dry-run, output and exit codes."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from dispatch_helpers import (
    add_pending,
    cloud,
    configure,
    home,
    journal,
    phone,
    run,
    statuses,
)

import fluigbot.cli.output as output

__all__ = ["cloud", "configure", "home", "journal", "run"]


def _tree(path: Path) -> dict[str, str]:
    """Every file under the state dir with a hash of its bytes."""
    return {
        str(p.relative_to(path)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(path.rglob("*"))
        if p.is_file()
    }


@pytest.fixture
def terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(output, "stdin_is_tty", lambda: True)
    monkeypatch.setattr(output, "stderr_is_tty", lambda: True)


def test_without_a_terminal_and_without_yes_exit_2_before_anything(home, journal, cloud, run):
    # Not even a config: the refusal comes first.
    keys = add_pending(journal, [phone(1)])
    result = run("send")
    assert result.exit_code == 2
    assert "--yes" in result.stderr
    assert cloud.received == []
    assert statuses(journal, keys) == ["pending"]


def test_json_without_yes_is_exit_2_even_on_a_terminal(configure, journal, cloud, run, terminal):
    add_pending(journal, [phone(1)])
    result = run("send", "--json")
    assert result.exit_code == 2
    assert result.stdout == ""
    assert cloud.received == []


def test_answer_no_at_the_terminal_is_exit_2_and_nothing_sent(
    configure, journal, cloud, run, terminal
):
    keys = add_pending(journal, [phone(1), phone(2)])
    result = run("send", input="n\n")
    assert result.exit_code == 2
    assert "Send 2 WhatsApp messages now?" in result.stderr
    assert cloud.received == []
    assert statuses(journal, keys) == ["pending", "pending"]


def test_answer_yes_at_the_terminal_sends(configure, journal, cloud, run, terminal):
    keys = add_pending(journal, [phone(1), phone(2)])
    result = run("send", input="y\n")
    assert result.exit_code == 0, result.stderr
    assert len(cloud.received) == 2
    assert statuses(journal, keys) == ["sent", "sent"]


def test_retry_has_the_same_confirmation_rules(configure, journal, cloud, run, terminal):
    cloud.fail(phone(1), 131000, times=1)
    keys = add_pending(journal, [phone(1)])
    assert run("send", "--yes").exit_code == 6
    assert run("retry", "--all", "--json").exit_code == 2
    assert run("retry", "--all", input="n\n").exit_code == 2
    assert statuses(journal, keys) == ["failed"]
    assert run("retry", "--all", input="y\n").exit_code == 0
    assert statuses(journal, keys) == ["sent"]


def test_nothing_pending_is_exit_0_without_asking(configure, journal, cloud, run, terminal):
    result = run("send", "--json", "--yes")
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    assert (data["sent"], data["requests"]) == (0, [])


def test_dry_run_writes_nothing_and_sends_nothing(home, configure, journal, cloud, run):
    keys = add_pending(journal, [phone(1), phone(2)])
    before = _tree(home / "state")
    result = run("send", "--dry-run", "--json")
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["dry_run"] is True and data["would_send"] == 2 and data["sent"] == 0
    assert [r["would"] for r in data["requests"]] == ["send", "send"]
    assert cloud.received == []
    assert _tree(home / "state") == before
    assert statuses(journal, keys) == ["pending", "pending"]


def test_dry_run_still_finds_template_errors(configure, journal, cloud, run):
    configure(message={"body": "Olá {{apelido}}"})
    add_pending(journal, [phone(1)])
    assert run("send", "--dry-run").exit_code == 2


def test_piped_output_is_tab_separated_rows(configure, journal, cloud, run):
    add_pending(journal, [phone(1), phone(2)])
    result = run("send", "--yes")
    assert result.exit_code == 0
    rows = [line.split("\t") for line in result.stdout.splitlines()]
    assert [r[0] for r in rows] == ["1000", "1001"]
    assert all(r[3] == "sent" and r[2].startswith("+55 11 9****-") for r in rows)
    assert "send: 2 sent, 0 failed, 0 held, 0 skipped." in result.stderr


def test_exit_6_when_any_message_failed_and_the_json_still_prints(configure, journal, cloud, run):
    cloud.fail(phone(2), 131026)
    add_pending(journal, [phone(1), phone(2)])
    result = run("send", "--yes", "--json")
    assert result.exit_code == 6
    data = json.loads(result.stdout)
    assert (data["sent"], data["dead"]) == (1, 1)
    dead = next(r for r in data["requests"] if r["status"] == "dead")
    assert dead["error"]["code"] == "131026"
    assert "9876" not in json.dumps(dead["error"])  # no number in the error text


def test_missing_token_is_exit_3_before_anything(configure, journal, cloud, run, monkeypatch):
    monkeypatch.delenv("FLUIGBOT_WHATSAPP_TOKEN")
    keys = add_pending(journal, [phone(1)])
    assert run("send", "--yes").exit_code == 3
    assert statuses(journal, keys) == ["pending"]
