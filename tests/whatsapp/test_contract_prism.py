"""Contract tests: one message through each official provider to Prism serving the vendor's spec.

Prism runs with `--errors`: a request that breaks the spec gets a 422 and a validator line in the
log. Any such finding fails the test, and the provider must read Prism's example answer as a
success. Skipped where Prism or ../shared is missing.
"""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest

from fluigbot.whatsapp import ProviderConfig, make_provider

pytestmark = pytest.mark.prism

TWILIO_SID = "AC" + "0123456789abcdef" * 2
CONTENT_SID = "HX" + "fedcba9876543210" * 2
SERVICE_SID = "MG" + "00112233445566778899aabbccddeeff"


async def _send_one(cfg: ProviderConfig, token: str, msg: Any) -> tuple[Any, list[str]]:
    violations: list[str] = []

    async def watch(response: httpx.Response) -> None:
        if response.headers.get("sl-violations"):
            violations.append(response.headers["sl-violations"])
        await response.aread()
        if response.status_code == 422:
            violations.append(response.text)

    async with httpx.AsyncClient(timeout=30.0, event_hooks={"response": [watch]}) as client:
        provider = make_provider(cfg, token, client=client)
        result = await provider.send(msg)
    return result, violations


@pytest.mark.parametrize("fmt", ["positional", "named"])
def test_cloud_template_message_follows_the_meta_spec(
    prism_meta: Any, fmt: str, make_message: Any
) -> None:
    since = len(prism_meta.log())
    cfg = ProviderConfig(provider="cloud", base_url=prism_meta.url, phone_number_id="123456789")
    result, violations = asyncio.run(_send_one(cfg, "EAAB-test.token", make_message(fmt=fmt)))
    assert prism_meta.errors(since) == []
    assert violations == []
    assert result.ok, result
    assert result.message_id and result.message_id.startswith("wamid.")
    assert result.wa_id  # Prism's example contact


def test_cloud_spec_check_catches_a_broken_message(prism_meta: Any) -> None:
    """The contract test has teeth: a message without the language policy is refused."""
    since = len(prism_meta.log())
    body = {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": "5511987654321",
        "type": "template",
        "template": {"name": "primeiro_contato", "language": {"code": "pt_BR"}},
    }
    response = httpx.post(
        f"{prism_meta.url}/v23.0/123456789/messages",
        json=body,
        headers={"Authorization": "Bearer abc"},
        timeout=30,
    )
    assert response.status_code == 422
    assert any("policy" in line for line in prism_meta.errors(since))


@pytest.mark.parametrize(
    "sender",
    [{"from_number": "+551140000000"}, {"messaging_service_sid": SERVICE_SID}],
    ids=["from", "messaging_service"],
)
def test_twilio_content_message_follows_the_twilio_spec(
    prism_twilio: Any, sender: dict[str, str], make_message: Any
) -> None:
    since = len(prism_twilio.log())
    cfg = ProviderConfig(
        provider="twilio", base_url=prism_twilio.url, account_sid=TWILIO_SID, **sender
    )
    result, violations = asyncio.run(
        _send_one(cfg, "twilio-auth-token", make_message(template=CONTENT_SID))
    )
    assert prism_twilio.errors(since) == []
    assert violations == []
    assert result.ok, result
    assert result.message_id and result.message_id.startswith(("SM", "MM"))


def test_twilio_spec_check_catches_a_content_sid_that_is_not_one(
    prism_twilio: Any, make_message: Any
) -> None:
    since = len(prism_twilio.log())
    cfg = ProviderConfig(
        provider="twilio",
        base_url=prism_twilio.url,
        account_sid=TWILIO_SID,
        from_number="+551140000000",
    )
    result, violations = asyncio.run(
        _send_one(cfg, "twilio-auth-token", make_message(template="primeiro_contato"))
    )
    assert not result.ok
    assert any("ContentSid" in line for line in prism_twilio.errors(since) + violations)
