"""The sample the demo and the sandbox serve: a few dozen Brazilian requests, among them the
phones that must be skipped, an old account whose wa_id has 12 digits, and numbers that fail
with real Cloud API error codes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from fluigbot.demo.fluig_sim import sample_item

PROCESS_ID = "abertura_chamado"
TOKEN = "demo-token"
PHONE_NUMBER_ID = "123456789"

OLD_ACCOUNT = "(11) 97654-3210"  # registered before the ninth digit: wa_id 551176543210
FAILS_ONCE = "(21) 98123-4567"  # 131000 "Something went wrong" once: failed, then retried
UNDELIVERABLE = "(31) 99234-5678"  # 131026 "Message Undeliverable": dead

ODD_PHONES: dict[int, str] = {
    3: "(11) 3456-7890",  # landline
    7: "(11) 98765-4321 / (21) 99876-5432",  # two mobiles in one field
    11: "(11) 8765-4321",  # missing ninth digit
    15: "",  # empty
    19: "98765-4321",  # no area code
    23: "(11) 99999-9999",  # a placeholder
    5: OLD_ACCOUNT,
    9: FAILS_ONCE,
    13: UNDELIVERABLE,
    17: "cel: +55 (41) 9 8877-6655 ramal 12",  # free text, extension dropped
    21: "0800 123 4567",  # not a person's number
}


@dataclass(frozen=True)
class Sample:
    items: list[dict[str, Any]]
    old_accounts: tuple[str, ...] = (OLD_ACCOUNT,)


def sample(count: int = 36, *, now: datetime | None = None) -> Sample:
    """`count` requests started over the last few hours (so an incremental fetch sees them)."""
    start = (now or datetime.now(UTC)) - timedelta(hours=6)
    items = [
        sample_item(
            n,
            phone=ODD_PHONES.get(n),
            process_id=PROCESS_ID,
            start=start + timedelta(minutes=9 * n),
        )
        for n in range(1, count + 1)
    ]
    return Sample(items)
