"""The Cloud API provider against the simulator over loopback: what the far end received, and the
class each answer became."""

from __future__ import annotations

import asyncio
import dataclasses
from typing import Any

import pytest

from fluigbot.demo.cloud_sim import CloudSimulator
from fluigbot.whatsapp import ErrorClass, ProviderConfig, SendResult, make_provider


def send(cfg: ProviderConfig, *messages: Any, token: str = "demo-token") -> list[SendResult]:
    async def run() -> list[SendResult]:
        provider = make_provider(cfg, token)
        try:
            return list(await asyncio.gather(*(provider.send(m) for m in messages)))
        finally:
            await provider.aclose()

    return asyncio.run(run())


def test_a_template_message_reaches_the_far_end_once_with_its_parameters(
    cloud_sim: CloudSimulator, cloud_cfg: ProviderConfig, make_message: Any
) -> None:
    [result] = send(cloud_cfg, make_message("+5511987654321", request_id="4242"))
    assert result.ok
    assert result.message_id and result.message_id.startswith("wamid.")
    assert result.wa_id == "5511987654321"
    [got] = cloud_sim.received
    assert (got.to, got.template, got.language) == ("5511987654321", "primeiro_contato", "pt_BR")
    assert got.parameters == ["Maria", "4242"]
    assert got.parameter_names == [None, None]
    assert got.message_id == result.message_id


def test_named_parameters_carry_their_names(
    cloud_sim: CloudSimulator, cloud_cfg: ProviderConfig, make_message: Any
) -> None:
    [result] = send(cloud_cfg, make_message(fmt="named"))
    assert result.ok
    assert cloud_sim.received[0].parameter_names == ["nome", "numero"]


def test_an_old_brazilian_account_answers_with_a_12_digit_wa_id(
    cloud_sim: CloudSimulator, cloud_cfg: ProviderConfig, make_message: Any
) -> None:
    [result] = send(cloud_cfg, make_message("+5531987654321"))
    assert result.ok and result.wa_id == "553187654321"
    assert cloud_sim.received[0].to == "5531987654321"  # sent as given, never "repaired"


def test_many_messages_each_reach_their_own_recipient(
    cloud_sim: CloudSimulator, cloud_cfg: ProviderConfig, make_message: Any
) -> None:
    numbers = [f"+55119{n:08d}" for n in range(40)]
    results = send(cloud_cfg, *(make_message(n, request_id=str(i)) for i, n in enumerate(numbers)))
    assert all(r.ok for r in results)
    assert len({r.message_id for r in results}) == 40
    assert sorted(r.to for r in cloud_sim.received) == sorted(n[1:] for n in numbers)
    assert all(cloud_sim.delivered_to(n) == 1 for n in numbers)


@pytest.mark.parametrize(
    ("code", "expected", "auth"),
    [
        (130429, ErrorClass.RATE_LIMITED, False),
        (131056, ErrorClass.RATE_LIMITED, False),
        (131016, ErrorClass.RETRYABLE, False),
        (2, ErrorClass.RETRYABLE, False),
        (131026, ErrorClass.PERMANENT, False),
        (131047, ErrorClass.PERMANENT, False),
        (132001, ErrorClass.STOP, False),
        (132015, ErrorClass.STOP, False),
        (368, ErrorClass.STOP, False),
        (190, ErrorClass.STOP, True),
    ],
)
def test_each_meta_error_class_over_the_wire(
    cloud_sim: CloudSimulator,
    cloud_cfg: ProviderConfig,
    make_message: Any,
    code: int,
    expected: ErrorClass,
    auth: bool,
) -> None:
    cloud_sim.fail("+5511987654321", code)
    bad, good = send(cloud_cfg, make_message("+5511987654321"), make_message("+5511912345678"))
    assert (bad.ok, bad.error_class, bad.code, bad.auth) == (False, expected, str(code), auth)
    assert bad.message_id is None
    assert good.ok  # other numbers are unaffected
    assert cloud_sim.delivered_to("+5511987654321") == 0
    assert cloud_sim.delivered_to("+5511912345678") == 1


def test_rate_limit_carries_the_wait_from_metas_usage_header(
    cloud_sim: CloudSimulator, cloud_cfg: ProviderConfig, make_message: Any
) -> None:
    cloud_sim.fail(None, 80007, regain_minutes=3)
    [result] = send(cloud_cfg, make_message())
    assert result.error_class is ErrorClass.RATE_LIMITED
    assert result.retry_after == 180.0


def test_a_failure_for_a_number_of_times_then_success(
    cloud_sim: CloudSimulator, cloud_cfg: ProviderConfig, make_message: Any
) -> None:
    cloud_sim.fail("5511987654321", 131000, times=2)
    results = [send(cloud_cfg, make_message())[0] for _ in range(3)]
    assert [r.error_class for r in results] == [ErrorClass.RETRYABLE, ErrorClass.RETRYABLE, None]
    assert cloud_sim.delivered_to("+5511987654321") == 1
    assert len(cloud_sim.received) == 3


def test_a_wrong_token_is_an_auth_stop_and_nothing_is_recorded(
    cloud_sim: CloudSimulator, cloud_cfg: ProviderConfig, make_message: Any
) -> None:
    [result] = send(cloud_cfg, make_message(), token="wrong")
    assert (result.error_class, result.auth, result.code) == (ErrorClass.STOP, True, "190")
    assert cloud_sim.received == []
    assert cloud_sim.rejected == [(401, "token")]


def test_a_read_timeout_after_the_request_went_out_is_unknown(
    cloud_sim: CloudSimulator, cloud_cfg: ProviderConfig, make_message: Any
) -> None:
    cloud_sim.fail("+5511987654321", "timeout")
    cfg = dataclasses.replace(cloud_cfg, timeout=0.3)
    [result] = send(cfg, make_message())
    assert (result.error_class, result.code) == (ErrorClass.UNKNOWN, "read_timeout")
    assert cloud_sim.delivered_to("+5511987654321") == 1  # the far end did get it


def test_a_dropped_connection_is_unknown(
    cloud_sim: CloudSimulator, cloud_cfg: ProviderConfig, make_message: Any
) -> None:
    cloud_sim.fail("+5511987654321", "drop")
    [result] = send(cloud_cfg, make_message())
    assert (result.error_class, result.code) == (ErrorClass.UNKNOWN, "connection_dropped")


def test_a_proxy_502_page_is_unknown(
    cloud_sim: CloudSimulator, cloud_cfg: ProviderConfig, make_message: Any
) -> None:
    cloud_sim.fail("+5511987654321", "proxy_502")
    [result] = send(cloud_cfg, make_message())
    assert (result.error_class, result.code) == (ErrorClass.UNKNOWN, "http_502")


def test_a_connection_that_never_opened_is_retryable(make_message: Any) -> None:
    with CloudSimulator() as sim:
        url = sim.url  # the port is closed once the simulator stops
    cfg = ProviderConfig(provider="cloud", base_url=url, phone_number_id="123456789")
    [result] = send(cfg, make_message())
    assert (result.error_class, result.code) == (ErrorClass.RETRYABLE, "connect_error")


def test_a_2xx_without_a_message_id_is_unknown(make_message: Any) -> None:
    import httpx

    transport = httpx.MockTransport(lambda request: httpx.Response(200, text="<html>ok</html>"))
    cfg = ProviderConfig(provider="cloud", phone_number_id="123456789")

    async def run() -> SendResult:
        provider = make_provider(cfg, "t", transport=transport)
        return await provider.send(make_message())

    result = asyncio.run(run())
    assert (result.ok, result.error_class) == (False, ErrorClass.UNKNOWN)


def test_the_request_is_what_meta_documents(cloud_cfg: ProviderConfig, make_message: Any) -> None:
    provider = make_provider(cloud_cfg, "secret-token")
    req = provider.build_request(make_message(fmt="named"))
    assert req.method == "POST"
    assert req.url == f"{cloud_cfg.base_url}/v23.0/123456789/messages"
    assert req.headers["Authorization"] == "Bearer secret-token"
    assert req.redacted().headers["Authorization"] == "***"
    assert req.body == {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": "5511987654321",
        "type": "template",
        "template": {
            "name": "primeiro_contato",
            "language": {"code": "pt_BR", "policy": "deterministic"},
            "components": [
                {
                    "type": "body",
                    "parameters": [
                        {"type": "text", "text": "Maria", "parameter_name": "nome"},
                        {"type": "text", "text": "1001", "parameter_name": "numero"},
                    ],
                }
            ],
        },
    }
    asyncio.run(provider.aclose())


def test_doctor_helpers_read_the_number_and_the_template(
    cloud_sim: CloudSimulator, cloud_cfg: ProviderConfig
) -> None:
    cfg = dataclasses.replace(cloud_cfg, waba_id="987654321")

    async def run() -> tuple[Any, Any]:
        provider: Any = make_provider(cfg, "demo-token")
        try:
            return await provider.phone_number_info(), await provider.template_info(
                "primeiro_contato"
            )
        finally:
            await provider.aclose()

    (status, number), (tstatus, templates) = asyncio.run(run())
    assert status == 200 and number["id"] == "123456789"
    assert tstatus == 200
    assert [(t["name"], t["language"], t["status"]) for t in templates["data"]] == [
        ("primeiro_contato", "pt_BR", "APPROVED")
    ]


@pytest.mark.parametrize(
    "body",
    [
        {"messages": [{"id": "wamid.X"}], "contacts": ["odd"]},
        {"messages": [{"id": "wamid.X"}]},
        {"messages": [{"id": "wamid.X"}], "contacts": [{"input": "1", "user_id": "BR.123"}]},
    ],
)
def test_odd_but_accepted_answers_keep_the_message_id(body: Any, make_message: Any) -> None:
    import httpx

    transport = httpx.MockTransport(lambda request: httpx.Response(200, json=body))
    cfg = ProviderConfig(provider="cloud", phone_number_id="123456789")

    async def run() -> SendResult:
        provider = make_provider(cfg, "t", transport=transport)
        return await provider.send(make_message())

    result = asyncio.run(run())
    assert result.ok and result.message_id == "wamid.X"
    assert result.wa_id in (None, "BR.123")
