"""The way in (what `fetch` runs): source -> normalize -> policy -> journal.

Each page is recorded before the next one is asked for, so a failure on page 7 keeps pages 1-6.
Recording is idempotent: a known request changes nothing, except that a skipped one whose phone
was fixed in Fluig becomes pending.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fluigbot.config import Settings
from fluigbot.errors import FluigbotError
from fluigbot.models import FluigRequest

if TYPE_CHECKING:
    from fluigbot.fluig.client import FluigClient
    from fluigbot.journal import Entry, Journal
    from fluigbot.journal.entry import Fetched


@dataclass
class FetchReport:
    read: int = 0
    new: int = 0  # recorded pending (including a skipped one whose phone is now usable)
    known: int = 0  # already in the journal, unchanged
    skipped: int = 0  # recorded skipped, with a reason
    updated: int = 0  # of `new`: skipped before, pending now
    invalid: int = 0  # rows the source could not key (no request number): logged, not recorded
    pages: int = 0
    entries: list[Entry] = field(default_factory=list)  # what this run recorded
    # Given a list, the masked JSON of each recorded entry goes there instead of `entries`, made
    # page by page: recording waits for the reading anyway, so `fetch --json` has its output
    # ready with the last page, and keeps less in memory.
    json_rows: list[dict[str, Any]] | None = None

    def to_json(self, *, reveal: bool = False) -> dict[str, Any]:
        if self.json_rows is not None:
            if reveal:
                raise ValueError("json_rows hold masked phones only")
            rows = self.json_rows
        else:
            rows = [e.to_json(reveal=reveal) for e in self.entries]
        return {
            "new": self.new,
            "known": self.known,
            "skipped": self.skipped,
            "updated": self.updated,
            "invalid": self.invalid,
            "read": self.read,
            "requests": rows,
        }


def assess(req: FluigRequest, settings: Settings) -> Fetched:
    """What fetch records for one request: the phone normalized, and a skip reason if any. The
    opt-out list is applied when recording (it lives in the journal)."""
    from fluigbot import phones
    from fluigbot.journal.entry import Fetched
    from fluigbot.policy import consent_given

    fields = settings.fields_for(req.process_id)
    name = (req.fields.get(fields.name) or "").strip() or req.requester_name or None
    description = (req.fields.get(fields.description) or None) if fields.description else None
    result = phones.pick(
        [req.fields.get(f) for f in fields.phone], allow_foreign=settings.send.allow_foreign
    )
    if result.e164 is None:
        return Fetched.of(req, "skipped", result.reason, None, None, name, description)
    masked = phones.mask(result.e164)
    reason: str | None = None
    wb = settings.fluig.writeback
    if wb.mode == "form_field" and (req.fields.get(wb.field) or "").strip():
        reason = "already_contacted"  # another machine (or a person) already marked it
    elif fields.consent and not consent_given(req.fields.get(fields.consent)):
        reason = "no_consent"
    status = "skipped" if reason else "pending"
    return Fetched.of(req, status, reason, result.e164, masked, name, description)


def assessed_pages(
    pages: Iterable[list[FluigRequest]], settings: Settings, report: FetchReport
) -> Iterator[tuple[list[Fetched], int]]:
    """Each page assessed, with the count of items the source could not key so far (the source
    counts them on `report`, which is a copy when this runs in the reading process)."""
    for page in pages:
        yield [assess(req, settings) for req in page], report.invalid


def record_pages(
    journal: Journal,
    settings: Settings,
    pages: Iterable[list[FluigRequest]],
    *,
    limit: int | None = None,
    on_progress: Callable[[FetchReport], None] | None = None,
    report: FetchReport | None = None,
) -> FetchReport:
    """Record every request of every page; the journal lock must be held. Pages are read and
    assessed ahead, in a second process where possible (readahead). `report` may be made
    beforehand so that the source can count what it could not key (`invalid`)."""
    from fluigbot import readahead

    report = report if report is not None else FetchReport()
    counted = report  # what the source counts on; a copy of it when reading in the child
    cursors: dict[tuple[str, str], dict[str, Any]] = {}
    try:
        for items, invalid in readahead.run(lambda: assessed_pages(pages, settings, counted)):
            report.pages += 1
            report.invalid = invalid
            if limit is not None:
                items = items[: max(0, limit - report.read)]
            _record_page(journal, items, report)
            for item in items:
                _advance(cursors, item)
            if on_progress is not None:
                on_progress(report)
            if limit is not None and report.read >= limit:
                break
    except FluigbotError as exc:
        if report.read:
            exc.message = (
                f"{exc.message} Stopped after page {report.pages}: the {report.read} request(s) "
                "read before it are recorded."
            )
        raise
    finally:
        for (source, process_id), data in cursors.items():
            _save_cursor(journal, source, process_id, data)
    return report


def _record_page(journal: Journal, items: list[Fetched], report: FetchReport) -> None:
    items = [_unless_opted_out(item, journal) for item in items]
    recorded = journal.record_fetched_many(items)
    report.read += len(items)
    for (outcome, entry), item in zip(recorded, items, strict=True):
        if entry is None:
            report.known += 1
            continue
        if outcome == "updated":
            report.updated += 1
        if item.status == "pending":
            report.new += 1
        else:
            report.skipped += 1
        if report.json_rows is not None:
            report.json_rows.append(entry.to_json())
        else:
            report.entries.append(entry)


def _unless_opted_out(item: Fetched, journal: Journal) -> Fetched:
    if item.status == "pending" and item.phone and journal.is_opted_out(item.phone):
        return item._replace(status="skipped", reason="opted_out")
    return item


def _advance(cursors: dict[tuple[str, str], dict[str, Any]], item: Fetched) -> None:
    data = cursors.setdefault((item.source, item.process_id), {})
    try:
        number = int(item.request_id)
    except ValueError:
        number = None
    if number is not None and number > data.get("max_id", -1):
        data["max_id"] = number
    start = item.start_date  # UTC ISO-8601: its text orders like its time
    if start is not None and start > data.get("last_start", ""):
        data["last_start"] = start


def _save_cursor(journal: Journal, source: str, process_id: str, data: dict[str, Any]) -> None:
    old = journal.cursor(source, process_id) or {}
    merged = dict(old)
    if data.get("max_id", -1) > old.get("max_id", -1):
        merged["max_id"] = data["max_id"]
    if data.get("last_start", "") > old.get("last_start", ""):
        merged["last_start"] = data["last_start"]
    if merged != old:
        journal.set_cursor(source, process_id, merged)


def incremental_since(
    journal: Journal,
    source: str,
    process_ids: Sequence[str],
    *,
    overlap: timedelta,
) -> datetime | None:
    """Where an incremental fetch starts: the oldest of the processes' last start dates, minus
    the overlap (requests committed late are not missed). None: read everything."""
    starts: list[datetime] = []
    for pid in process_ids:
        cursor = journal.cursor(source, pid)
        if not cursor or not cursor.get("last_start"):
            return None  # a process never read: read it all
        starts.append(datetime.fromisoformat(cursor["last_start"]))
    return (min(starts) - overlap) if starts else None


def file_pages(
    path: Path, *, process_ids: Sequence[str] = (), page_size: int = 500
) -> Iterator[list[FluigRequest]]:
    """An export file in pages. With exactly one process named, rows without a processId
    column belong to it."""
    from fluigbot.fluig.exports import read_export

    default = process_ids[0] if len(process_ids) == 1 else None
    page: list[FluigRequest] = []
    for req in read_export(path, default_process_id=default):
        page.append(req)
        if len(page) >= page_size:
            yield page
            page = []
    if page:
        yield page


def started_since(
    pages: Iterable[list[FluigRequest]], start: datetime
) -> Iterator[list[FluigRequest]]:
    """An export file has no server-side filter: keep the requests started since `start`."""
    for page in pages:
        yield [r for r in page if r.start_date is None or r.start_date >= start]


def api_pages(
    client: FluigClient,
    settings: Settings,
    journal: Journal,
    *,
    process_ids: Sequence[str],
    since: datetime | None,
    full: bool,
    on_page: Callable[[int, int], None] | None = None,
    on_invalid: Callable[[int, int, str], None] | None = None,
) -> Iterator[list[FluigRequest]]:
    """The configured Fluig source (api or dataset), incremental unless `since` or `full`."""
    source = settings.fluig.base_url
    if settings.fluig.source == "dataset":
        from fluigbot.fluig.datasets import iter_dataset

        ds = settings.fluig.dataset
        yield from iter_dataset(
            client,
            source=source,
            dataset=ds.name,
            fields=list(ds.fields) or None,
            constraints=list(ds.constraints),
            process_id=process_ids[0] if len(process_ids) == 1 else "",
            on_page=on_page,
            on_invalid=on_invalid,
        )
        return
    from fluigbot.fluig.requests import iter_requests

    if since is None and not full:
        since = incremental_since(
            journal, source, process_ids, overlap=timedelta(hours=settings.fluig.overlap_hours)
        )
    yield from iter_requests(
        client,
        source=source,
        process_ids=process_ids,
        since=since,
        page_size=settings.fluig.page_size,
        status=settings.fluig.status or None,
        on_page=on_page,
        on_invalid=on_invalid,
    )
