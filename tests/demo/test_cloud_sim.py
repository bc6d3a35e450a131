"""The Cloud API simulator: what it accepts, refuses and records, as a client sees it."""

from __future__ import annotations

import json
import socket
import threading
from typing import Any

import httpx
import pytest

from fluigbot.demo.cloud_sim import CloudSimulator, old_wa_id

AUTH = {"Authorization": "Bearer demo-token"}
HTTP = httpx.Client()  # one client for the module: building one per call costs ~0.1 s


def template(to: str = "5511987654321", **changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": to,
        "type": "template",
        "template": {
            "name": "primeiro_contato",
            "language": {"code": "pt_BR", "policy": "deterministic"},
            "components": [{"type": "body", "parameters": [{"type": "text", "text": "Maria"}]}],
        },
    }
    body.update(changes)
    return body


@pytest.fixture
def sim() -> Any:
    with CloudSimulator(old_accounts=["+5531987654321"]) as server:
        yield server


def post(sim: CloudSimulator, body: Any, headers: dict[str, str] = AUTH) -> httpx.Response:
    return HTTP.post(f"{sim.url}/v23.0/123456789/messages", json=body, headers=headers)


def test_accepts_a_template_message_and_answers_like_meta(sim: CloudSimulator) -> None:
    response = post(sim, template("+5511987654321"))
    assert response.status_code == 200
    body = response.json()
    assert body["messaging_product"] == "whatsapp"
    assert body["contacts"] == [{"input": "+5511987654321", "wa_id": "5511987654321"}]
    assert body["messages"][0]["id"].startswith("wamid.")
    [got] = sim.received
    assert (got.to, got.template, got.parameters, got.outcome) == (
        "5511987654321",
        "primeiro_contato",
        ["Maria"],
        "ok",
    )


def test_old_accounts_get_a_12_digit_wa_id(sim: CloudSimulator) -> None:
    assert post(sim, template("5531987654321")).json()["contacts"][0]["wa_id"] == "553187654321"
    assert old_wa_id("+5511987654321") == "551187654321"
    assert old_wa_id("+5511332211") == "5511332211"  # not a 13-digit mobile: unchanged


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ("not json", 100),
        (template(messaging_product="sms"), 100),
        (template(to="abc"), 100),
        (template(type="text"), 100),
        ({**template(), "template": {"name": "x", "language": {"code": "pt_BR", "policy": "x"}}}, 100),
        ({**template(), "template": {"name": "x", "language": {"code": "pt_BR"},
          "components": [{"type": "body", "parameters": [{"type": "text", "text": "a\nb"}]}]}}, 132018),
        ({**template(), "template": {"name": "x", "language": {"code": "pt_BR"},
          "components": [{"type": "body", "parameters": [{"type": "text", "text": ""}]}]}}, 131008),
    ],
)  # fmt: skip
def test_refuses_a_malformed_message_with_a_meta_error(
    sim: CloudSimulator, body: Any, code: int
) -> None:
    if isinstance(body, str):
        response = HTTP.post(
            f"{sim.url}/v23.0/123456789/messages",
            content=body,
            headers={**AUTH, "Content-Type": "application/json"},
        )
    else:
        response = post(sim, body)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == code
    assert sim.received == []
    assert len(sim.rejected) == 1


def test_refuses_a_wrong_token_with_code_190(sim: CloudSimulator) -> None:
    response = post(sim, template(), headers={"Authorization": "Bearer nope"})
    assert response.status_code == 401
    assert response.json()["error"]["code"] == 190
    assert sim.received == []


def test_failures_by_number_with_a_count_then_heal(sim: CloudSimulator) -> None:
    sim.fail("+55 (11) 98765-4321", 131026, times=2)
    sim.fail("5511900000000", 131047)
    codes = [post(sim, template()).status_code for _ in range(3)]
    assert codes == [400, 400, 200]
    assert post(sim, template("5511900000000")).json()["error"]["code"] == 131047
    sim.heal("5511900000000")
    assert post(sim, template("5511900000000")).status_code == 200
    assert [r.outcome for r in sim.received] == ["error:131026"] * 2 + ["ok", "error:131047", "ok"]
    assert sim.delivered_to("5511987654321") == 1
    with pytest.raises(ValueError, match="unknown failure kind"):
        sim.fail(None, "explode")


def test_proxy_502_is_an_html_page(sim: CloudSimulator) -> None:
    sim.fail(None, "proxy_502")
    response = post(sim, template())
    assert response.status_code == 502
    assert response.headers["content-type"].startswith("text/html")
    assert sim.received[0].delivered  # the far end may have acted


def test_drop_and_timeout_give_no_answer() -> None:
    with CloudSimulator() as sim:
        sim.fail("5511900000001", "drop")
        sim.fail("5511900000002", "timeout")
        with pytest.raises(httpx.RemoteProtocolError):
            post(sim, template("5511900000001"))
        with pytest.raises(httpx.ReadTimeout):
            HTTP.post(
                f"{sim.url}/v23.0/123456789/messages",
                json=template("5511900000002"),
                headers=AUTH,
                timeout=httpx.Timeout(5.0, read=0.2),
            )
        assert [r.outcome for r in sim.received] == ["drop", "timeout"]
    # leaving the block did not wait for the "timeout" handler


def test_serves_the_doctor_endpoints(sim: CloudSimulator) -> None:
    number = HTTP.get(f"{sim.url}/v23.0/123456789", headers=AUTH).json()
    assert number["id"] == "123456789" and number["quality_rating"] == "GREEN"
    templates = HTTP.get(
        f"{sim.url}/v23.0/987654321/message_templates", params={"name": "primeiro_contato"},
        headers=AUTH,
    ).json()  # fmt: skip
    assert [t["status"] for t in templates["data"]] == ["APPROVED"]
    none = HTTP.get(
        f"{sim.url}/v23.0/987654321/message_templates", params={"name": "x"}, headers=AUTH
    ).json()
    assert none["data"] == []


def test_keep_alive_serves_several_requests_on_one_connection(sim: CloudSimulator) -> None:
    host, port = sim.url.removeprefix("http://").split(":")
    payload = json.dumps(template()).encode()
    request = (
        f"POST /v23.0/123456789/messages HTTP/1.1\r\nHost: {host}\r\n"
        f"Authorization: Bearer demo-token\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(payload)}\r\n\r\n"
    ).encode() + payload
    with socket.create_connection((host, int(port)), timeout=5) as conn:
        stream = conn.makefile("rb")
        for _ in range(3):
            conn.sendall(request)
            status = stream.readline()
            headers = {}
            while (line := stream.readline()) not in (b"\r\n", b""):
                name, _, value = line.decode().partition(":")
                headers[name.lower()] = value.strip()
            body = stream.read(int(headers["content-length"]))
            assert status.startswith(b"HTTP/1.1 200")
            assert json.loads(body)["messages"][0]["id"].startswith("wamid.")
    assert len(sim.received) == 3


def test_records_concurrent_messages_without_losing_any(sim: CloudSimulator) -> None:
    ids: list[str] = []
    lock = threading.Lock()

    def worker(n: int) -> None:
        with httpx.Client(headers=AUTH) as client:
            for i in range(10):
                to = f"55119{n:04d}{i:04d}"
                r = client.post(f"{sim.url}/v23.0/123456789/messages", json=template(to))
                with lock:
                    ids.append(r.json()["messages"][0]["id"])

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(sim.received) == 160
    assert len(set(ids)) == 160
    assert {r.message_id for r in sim.received} == set(ids)
