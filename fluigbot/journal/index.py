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

A leaf exactly as a checkpoint wrote it is read by one regular expression (_written_tables);
anything else (torn, edited by hand) goes through tomllib, which names what is wrong.
"""

from __future__ import annotations

import hashlib
import os
import re
import tomllib
from bisect import bisect_left
from collections.abc import Collection, Iterable, Mapping
from itertools import accumulate
from pathlib import Path
from typing import NamedTuple

import tomli_w

from fluigbot.journal import fsutil
from fluigbot.journal.blocks import BARE_KEY, FILE_HEADER, SCHEMA, corrupt, needs_escape

Tokens = dict[str, set[str]]
TABLE = "[[u]]\n"
LEAF_COMPACT = 16384  # a phone leaf is rewritten (folded) past this size...
LEAF_SPLIT = 8192  # ...and split in two when the folded text is still larger than this
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


def fold(tables: Iterable[Mapping[str, Collection[str]]], into: Tokens | None = None) -> Tokens:
    out: Tokens = {} if into is None else into
    for table in tables:
        for name, tokens in table.items():
            if CLEAR in tokens:
                out[name] = {t for t in tokens if t != CLEAR}
            else:
                out.setdefault(name, set()).update(tokens)
    return out


def table_text(changes: Tokens) -> str:
    """One `[[u]]` table, names and tokens sorted: tomli-w's bytes (a test holds them equal),
    written directly, since a checkpoint writes thousands of these."""
    lines = [TABLE]
    plain: list[str] = []  # text tomli-w would have to escape if it held a quote or a newline
    for name in sorted(changes):
        toks = sorted(changes[name])
        if not BARE_KEY.fullmatch(name):
            plain.append(name)
            name = f'"{name}"'
        if toks:
            plain += toks
            lines.append(f'{name} = [\n    "' + '",\n    "'.join(toks) + '",\n]\n')
        else:
            lines.append(f"{name} = []\n")
    if needs_escape("".join(plain)):
        table = {n: sorted(t) for n, t in sorted(changes.items())}
        return TABLE + tomli_w.dumps(table)
    return "".join(lines)


def read_leaf(path: Path) -> Tokens:
    """Fold a leaf. A torn last table (a checkpoint cut short) is dropped: the WAL replays it."""
    try:
        text = path.read_text("utf-8")
    except FileNotFoundError:
        return {}
    except UnicodeDecodeError:
        text = path.read_bytes().decode("utf-8", errors="replace")
    tables = _written_tables(text)
    if tables is not None:
        return fold(tables)
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


# A leaf exactly as table_text() writes it: after the header, `[[u]]` lines and entries of one
# bare or plainly quoted name, each with its tokens one per line (or `[]`).
_PLAIN = r'[^"\\\x00-\x08\x0a-\x1f\x7f]*'  # what a basic string holds unescaped (tab included)
_ENTRY = re.compile(rf'\[\[u\]\]\n|([A-Za-z0-9_-]+|"{_PLAIN}") = \[((?:\n    "{_PLAIN}",)*)\n?\]\n')
_TOKEN = re.compile(r'"([^"\n]*)"')


def _written_tables(text: str) -> list[dict[str, list[str]]] | None:
    """The tables of a leaf written by table_text(), read without a TOML parser (a lookup
    reads a whole leaf; tomllib, pure Python, was most of its cost). None for anything else,
    torn or hand-edited text included, which goes to tomllib (a test holds the two equal)."""
    if not text.startswith(FILE_HEADER):
        return None
    tables: list[dict[str, list[str]]] = []
    pos = len(FILE_HEADER)
    end = len(text)
    table: dict[str, list[str]] | None = None
    match = _ENTRY.match
    while pos < end:
        m = match(text, pos)
        if m is None:
            return None
        pos = m.end()
        name = m.group(1)
        if name is None:
            table = {}
            tables.append(table)
            continue
        if table is None:
            return None
        if name[0] == '"':
            name = name[1:-1]
        if name in table:
            return None  # a name twice in one table: TOML says no
        table[name] = _TOKEN.findall(m.group(2))
    return tables


def _line(exc: Exception) -> int:
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

    def leaf_for(self, ref: str) -> Path:
        """The shortest existing leaf on the ref's path."""
        bits = self.bits(ref)
        folder = str(self.folder)
        for depth in range(33):
            name = f"p{bits[:depth]}.toml"
            if os.path.exists(f"{folder}/{name}"):
                return self.folder / name
        return self.folder / "p.toml"

    def plan(self, changes: dict[str, set[str]]) -> dict[str, Tokens]:
        """Changes by the leaf they go to (its file name), the folder listed once."""
        names = self.listing()
        prefixes = {n[1:-5] for n in names if n.startswith("p") and n.endswith(".toml")}
        depths = sorted({len(p) for p in prefixes})
        if not any(depths):  # no leaf but p.toml yet (a first checkpoint): no bits to look at
            return {"p.toml": dict(changes)} if changes else {}
        out: dict[str, Tokens] = {}
        for ref, tokens in changes.items():
            bits = self.bits(ref)
            leaf = ""
            for depth in depths:
                if bits[:depth] in prefixes:
                    leaf = bits[:depth]
                    break
            out.setdefault(f"p{leaf}.toml", {})[ref] = tokens
        return out

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

    def write(self, plan: dict[str, Tokens]) -> tuple[list[LeafWrite], list[Path]]:
        """The writes that apply a plan() (name -> tokens, CLEAR first to reset), and the leaves
        a split leaves behind (unlinked after the writes)."""
        writes: list[LeafWrite] = []
        gone: list[Path] = []
        for name, delta in plan.items():
            path = self.folder / name
            size = path.stat().st_size if path.exists() else 0
            if _fits(LEAF_COMPACT - size, delta):
                writes.append(LeafWrite(path, _appended(size, table_text(delta)), replace=False))
                continue
            merged = fold([delta], read_leaf(path))
            _compact(merged)
            parts = _split(name[1:-5], merged)
            for child, toks in parts.items():
                writes.append(LeafWrite(self.folder / f"p{child}.toml", leaf_text(toks).encode()))
            if len(parts) > 1:
                gone.append(path)
        return writes, gone


def _split(prefix: str, tokens: Tokens) -> dict[str, Tokens]:
    """Halve a leaf by the next bit of its hashes until each part is small enough. Every part
    is returned, empty ones too: a missing leaf would send lookups to a shorter prefix.

    The refs are sorted by their 32 hash bits once; a part is then a run of that order, and its
    halves meet where the next bit turns to 1 (a bisection), its size a difference of sums."""
    order = sorted((int(ref[:8], 16), ref) for ref in tokens)  # the bits PhoneLeaves.bits spells
    hashes = [h for h, _ in order]
    sums = [0, *accumulate(_size_of(ref, tokens[ref]) for _, ref in order)]
    out: dict[str, Tokens] = {}
    todo = [(prefix, 0, len(order))]
    while todo:
        head, lo, hi = todo.pop()
        if sums[hi] - sums[lo] <= LEAF_SPLIT or len(head) >= 32:
            out[head] = {ref: tokens[ref] for _, ref in order[lo:hi]}
            continue
        # The first hash of this run whose next bit is 1: its common bits, then that bit set.
        shift = 31 - len(head)
        base = (int(head, 2) << (shift + 1)) if head else 0
        mid = bisect_left(hashes, base | (1 << shift), lo, hi)
        todo.append((head + "0", lo, mid))
        todo.append((head + "1", mid, hi))
    return out


def _fits(room: int, delta: Tokens) -> bool:
    """Whether the delta's text fits in `room` bytes; stops counting once it does not."""
    for name, toks in delta.items():
        room -= _size_of(name, toks)
        if room < 0:
            return False
    return True


def _size_of(name: str, toks: set[str]) -> int:
    """Roughly the bytes leaf_text() writes for one name."""
    return len(name) + 12 + sum(len(t) + 8 for t in toks)


def _compact(tokens: Tokens) -> None:
    """Keep only the newest contact time per phone."""
    for toks in tokens.values():
        contacts = [t for t in toks if t.startswith("c:")]
        if len(contacts) > 1:
            toks.difference_update(contacts)
            toks.add(max(contacts))


class LeafWrite(NamedTuple):
    """One file a checkpoint writes: appended to, or written whole to a temp file that
    finish_leaf_writes() renames over it once every write is durable."""

    target: Path
    data: bytes
    replace: bool = True

    def run(self) -> None:
        if self.replace:
            fsutil.write_new(fsutil.temp_for(self.target), self.data)
        else:
            fsutil.append(self.target, self.data, sync_dir=False)


def _appended(size: int, text: str) -> bytes:
    return (FILE_HEADER if size == 0 else "").encode() + text.encode()


def run_writes(writes: list[LeafWrite]) -> None:
    """Every write, durable on return. Each file gets its own fsync (never a system-wide sync,
    whose cost depends on whatever else the machine has written), several at once."""
    if len(writes) < 4:
        for w in writes:
            w.run()
        return
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(8) as pool:  # the filesystem overlaps the fsyncs
        list(pool.map(LeafWrite.run, writes))


def finish_leaf_writes(writes: list[LeafWrite], gone: list[Path]) -> None:
    """After run_writes(): temp files replace their files, folders are fsynced (new names),
    then the parents of split leaves go."""
    for w in writes:
        if w.replace:
            os.replace(fsutil.temp_for(w.target), w.target)
    for folder in {w.target.parent for w in writes}:
        fsutil.fsync_dir(folder)
    for path in gone:
        path.unlink(missing_ok=True)
    for folder in {p.parent for p in gone}:
        fsutil.fsync_dir(folder)


def write_key_leaves(folder: Path, changes: dict[str, Tokens]) -> list[LeafWrite]:
    writes: list[LeafWrite] = []
    for leaf_id, delta in changes.items():
        path = folder / f"{leaf_id}.toml"
        text = table_text(delta)
        size = path.stat().st_size if path.exists() else 0
        if size + len(text) <= KEY_LEAF_COMPACT:
            writes.append(LeafWrite(path, _appended(size, text), replace=False))
        else:
            merged = fold([{n: sorted(t) for n, t in delta.items()}], read_leaf(path))
            writes.append(LeafWrite(path, leaf_text(merged).encode()))
    return writes
