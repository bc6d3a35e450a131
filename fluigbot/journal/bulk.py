"""Private: write many requests' records at once (benchmarks, imports). Not for normal use.

Produces exactly what Journal writes, day by day, with a fast path for the plain ASCII strings
and integers that make up nearly every field, then rebuilds the indexes from the segments.
"""

from __future__ import annotations

import os
import zlib
from collections.abc import Iterable
from typing import Any

import tomli_w

from fluigbot.journal import fsutil, maintenance
from fluigbot.journal.blocks import _FIRST, FILE_HEADER, HEAD
from fluigbot.journal.store import Journal


def _line(key: str, value: Any) -> str:
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{key} = {value}\n"
    plain = isinstance(value, str) and value.isascii() and value.isprintable()
    if plain and '"' not in value and "\\" not in value:
        return f'{key} = "{value}"\n'
    return tomli_w.dumps({key: value})


def fast_block(rec: dict[str, Any]) -> str:
    keys = [*_FIRST, *(k for k in rec if k not in _FIRST)]
    body = HEAD + "".join(_line(k, rec[k]) for k in keys if rec[k] is not None)
    return body + f'crc = "{zlib.crc32(body.encode()):08x}"\n'


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
            parts.append(fast_block(rec))
        fsutil.append(st.seg_path(day), (FILE_HEADER + "".join(parts)).encode(), sync=False)
    os.sync()  # one flush for the whole import instead of one per day
    maintenance.rebuild(j)
    return seq
