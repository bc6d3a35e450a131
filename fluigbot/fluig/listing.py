"""A listing page read the fast way: msgspec decodes only the fields fetch uses.

Fluig's v2 `Request` objects are about 2 KB each (movements, state descriptions, `_expandables`);
fetch needs a tenth of that. Decoding the page into the typed structs below skips the rest without
building it, which makes decoding and parsing a page several times cheaper than `json.loads`
followed by `parse_request`.

Every value stays typed `Any`, then goes through the same rules as the careful path
(`build_request`, `fields_of`, `position_of` in requests.py), so numbers written as text, nulls
and odd dates give the same FluigRequest. A page this cannot take as it is (a shape the structs
do not allow, malformed JSON, an item that cannot be keyed) gives None: the caller then reads it
the careful way, which says precisely what is wrong. A test holds the two ways to the same
requests.
"""

from __future__ import annotations

from typing import Any

import msgspec

from fluigbot.fluig.requests import Movement, as_int, build_request, fields_of, position_of
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
    return build_request(
        source,
        request_id,
        process_id=item.processId,
        requester_name=item.requester.name if item.requester is not None else None,
        start_date=item.startDate,
        status=item.status,
        fields=fields_of((e.field or e.fieldId, e.value) for e in item.formFields or ()),
        form_id=item.formId,
        form_record_id=item.formRecordId,
        position=position_of(_movements(item.currentMovements), _movements(item.activities)),
    )


def _movements(moves: list[_Movement] | None) -> list[Movement] | None:
    if moves is None:
        return None
    return [
        (m.active, m.threadSequence, m.movementSequence,
         m.state.sequence if m.state is not None else None, m.stateSequence)
        for m in moves
    ]  # fmt: skip
