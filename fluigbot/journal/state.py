"""The journal's storage engine: day segments (the truth) and the derived view over them.

state_dir/
  meta.toml              schema, KDF salt, key check value
  journal.lock           the writer lock (filelock)
  wal/YYYY-MM-DD.toml    append-only records, one `[[r]]` block per change, latest wins per key
  index/head.toml        the WAL position the indexes below reflect (seq, segment)
  index/open/<g>.toml    latest record of every open entry: pending, failed, sending, unknown,
                         and "mark" (sent, Fluig mark pending or failed)
  index/keys/, phones/   leaves (see index.py)
  optouts.toml, cursors.toml, access.toml

Only the WAL is made durable per batch. Indexes are written at checkpoints (lock release, and
every CHECKPOINT_EVERY records); any record newer than head.toml is replayed on top of them by
readers and writers alike, so a crash at any point loses nothing that was fsynced.
"""

from __future__ import annotations

import logging
import os
import tomllib
from collections import OrderedDict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import tomli_w

from fluigbot.errors import FluigbotError, JournalError
from fluigbot.journal import fsutil, index
from fluigbot.journal.blocks import (
    FILE_HEADER,
    Block,
    BlockFile,
    block_of,
    dump_block,
    read_file,
)
from fluigbot.journal.entry import OPEN_STATUSES, EntryKey, ts

log = logging.getLogger("fluigbot.journal")

GROUPS = ("pending", "failed", "sending", "unknown", "mark")
CHECKPOINT_EVERY = (
    50_000  # a long tail costs readers one replay; a checkpoint rewrites the open index
)


def group_of(block: Block) -> str | None:
    if block.status in OPEN_STATUSES:
        return block.status
    if block.status == "sent" and block.mark_state in ("pending", "failed"):
        return "mark"
    return None


@dataclass(frozen=True)
class CheckpointPlan:
    groups: list[str]  # open groups the tail changed
    segment: str  # the newest day segment, which head.toml will name
    seq: int  # the last record the checkpoint covers
    phone_plan: dict[str, index.Tokens]  # phone index changes by leaf (PhoneLeaves.plan)


@dataclass
class View:
    """Indexes as of head.toml plus every newer record (the tail), in memory."""

    head_seq: int = 0
    head_segment: str = ""
    seq: int = 0
    latest: dict[EntryKey, Block] = field(default_factory=dict)
    key_delta: dict[str, index.Tokens] = field(default_factory=dict)
    phone_delta: dict[str, set[str]] = field(default_factory=dict)
    groups: dict[str, dict[EntryKey, Block]] = field(default_factory=dict)
    fingerprint: tuple[Any, ...] = ()
    newest: str = ""

    def replay(self, block: Block, day: str) -> None:
        self.seq = max(self.seq, block.seq)
        self.latest[block.key] = block
        name = index.key_name(block.source, block.request_id)
        leaf = self.key_delta.setdefault(index.key_leaf_id(block.request_id), {})
        leaf.setdefault(name, set()).add(day)
        if block.phone_ref:
            toks = self.phone_delta.setdefault(block.phone_ref, set())
            toks.add("k:" + name)
            if block.status == "sent" and block.sent_at:
                toks.add("c:" + block.sent_at)

    def clear_tail(self) -> None:
        self.latest.clear()
        self.key_delta.clear()
        self.phone_delta.clear()


class Store:
    """Files, caches and the view. Journal (store.py) puts the public API on top."""

    def __init__(self, state_dir: Path, clock: Callable[[], datetime] | None) -> None:
        self.state_dir = Path(state_dir)
        self.wal = self.state_dir / "wal"
        self.idx = self.state_dir / "index"
        self.phones = index.PhoneLeaves(self.idx / "phones")
        self._clock = clock or (lambda: datetime.now(UTC))
        self._locked = 0
        self._frozen = False  # a second process writes the checkpoint (Journal.checkpoint_aside)
        self._view: View | None = None
        self._buffer: list[Block] = []
        self._append_day: tuple[int, str] | None = None  # (lock generation, newest segment)
        self._generation = 0
        self._leaf_gen = -1
        self._seg_cache: OrderedDict[Path, tuple[tuple[int, int], BlockFile]] = OrderedDict()
        # Keyed by the path's text: hashing a Path costs more than reading a cached leaf.
        self._leaf_cache: OrderedDict[str, tuple[tuple[int, int] | None, index.Tokens]] = (
            OrderedDict()
        )
        self._key_paths: dict[str, Path] = {}

    # ----- time and paths
    def now(self) -> datetime:
        value = self._clock()
        if value.tzinfo is None:
            raise ValueError("the journal clock must return timezone-aware datetimes")
        return value.astimezone(UTC)

    def segments(self) -> list[str]:
        try:
            names = os.listdir(self.wal)
        except FileNotFoundError:
            return []
        return sorted(n[:-5] for n in names if n.endswith(".toml") and not n.startswith("."))

    def seg_path(self, day: str) -> Path:
        return self.wal / f"{day}.toml"

    def require_lock(self) -> None:
        if not self._locked:
            raise FluigbotError("journal changed outside Journal.locked() (a bug in fluigbot)")
        if self._frozen:
            raise FluigbotError("journal changed during its checkpoint_aside() (a bug in fluigbot)")

    # ----- cached reads
    @staticmethod
    def _sig(path: Path) -> tuple[int, int] | None:
        try:
            st = path.stat()
        except FileNotFoundError:
            return None
        return (st.st_size, st.st_mtime_ns)

    def read_segment(self, day: str) -> BlockFile:
        path = self.seg_path(day)
        sig = self._sig(path)
        hit = self._seg_cache.get(path)
        if hit and hit[0] == sig:
            self._seg_cache.move_to_end(path)
            return hit[1]
        bf = read_file(path) if sig else BlockFile()
        if sig:
            self._seg_cache[path] = (sig, bf)
            while len(self._seg_cache) > 8:
                self._seg_cache.popitem(last=False)
        return bf

    def read_leaf(self, path: Path) -> index.Tokens:
        key = str(path)
        if self._locked:
            # Only the lock holder writes leaves, and checkpoint() forgets them after writing:
            # while we hold the lock a cached leaf (or its absence) needs no stat.
            if self._leaf_gen != self._generation:
                self._leaf_cache.clear()
                self._leaf_gen = self._generation
            hit = self._leaf_cache.get(key)
            if hit is not None:
                return hit[1]
        sig = self._sig(path)
        if sig is None:
            if self._locked:
                self._leaf_cache[key] = (None, {})
            return {}
        hit = self._leaf_cache.get(key)
        if hit and hit[0] == sig:
            return hit[1]
        tokens = index.read_leaf(path)
        self._leaf_cache[key] = (sig, tokens)
        while len(self._leaf_cache) > 64:
            self._leaf_cache.popitem(last=False)
        return tokens

    def read_group(self, name: str) -> dict[EntryKey, Block]:
        bf = read_file(self.idx / "open" / f"{name}.toml")
        return {b.key: b for b in bf.blocks}

    # ----- the view
    def view(self) -> View:
        """The writer's live view, or a reader's view refreshed when the files moved on."""
        if self._locked and self._view is not None:
            return self._view
        # Cheap staleness check: head.toml, the wal folder (new days) and the newest day's size.
        newest = self._view.newest if self._view is not None else ""
        fp = (
            self._sig(self.idx / "head.toml"),
            self._sig(self.wal),
            self._sig(self.seg_path(newest)) if newest else None,
        )
        if self._view is not None and self._view.fingerprint == fp:
            return self._view
        segs = self.segments()
        newest = segs[-1] if segs else ""
        fp = (fp[0], fp[1], self._sig(self.seg_path(newest)) if newest else None)  # before reading
        v = self._build_view(segs)
        v.newest, v.fingerprint = newest, fp
        self._view = v
        return v

    def _build_view(self, segs: list[str]) -> View:
        v = View()
        head = self._read_toml(self.idx / "head.toml")
        if head:
            v.head_seq = v.seq = int(head.get("seq", 0))
            v.head_segment = str(head.get("segment", ""))
        for day in segs:
            if day < v.head_segment:
                continue
            tail = []
            for block in self.read_segment(day).newest_first():
                if block.seq <= v.head_seq:
                    break
                tail.append(block)
            for block in reversed(tail):
                v.replay(block, day)
        return v

    def _read_toml(self, path: Path) -> dict[str, Any]:
        try:
            text = path.read_text("utf-8")
        except FileNotFoundError:
            return {}
        try:
            return tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise JournalError(f"journal file {path} does not parse: {exc}") from None

    def group(self, name: str) -> dict[EntryKey, Block]:
        """Open entries of one group, tail included (latest record wins)."""
        v = self.view()
        if name not in v.groups:
            v.groups[name] = self.read_group(name)
        out = {k: b for k, b in v.groups[name].items() if k not in v.latest}
        out.update((k, b) for k, b in v.latest.items() if group_of(b) == name)
        return out

    def _key_leaf(self, leaf_id: str) -> index.Tokens:
        path = self._key_paths.get(leaf_id)
        if path is None:
            path = self._key_paths[leaf_id] = self.idx / "keys" / f"{leaf_id}.toml"
        return self.read_leaf(path)

    def key_segments(self, source: str, request_id: str) -> set[str]:
        leaf_id = index.key_leaf_id(request_id)
        name = index.key_name(source, request_id)
        days = set(self._key_leaf(leaf_id).get(name, set()))
        days |= self.view().key_delta.get(leaf_id, {}).get(name, set())
        return days

    def keys_for_request(self, request_id: str) -> list[EntryKey]:
        leaf_id = index.key_leaf_id(request_id)
        names = set(self._key_leaf(leaf_id))
        names |= set(self.view().key_delta.get(leaf_id, {}))
        return sorted(index.split_name(n) for n in names if n.startswith(request_id + "\t"))

    def phone_tokens(self, ref: str) -> set[str]:
        toks = self.phones.lookup(ref)
        delta = self.view().phone_delta.get(ref)
        if delta:
            toks = (delta - {index.CLEAR}) if index.CLEAR in delta else toks | delta
        return toks

    def latest_block(self, key: EntryKey) -> Block | None:
        v = self.view()
        if key in v.latest:
            return v.latest[key]
        if self._locked:
            for name in GROUPS:
                block = v.groups.get(name, {}).get(key)
                if block is not None:
                    return block
        days = self.key_segments(*key)
        for day in sorted(days, reverse=True):
            found = None
            for block in self.read_segment(day).blocks:
                if block.key == key:
                    found = block
            if found is not None:
                return found
        return None

    def newest_first(self) -> Iterator[Block]:
        """Latest block of every key, most recently written first."""
        seen: set[EntryKey] = set()
        for day in reversed(self.segments()):
            for block in self.read_segment(day).newest_first():
                if block.key not in seen:
                    seen.add(block.key)
                    yield block

    # ----- writing
    def append(self, records: list[dict[str, Any]], *, keep_records: bool = True) -> list[Block]:
        """Queue records (seq and time assigned here); durable at flush(). keep_records=False
        keeps only their text (read back on demand): fetch writes many it never reads."""
        self.require_lock()
        if not records:
            return []
        v = self.view()
        now = self.now()
        if self._append_day is None or self._append_day[0] != self._generation:
            # Only the lock holder creates segments: list the folder once per lock.
            segs = self.segments()
            self._append_day = (self._generation, segs[-1] if segs else "")
        day = max(now.date().isoformat(), self._append_day[1])
        self._append_day = (self._generation, day)
        path = self.seg_path(day)
        at = ts(now)
        out = []
        for rec in records:
            v.seq += 1
            rec["seq"] = v.seq
            rec["at"] = at
            block = block_of(dump_block(rec), path, rec, keep_record=keep_records)
            self._buffer.append(block)
            v.replay(block, day)
            out.append(block)
        if len(self._buffer) >= 256:
            self.flush()
        return out

    def flush(self) -> None:
        """One write and one fsync for everything queued: the batch is durable on return."""
        if not self._buffer:
            return
        fsutil.ensure_dir(self.wal)
        by_path: dict[Path, list[str]] = {}
        for block in self._buffer:
            by_path.setdefault(block.path, []).append(block.text)  # type: ignore[arg-type]
        for path, texts in by_path.items():
            head = FILE_HEADER if not path.exists() or path.stat().st_size == 0 else ""
            fsutil.append(path, (head + "".join(texts)).encode())
        self._buffer.clear()
        v = self.view()
        if len(v.latest) >= CHECKPOINT_EVERY:
            self.checkpoint()

    def checkpoint(self) -> None:
        """Write the indexes for the tail, then move head.toml past it."""
        plan = self.checkpoint_plan()
        if plan is not None:
            self.write_leaves(plan, phones=True, others=True)
            self.end_checkpoint(plan)

    def checkpoint_plan(self) -> CheckpointPlan | None:
        """What a checkpoint writes (None when there is nothing to write), with the marker that
        lets repair() clean up after a checkpoint cut short; the open groups in the view are
        brought up to date with the tail."""
        self.flush()
        v = self.view()
        idle = not (v.latest or v.key_delta or v.phone_delta)
        if idle and (self.idx / "head.toml").exists():
            return None
        for name in GROUPS:
            if name not in v.groups:
                v.groups[name] = self.read_group(name)
        changed: set[str] = set()
        for key, block in v.latest.items():
            new = group_of(block)
            for name in GROUPS:
                if key in v.groups[name] and name != new:
                    del v.groups[name][key]
                    changed.add(name)
            if new:
                v.groups[new][key] = block
                changed.add(new)
        segs = self.segments()
        for folder in (self.idx / "open", self.idx / "keys", self.idx / "phones"):
            fsutil.ensure_dir(folder)
        phone_plan = self.phones.plan(v.phone_delta)
        leaves = [f"keys/{leaf}.toml" for leaf in v.key_delta]
        leaves += [f"phones/{name}" for name in phone_plan]
        marker = self.idx / "checkpoint.toml"
        fsutil.atomic_write(marker, tomli_w.dumps({"leaves": sorted(set(leaves))}).encode())
        return CheckpointPlan(sorted(changed), segs[-1] if segs else "", v.seq, phone_plan)

    def write_leaves(self, plan: CheckpointPlan, *, phones: bool, others: bool) -> None:
        """A checkpoint's files but head.toml: the phone leaves, the others (open groups, key
        leaves), or both, durable on return. Changes nothing in memory, so that a second process
        can write a part (Journal.checkpoint_aside)."""
        v = self.view()
        writes: list[index.LeafWrite] = []
        gone: list[Path] = []
        if others:
            writes += [self._group_write(name, v.groups[name]) for name in plan.groups]
            writes += index.write_key_leaves(self.idx / "keys", v.key_delta)
        if phones:
            phone_writes, gone = self.phones.write(plan.phone_plan)
            writes += phone_writes
        index.run_writes(writes)
        index.finish_leaf_writes(writes, gone)

    def end_checkpoint(self, plan: CheckpointPlan) -> None:
        """head.toml moved past the tail, once write_leaves() wrote every part; the view too."""
        head = {"schema": 1, "seq": plan.seq, "segment": plan.segment}
        fsutil.atomic_write(self.idx / "head.toml", tomli_w.dumps(head).encode())
        (self.idx / "checkpoint.toml").unlink(missing_ok=True)
        v = self.view()
        v.head_seq, v.head_segment = plan.seq, plan.segment
        v.clear_tail()
        self._leaf_cache.clear()

    def _group_write(self, name: str, group: dict[EntryKey, Block]) -> index.LeafWrite:
        blocks = sorted(group.values(), key=lambda b: b.seq)
        text = FILE_HEADER + "".join(b.text for b in blocks)
        return index.LeafWrite(self.idx / "open" / f"{name}.toml", text.encode())

    # ----- recovery on lock
    def repair(self) -> None:
        """Lock holder only: cut torn tails, finish an interrupted checkpoint, drop temp files."""
        for folder in (self.state_dir, self.wal, self.idx, self.idx / "open", self.idx / "keys"):
            _drop_temps(folder)
        _drop_temps(self.idx / "phones")
        marker = self._read_toml(self.idx / "checkpoint.toml")
        for rel in marker.get("leaves", []):
            index.repair_leaf(self.idx / rel)
        (self.idx / "checkpoint.toml").unlink(missing_ok=True)
        segs = self.segments()
        targets = [self.seg_path(segs[-1])] if segs else []
        if index.repair_leaf(self.state_dir / "access.toml", "[[a]]\n"):
            log.warning("journal: cut an unfinished line at the end of access.toml")
        for path in targets:
            bf = read_file(path)
            if bf.torn_at is not None:
                size = path.stat().st_size
                log.warning(
                    "journal: cut %d bytes of an unfinished record at the end of %s "
                    "(a run was killed while writing; it was never confirmed)",
                    size - bf.torn_at,
                    path,
                )
                fsutil.truncate(path, bf.torn_at)
        self._seg_cache.clear()


def _drop_temps(folder: Path) -> None:
    try:
        names = os.listdir(folder)
    except FileNotFoundError:
        return
    for name in names:
        if name.startswith(".") and name.endswith(".tmp"):
            (folder / name).unlink(missing_ok=True)
