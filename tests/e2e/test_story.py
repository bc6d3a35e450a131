"""The operator's story, with the installed `fluigbot` as a subprocess against both simulators
over loopback: fetch, preview, send (with failing numbers), history, retry, a second send that
sends nothing, forget, purge. Asserts what the simulators received and what each command printed
and returned."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from cli_env import subprocess_env

from fluigbot.demo import sample as demo_sample
from fluigbot.demo.run import Simulators, e164, simulators, write_config

pytestmark = pytest.mark.e2e


def fluigbot_cmd() -> list[str]:
    script = Path(sys.executable).with_name("fluigbot")
    if script.exists():
        return [str(script)]
    found = shutil.which("fluigbot")
    return [found] if found else [sys.executable, "-m", "fluigbot"]


@dataclass
class Story:
    sims: Simulators
    env: dict[str, str]
    state: Path

    def run(self, *args: str, input: str | None = None) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*fluigbot_cmd(), *args],
            env=self.env,
            input=input,
            capture_output=True,
            text=True,
            timeout=120,
        )

    def json(self, *args: str) -> object:
        proc = self.run(*args, "--json")
        assert proc.returncode in (0, 6), proc.stderr
        return json.loads(proc.stdout)


@pytest.fixture
def story(tmp_path: Path) -> Iterator[Story]:
    with simulators(count=20) as sims:
        config = tmp_path / "config.toml"
        write_config(config, sims.config())
        env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith("FLUIGBOT_") or k.startswith("FLUIGBOT_TEST_")
        }
        env |= sims.env() | {
            "FLUIGBOT_CONFIG": str(config),
            "FLUIGBOT_STATE_DIR": str(tmp_path / "state"),
            "FLUIGBOT_JOURNAL_KEY": "e2e-journal-key-" + "x" * 32,
            "PYTHON_KEYRING_BACKEND": "keyring.backends.null.Keyring",
            "NO_COLOR": "1",
        }
        yield Story(sims, env, tmp_path / "state")


def test_the_operator_story(story: Story) -> None:
    cloud, fluig = story.sims.cloud, story.sims.fluig

    fetched = story.json("fetch")
    assert fetched["new"] + fetched["skipped"] == 20 and fetched["known"] == 0
    skipped = {
        r["request_id"]: r["reason"] for r in fetched["requests"] if r["status"] == "skipped"
    }
    assert skipped["100003"] == "landline" and skipped["100007"] == "multiple"
    assert skipped["100011"] == "missing_ninth_digit" and skipped["100015"] == "empty"

    preview = story.json("preview")
    assert len(preview) == fetched["new"]
    assert all("****" in item["phone"] for item in preview)
    assert preview[0]["template"]["name"] == "primeiro_contato"
    assert cloud.received == []  # preview sends nothing

    refused = story.run("send")  # no terminal, no --yes
    assert refused.returncode == 2 and "--yes" in refused.stderr
    assert cloud.received == []

    sent = story.run("send", "--yes", "--json")
    assert sent.returncode == 6, sent.stderr  # one failed, one dead
    summary = json.loads(sent.stdout)
    assert summary["sent"] == fetched["new"] - 2 and summary["failed"] == 1
    statuses = {r["request_id"]: r["status"] for r in summary["requests"]}
    assert statuses["100009"] == "failed" and statuses["100013"] == "dead"
    delivered = [r.to for r in cloud.received if r.delivered]
    assert len(delivered) == len(set(delivered)) == fetched["new"] - 2
    assert len(fluig.observations) == fetched["new"] - 2  # the Fluig marks

    failed = story.json("history", "--status", "failed")
    assert [e["request_id"] for e in failed] == ["100009"]
    assert failed[0]["error"]["code"] == "131000" and failed[0]["attempts"] == 1

    retried = story.run("retry", "--all", "--yes")
    assert retried.returncode == 0, retried.stderr
    assert cloud.delivered_to(e164(demo_sample.FAILS_ONCE)) == 1

    again = story.run("send", "--yes")
    assert again.returncode == 0
    per_number: dict[str, int] = {}
    for r in cloud.received:
        if r.delivered:
            per_number[r.to] = per_number.get(r.to, 0) + 1
    assert max(per_number.values()) == 1  # nobody messaged twice
    assert len(per_number) == fetched["new"] - 1  # all but the undeliverable one

    old = story.json("history", "--request", "100005", "--reveal")
    assert old[0]["status"] == "sent" and old[0]["phone"] == e164(demo_sample.OLD_ACCOUNT)

    forgot = story.run("forget", "-", "--yes", input=demo_sample.FAILS_ONCE + "\n")
    assert forgot.returncode == 0, forgot.stderr
    assert "100009" in forgot.stdout
    gone = story.json("history", "--request", "100009", "--reveal")
    assert gone[0]["phone"] is None
    optouts = story.json("optout", "list")
    assert len(optouts) == 1 and optouts[0]["phone"].endswith("4567")

    purged = story.run("purge", "--older-than", "0", "--yes")
    assert purged.returncode == 0, purged.stderr
    after = story.json("history", "--reveal", "--limit", "100")
    assert all(e["phone"] is None for e in after)
    assert {e["status"] for e in after} >= {"sent", "dead", "skipped"}  # the audit stays

    # No phone digits or names in clear anywhere in the state dir.
    blob = b"".join(p.read_bytes() for p in story.state.rglob("*") if p.is_file())
    for typed in (demo_sample.OLD_ACCOUNT, demo_sample.UNDELIVERABLE):
        digits = "".join(ch for ch in typed if ch.isdigit())
        assert digits[-8:].encode() not in blob


def test_history_reads_while_nothing_was_fetched(story: Story) -> None:
    proc = story.run("history")
    assert proc.returncode == 0 and proc.stdout == ""


def test_a_large_fetch_prints_while_its_indexes_are_written(tmp_path: Path) -> None:
    """Past 1,000 records fetch writes its indexes in a second process while it prints: the
    output is whole, the indexes are complete when the command returns, nothing is left over."""
    config = tmp_path / "config.toml"
    config.write_text(
        '[fluig]\nprocess_ids = ["abertura_chamado"]\n[fluig.fields]\nphone = "telefone"\n'
    )
    export = tmp_path / "export.csv"
    rows = [
        f"{100000 + n};abertura_chamado;Pessoa {n};(11) 9{n:04d}-{n % 10000:04d}"
        for n in range(1500)
    ]
    export.write_text(
        "processInstanceId;processId;requesterName;telefone\n" + "\n".join(rows) + "\n"
    )
    env = subprocess_env(tmp_path, config)

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*fluigbot_cmd(), *args], env=env, capture_output=True, text=True, timeout=120
        )

    first = run("fetch", "--from", str(export), "--json")
    assert first.returncode == 0, first.stderr
    out = json.loads(first.stdout)
    assert (out["new"] + out["skipped"], out["read"], len(out["requests"])) == (1500, 1500, 1500)
    assert out["new"] > 1400
    phones = [r["phone"] for r in out["requests"] if r["status"] == "pending"]
    assert all(p.startswith("+55 11 9") and "****" in p for p in phones)  # masked
    index = tmp_path / "state" / "index"
    assert "seq = 1500" in (index / "head.toml").read_text()  # complete when fetch returned
    assert not (index / "checkpoint.toml").exists()
    assert not [p for p in index.rglob("*") if ".tmp" in p.name]
    again = run("fetch", "--from", str(export), "--json")
    assert json.loads(again.stdout)["known"] == 1500, again.stderr
    table = run("fetch", "--from", str(export))
    assert table.returncode == 0 and "1500 already known" in table.stderr
