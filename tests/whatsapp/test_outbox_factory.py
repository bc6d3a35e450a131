"""The outbox (sends nothing, writes JSON Lines 0600) and the provider factory."""

from __future__ import annotations

import asyncio
import json
import stat
from pathlib import Path
from typing import Any

import pytest

from fluigbot.errors import ConfigError, CredentialError
from fluigbot.whatsapp import ProviderConfig, make_provider
from fluigbot.whatsapp.outbox import OutboxProvider, default_outbox_path


def test_outbox_appends_one_private_line_per_message(tmp_path: Path, make_message: Any) -> None:
    path = tmp_path / "review" / "outbox.jsonl"
    provider = make_provider(ProviderConfig(provider="outbox", outbox_path=path), None)

    async def run() -> list[Any]:
        return list(
            await asyncio.gather(
                *(provider.send(make_message(request_id=str(i))) for i in range(20))
            )
        )

    results = asyncio.run(run())
    assert all(r.ok and r.message_id.startswith("outbox-") for r in results)
    lines = [json.loads(line) for line in path.read_text().splitlines()]
    assert len(lines) == 20
    assert {line["id"] for line in lines} == {r.message_id for r in results}
    first = next(line for line in lines if line["request_id"] == "0")
    assert first["to"] == "+5511987654321"
    assert first["template"] == "primeiro_contato"
    assert first["parameters"] == [
        {"name": "nome", "value": "Maria"},
        {"name": "numero", "value": "0"},
    ]
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700


def test_no_provider_means_the_outbox_outside_the_state_dir(isolated_env: Path) -> None:
    provider = make_provider(ProviderConfig(), None)
    assert isinstance(provider, OutboxProvider)
    assert provider.path == default_outbox_path()
    assert isolated_env / "state" not in provider.path.parents


@pytest.mark.parametrize(
    ("cfg", "missing"),
    [
        (ProviderConfig(provider="cloud"), "whatsapp.phone_number_id"),
        (ProviderConfig(provider="twilio", account_sid="AC1"), "whatsapp.from_number"),
        (ProviderConfig(provider="twilio", from_number="+1"), "whatsapp.account_sid"),
        (ProviderConfig(provider="evolution", instance="x"), "whatsapp.base_url"),
        (ProviderConfig(provider="evolution", base_url="http://e"), "whatsapp.instance"),
        (ProviderConfig(provider="telegram"), "whatsapp.provider"),
    ],
)
def test_factory_names_the_missing_key(cfg: ProviderConfig, missing: str) -> None:
    with pytest.raises(ConfigError) as err:
        make_provider(cfg, "token")
    assert err.value.exit_code == 2
    assert missing in str(err.value)


def test_factory_asks_for_the_token_by_its_variable() -> None:
    with pytest.raises(CredentialError) as err:
        make_provider(ProviderConfig(provider="cloud", phone_number_id="1"), None)
    assert err.value.exit_code == 3
    assert "FLUIGBOT_WHATSAPP_TOKEN" in str(err.value)


def test_reprs_hold_no_secret_or_phone(make_message: Any) -> None:
    provider = make_provider(ProviderConfig(provider="cloud", phone_number_id="1"), "s3cret")
    msg = make_message("+5511987654321")
    assert "s3cret" not in repr(provider)
    assert "987654321" not in repr(msg) and "Maria" not in repr(msg)
    asyncio.run(provider.aclose())
