"""LGPD housekeeping: retention purge, erasure of one number (forget), index rebuild.

Both purge and forget rewrite old day segments in place (temp file, fsync, os.replace, fsync of
the folder), so the ciphertext is gone from disk, not merely superseded. Open entries get a new,
scrubbed record instead, so the open-state index follows through the normal path. An
interrupted forget is finished by the next lock holder (index/forget.toml).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import tomli_w

from fluigbot.journal import fsutil, index
from fluigbot.journal.blocks import FILE_HEADER, Block, dump_block
from fluigbot.journal.entry import EntryKey
from fluigbot.journal.state import GROUPS, ts

if TYPE_CHECKING:
    from fluigbot.journal.store import Journal

PII_FIELDS = ("phone", "name", "description", "wa_id", "error_message", "mark_error")
_PII_LINES = tuple(f"\n{f} = " for f in PII_FIELDS)


def has_pii(block: Block) -> bool:
    return any(marker in block.text for marker in _PII_LINES)


def scrub(rec: dict[str, Any], mode: str) -> dict[str, Any]:
    out = {k: v for k, v in rec.items() if k not in PII_FIELDS}
    if mode == "forget":
        out.pop("phone_ref", None)
        out.pop("phone_masked", None)
    out["scrubbed"] = mode
    return out


def _rewrite(j: Journal, day: str, mode_for: Callable[[Block], str | None]) -> set[EntryKey]:
    st = j._st
    path = st.seg_path(day)
    texts, touched = [], set()
    for b in st.read_segment(day).blocks:
        mode = mode_for(b)
        if mode:
            texts.append(dump_block(scrub(b.record(), mode)))
            touched.add(b.key)
        else:
            texts.append(b.text)
    if touched:
        fsutil.atomic_write(path, (FILE_HEADER + "".join(texts)).encode())
        st._seg_cache.pop(path, None)
    return touched


def _close(b: Block, reason: str) -> dict[str, Any]:
    """An open entry that loses its phone can no longer be sent: it becomes skipped."""
    if b.status in ("pending", "failed"):
        return {"status": "skipped", "reason": reason}
    return {}


def purge(j: Journal, older_than: timedelta | float, *, dry_run: bool = False) -> int:
    st = j._st
    if not j._ready():
        return 0
    if not dry_run:
        st.require_lock()
        st.checkpoint()
    if not isinstance(older_than, timedelta):
        older_than = timedelta(days=float(older_than))
    cut_at = st.now() - older_than
    cut, cut_day = ts(cut_at), cut_at.date().isoformat()
    done = str(st._read_toml(st.idx / "purge.toml").get("scrubbed_before", ""))
    opens = [
        b
        for g in GROUPS
        if g != "sending"
        for b in st.group(g).values()
        if b.at < cut and has_pii(b)
    ]
    days = [d for d in st.segments() if done[:10] <= d <= cut_day]
    in_flight = set(st.group("sending"))  # a message on its way keeps its phone

    def mode_for(b: Block) -> str | None:
        return "purge" if b.at < cut and has_pii(b) and b.key not in in_flight else None

    if dry_run:
        touched = {b.key for d in days for b in st.read_segment(d).blocks if mode_for(b)}
    else:
        recs = [scrub(j._next(b, **_close(b, "purged")), "purge") for b in opens]
        st.append(recs)
        st.checkpoint()
        touched = set()
        for d in days:
            touched |= _rewrite(j, d, mode_for)
    count = len({b.key for b in opens})
    for key in touched - {b.key for b in opens}:
        latest = st.latest_block(key)
        if latest is not None and latest.at < cut:
            count += 1
    if not dry_run:
        fsutil.ensure_dir(st.idx)
        fsutil.atomic_write(st.idx / "purge.toml", tomli_w.dumps({"scrubbed_before": cut}).encode())
        j.log_access("purge", f"{count} entries unchanged since {cut} scrubbed")
    return count


def _forget_plan(
    j: Journal, ref: str, keys: list[EntryKey] | None = None
) -> tuple[list[EntryKey], dict[str, set[EntryKey]]]:
    st = j._st
    affected: set[EntryKey] = set()
    days: dict[str, set[EntryKey]] = {}
    for key in j._phone_keys(ref) if keys is None else keys:
        for day in st.key_segments(*key):
            if any(b.key == key and b.phone_ref == ref for b in st.read_segment(day).blocks):
                affected.add(key)
                days.setdefault(day, set()).add(key)
    return sorted(affected), days


def forget(j: Journal, phone: str, *, dry_run: bool = False) -> list[EntryKey]:
    st = j._st
    if not j._ready():
        return []
    if not dry_run:
        st.require_lock()
        st.flush()
    ref = j.keys.phone_ref(phone)
    keys, _ = _forget_plan(j, ref)
    if dry_run:
        return keys
    j.optout_add(phone, source="forget")
    fsutil.ensure_dir(st.idx)
    marker = {"ref": ref, "keys": [list(k) for k in keys]}
    fsutil.atomic_write(st.idx / "forget.toml", tomli_w.dumps(marker).encode())
    _finish_forget(j, ref, keys)
    j.log_access("forget", f"{len(keys)} entries erased; the number is on the opt-out list")
    return keys


def _finish_forget(j: Journal, ref: str, keys: list[EntryKey]) -> None:
    st = j._st
    _, days = _forget_plan(j, ref, keys)
    recs = []
    for key in keys:
        b = st.latest_block(key)
        if b is not None and b.phone_ref == ref:
            recs.append(scrub(j._next(b, **_close(b, "forgotten")), "forget"))
    st.append(recs)
    st.flush()
    st.view().phone_delta[ref] = {index.CLEAR}
    st.checkpoint()
    for day in sorted(days):
        _rewrite(j, day, _forget_mode(ref, days[day]))
    (st.idx / "forget.toml").unlink(missing_ok=True)


def _forget_mode(ref: str, keys: set[EntryKey]) -> Callable[[Block], str | None]:
    def mode_for(b: Block) -> str | None:
        return "forget" if b.phone_ref == ref and b.key in keys else None

    return mode_for


def resume(j: Journal) -> None:
    """Finish a forget that a crash interrupted (called by the lock holder on open)."""
    st = j._st
    marker = st._read_toml(st.idx / "forget.toml")
    if marker.get("ref"):
        keys = [(str(s), str(r)) for s, r in marker.get("keys", [])]
        _finish_forget(j, str(marker["ref"]), keys)


def rebuild(j: Journal) -> None:
    st = j._st
    st.require_lock()
    st.flush()
    import shutil

    shutil.rmtree(st.idx, ignore_errors=True)
    st._view = None
    st._leaf_cache.clear()
    v = st.view()
    for g in GROUPS:
        v.groups[g] = {}
    st.checkpoint()
