"""Pausing Python's cyclic garbage collector for bulk work.

Fetching 100,000 requests allocates millions of small dicts and strings, and each burst of
allocations starts a collection that walks the whole growing heap: that alone doubled the time of
a large fetch. The bulk paths create no reference cycles worth collecting (reference counting
still frees everything at once), so the collector simply waits until the work is done.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def paused() -> Iterator[None]:
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
