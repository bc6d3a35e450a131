"""Each provider's answer table: every code DESIGN.md and the research name, one class each.

Bodies come from recorded payloads (tests/data/meta, tests/data/twilio) or Meta's envelope built
around a code. The same table drives send(): a few rows are also checked through interpret().
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from fluigbot.errors import AuthRejected, ProviderStop
from fluigbot.whatsapp import (
    ErrorClass,
    ProviderConfig,
    SendResult,
    cloud,
    evolution,
    make_provider,
    stop_error,
    twilio,
)
from fluigbot.whatsapp.base import retry_after_seconds, transport_failure

DATA = Path(__file__).resolve().parents[1] / "data"
R, T, U, P, S = (
    ErrorClass.RATE_LIMITED,
    ErrorClass.RETRYABLE,
    ErrorClass.UNKNOWN,
    ErrorClass.PERMANENT,
    ErrorClass.STOP,
)


def meta(code: int, **extra: Any) -> dict[str, Any]:
    return {"error": {"message": f"(#{code}) x", "type": "OAuthException", "code": code, **extra}}


def recorded(name: str) -> Any:
    return json.loads((DATA / name).read_text())


META_TABLE = [
    # rate limited
    (400, meta(4), R),
    (400, recorded("meta/error_4.json"), R),
    (429, recorded("meta/error_80007.json"), R),
    (400, recorded("meta/error_130429.json"), R),
    (400, meta(131056), R),
    # retryable: Meta's envelope says it failed
    (500, meta(1), T),
    (500, recorded("meta/error_2.json"), T),
    (500, meta(131000), T),
    (503, meta(131016), T),
    (400, meta(131057), T),
    (400, meta(999999, is_transient=True), T),
    (502, meta(999999), T),
    # unknown: no Graph envelope
    (502, "<html>502 Bad Gateway</html>", U),
    (504, None, U),
    (500, {"message": "not graph"}, U),
    (408, None, U),
    # permanent for this recipient
    (400, recorded("meta/error_131026.json"), P),
    (400, recorded("meta/error_131047.json"), P),
    (400, meta(131021), P),
    (400, meta(131030), P),
    (400, meta(131049), P),
    (400, meta(132018), P),
    (400, recorded("meta/error_100_2494010.json"), P),
    (400, meta(999999), P),  # unlisted 4xx: permanent, documented
    (413, None, P),
    # stop: template or account
    (400, meta(132000), S),
    (404, recorded("meta/error_132001.json"), S),
    (400, meta(132005), S),
    (400, meta(132007), S),
    (400, meta(132015), S),
    (400, meta(132016), S),
    (403, meta(368), S),
    (400, meta(131042), S),
    (403, meta(131031), S),
    (400, recorded("meta/error_100_named.json"), S),
    (404, "<html>Not Found</html>", S),
    (301, None, S),
    # stop: auth
    (401, meta(0), S),
    (401, recorded("meta/error_190.json"), S),
    (403, meta(10), S),
    (403, meta(200), S),
    (401, None, S),
    # rate limited without an envelope
    (429, None, R),
]
META_AUTH = {0, 10, 190, 200}


@pytest.mark.parametrize(("status", "body", "expected"), META_TABLE)
def test_meta_table(status: int, body: Any, expected: ErrorClass) -> None:
    assert cloud.classify(status, body) is expected


TWILIO_TABLE = [
    (429, recorded("twilio/error_20429.json"), R),
    (429, recorded("twilio/error_63018.json"), R),
    (429, None, R),
    (503, {"code": 20503, "message": "Service unavailable", "status": 503}, T),
    (500, {"code": 20500, "message": "Internal Server Error", "status": 500}, U),
    (502, "<html>bad gateway</html>", U),
    (400, recorded("twilio/error_21211.json"), P),
    (400, {"code": 63003, "message": "Channel could not find To address", "status": 400}, P),
    (400, {"code": 21610, "message": "unsubscribed recipient", "status": 400}, P),
    (400, {"code": 12345, "message": "unlisted", "status": 400}, P),
    (401, recorded("twilio/error_20003.json"), S),
    (400, {"code": 63007, "message": "not a WhatsApp sender", "status": 400}, S),
    (400, recorded("twilio/error_63016.json"), S),
    (404, {"code": 20404, "message": "not found", "status": 404}, S),
]


@pytest.mark.parametrize(("status", "body", "expected"), TWILIO_TABLE)
def test_twilio_table(status: int, body: Any, expected: ErrorClass) -> None:
    assert twilio.classify(status, body) is expected


def evo(status: int, message: Any) -> dict[str, Any]:
    return {"status": status, "error": "Bad Request", "response": {"message": message}}


NOT_ON_WA = [{"jid": "5511987654321@s.whatsapp.net", "exists": False, "number": "5511987654321"}]
EVOLUTION_TABLE = [
    (400, evo(400, NOT_ON_WA), P),
    (400, evo(400, ["Error: Connection Closed"]), T),
    (401, evo(401, "Unauthorized"), S),
    (404, evo(404, 'The "x" instance does not exist'), S),
    (429, evo(429, "slow down"), R),
    (500, evo(500, "Internal error"), U),
    (502, "<html>bad gateway</html>", U),
    (401, None, S),
]


@pytest.mark.parametrize(("status", "body", "expected"), EVOLUTION_TABLE)
def test_evolution_table(status: int, body: Any, expected: ErrorClass) -> None:
    assert evolution.classify(status, body) is expected


@pytest.mark.parametrize("classify", [cloud.classify, twilio.classify, evolution.classify])
@pytest.mark.parametrize(
    ("exc", "expected"),
    [
        (httpx.ConnectError("refused"), T),
        (httpx.ConnectTimeout("slow"), T),
        (httpx.ReadTimeout("no answer"), U),
        (httpx.RemoteProtocolError("dropped"), U),
    ],
)
def test_transport_failures(classify: Any, exc: Exception, expected: ErrorClass) -> None:
    assert classify(None, None, exc) is expected
    assert transport_failure(exc).error_class is expected  # type: ignore[arg-type]


def _cloud() -> Any:
    cfg = ProviderConfig(provider="cloud", phone_number_id="1", base_url="http://127.0.0.1:9")
    return make_provider(cfg, "t")


@pytest.mark.parametrize(("status", "body", "expected"), META_TABLE)
def test_cloud_interpret_follows_the_table(status: int, body: Any, expected: ErrorClass) -> None:
    content = json.dumps(body).encode() if not isinstance(body, str) else body.encode()
    result = _cloud().interpret(httpx.Response(status, content=content if body else b""))
    assert not result.ok
    assert result.error_class is expected
    code = body["error"]["code"] if isinstance(body, dict) and "error" in body else None
    assert result.auth == (code in META_AUTH or (code is None and status in (401, 403)))


def test_error_details_carry_no_phone_number() -> None:
    body = recorded("meta/error_100_2494010.json")
    result = _cloud().interpret(httpx.Response(400, json=body))
    assert "987654321" not in (result.detail or "")
    assert result.code == "100"
    cfg = ProviderConfig(provider="twilio", account_sid="AC1", from_number="+1")
    tw = make_provider(cfg, "t").interpret(  # type: ignore[attr-defined]
        httpx.Response(400, json=recorded("twilio/error_21211.json"))
    )
    assert tw.code == "21211" and "987654321" not in (tw.detail or "")


def test_retry_after_from_header_or_meta_usage() -> None:
    assert retry_after_seconds(httpx.Headers({"Retry-After": "7"})) == 7.0
    assert retry_after_seconds(
        httpx.Headers({"Retry-After": "Wed, 21 Oct 2015 07:28:10 GMT"}), now=1445412480.0
    ) == pytest.approx(10.0)
    usage = '{"1":[{"type":"whatsapp","estimated_time_to_regain_access":2}]}'
    assert retry_after_seconds(httpx.Headers({"x-business-use-case-usage": usage})) == 120.0
    zero = '{"1":[{"type":"whatsapp","estimated_time_to_regain_access":0}]}'
    assert retry_after_seconds(httpx.Headers({"x-business-use-case-usage": zero})) is None
    assert retry_after_seconds(httpx.Headers({"x-business-use-case-usage": "garbage"})) is None


def test_stop_results_become_the_right_exit_codes() -> None:
    auth = SendResult(ok=False, error_class=S, code="190", detail="expired", auth=True)
    template = SendResult(ok=False, error_class=S, code="132001", detail="no such template")
    assert isinstance(stop_error(auth, "cloud"), AuthRejected)
    assert stop_error(auth, "cloud").exit_code == 4
    assert isinstance(stop_error(template, "cloud"), ProviderStop)
    assert stop_error(template, "cloud").exit_code == 2
    assert "132001" in str(stop_error(template, "cloud"))
