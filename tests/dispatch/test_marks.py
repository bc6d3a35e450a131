"""The Fluig mark after a send, against the Fluig simulator: observation and form field, and a
failed mark retried on its own by the next run, never by sending the message again."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from dispatch_helpers import add_pending, config_text

from fluigbot.demo.cloud_sim import CloudSimulator
from fluigbot.demo.fluig_sim import FluigSimulator, sample_item
from fluigbot.fluig.writeback import OBSERVATION_PATH
from fluigbot.journal import Journal

N = 3
MARK_TEXT = re.compile(r"Primeiro contato enviado por WhatsApp em \d\d/\d\d/\d{4} \d\d:\d\d\.")


@pytest.fixture
def fluig(home: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[FluigSimulator]:
    items = [sample_item(n, phone=f"(11) 98765-{n:04d}") for n in range(1, N + 1)]
    with FluigSimulator(items) as sim:
        names = (
            "FLUIGBOT_FLUIG_CONSUMER_KEY",
            "FLUIGBOT_FLUIG_CONSUMER_SECRET",
            "FLUIGBOT_FLUIG_ACCESS_TOKEN",
            "FLUIGBOT_FLUIG_TOKEN_SECRET",
        )
        for name, value in zip(names, sim.credentials, strict=True):
            monkeypatch.setenv(name, value)
        yield sim


def _setup(home: Path, cloud: CloudSimulator, fluig: FluigSimulator, run, **writeback) -> None:
    text = config_text(
        cloud.url,
        fluig={"base_url": fluig.url, "writeback": writeback},
    )
    (home / "config.toml").write_text(text, encoding="utf-8")
    fetched = run("fetch", "--json")
    assert fetched.exit_code == 0, fetched.stderr
    assert json.loads(fetched.stdout)["new"] == N


def _marks(home: Path, fluig: FluigSimulator) -> list[str | None]:
    from dispatch_helpers import KEY

    j = Journal(home / "state", KEY)
    return [j.get((fluig.url, str(100_000 + n))).mark_state for n in range(1, N + 1)]  # type: ignore[union-attr]


def test_observation_mark_after_each_send(home, cloud, fluig, run):
    _setup(home, cloud, fluig, run, mode="observation")
    result = run("send", "--yes", "--json")
    assert result.exit_code == 0, result.stderr
    assert len(cloud.received) == N
    got = sorted(fluig.observations, key=lambda o: o["processInstanceId"])
    assert [o["processInstanceId"] for o in got] == [100_001, 100_002, 100_003]
    assert all(o["stateSequence"] == 5 and o["threadSequence"] == 0 for o in got)
    assert all(MARK_TEXT.fullmatch(o["observation"]) for o in got)
    assert _marks(home, fluig) == ["done"] * N
    assert json.loads(result.stdout)["marks"] == {"done": N, "failed": 0}


def test_form_field_mark(home, cloud, fluig, run):
    _setup(home, cloud, fluig, run, mode="form_field", field="whatsapp_contato")
    assert run("send", "--yes").exit_code == 0
    puts = [c for c in fluig.calls if c.method == "PUT"]
    assert len(puts) == N
    for call in puts:
        (value,) = call.body["values"]
        assert value["fieldId"] == "whatsapp_contato"
        assert re.fullmatch(r"enviado \d\d/\d\d/\d{4} \d\d:\d\d", value["value"])
    assert _marks(home, fluig) == ["done"] * N


def test_failed_mark_is_retried_alone_by_the_next_run(home, cloud, fluig, run):
    _setup(home, cloud, fluig, run, mode="observation")
    fluig.fail_next("500", path=OBSERVATION_PATH, times=N)
    result = run("send", "--yes")
    assert result.exit_code == 0, result.stderr  # the messages went out; the marks wait
    assert "Fluig mark" in result.stderr
    assert len(cloud.received) == N
    assert [c.status for c in fluig.calls_to(OBSERVATION_PATH)] == [500] * N
    assert _marks(home, fluig) == ["failed"] * N
    # Nothing pending any more: the next run only writes the marks.
    again = run("send", "--yes", "--json")
    assert again.exit_code == 0, again.stderr
    assert len(cloud.received) == N
    assert [c.status for c in fluig.calls_to(OBSERVATION_PATH)] == [500] * N + [200] * N
    assert _marks(home, fluig) == ["done"] * N
    assert json.loads(again.stdout)["marks"] == {"done": N, "failed": 0}


def test_observation_without_state_asks_fluig_for_the_active_task(home, cloud, fluig, journal, run):
    text = config_text(
        cloud.url, fluig={"base_url": fluig.url, "writeback": {"mode": "observation"}}
    )
    (home / "config.toml").write_text(text, encoding="utf-8")
    # Recorded without a state sequence (e.g. from an export file).
    add_pending(journal, [f"+55119876500{n:02d}" for n in range(1, N + 1)], first=100_001)
    assert run("send", "--yes").exit_code == 0
    assert len(fluig.calls_to("/api/public/2.0/workflows/findActiveTasks/")) == N
    assert len(fluig.observations) == N
    assert all(o["stateSequence"] == 5 for o in fluig.observations)


def test_missing_fluig_credentials_fail_before_sending(home, cloud, fluig, run, monkeypatch):
    _setup(home, cloud, fluig, run, mode="observation")
    monkeypatch.delenv("FLUIGBOT_FLUIG_TOKEN_SECRET")
    result = run("send", "--yes")
    assert result.exit_code == 3
    assert cloud.received == []


def test_a_run_stopped_before_its_marks_leaves_them_due(home, cloud, fluig, run, monkeypatch):
    from fluigbot.dispatch.run import Dispatcher

    _setup(home, cloud, fluig, run, mode="observation")

    def interrupted(self, result):  # type: ignore[no-untyped-def]
        raise KeyboardInterrupt  # Ctrl-C right after the messages went out

    with monkeypatch.context() as m:
        m.setattr(Dispatcher, "_marks", interrupted)
        assert run("send", "--yes").exit_code == 130
    assert len(cloud.received) == N
    assert _marks(home, fluig) == ["pending"] * N  # recorded with the outcomes
    assert run("send", "--yes").exit_code == 0
    assert len(cloud.received) == N
    assert len(fluig.observations) == N
    assert _marks(home, fluig) == ["done"] * N
