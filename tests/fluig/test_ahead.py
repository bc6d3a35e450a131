"""PagesAhead: the next pages on their way while the caller works, one call at a time."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import pytest

from fluigbot.errors import RemoteError
from fluigbot.fluig.ahead import PagesAhead, peek_has_next


class Listing:
    """A fake listing of `last` pages; records each call, how far ahead and how many at once."""

    def __init__(self, last: int, *, fail_on: int | None = None, delay: float = 0.01) -> None:
        self.last, self.fail_on, self.delay = last, fail_on, delay
        self.calls: list[int] = []
        self.in_flight = self.most_in_flight = 0
        self.lock = threading.Lock()

    def fetch(self, page: int) -> bytes:
        with self.lock:
            self.calls.append(page)
            self.in_flight += 1
            self.most_in_flight = max(self.most_in_flight, self.in_flight)
        time.sleep(self.delay)
        with self.lock:
            self.in_flight -= 1
        if page == self.fail_on:
            raise RemoteError(f"Fluig answered HTTP 502 at page {page}.")
        more = "true" if page < self.last else "false"
        return f'{{"items": [{page}], "hasNext": {more}}}'.encode()


def wait_for(condition: Callable[[], bool], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.005)


def read_all(listing: Listing, *, work: float = 0.0) -> list[int]:
    ahead = PagesAhead(listing.fetch)
    pages, page = [], 1
    try:
        raw = listing.fetch(1)
        while True:
            if peek_has_next(raw):
                ahead.want(page + 1)
            pages.append(page)
            time.sleep(work)  # the caller decoding and recording
            if not peek_has_next(raw):
                return pages
            page += 1
            raw = ahead.take(page)
    finally:
        ahead.close()


def test_every_page_once_and_no_call_past_the_last() -> None:
    listing = Listing(last=6)
    assert read_all(listing) == [1, 2, 3, 4, 5, 6]
    assert sorted(listing.calls) == [1, 2, 3, 4, 5, 6]


def test_a_slow_caller_has_at_most_two_pages_waiting_and_one_call_in_flight() -> None:
    listing = Listing(last=5, delay=0.001)
    ahead = PagesAhead(listing.fetch)
    try:
        ahead.want(2)  # the caller is busy with page 1: the thread runs ahead...
        wait_for(lambda: len(listing.calls) >= 2)
        time.sleep(0.2)
        assert listing.calls == [2, 3]  # ...two pages, not more
        assert ahead.take(2).startswith(b'{"items": [2]')
        wait_for(lambda: len(listing.calls) >= 3)  # the caller moved on: one more
        time.sleep(0.2)
        assert listing.calls == [2, 3, 4]
    finally:
        ahead.close()
    assert listing.most_in_flight == 1


def test_a_failed_page_raises_when_it_is_taken_after_the_pages_before_it() -> None:
    listing = Listing(last=6, fail_on=3)
    seen: list[int] = []
    with pytest.raises(RemoteError, match="page 3"):
        seen.extend(read_all(listing))
    assert 4 not in listing.calls  # nothing is asked past a page that failed


def test_the_tail_peek_reads_only_a_final_has_next() -> None:
    assert peek_has_next(b'{"items": [], "hasNext": true}')
    assert peek_has_next(b'{"items": [],\n  "hasNext" : true }\n')
    assert not peek_has_next(b'{"items": [], "hasNext": false}')
    assert not peek_has_next(b'{"hasNext": true, "items": []}')  # not last: the caller decides
