"""Records as TOML blocks, and files made of blocks (day segments, open-state files).

A record is one flat TOML table written by tomli-w under an `[[r]]` header and closed by a
`crc = "…"` line (CRC-32 of the text above it). A block without its closing line is a torn append:
readers skip it when it is the last one, the lock holder cuts it off. A checksum mismatch or a
block that does not parse is a corrupt file: JournalError naming file and line.
"""

from __future__ import annotations

import re
import tomllib
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from operator import itemgetter
from pathlib import Path
from typing import Any

import tomli_w

from fluigbot.errors import JournalError

SCHEMA = 1
FILE_HEADER = f"schema = {SCHEMA}\n"
HEAD = "[[r]]\n"
_LINE_IN_MSG = re.compile(r"line (\d+)")
# Header keys first, so a person reading the file sees what the record is about.
_FIRST = ("seq", "at", "source", "request_id", "status")


def dump_block(record: dict[str, Any]) -> str:
    ordered = {k: record[k] for k in _FIRST}
    for k, v in record.items():
        if v is not None and k not in ordered:
            ordered[k] = v
    body = HEAD + (flat_toml(ordered) or tomli_w.dumps(ordered))
    return body + f'crc = "{zlib.crc32(body.encode()):08x}"\n'


BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")
NEEDS_ESCAPE = re.compile(r'[\x00-\x08\x0a-\x1f"\\\x7f]')  # tomli-w keeps tabs as they are


def flat_toml(table: dict[str, Any]) -> str | None:
    """tomli-w's exact output for a flat table of plain strings, ints, bools and lists of plain
    strings (the shape of every journal record), at a fraction of its cost; None for anything
    else, which goes to tomli-w. A property test holds the two to the same bytes.

    Records come in a few shapes (the same keys, each value of the same type): a shape of
    strings and ints under bare keys gets its own formatting function, one f-string made once,
    used once its strings are known to need no escaping."""
    values = tuple(table.values())
    shape = (tuple(table), tuple(map(type, values)))
    made = _SHAPES.get(shape)
    if made is None:
        if len(_SHAPES) >= 256:  # shapes in use are few; forget the rest now and then
            _SHAPES.clear()
        made = _SHAPES[shape] = _formatter(*shape)
    if made is None:
        return _flat_lines(table)
    fmt, strings = made
    if needs_escape("".join(strings(values))):
        return None
    return fmt(values)


_SHAPES: dict[tuple[tuple[str, ...], tuple[type, ...]], Any] = {}


def _formatter(keys: tuple[str, ...], kinds: tuple[type, ...]) -> Any:
    """(format function of the values, getter of the string values), or None for a shape that
    is not all strings and ints under bare keys. The keys are bare ([A-Za-z0-9_-]), so they
    can go into the generated f-string as they are."""
    parts = []
    strings = []
    for i, (key, kind) in enumerate(zip(keys, kinds, strict=True)):
        if not BARE_KEY.fullmatch(key) or (kind is not str and kind is not int):
            return None
        if kind is str:
            strings.append(i)
            parts.append(f'{key} = "{{v[{i}]}}"\\n')
        else:
            parts.append(f"{key} = {{v[{i}]}}\\n")
    namespace: dict[str, Any] = {}
    exec(f"def fmt(v):\n    return f'{''.join(parts)}'", namespace)  # the keys were checked
    getter = itemgetter(*strings) if len(strings) > 1 else (lambda v: tuple(v[i] for i in strings))
    return namespace["fmt"], getter


def needs_escape(text: str) -> bool:
    """Whether tomli-w would escape something in `text` (NEEDS_ESCAPE.search), answered for
    ASCII text, the usual case, by one byte scan several times cheaper than the regex."""
    if text.isascii():
        raw = text.encode()
        return len(raw.translate(None, _ESCAPED_BYTES)) != len(raw)
    return NEEDS_ESCAPE.search(text) is not None


_ESCAPED_BYTES = bytes([*range(0x09), *range(0x0A, 0x20), ord('"'), ord("\\"), 0x7F])


def _flat_lines(table: dict[str, Any]) -> str | None:
    """flat_toml for the shapes a template does not take (bools, lists, quoted keys)."""
    lines = []
    plain = []  # text that must hold nothing tomli-w would escape: checked once, joined
    for key, value in table.items():
        if key not in _BARE_KEYS:
            if BARE_KEY.fullmatch(key):
                if len(_BARE_KEYS) < 1024:  # record field names: few
                    _BARE_KEYS.add(key)
            else:
                plain.append(key)
                key = f'"{key}"'
        kind = type(value)
        if kind is str or isinstance(value, str):
            plain.append(value)
            lines.append(f'{key} = "{value}"\n')
        elif kind is bool:
            lines.append(f"{key} = {'true' if value else 'false'}\n")
        elif kind is int:
            lines.append(f"{key} = {value}\n")
        elif kind is list:
            if not value:
                lines.append(f"{key} = []\n")
                continue
            if not all(type(v) is str for v in value):
                return None
            plain.extend(value)
            items = ",\n".join(f'    "{v}"' for v in value)
            lines.append(f"{key} = [\n{items},\n]\n")
        else:
            return None
    if plain and needs_escape("".join(plain)):
        return None
    return "".join(lines)


_BARE_KEYS: set[str] = set()


def corrupt(path: Path | None, line: int, what: str) -> JournalError:
    return JournalError(
        f"journal file {path}, line {line}: {what}",
        hint="It was edited by hand or damaged. Restore it from a backup; other files still work.",
    )


def _value(raw: str) -> Any:
    if raw.startswith('"') and raw.endswith('"') and "\\" not in raw:
        return raw[1:-1]
    if raw.isdigit():
        return int(raw)
    return tomllib.loads("v = " + raw)["v"]


@dataclass(slots=True)
class Block:
    """One record's text, with the header fields read cheaply; parsed in full on demand."""

    text: str
    path: Path | None
    line: int
    seq: int
    at: str
    source: str
    request_id: str
    status: str
    phone_ref: str | None
    sent_at: str | None
    mark_state: str | None
    _record: dict[str, Any] | None = field(default=None, repr=False)

    @property
    def key(self) -> tuple[str, str]:
        return (self.source, self.request_id)

    def record(self) -> dict[str, Any]:
        if self._record is None:
            try:
                rec = _fast_record(self.text)
                if rec is None:
                    rec = tomllib.loads(self.text)["r"][0]
            except (tomllib.TOMLDecodeError, KeyError, IndexError) as exc:
                m = _LINE_IN_MSG.search(str(exc))
                line = self.line + int(m.group(1)) - 1 if m else self.line
                raise corrupt(self.path, line, f"not a journal record ({exc})") from None
            rec.pop("crc", None)
            self._record = rec
        return self._record


_PEEKED = frozenset(
    ("seq", "at", "source", "request_id", "status", "phone_ref", "sent_at", "mark_state")
)


def _crc_end(text: str) -> int | None:
    """Where the closing `crc = "…"` line starts when it is last and matches, else None."""
    i = text.rfind('\ncrc = "')
    if i < 0 or len(text) - i != 18 or not text.endswith('"\n'):
        return None
    try:
        ok = int(text[i + 8 : i + 16], 16) == zlib.crc32(text[: i + 1].encode())
    except ValueError:
        return None
    return i + 1 if ok else None


def _fast_record(text: str) -> dict[str, Any] | None:
    """Read a checksummed block the way tomli-w wrote it: `key = value`, one per line, plain
    strings and integers. Anything else (escapes, floats, tables) goes to tomllib instead."""
    rows = text.split("\n")
    if rows[0] != "[[r]]" or rows[-1] != "":
        return None
    rec: dict[str, Any] = {}
    for row in rows[1:-1]:
        k, sep, raw = row.partition(" = ")
        if not sep or not k.replace("_", "").isalnum() or not k.isascii() or k in rec:
            return None
        if raw.startswith('"') and raw.endswith('"') and len(raw) > 1 and "\\" not in raw:
            if '"' in raw[1:-1]:
                return None
            rec[k] = raw[1:-1]
        elif raw.isascii() and raw.isdigit() and (raw == "0" or raw[0] != "0"):
            rec[k] = int(raw)
        else:
            return None
    return rec


def make_block(text: str, path: Path | None = None, line: int = 0) -> Block:
    """Check one complete block (checksum, header fields); JournalError when it is not sound."""
    end = _crc_end(text)
    if end is None:
        raise corrupt(path, line, "record checksum mismatch")
    fields: dict[str, Any] = {}
    for row in text[:end].split("\n"):
        k, sep, raw = row.partition(" = ")
        if sep and k in _PEEKED and k not in fields:
            fields[k] = raw
    try:
        return Block(
            text=text,
            path=path,
            line=line,
            seq=int(fields["seq"]),
            at=_value(fields["at"]),
            source=_value(fields["source"]),
            request_id=_value(fields["request_id"]),
            status=_value(fields["status"]),
            phone_ref=_value(fields["phone_ref"]) if "phone_ref" in fields else None,
            sent_at=_value(fields["sent_at"]) if "sent_at" in fields else None,
            mark_state=_value(fields["mark_state"]) if "mark_state" in fields else None,
        )
    except (KeyError, ValueError, tomllib.TOMLDecodeError) as exc:
        raise corrupt(path, line, f"record header unreadable ({exc})") from None


def block_of(
    text: str, path: Path | None, record: dict[str, Any], *, keep_record: bool = True
) -> Block:
    """The Block of a record this process just wrote with dump_block: nothing to re-read."""
    return Block(
        text=text,
        path=path,
        line=0,
        seq=record["seq"],
        at=record["at"],
        source=record["source"],
        request_id=record["request_id"],
        status=record["status"],
        phone_ref=record.get("phone_ref"),
        sent_at=record.get("sent_at"),
        mark_state=record.get("mark_state"),
        _record={k: v for k, v in record.items() if v is not None} if keep_record else None,
    )


def _complete(chunk: str) -> bool:
    """A block whose closing crc line was written (torn appends lack it)."""
    i = chunk.rfind('\ncrc = "')
    return i >= 0 and len(chunk) - i == 18 and chunk.endswith('"\n')


class BlockFile:
    """A file's blocks, checked and read only when touched (history reads the newest few)."""

    def __init__(
        self, text: str = "", path: Path | None = None, starts: list[int] | None = None,
        torn_at: int | None = None,
    ) -> None:  # fmt: skip
        self.text, self.path, self.torn_at = text, path, torn_at
        self._starts = starts or []
        self._cache: dict[int, Block] = {}
        self._all: list[Block] | None = None

    def __len__(self) -> int:
        return len(self._starts)

    def _chunk(self, i: int) -> str:
        end = self._starts[i + 1] if i + 1 < len(self._starts) else len(self.text)
        return self.text[self._starts[i] : end]

    def _block(self, i: int, line: int) -> Block:
        block = self._cache.get(i)
        if block is None:
            block = self._cache[i] = make_block(self._chunk(i), self.path, line)
        return block

    @property
    def blocks(self) -> list[Block]:
        """Every block, oldest first (checks them all)."""
        if self._all is None:
            line = self.text.count("\n", 0, self._starts[0]) + 1 if self._starts else 1
            out = []
            for i in range(len(self._starts)):
                out.append(self._block(i, line))
                line += self._chunk(i).count("\n")
            self._all = out
        return self._all

    def newest_first(self) -> Iterator[Block]:
        """Blocks from the end of the file, each checked when reached."""
        line = self.text.count("\n", 0, self._starts[-1]) + 1 if self._starts else 1
        for i in range(len(self._starts) - 1, -1, -1):
            if i < len(self._starts) - 1:
                line -= self._chunk(i).count("\n")
            yield self._block(i, line)


def parse_file(text: str, path: Path | None) -> BlockFile:
    """Split a block file; the last block may be torn (skipped), any other fault raises."""
    if not text:
        return BlockFile()
    starts: list[int] = []
    pos = text.find(HEAD)
    while pos != -1:
        if pos == 0 or text[pos - 1] == "\n":
            starts.append(pos)
        pos = text.find(HEAD, pos + 1)
    header = text[: starts[0]] if starts else text
    if header != FILE_HEADER:
        if not starts and (FILE_HEADER.startswith(header) or "\x00" in header):
            return BlockFile(torn_at=0)  # a file created by an append that never finished
        if header.startswith("schema = ") and header != FILE_HEADER:
            raise JournalError(
                f"journal file {path} has {header.strip()!r}; this fluigbot reads schema {SCHEMA}",
                hint="Upgrade fluigbot.",
            )
        raise corrupt(path, 1, "missing 'schema = 1' header")
    torn_at = None
    if starts:
        last = text[starts[-1] :]
        if "\x00" in last or not _complete(last):
            torn_at = len(text[: starts[-1]].encode())
            text = text[: starts.pop()]
    return BlockFile(text, path, starts, torn_at)


def read_file(path: Path) -> BlockFile:
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return BlockFile()
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        # A torn multi-byte character at the very end is a torn append, not corruption.
        if data.rfind(b"\n" + HEAD.encode()) < exc.start and b'\ncrc = "' not in data[exc.start :]:
            text = data[: exc.start].decode("utf-8")
        else:
            raise corrupt(path, line, "not UTF-8 text") from None
    return parse_file(text, path)
