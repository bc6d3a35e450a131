"""Asking for the next pages of a listing while the caller works on the current one.

One thread makes the calls, one at a time (Fluig never sees two of ours at once), and keeps up to
`depth` pages ready. It runs ahead on its own only while each page's raw tail says `"hasNext":
true` (Fluig writes it last); otherwise the caller asks for the next page once it has decoded the
current one. Without this, every page's network wait stalls behind the decoding of the previous
one, and a 50 ms page costs twice that.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor

_HAS_NEXT_TAIL = re.compile(rb'"hasNext"\s*:\s*(true|false)\s*}\s*$')


def peek_has_next(raw: bytes) -> bool:
    """True when the page's JSON ends with `"hasNext": true`."""
    match = _HAS_NEXT_TAIL.search(raw[-64:])
    return match is not None and match.group(1) == b"true"


class PagesAhead:
    """Pages by number, fetched ahead by one thread. Errors surface when their page is taken."""

    def __init__(self, fetch: Callable[[int], bytes], *, depth: int = 2) -> None:
        self._fetch = fetch
        self._depth = depth
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="fluig-page")
        self._futures: dict[int, Future[bytes]] = {}
        self._lock = threading.Lock()
        self._reading = 1
        self._deferred: int | None = None
        self._closed = False

    def want(self, page: int) -> None:
        """Ask for a page unless it was asked for already; one too far ahead waits its turn."""
        with self._lock:
            self._want(page)

    def _want(self, page: int) -> None:
        if self._closed or page in self._futures:
            return
        if page > self._reading + self._depth:
            self._deferred = page  # asked for again as soon as the caller moves on
            return
        self._futures[page] = self._pool.submit(self._run, page)

    def _run(self, page: int) -> bytes:
        raw = self._fetch(page)
        if peek_has_next(raw):
            self.want(page + 1)
        return raw

    def take(self, page: int) -> bytes:
        """The page's bytes: waits for a call in flight, or makes it now."""
        with self._lock:
            self._reading = page
            deferred, self._deferred = self._deferred, None
            if deferred is not None:
                self._want(deferred)
            self._want(page)
            future = self._futures.pop(page)
        raw = future.result()
        if peek_has_next(raw):
            self.want(page + 1)
        return raw

    def close(self) -> None:
        """Stop: nothing more is asked; a call in flight finishes in the background."""
        with self._lock:
            self._closed = True
            for future in self._futures.values():
                future.cancel()
            self._futures.clear()
        self._pool.shutdown(wait=False, cancel_futures=True)
