"""Contract tests of the whole `fluigbot send`: Prism serves the Meta and the Twilio specs (with
`--errors`, a request that breaks the spec gets a 422 and a validator line), and every message of
a small batch must pass. Uses the session's Prism fixtures (tests/conftest.py); skipped where Prism or
../shared is missing."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from dispatch_helpers import add_pending, config_text, phone, statuses

pytestmark = pytest.mark.prism

TWILIO_SID = "AC" + "0123456789abcdef" * 2
CONTENT_SID = "HX" + "fedcba9876543210" * 2


def _send(home: Path, run: Any, journal: Any, text: str, prism: Any) -> list[dict[str, Any]]:
    (home / "config.toml").write_text(text, encoding="utf-8")
    keys = add_pending(journal, [phone(i) for i in range(3)], names=["JOÃO D'ÁVILA", "Ana", "Zé"])
    since = len(prism.log())
    result = run("send", "--yes", "--json")
    assert prism.errors(since) == []
    assert result.exit_code == 0, result.stderr
    assert statuses(journal, keys) == ["sent"] * 3
    return json.loads(result.stdout)["requests"]  # type: ignore[no-any-return]


@pytest.mark.parametrize("fmt", ["positional", "named"])
def test_send_follows_the_meta_spec(home, journal, run, prism_meta, fmt):
    text = config_text(prism_meta.url, message={"parameter_format": fmt})
    records = _send(home, run, journal, text, prism_meta)
    assert all(r["message_id"].startswith("wamid.") for r in records)


def test_send_follows_the_twilio_spec(home, journal, run, prism_twilio):
    text = config_text(
        prism_twilio.url,
        whatsapp={
            "provider": "twilio",
            "account_sid": TWILIO_SID,
            "from_number": "+551140000000",
            "phone_number_id": "",
        },
        message={"template": CONTENT_SID},
    )
    records = _send(home, run, journal, text, prism_twilio)
    assert all(r["message_id"].startswith(("SM", "MM")) for r in records)
