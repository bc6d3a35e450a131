"""Twilio and Evolution over httpx.MockTransport: what the far end received, and each class."""

from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import httpx
import pytest

from fluigbot.whatsapp import ErrorClass, ProviderConfig, SendResult, make_provider

DATA = Path(__file__).resolve().parents[1] / "data"
SID = "AC" + "0" * 32
HX = "HX" + "1" * 32


class FarEnd:
    """A MockTransport handler that records every request and answers from a script."""

    def __init__(self, answer: Callable[[httpx.Request], httpx.Response]) -> None:
        self.requests: list[httpx.Request] = []
        self._answer = answer

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return self._answer(request)

    def form(self, i: int = 0) -> dict[str, str]:
        return {k: v[0] for k, v in parse_qs(self.requests[i].content.decode()).items()}


def run_send(cfg: ProviderConfig, far: FarEnd, *messages: Any, token: str = "tok") -> list[Any]:
    async def run() -> list[SendResult]:
        provider = make_provider(cfg, token, transport=httpx.MockTransport(far))
        try:
            return [await provider.send(m) for m in messages]
        finally:
            await provider.aclose()

    return asyncio.run(run())


def twilio_ok(request: httpx.Request) -> httpx.Response:
    return httpx.Response(
        201, json=json.loads((DATA / "twilio/create_message_201.json").read_text())
    )


TWILIO = ProviderConfig(provider="twilio", account_sid=SID, from_number="+551140000000")


def test_twilio_sends_the_content_template_with_numbered_variables(make_message: Any) -> None:
    far = FarEnd(twilio_ok)
    msg = make_message("+5511987654321", template=HX, params=[("nome", "Ana"), ("numero", "77")])
    [result] = run_send(TWILIO, far, msg, token="auth-token")
    assert result.ok and result.message_id == "SMaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
    [request] = far.requests
    assert request.method == "POST"
    assert str(request.url) == f"https://api.twilio.com/2010-04-01/Accounts/{SID}/Messages.json"
    user, _, password = (
        base64.b64decode(request.headers["Authorization"][6:]).decode().partition(":")
    )
    assert (user, password) == (SID, "auth-token")
    assert far.form() == {
        "To": "whatsapp:+5511987654321",
        "From": "whatsapp:+551140000000",
        "ContentSid": HX,
        "ContentVariables": '{"1": "Ana", "2": "77"}',
    }


def test_twilio_uses_the_messaging_service_when_configured(make_message: Any) -> None:
    far = FarEnd(twilio_ok)
    cfg = ProviderConfig(provider="twilio", account_sid=SID, messaging_service_sid="MG" + "2" * 32)
    run_send(cfg, far, make_message(template=HX))
    form = far.form()
    assert form["MessagingServiceSid"] == "MG" + "2" * 32
    assert "From" not in form


@pytest.mark.parametrize(
    ("file", "status", "expected", "auth"),
    [
        ("error_20429.json", 429, ErrorClass.RATE_LIMITED, False),
        ("error_63018.json", 429, ErrorClass.RATE_LIMITED, False),
        ("error_21211.json", 400, ErrorClass.PERMANENT, False),
        ("error_63016.json", 400, ErrorClass.STOP, False),
        ("error_20003.json", 401, ErrorClass.STOP, True),
    ],
)
def test_twilio_error_answers(
    make_message: Any, file: str, status: int, expected: ErrorClass, auth: bool
) -> None:
    body = json.loads((DATA / "twilio" / file).read_text())
    far = FarEnd(lambda r: httpx.Response(status, json=body, headers={"Retry-After": "3"}))
    [result] = run_send(TWILIO, far, make_message(template=HX))
    assert (result.ok, result.error_class, result.auth) == (False, expected, auth)
    assert result.code == str(body["code"])
    assert result.retry_after == (3.0 if expected is ErrorClass.RATE_LIMITED else None)
    assert len(far.requests) == 1  # the provider never retries by itself


def test_twilio_201_that_already_failed_is_permanent(make_message: Any) -> None:
    body = {"sid": "SM" + "9" * 32, "status": "failed", "error_code": 63024, "error_message": "x"}
    far = FarEnd(lambda r: httpx.Response(201, json=body))
    [result] = run_send(TWILIO, far, make_message(template=HX))
    assert (result.error_class, result.code) == (ErrorClass.PERMANENT, "63024")


EVOLUTION = ProviderConfig(
    provider="evolution", base_url="https://evo.example.com/", instance="atendimento"
)


def evolution_ok(request: httpx.Request) -> httpx.Response:
    number = json.loads(request.content)["number"]
    return httpx.Response(
        201,
        json={
            "key": {"remoteJid": f"{number[:4]}{number[5:]}@s.whatsapp.net", "id": "BAE5941"},
            "message": {"extendedTextMessage": {"text": "..."}},
            "status": "PENDING",
        },
    )


def test_evolution_sends_the_rendered_text(make_message: Any) -> None:
    far = FarEnd(evolution_ok)
    msg = make_message("+5531987654321")
    [result] = run_send(EVOLUTION, far, msg, token="api-key")
    assert result.ok and result.message_id == "BAE5941"
    assert result.wa_id == "553187654321"
    [request] = far.requests
    assert str(request.url) == "https://evo.example.com/message/sendText/atendimento"
    assert request.headers["apikey"] == "api-key"
    assert json.loads(request.content) == {"number": "5531987654321", "text": msg.text}


@pytest.mark.parametrize(
    ("status", "body", "expected", "code"),
    [
        (
            400,
            {"status": 400, "error": "Bad Request", "response": {"message": [{"exists": False}]}},
            ErrorClass.PERMANENT,
            "not_on_whatsapp",
        ),
        (401, {"status": 401, "error": "Unauthorized", "response": {"message": "x"}}, ErrorClass.STOP, "http_401"),
        (500, {"status": 500, "error": "Internal", "response": {"message": "x"}}, ErrorClass.UNKNOWN, "http_500"),
    ],
)  # fmt: skip
def test_evolution_error_answers(
    make_message: Any, status: int, body: Any, expected: ErrorClass, code: str
) -> None:
    far = FarEnd(lambda r: httpx.Response(status, json=body))
    [result] = run_send(EVOLUTION, far, make_message())
    assert (result.error_class, result.code) == (expected, code)
