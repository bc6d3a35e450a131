"""Small derived indexes, rebuilt from the day segments whenever in doubt.

Leaves are TOML files of appended `[[u]]` tables, each mapping a name to a list of tokens; reading
folds them (union; a "!" token first clears the name). Appending never reads, so recording a
request costs the same with 2,000 or 200,000 in the journal.

- key leaves (`index/keys/n<rid // 256>.toml`): "<request_id>\\t<source>" -> day segments holding
  its records. Fluig request numbers grow with time, so a fetch touches one or two leaves.
- phone leaves (`index/phones/p<bits>.toml`): keyed phone hash -> "k:<request_id>\\t<source>" and
  "c:<sent_at>" tokens. Hashes are random, so leaves split in two (by the next bit of the hash)
  when they grow past LEAF_SPLIT bytes: a lookup reads one small file at any size. The shortest
  existing prefix is the authoritative leaf, so a split interrupted halfway changes nothing.
"""

from __future__ import annotations

import hashlib
import os
import tomllib
from collections.abc import Iterable
from pathlib import Path

import tomli_w

from fluigbot.journal import fsutil
from fluigbot.journal.blocks import FILE_HEADER, SCHEMA, corrupt, flat_toml

Tokens = dict[str, set[str]]
TABLE = "[[u]]\n"
LEAF_COMPACT = 4096  # a phone leaf is rewritten (folded) past this size...
LEAF_SPLIT = 2048  # ...and split in two when the folded text is still larger than this
KEY_LEAF_COMPACT = 65536
CLEAR = "!"


def key_name(source: str, request_id: str) -> str:
    return f"{request_id}\t{source}"


def split_name(name: str) -> tuple[str, str]:
    rid, _, source = name.partition("\t")
    return source, rid


def key_leaf_id(request_id: str) -> str:
    if request_id.isascii() and request_id.isdigit() and len(request_id) < 19:
        return f"n{int(request_id) // 256}"
    return "h" + hashlib.blake2b(request_id.encode(), digest_size=1).hexdigest()


def fold(tables: Iterable[dict[str, list[str]]], into: Tokens | None = None) -> Tokens:
    out: Tokens = {} if into is None else into
    for table in tables:
        for name, tokens in table.items():
            if CLEAR in tokens:
                out[name] = {t for t in tokens if t != CLEAR}
            else:
                out.setdefault(name, set()).update(tokens)
    return out


def table_text(changes: Tokens) -> str:
    table = {n: sorted(t) for n, t in sorted(changes.items())}
    return TABLE + (flat_toml(table) or tomli_w.dumps(table))


def read_leaf(path: Path) -> Tokens:
    """Fold a leaf. A torn last table (a checkpoint cut short) is dropped: the WAL replays it."""
    try:
        text = path.read_text("utf-8")
    except FileNotFoundError:
        return {}
    except UnicodeDecodeError:
        text = path.read_bytes().decode("utf-8", errors="replace")
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        cut = text.rfind("\n" + TABLE)
        try:
            data = tomllib.loads(text[: cut + 1]) if cut >= 0 else {}
        except tomllib.TOMLDecodeError:
            raise corrupt(path, _line(exc), f"index leaf does not parse ({exc})") from None
    if data.get("schema", SCHEMA) != SCHEMA:
        raise corrupt(path, 1, "unknown index schema")
    tables = data.get("u", [])
    if not isinstance(tables, list):
        raise corrupt(path, 1, "index leaf without [[u]] tables")
    return fold(tables)


def _line(exc: Exception) -> int:
    import re

    m = re.search(r"line (\d+)", str(exc))
    return int(m.group(1)) if m else 1


def repair_leaf(path: Path, table: str = TABLE) -> bool:
    """Cut a torn last table so later appends land on a clean end (lock holder only)."""
    try:
        text = path.read_text("utf-8", errors="replace")
    except FileNotFoundError:
        return False
    try:
        tomllib.loads(text)
        if text.endswith("\n") or not text:
            return False
    except tomllib.TOMLDecodeError:
        pass
    cut = text.rfind("\n" + table)
    keep = text[: cut + 1] if cut >= 0 else FILE_HEADER
    fsutil.atomic_write(path, keep.encode())
    return True


def leaf_text(tokens: Tokens) -> str:
    live = {n: t for n, t in tokens.items() if t}
    return FILE_HEADER + (table_text(live) if live else "")


class PhoneLeaves:
    def __init__(self, folder: Path) -> None:
        self.folder = folder

    @staticmethod
    def bits(ref: str) -> str:
        return format(int(ref[:8], 16), "032b")

    def leaf_for(self, ref: str, listing: set[str] | None = None) -> Path:
        """The shortest existing leaf on the ref's path (`listing`: the folder's names, known)."""
        bits = self.bits(ref)
        folder = str(self.folder)
        for depth in range(33):
            name = f"p{bits[:depth]}.toml"
            if name in listing if listing is not None else os.path.exists(f"{folder}/{name}"):
                return self.folder / name
        return self.folder / "p.toml"

    def listing(self) -> set[str]:
        try:
            return set(os.listdir(self.folder))
        except FileNotFoundError:
            return set()

    def lookup(self, ref: str) -> set[str]:
        for _ in range(5):  # a writer may split the leaf between our stat and our read
            path = self.leaf_for(ref)
            if not path.exists() and path.name != "p.toml":
                continue
            return set(read_leaf(path).get(ref, set()))
        return set(read_leaf(self.leaf_for(ref)).get(ref, set()))

    def write(self, changes: dict[str, set[str]], synced: list[Path]) -> list[Path]:
        """Apply changes (name -> tokens, CLEAR first to reset). Returns leaves to unlink."""
        by_leaf: dict[Path, Tokens] = {}
        names = self.listing()
        for ref, tokens in changes.items():
            by_leaf.setdefault(self.leaf_for(ref, names), {})[ref] = tokens
        doomed: list[Path] = []
        for path, delta in by_leaf.items():
            text = table_text(delta)
            size = path.stat().st_size if path.exists() else 0
            if size + len(text) <= LEAF_COMPACT:
                fsutil.append(
                    path, (FILE_HEADER if size == 0 else "").encode() + text.encode(), sync=False
                )
                synced.append(path)
                continue
            merged = fold([{n: sorted(t) for n, t in delta.items()}], read_leaf(path))
            _compact(merged)
            prefix = path.name[1:-5]
            parts = self._split(prefix, merged)
            if len(parts) == 1:
                tmp = fsutil.write_temp(path, leaf_text(merged).encode(), sync=False)
                synced.append(tmp)
                doomed.append(tmp)  # renamed onto path after the fsyncs
                continue
            for child, toks in parts.items():
                cpath = self.folder / f"p{child}.toml"
                tmp = fsutil.write_temp(cpath, leaf_text(toks).encode(), sync=False)
                synced.append(tmp)
                doomed.append(tmp)
            doomed.append(path)
        return doomed

    def _split(self, prefix: str, tokens: Tokens) -> dict[str, Tokens]:
        if _size(tokens) <= LEAF_SPLIT or len(prefix) >= 32:
            return {prefix: tokens}
        halves: dict[str, Tokens] = {prefix + "0": {}, prefix + "1": {}}
        for ref, toks in tokens.items():
            halves[prefix + self.bits(ref)[len(prefix)]][ref] = toks
        out: dict[str, Tokens] = {}
        for child, half in halves.items():
            out.update(self._split(child, half))
        return out


def _size(tokens: Tokens) -> int:
    """Roughly the bytes leaf_text() writes, without writing it."""
    return sum(len(n) + 12 + sum(len(t) + 8 for t in toks) for n, toks in tokens.items())


def _compact(tokens: Tokens) -> None:
    """Keep only the newest contact time per phone."""
    for toks in tokens.values():
        contacts = [t for t in toks if t.startswith("c:")]
        if len(contacts) > 1:
            toks.difference_update(contacts)
            toks.add(max(contacts))


def finish_leaf_writes(doomed: list[Path]) -> None:
    """After the fsyncs: temp files replace their files, then split parents go."""
    folders = {p.parent for p in doomed}
    for path in doomed:
        if path.name.endswith(".tmp"):
            os.replace(path, path.with_name(path.name[1:].rsplit(".", 2)[0]))
    for folder in folders:
        fsutil.fsync_dir(folder)
    gone = [p for p in doomed if not p.name.endswith(".tmp")]
    for path in gone:
        path.unlink(missing_ok=True)
    for folder in {p.parent for p in gone}:
        fsutil.fsync_dir(folder)


def write_key_leaves(folder: Path, changes: dict[str, Tokens], synced: list[Path]) -> list[Path]:
    doomed: list[Path] = []
    for leaf_id, delta in changes.items():
        path = folder / f"{leaf_id}.toml"
        text = table_text(delta)
        size = path.stat().st_size if path.exists() else 0
        if size + len(text) <= KEY_LEAF_COMPACT:
            fsutil.append(
                path, (FILE_HEADER if size == 0 else "").encode() + text.encode(), sync=False
            )
            synced.append(path)
        else:
            merged = fold([{n: sorted(t) for n, t in delta.items()}], read_leaf(path))
            tmp = fsutil.write_temp(path, leaf_text(merged).encode(), sync=False)
            synced.append(tmp)
            doomed.append(tmp)
    return doomed
