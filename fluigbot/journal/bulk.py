"""Private: write many requests' records at once (benchmarks, imports). Not for normal use.

Produces exactly what Journal writes (the same dump_block), day by day, then rebuilds the
indexes from the segments.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from typing import Any

from fluigbot.journal import fsutil, maintenance
from fluigbot.journal.blocks import FILE_HEADER, dump_block
from fluigbot.journal.store import Journal


def encrypt_fields(j: Journal, rec: dict[str, Any], **fields: str | None) -> None:
    for name, value in fields.items():
        j._enc(rec, name, value)


def write_days(j: Journal, days: Iterable[tuple[str, list[dict[str, Any]]]]) -> int:
    """Write (day, records) in order; records need every field but seq. Returns the last seq."""
    st = j._st
    st.require_lock()
    st.flush()
    fsutil.ensure_dir(st.wal)
    seq = st.view().seq
    for day, records in days:
        parts = []
        for rec in records:
            seq += 1
            rec["seq"] = seq
            parts.append(dump_block(rec))
        fsutil.append(st.seg_path(day), (FILE_HEADER + "".join(parts)).encode(), sync=False)
    os.sync()  # one flush for the whole import instead of one per day
    maintenance.rebuild(j)
    return seq
