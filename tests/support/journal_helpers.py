"""Helpers shared by the journal tests (imported by name: tests/support is on pytest's pythonpath)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from fluigbot.journal import Journal
from fluigbot.models import FluigRequest

KEY = "test-journal-key-0123456789abcdefghij"
SOURCE = "https://fluig.example.com"


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2025, 3, 10, 13, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kw: float) -> None:
        self.now += timedelta(**kw)


def req(rid: int | str, source: str = SOURCE, **kw: object) -> FluigRequest:
    return FluigRequest(source=source, request_id=str(rid), process_id="abertura_chamado", **kw)  # type: ignore[arg-type]


def phone(n: int) -> str:
    """A distinct valid-looking BR mobile per n: +55 11 9XXXX-XXXX."""
    return f"+55119{n:08d}"


def fetch(j: Journal, rid: int | str, ph: str | None = None, *, name: str = "Maria Silva",
          source: str = SOURCE, **kw: object) -> str:  # fmt: skip
    status = "pending" if ph else "skipped"
    return j.record_fetched(
        req(rid, source, **kw), phone=ph, phone_masked=None, name=name,
        description="Impressora do 3º andar não imprime", status=status,
        reason=None if ph else "invalid",
    )  # fmt: skip
