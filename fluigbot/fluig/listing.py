"""A listing page read the fast way: msgspec decodes only the fields fetch uses.

Fluig's v2 `Request` objects are about 2 KB each (movements, state descriptions, `_expandables`);
fetch needs a tenth of that. Decoding the page into the typed structs below skips the rest without
building it, which makes decoding and parsing a page several times cheaper than `json.loads`
followed by `parse_request`.

Every value stays typed `Any`, then goes through the same tolerant helpers as the careful path
(`_as_int`, `parse_fluig_datetime`, `field_text`), so numbers written as text, nulls and odd dates
give the same FluigRequest. A page this cannot take as it is (a shape the structs do not allow,
malformed JSON, an item that cannot be keyed) gives None: the caller then reads it the careful way,
which says precisely what is wrong. A test holds the two ways to the same requests.
"""

from __future__ import annotations

from typing import Any

import msgspec

from fluigbot.fluig.requests import as_int, field_text, parse_fluig_datetime
from fluigbot.models import FluigRequest


class _State(msgspec.Struct):
    sequence: Any = None


class _Movement(msgspec.Struct):
    active: Any = None
    threadSequence: Any = None  # Fluig's names
    movementSequence: Any = None
    stateSequence: Any = None
    state: _State | None = None


class _Field(msgspec.Struct):
    field: Any = None
    fieldId: Any = None
    value: Any = None


class _Requester(msgspec.Struct):
    name: Any = None


class _Item(msgspec.Struct):
    processInstanceId: Any = None
    processId: Any = None
    requester: _Requester | None = None
    formRecordId: Any = None
    formId: Any = None
    startDate: Any = None
    status: Any = None
    formFields: list[_Field] | None = None
    currentMovements: list[_Movement] | None = None
    activities: list[_Movement] | None = None


class _Page(msgspec.Struct):
    items: list[_Item] | None = None
    hasNext: Any = None


_DECODER = msgspec.json.Decoder(_Page)


def read_page(raw: bytes, source: str) -> tuple[list[FluigRequest], int, Any] | None:
    """(requests, items on the page, hasNext) or None when the page needs the careful path."""
    try:
        page = _DECODER.decode(raw)
    except (msgspec.DecodeError, msgspec.ValidationError):
        return None
    items = page.items or []
    requests = []
    for item in items:
        request = _request(item, source)
        if request is None:
            return None  # the careful path counts and logs it
        requests.append(request)
    return requests, len(items), page.hasNext


def _request(item: _Item, source: str) -> FluigRequest | None:
    request_id = as_int(item.processInstanceId)
    if request_id is None:
        return None
    name = item.requester.name if item.requester is not None else None
    name = (name.strip() or None) if isinstance(name, str) else None
    state, thread, movement = _position(item)
    process_id = item.processId
    status = item.status
    return FluigRequest(
        source=source,
        request_id=str(request_id),
        process_id=process_id if isinstance(process_id, str) else "",
        requester_name=name,
        start_date=parse_fluig_datetime(item.startDate),
        status=status if isinstance(status, str) else None,
        fields=_fields(item.formFields),
        form_id=as_int(item.formId),
        form_record_id=as_int(item.formRecordId),
        state_sequence=state,
        thread_sequence=thread,
        movement_sequence=movement,
    )


def _fields(raw: list[_Field] | None) -> dict[str, str]:
    fields: dict[str, str] = {}
    for entry in raw or ():
        name = entry.field or entry.fieldId
        if type(name) is str:
            value = entry.value
            fields[name] = value if type(value) is str else field_text(value)
    return fields


def _position(item: _Item) -> tuple[int | None, int | None, int | None]:
    """As requests.current_position, over the structs."""
    for moves, only_true in ((item.currentMovements, False), (item.activities, True)):
        if moves is None:
            continue
        if only_true:
            active = [m for m in moves if m.active is True]
        else:
            active = [m for m in moves if m.active is not False]
        if not active:
            continue
        main = next((m for m in active if as_int(m.threadSequence) == 0), active[0])
        seq = as_int(main.state.sequence) if main.state is not None else None
        if seq is None:
            seq = as_int(main.stateSequence)
        return seq, as_int(main.threadSequence), as_int(main.movementSequence)
    return None, None, None
