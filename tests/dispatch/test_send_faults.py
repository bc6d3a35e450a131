"""`fluigbot send` against the Cloud API simulator over loopback, one error class at a time:
what the far end received, what the journal holds afterwards, and the exit code."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from dispatch_helpers import add_pending, entries, phone, statuses

import fluigbot.dispatch.pipeline as pipeline_mod


def _digits(e164: str) -> str:
    return e164.lstrip("+")


def test_all_sent_each_once_with_the_template_parameters(configure, journal, cloud, run):
    phones = [phone(i) for i in range(12)]
    keys = add_pending(journal, phones, names=[f"MARIA {i} DA SILVA" for i in range(12)])
    result = run("send", "--yes", "--json")
    assert result.exit_code == 0, result.stderr
    got = cloud.received
    assert sorted(r.to for r in got) == sorted(_digits(p) for p in phones)
    by_to = {r.to: r for r in got}
    first = by_to[_digits(phones[0])]
    assert first.template == "primeiro_contato"
    assert first.language == "pt_BR"
    assert first.parameters == ["Maria", "1000"]  # nome (first name, title case), numero
    assert statuses(journal, keys) == ["sent"] * 12
    assert all(e.message_id and e.message_id.startswith("wamid.") for e in entries(journal, keys))
    report = json.loads(result.stdout)
    assert (report["sent"], report["failed"], report["held"], report["skipped"]) == (12, 0, 0, 0)
    assert {r["request_id"] for r in report["requests"]} == {k[1] for k in keys}
    assert all(r["phone"].startswith("+55 11 9****-") for r in report["requests"])
    # A second run finds nothing to do and sends nothing more.
    again = run("send", "--yes", "--json")
    assert again.exit_code == 0
    assert json.loads(again.stdout)["sent"] == 0
    assert len(cloud.received) == 12


def test_latency_with_concurrency_still_each_once(configure, journal, cloud, run):
    cloud.latency = 0.05
    configure(send={"concurrency": 8})
    phones = [phone(i) for i in range(40)]
    keys = add_pending(journal, phones)
    result = run("send", "--yes")
    assert result.exit_code == 0, result.stderr
    assert sorted(r.to for r in cloud.received) == sorted(_digits(p) for p in phones)
    assert statuses(journal, keys) == ["sent"] * 40


def test_permanent_error_is_dead_and_the_rest_go(configure, journal, cloud, run):
    phones = [phone(i) for i in range(5)]
    cloud.fail(phones[2], 131026)  # undeliverable
    keys = add_pending(journal, phones)
    result = run("send", "--yes", "--json")
    assert result.exit_code == 6
    assert statuses(journal, keys) == ["sent", "sent", "dead", "sent", "sent"]
    dead = entries(journal, keys)[2]
    assert dead.error_code == "131026"
    assert cloud.delivered_to(phones[2]) == 0
    assert len(cloud.received) == 5
    report = json.loads(result.stdout)
    assert report["dead"] == 1 and report["sent"] == 4
    # dead is never sent again by send or retry; only retry --force would.
    assert run("send", "--yes").exit_code == 0
    assert run("retry", "--yes", "--all").exit_code == 0
    assert len(cloud.received) == 5


def test_retryable_error_is_failed_with_backoff_then_retried(configure, journal, cloud, run):
    phones = [phone(i) for i in range(3)]
    cloud.fail(phones[1], 131000, times=1)  # "something went wrong": nothing was sent
    keys = add_pending(journal, phones)
    before = datetime.now(UTC)
    result = run("send", "--yes")
    assert result.exit_code == 6
    assert statuses(journal, keys) == ["sent", "failed", "sent"]
    failed = entries(journal, keys)[1]
    assert failed.attempts == 1
    assert failed.next_attempt_at is not None
    assert before + timedelta(seconds=29) < failed.next_attempt_at < before + timedelta(minutes=2)
    # Not due yet: retry sends nothing; --all ignores the backoff.
    assert run("retry", "--yes").exit_code == 0
    assert len(cloud.received) == 3
    result = run("retry", "--yes", "--all", "--json")
    assert result.exit_code == 0, result.stderr
    assert statuses(journal, keys) == ["sent"] * 3
    assert cloud.delivered_to(phones[1]) == 1
    assert entries(journal, keys)[1].attempts == 2


def test_retryable_until_max_attempts_then_dead(configure, journal, cloud, run):
    configure(send={"max_attempts": 2})
    cloud.fail(phone(0), 131000)
    keys = add_pending(journal, [phone(0)])
    assert run("send", "--yes").exit_code == 6
    assert statuses(journal, keys) == ["failed"]
    assert run("retry", "--yes", "--all").exit_code == 6
    assert statuses(journal, keys) == ["dead"]
    assert entries(journal, keys)[0].attempts == 2
    assert len(cloud.received) == 2


@pytest.mark.parametrize("kind", ["timeout", "drop", "proxy_502"])
def test_no_answer_after_the_request_went_out_is_unknown(configure, journal, cloud, run, kind):
    phones = [phone(i) for i in range(3)]
    cloud.fail(phones[0], kind)
    keys = add_pending(journal, phones)
    result = run("send", "--yes", "--json")
    assert result.exit_code == 6
    assert statuses(journal, keys) == ["unknown", "sent", "sent"]
    assert json.loads(result.stdout)["unknown"] == 1
    # The far end got it (the dangerous case): never again without --force.
    cloud.heal()
    assert run("send", "--yes").exit_code == 0
    assert run("retry", "--yes", "--all").exit_code == 0
    assert cloud.delivered_to(phones[0]) == 1
    assert run("retry", "--yes", "--force").exit_code == 0
    assert cloud.delivered_to(phones[0]) == 2
    assert statuses(journal, keys)[0] == "sent"


def test_rate_limited_pauses_and_tries_again_within_the_run(
    configure, journal, cloud, run, monkeypatch
):
    monkeypatch.setattr(pipeline_mod, "DEFAULT_PAUSE", 0.05)
    configure(send={"concurrency": 2})
    phones = [phone(i) for i in range(4)]
    cloud.fail(phones[1], 130429, times=2)
    keys = add_pending(journal, phones)
    result = run("send", "--yes")
    assert result.exit_code == 0, result.stderr
    assert statuses(journal, keys) == ["sent"] * 4
    to_1 = [r.outcome for r in cloud.received if r.to == _digits(phones[1])]
    assert to_1 == ["error:130429", "error:130429", "ok"]
    assert entries(journal, keys)[1].attempts == 1  # one claim, three POSTs


def test_rate_limited_without_end_is_bounded(configure, journal, cloud, run, monkeypatch):
    monkeypatch.setattr(pipeline_mod, "DEFAULT_PAUSE", 0.01)
    configure(send={"concurrency": 1})
    phones = [phone(i) for i in range(3)]
    cloud.fail(None, 130429)  # every number, forever
    keys = add_pending(journal, phones)
    result = run("send", "--yes")
    assert result.exit_code == 6
    assert "rate-limiting" in result.stderr
    # The first message gave up (failed, retried later); the others were never claimed.
    assert statuses(journal, keys) == ["failed", "pending", "pending"]
    assert len(cloud.received) == pipeline_mod.MAX_RATE_RETRIES + 1


@pytest.mark.parametrize("code", [132001, 132015, 131031, 368])
def test_template_or_account_stop_halts_the_batch_exit_2(configure, journal, cloud, run, code):
    configure(send={"concurrency": 2})
    cloud.fail(None, code)
    phones = [phone(i) for i in range(20)]
    keys = add_pending(journal, phones)
    result = run("send", "--yes", "--json")
    assert result.exit_code == 2, result.stderr
    assert "batch stopped" in result.stderr
    # One bad template is not sent to every request: at most the POSTs already in flight.
    assert 1 <= len(cloud.received) <= 2
    assert statuses(journal, keys) == ["pending"] * 20
    assert json.loads(result.stdout)["sent"] == 0
    # Fixed: the next run sends each exactly once.
    cloud.heal()
    assert run("send", "--yes").exit_code == 0
    assert statuses(journal, keys) == ["sent"] * 20
    delivered = [r.to for r in cloud.received if r.delivered]
    assert sorted(delivered) == sorted(_digits(p) for p in phones)


def test_rejected_token_stops_with_exit_4(configure, journal, cloud, run, monkeypatch):
    monkeypatch.setenv("FLUIGBOT_WHATSAPP_TOKEN", "wrong-token")
    keys = add_pending(journal, [phone(i) for i in range(10)])
    result = run("send", "--yes")
    assert result.exit_code == 4
    assert "credentials were rejected" in result.stderr
    assert cloud.received == []
    assert statuses(journal, keys) == ["pending"] * 10


def test_connection_refused_is_retryable_failed(configure, journal, cloud, run):
    import socket

    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    configure(whatsapp={"base_url": f"http://127.0.0.1:{port}"})
    keys = add_pending(journal, [phone(0), phone(1)])
    assert run("send", "--yes").exit_code == 6
    assert statuses(journal, keys) == ["failed", "failed"]
    assert all(e.error_code == "connect_error" for e in entries(journal, keys))


def test_limit_and_request_select_what_is_sent(configure, journal, cloud, run):
    keys = add_pending(journal, [phone(i) for i in range(6)])
    assert run("send", "--yes", "--request", "1004").exit_code == 0
    assert statuses(journal, keys) == ["pending"] * 4 + ["sent", "pending"]
    assert run("send", "--yes", "--limit", "2").exit_code == 0
    assert statuses(journal, keys) == ["sent", "sent", "pending", "pending", "sent", "pending"]
    assert len(cloud.received) == 3


def test_mixed_faults_with_many_in_flight(configure, journal, cloud, run):
    """16 in flight (sharded connection pools), every kind of answer at once."""
    cloud.latency = 0.02
    configure(send={"concurrency": 16})
    phones = [phone(i) for i in range(48)]
    faults = {3: 131026, 7: "timeout", 11: "drop", 15: 131000, 19: "proxy_502"}
    for i, kind in faults.items():
        cloud.fail(phones[i], kind)
    keys = add_pending(journal, phones)
    result = run("send", "--yes", "--json")
    assert result.exit_code == 6
    expected = ["sent"] * 48
    for i, status in {3: "dead", 7: "unknown", 11: "unknown", 15: "failed", 19: "unknown"}.items():
        expected[i] = status
    assert statuses(journal, keys) == expected
    assert sorted(r.to for r in cloud.received) == sorted(_digits(p) for p in phones)
    report = json.loads(result.stdout)
    assert (report["sent"], report["dead"], report["unknown"], report["failed"]) == (43, 1, 3, 1)


def test_sharded_transport_spreads_and_releases(cloud):
    import asyncio

    import httpx

    from fluigbot.dispatch.transport import ShardedTransport

    transport = ShardedTransport(16, pool_size=4)
    cloud.latency = 0.02

    async def main() -> None:
        async with httpx.AsyncClient(transport=transport) as client:
            url = f"{cloud.url}/v23.0/123456789"
            headers = {"Authorization": "Bearer demo-token"}
            answers = await asyncio.gather(*(client.get(url, headers=headers) for _ in range(40)))
            assert all(a.status_code == 200 for a in answers)
            assert transport._busy == [0, 0, 0, 0]
            with pytest.raises(httpx.ConnectError):
                await client.get("http://127.0.0.1:9/")
            assert transport._busy == [0, 0, 0, 0]

    asyncio.run(main())
