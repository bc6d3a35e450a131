"""Recording what fetch read: a page of Fetched items in one append (Journal.record_fetched_many).

Kept apart from store.py, which holds the Journal's API: this is the one bulk path, and its
speed decides how fast a large fetch is.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from fluigbot.journal import numbers
from fluigbot.journal.entry import Entry, EntryKey, Fetched, ts

if TYPE_CHECKING:
    from fluigbot.journal.crypto import Keys
    from fluigbot.journal.store import Journal


def record_many(journal: Journal, items: Sequence[Fetched]) -> list[tuple[str, Entry | None]]:
    """See Journal.record_fetched_many."""
    st = journal._st
    st.require_lock()
    keys = journal.keys
    now = ts(st.now())
    here: dict[EntryKey, dict[str, Any]] = {}  # recorded earlier in this batch
    outcomes: list[str] = []
    recs: list[dict[str, Any]] = []
    for item in items:
        status, phone = item.status, item.phone
        if status not in ("pending", "skipped"):
            raise ValueError("record_fetched status must be 'pending' or 'skipped'")
        if status == "pending" and not phone:
            raise ValueError("a pending request needs a phone")
        key = (item.source, item.request_id)
        old = here.get(key)
        if old is None:
            block = st.latest_block(key)
            old = block.record() if block is not None else None
        if old is not None and not (old["status"] == "skipped" and status == "pending"):
            outcomes.append("known")
            continue
        outcomes.append("new" if old is None else "updated")
        aad = f"\x00{key[0]}\x00{key[1]}"
        masked = item.phone_masked
        fields: dict[str, Any] = {
            "source": key[0],
            "request_id": key[1],
            "status": status,
            "process_id": item.process_id,
            "reason": item.reason,
            "created_at": old.get("created_at", now) if old is not None else now,
            "start_date": item.start_date,
            "form_id": item.form_id,
            "form_record_id": item.form_record_id,
            "state_sequence": item.state_sequence,
            "thread_sequence": item.thread_sequence,
            "movement_sequence": item.movement_sequence,
            "phone_ref": keys.phone_ref(phone) if phone else None,
            "phone_masked": (masked or numbers.mask(phone)) if phone else masked,
            "phone": keys.encrypt(phone, "phone" + aad) if phone else None,
            "name": _seal(keys, item.name, "name" + aad),
            "description": _seal(keys, item.description, "description" + aad),
        }
        if old is None:
            rec = {"attempts": 0, **fields}
        else:
            rec = dict(old)
            rec.update(fields)
        here[key] = rec
        recs.append(rec)
    st.append(recs, keep_records=False)  # gives each rec its seq and time
    written = iter(recs)
    seen: dict[str, datetime] = {}
    return [
        (outcome, None if outcome == "known" else _fetched_entry(next(written), item, seen))
        for item, outcome in zip(items, outcomes, strict=True)
    ]


def _dt(value: Any) -> datetime | None:
    if value is None:
        return None
    return value if isinstance(value, datetime) else datetime.fromisoformat(value)


def _seal(keys: Keys, value: str | None, aad: str) -> str | None:
    return None if value is None else keys.encrypt(value, aad)


def _fetched_entry(rec: dict[str, Any], item: Fetched, seen: dict[str, datetime]) -> Entry:
    """The entry fetch just recorded, from its record and the clear values it was made of.
    `seen` keeps the times already parsed: a page shares one or two."""
    created, at = rec["created_at"], rec["at"]
    if created not in seen:
        seen[created] = datetime.fromisoformat(created)
    if at not in seen:
        seen[at] = datetime.fromisoformat(at)
    return Entry(
        source=rec["source"],
        request_id=rec["request_id"],
        process_id=rec["process_id"],
        status=rec["status"],
        reason=rec["reason"],
        phone=item.phone,
        phone_masked=rec["phone_masked"],
        wa_id=None,
        name=item.name,
        description=item.description,
        start_date=_dt(item.start_date),
        attempts=int(rec["attempts"]),
        message_id=rec.get("message_id"),
        error_code=rec.get("error_code"),
        error_message=None,
        next_attempt_at=_dt(rec.get("next_attempt_at")),
        created_at=seen[created],
        updated_at=seen[at],
        sent_at=_dt(rec.get("sent_at")),
        form_id=item.form_id,
        form_record_id=item.form_record_id,
        state_sequence=item.state_sequence,
        thread_sequence=item.thread_sequence,
        movement_sequence=item.movement_sequence,
        mark_state=rec.get("mark_state"),
        mark_error=None,
        phone_ref=rec["phone_ref"],
        scrubbed=rec.get("scrubbed"),
    )
