"""The outbox "provider": appends each message to a JSON Lines file and sends nothing to anyone.

For review and manual sending, and what a config without ``whatsapp.provider`` uses. The file
holds phone numbers and names in clear, so it is created 0600 in a 0700 folder, and it lives
outside the state dir (the journal is encrypted; this file is meant to be read by a person).
Each line is appended with one write and fsynced before ``send()`` reports success.
"""

from __future__ import annotations

import asyncio
import json
import os
import threading
import uuid
from datetime import UTC, datetime
from pathlib import Path

import platformdirs

from fluigbot.whatsapp.base import HttpRequest, Message, ProviderConfig, SendResult


def default_outbox_path() -> Path:
    return platformdirs.user_data_path("fluigbot") / "outbox.jsonl"


class OutboxProvider:
    name = "outbox"

    def __init__(self, cfg: ProviderConfig) -> None:
        path = Path(cfg.outbox_path).expanduser() if cfg.outbox_path else default_outbox_path()
        self.path = path.absolute()
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"OutboxProvider(path={str(self.path)!r})"

    def record(self, msg: Message, message_id: str) -> dict[str, object]:
        return {
            "id": message_id,
            "written_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "source": msg.key[0],
            "request_id": msg.key[1],
            "to": msg.to,
            "template": msg.template,
            "language": msg.language,
            "parameter_format": msg.parameter_format,
            "parameters": [{"name": n, "value": v} for n, v in msg.parameters],
            "text": msg.text,
        }

    def build_request(self, msg: Message) -> HttpRequest:
        return HttpRequest("APPEND", self.path.as_uri(), {}, self.record(msg, "outbox-<new>"))

    def _append(self, line: bytes) -> None:
        with self._lock:
            self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            try:
                os.write(fd, line)
                os.fsync(fd)
            finally:
                os.close(fd)

    async def send(self, msg: Message) -> SendResult:
        message_id = f"outbox-{uuid.uuid4()}"
        line = json.dumps(self.record(msg, message_id), ensure_ascii=False) + "\n"
        await asyncio.to_thread(self._append, line.encode())
        return SendResult(ok=True, message_id=message_id)

    async def aclose(self) -> None:
        return None
