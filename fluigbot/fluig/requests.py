"""Reading requests from Fluig's v2 listing, page by page, and parsing them into FluigRequest.

`GET /process-management/api/v2/requests` (findRequests in fluig-process-management.swagger.json):
`processId` repeated, `status`, `initialStartDate`, `expand=formFields&expand=requester&
expand=currentMovements`, `order=processInstanceId`, `page`/`pageSize`, following `hasNext`.
One HTTP call per page, never one per request. Pages are yielded one at a time so the caller can
record page N before page N+1 is asked for: a failure on page 7 leaves pages 1-6 recorded.

Ordering by ascending processInstanceId keeps paging stable while new requests arrive: they land
after the last page instead of shifting earlier pages.

An item without a usable `processInstanceId` cannot be keyed in the journal, so it is skipped,
counted through `on_invalid(page, index, reason)` and logged (without its content); the rest of
the page and the next pages are still read. One odd row must not stop every other requester from
being contacted.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from fluigbot.errors import RemoteError
from fluigbot.fluig.ahead import PagesAhead, peek_has_next
from fluigbot.fluig.client import FluigClient, FluigHTTPError
from fluigbot.models import FluigRequest

__all__ = [
    "REQUESTS_PATH",
    "InvalidItem",
    "format_fluig_datetime",
    "iter_requests",
    "parse_fluig_datetime",
    "parse_request",
]

log = logging.getLogger("fluigbot.fluig")

REQUESTS_PATH = "/process-management/api/v2/requests"
FLUIG_ZONE = ZoneInfo("America/Sao_Paulo")  # for the rare date that comes without an offset
MAX_PAGE_SIZE = 1000  # the spec's maximum


class InvalidItem(ValueError):
    """A listing item that cannot become a FluigRequest (the reason never holds its content)."""


def iter_requests(
    client: FluigClient,
    *,
    source: str,
    process_ids: Sequence[str],
    since: datetime | None,
    min_id: int | None = None,
    page_size: int = 500,
    status: str | Sequence[str] | None = "OPEN",
    on_page: Callable[[int, int], None] | None = None,
    on_invalid: Callable[[int, int, str], None] | None = None,
    current_movements: bool = True,
    prefetch: bool = True,
) -> Iterator[list[FluigRequest]]:
    """Yields the requests of each page (a list, possibly empty) in processInstanceId order.

    `since` filters by start date (initialStartDate; a naive datetime is São Paulo time).
    `min_id` filters by processInstanceId >= min_id (initialProcessInstanceId). `on_page(page,
    items)` is called for each page read. `current_movements=False` asks for `activities`
    instead (Fluig 1.8 has no currentMovements); when True and Fluig answers 400 to the first
    page, the page is asked again with `activities`, once. `prefetch` asks for the next page
    while the caller handles the current one (a caller that stops early may leave one extra call).
    """
    if not 1 <= page_size <= MAX_PAGE_SIZE:
        raise ValueError(f"page_size must be between 1 and {MAX_PAGE_SIZE}")
    params: dict[str, Any] = {
        "processId": list(process_ids),
        "expand": [
            "formFields",
            "requester",
            "currentMovements" if current_movements else "activities",
        ],
        "order": "processInstanceId",
        "pageSize": page_size,
    }
    if status:
        params["status"] = [status] if isinstance(status, str) else list(status)
    if since is not None:
        params["initialStartDate"] = format_fluig_datetime(since)
    if min_id is not None:
        params["initialProcessInstanceId"] = min_id

    def fetch(page: int) -> bytes:
        return client.get_bytes(REQUESTS_PATH, {**params, "page": page}, context=f"page {page}")

    try:
        raw = fetch(1)
    except FluigHTTPError as exc:
        if not (exc.status_code == 400 and "currentMovements" in params["expand"]):
            raise
        log.info("Fluig refused expand=currentMovements; asking for activities (Fluig 1.8)")
        params["expand"] = ["formFields", "requester", "activities"]
        raw = fetch(1)

    # While this page is decoded, parsed and recorded by the caller, the next ones are already on
    # their way (PagesAhead: one call at a time, two pages ahead at most). Errors still surface
    # in order: a failure on page 7 is raised only after pages 1-6 were yielded.
    ahead = PagesAhead(fetch) if prefetch else None
    try:
        page = 1
        previous_ids: list[str] | None = None
        while True:
            if ahead is not None and peek_has_next(raw):
                ahead.want(page + 1)  # before decoding: that takes a while
            requests, count, has_next = _read_page(client, raw, source, page, on_invalid)
            more = count > 0 and (has_next is True or (has_next is None and count >= page_size))
            if ahead is not None and more:
                ahead.want(page + 1)
            ids = [r.request_id for r in requests]
            if ids and ids == previous_ids:
                # A server that ignores `page` would otherwise be read forever.
                raise RemoteError(
                    f"Fluig served page {page} identical to page {page - 1} at {REQUESTS_PATH}."
                )
            previous_ids = ids
            if on_page is not None:
                on_page(page, count)
            yield requests
            if not more:
                return
            page += 1
            raw = ahead.take(page) if ahead is not None else fetch(page)
    finally:
        if ahead is not None:
            ahead.close()


def _read_page(
    client: FluigClient,
    raw: bytes,
    source: str,
    page: int,
    on_invalid: Callable[[int, int, str], None] | None,
) -> tuple[list[FluigRequest], int, Any]:
    """(requests, items on the page, hasNext): the fast way (listing.py) when the page allows
    it, else the careful way, which skips what cannot be keyed and names what is wrong."""
    from fluigbot.fluig import listing

    fast = listing.read_page(raw, source)
    if fast is not None:
        return fast
    data = client.decode_json(raw, f"{REQUESTS_PATH} (page {page})")
    items = data.get("items")
    if items is None:
        items = []
    if not isinstance(items, list):
        raise RemoteError(f"Fluig's listing has no list of items at {REQUESTS_PATH} (page {page}).")
    return _parse_page(items, source, page, on_invalid), len(items), data.get("hasNext")


def _parse_page(
    items: list[Any], source: str, page: int, on_invalid: Callable[[int, int, str], None] | None
) -> list[FluigRequest]:
    requests: list[FluigRequest] = []
    for index, item in enumerate(items):
        try:
            requests.append(parse_request(item, source))
        except InvalidItem as exc:
            log.warning("Skipped item %d of page %d: %s", index, page, exc)
            if on_invalid is not None:
                on_invalid(page, index, str(exc))
    return requests


def parse_request(item: Mapping[str, Any], source: str) -> FluigRequest:
    """One v2 `Request` object -> FluigRequest. Tolerant of nulls, exact about the key."""
    if not isinstance(item, Mapping):
        raise InvalidItem("item is not an object")
    request_id = as_int(item.get("processInstanceId"))
    if request_id is None:
        raise InvalidItem("item has no usable processInstanceId")
    requester = item.get("requester")
    return build_request(
        source,
        request_id,
        process_id=item.get("processId"),
        requester_name=requester.get("name") if isinstance(requester, Mapping) else None,
        start_date=item.get("startDate"),
        status=item.get("status"),
        fields=form_fields(item.get("formFields")),
        form_id=item.get("formId"),
        form_record_id=item.get("formRecordId"),
        position=current_position(item),
    )


def build_request(
    source: str,
    request_id: int,
    *,
    process_id: Any,
    requester_name: Any,
    start_date: Any,
    status: Any,
    fields: dict[str, str],
    form_id: Any,
    form_record_id: Any,
    position: tuple[int | None, int | None, int | None],
) -> FluigRequest:
    """The rules both readers of a listing item share (parse_request here, listing.py's fast
    one): values as Fluig sent them, of any JSON type, in; a FluigRequest out."""
    name = (requester_name.strip() or None) if isinstance(requester_name, str) else None
    state, thread, movement = position
    return FluigRequest(
        source=source,
        request_id=str(request_id),
        process_id=process_id if isinstance(process_id, str) else "",
        requester_name=name,
        start_date=parse_fluig_datetime(start_date),
        status=status if isinstance(status, str) else None,
        fields=fields,
        form_id=as_int(form_id),
        form_record_id=as_int(form_record_id),
        state_sequence=state,
        thread_sequence=thread,
        movement_sequence=movement,
    )


def form_fields(raw: Any) -> dict[str, str]:
    """formFields as the spec's list of {field, value}, or as a {name: value} map; null -> {}."""
    if isinstance(raw, Mapping):
        return {k: field_text(v) for k, v in raw.items() if isinstance(k, str) and k}
    if isinstance(raw, list):
        return fields_of(
            (e.get("field") or e.get("fieldId"), e.get("value")) for e in raw if type(e) is dict
        )
    return {}


def fields_of(pairs: Iterable[tuple[Any, Any]]) -> dict[str, str]:
    """(field name, value) pairs of a formFields list -> {name: text}; pairs without a name are
    dropped. The hot loop of a big fetch (500 items x dozens of fields per page): kept lean."""
    fields: dict[str, str] = {}
    for name, value in pairs:
        if type(name) is str:
            fields[name] = value if type(value) is str else field_text(value)
    return fields


def field_text(value: Any) -> str:
    """A form value as text: null -> "", booleans as Fluig writes them ("true"/"false")."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


# A movement (currentMovements) or activity: active, threadSequence, movementSequence, the
# state's sequence, stateSequence, as Fluig sent them.
Movement = tuple[Any, Any, Any, Any, Any]


def current_position(item: Mapping[str, Any]) -> tuple[int | None, int | None, int | None]:
    """(state sequence, thread sequence, movement sequence) of an item's current activity."""
    return position_of(_movements(item.get("currentMovements")), _movements(item.get("activities")))


def _movements(raw: Any) -> list[Movement] | None:
    if not isinstance(raw, list):
        return None
    out = []
    for m in raw:
        if isinstance(m, Mapping):
            state = m.get("state")
            sequence = state.get("sequence") if isinstance(state, Mapping) else None
            out.append(
                (m.get("active"), m.get("threadSequence"), m.get("movementSequence"), sequence,
                 m.get("stateSequence"))
            )  # fmt: skip
    return out


def position_of(
    current: list[Movement] | None, activities: list[Movement] | None
) -> tuple[int | None, int | None, int | None]:
    """(state sequence, thread sequence, movement sequence) of the current activity.

    From currentMovements (2.0) or the active entries of activities (1.8). With parallel
    threads, the main thread (0) wins, else the first active one.
    """
    for moves, strict in ((current, False), (activities, True)):
        if moves is None:
            continue
        active = [m for m in moves if (m[0] is True if strict else m[0] is not False)]
        if not active:
            continue
        main = next((m for m in active if as_int(m[1]) == 0), active[0])
        seq = as_int(main[3])
        if seq is None:
            seq = as_int(main[4])
        return seq, as_int(main[1]), as_int(main[2])
    return None, None, None


def as_int(value: Any) -> int | None:
    """A number Fluig may write as an int, a whole float or digits in text; None otherwise."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str):
        text = value.strip()
        if text.isascii() and text.isdigit():  # "²" is a digit to isdigit(), not to int()
            return int(text)
    return None


def parse_fluig_datetime(value: Any) -> datetime | None:
    """Fluig's dates -> aware datetime, or None when absent or unreadable.

    Seen: `2026-07-08T16:02:06.652-0400` (offset without colon), `...+0000`, `...Z`, RFC 3339,
    and epoch milliseconds (datasets). No offset means São Paulo time.
    """
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        seconds = value / 1000 if abs(value) > 1e11 else value
        try:
            return datetime.fromtimestamp(seconds, UTC)
        except (OverflowError, OSError, ValueError):
            return None
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip()
    if text.isdigit():
        return parse_fluig_datetime(int(text))
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        try:
            parsed = datetime.strptime(text, "%d/%m/%Y %H:%M")
        except ValueError:
            log.debug("Unreadable Fluig date (%d chars)", len(text))
            return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=FLUIG_ZONE)


def format_fluig_datetime(moment: datetime) -> str:
    """A query-parameter date Fluig and the spec (date-time) both accept: UTC with `Z`."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=FLUIG_ZONE)
    return (
        moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"
    )
