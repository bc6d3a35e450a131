"""Export files (`fetch --from FILE`, `fluig.source = "file"`) -> FluigRequest, one per row.

Formats: CSV (comma, semicolon or tab, sniffed from the header; UTF-8, UTF-16 or Latin-1/cp1252,
with or without a BOM), JSON (a plain array, the v2 listing envelope `{"items": [...]}` or the
dataset envelope `{"content": {"values": [...]}}`) and `.xlsx` (openpyxl, read-only).

Columns carry the v2 API's names (`processInstanceId`, `processId`, `startDate`, `status`,
`requesterName`, `formId`, `formRecordId`) beside the form fields by their own names; every other
column becomes a form field, its value as text. JSON items may also be whole v2 `Request` objects
(`requester.name`, `formFields: [{field, value}]`, `currentMovements`).

Errors are `UsageError`s (exit 2): one line naming the file, the line/row/item, and what to do.
They never quote a cell: a cell may hold a phone number or a name. CSV and xlsx are streamed;
JSON is read whole (the stdlib has no streaming parser; Fluig's own pages are small).
"""

from __future__ import annotations

import codecs
import csv
import json
import re
import sys
import zipfile
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from datetime import UTC, date, datetime, timedelta, timezone, tzinfo
from pathlib import Path
from typing import Any

from fluigbot.errors import UsageError
from fluigbot.models import FluigRequest

SUFFIXES: dict[str, str] = {
    ".csv": "csv",
    ".tsv": "csv",
    ".txt": "csv",
    ".json": "json",
    ".xlsx": "xlsx",
    ".xlsm": "xlsx",
}

# Core columns and the other names they go by (lower case): the v2 API's, the flattened
# v2 object's, and the workflowProcess dataset's.
_CORE: dict[str, tuple[str, ...]] = {
    "request_id": (
        "processinstanceid",
        "workflowprocesspk.processinstanceid",
        "process_instance_id",
    ),
    "process_id": ("processid", "process_id"),
    "start_date": ("startdate", "startdateprocess", "start_date"),
    "status": ("status",),
    "requester_name": ("requestername", "requester.name", "requester_name"),
    "form_id": ("formid", "cardindexdocumentid", "form_id"),
    "form_record_id": ("formrecordid", "carddocumentid", "form_record_id"),
    "state_sequence": ("statesequence", "state.sequence", "state_sequence"),
    "thread_sequence": ("threadsequence", "thread_sequence"),
    "movement_sequence": ("movementsequence", "movement_sequence"),
}
_INT_FIELDS = (
    "form_id",
    "form_record_id",
    "state_sequence",
    "thread_sequence",
    "movement_sequence",
)
_DATASET_STATUS = {"0": "OPEN", "1": "CANCELED", "2": "FINALIZED"}  # workflowProcess.status
_WHOLE = re.compile(r"\d+")
_FLOAT_WHOLE = re.compile(r"(\d+)\.0*")
_REEXPORT = "fix the file or export it again"


def _local_tz() -> tzinfo:
    try:
        from zoneinfo import ZoneInfo

        return ZoneInfo("America/Sao_Paulo")
    except Exception:  # no tz database on this machine
        return timezone(timedelta(hours=-3))


_TZ = _local_tz()
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_BR_FORMATS = ("%d/%m/%Y %H:%M:%S", "%d/%m/%Y %H:%M", "%d/%m/%Y", "%d-%m-%Y %H:%M", "%d-%m-%Y")


# --- values -------------------------------------------------------------------------------


def as_text(value: object) -> str:
    """A cell as text. Whole floats lose the `.0` (xlsx gives 11987654321.0 for a phone), never a
    digit; floats too large to be exact are written without an exponent."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value.is_integer():
            return str(int(value))
        return repr(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value).strip()


def parse_date(value: object) -> datetime | None:
    """Lenient: ISO-8601 (`2026-07-08T16:02:06.652-0400`, `...Z`), `08/07/2026 16:02` (day first),
    epoch seconds or milliseconds, or a datetime cell. Naive times are Brasília time. Anything
    else is None: a bad date never stops an import."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=_TZ)
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day, tzinfo=_TZ)
    if isinstance(value, int | float):
        return _from_epoch(float(value))
    text = str(value).strip()
    if not text:
        return None
    if _WHOLE.fullmatch(text):
        return _from_epoch(float(text))
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        for fmt in _BR_FORMATS:
            try:
                parsed = datetime.strptime(text, fmt)
                break
            except ValueError:
                continue
        else:
            return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=_TZ)


def _from_epoch(number: float) -> datetime | None:
    if number >= 1e11:  # milliseconds (Fluig's datasets and Java clients)
        number /= 1000
    if not 1e8 <= number < 1e10:  # 1973..2286: anything else is not a timestamp
        return None
    return _EPOCH + timedelta(seconds=number)


def _as_int(value: object) -> int | None:
    text = as_text(value)
    m = _FLOAT_WHOLE.fullmatch(text)
    if m:
        text = m.group(1)
    return int(text) if _WHOLE.fullmatch(text) else None


# --- rows -> requests ---------------------------------------------------------------------


class _Columns:
    """Where the core values sit in a header, and which columns are form fields."""

    def __init__(self, names: Sequence[str], file: str, where: str) -> None:
        seen: dict[str, int] = {}
        for i, name in enumerate(names):
            if not name:
                continue
            if name in seen:
                raise UsageError(
                    f"{file} {where}: the column {name!r} appears twice; rename or remove one."
                )
            seen[name] = i
        lowered = {name.lower(): i for name, i in seen.items()}
        self.core: dict[str, int] = {}
        for attr, aliases in _CORE.items():
            for alias in aliases:
                if alias in lowered:
                    self.core[attr] = lowered[alias]
                    break
        taken = set(self.core.values())
        self.fields = [(i, name) for name, i in seen.items() if i not in taken]
        self.names = names


class _Builder:
    """Turns rows (sequences of cells, or JSON objects) into FluigRequests for one file."""

    def __init__(self, path: Path, default_process_id: str | None, noun: str = "column") -> None:
        self.file = str(path)
        self.noun = noun  # "column", or "key" for JSON
        self.source = path.name
        self.default_process_id = default_process_id

    def header(self, names: Sequence[str], where: str) -> _Columns:
        cols = _Columns(names, self.file, where)
        if "request_id" not in cols.core:
            raise UsageError(
                f"{self.file} {where}: no processInstanceId {self.noun}; export the request "
                "number under that name (the v2 API's)."
            )
        if "process_id" not in cols.core and not self.default_process_id:
            raise UsageError(
                f"{self.file} {where}: no processId {self.noun}; add one, or name the process "
                "with --process ID."
            )
        return cols

    def request(
        self,
        cells: Sequence[object],
        cols: _Columns,
        where: str,
        extra: Mapping[str, object] | None = None,
    ) -> FluigRequest | None:
        """None for a blank row (spreadsheets end with some)."""
        if not extra and all(c is None or (isinstance(c, str) and not c.strip()) for c in cells):
            return None

        width = len(cells)
        core: dict[str, object] = {a: cells[i] if i < width else None for a, i in cols.core.items()}
        if extra:
            for attr, value in extra.items():
                if attr != "fields" and core.get(attr) in (None, ""):
                    core[attr] = value
        get = core.get
        raw_id = as_text(get("request_id"))
        if not raw_id:
            raise UsageError(
                f"{self.file} {where}: no processInstanceId value; fill it in or delete the row."
            )
        request_id = _FLOAT_WHOLE.fullmatch(raw_id)
        if request_id:
            raw_id = request_id.group(1)
        if not _WHOLE.fullmatch(raw_id):
            raise UsageError(
                f"{self.file} {where}: processInstanceId is not a whole number; "
                "check that the columns line up with the header."
            )
        process_id = as_text(get("process_id")) or self.default_process_id
        if not process_id:
            raise UsageError(
                f"{self.file} {where}: no processId value; fill it in, or name the process "
                "with --process ID."
            )
        status = as_text(get("status")) or None
        if status in _DATASET_STATUS:
            status = _DATASET_STATUS[status]
        fields = {name: as_text(cells[i]) if i < width else "" for i, name in cols.fields}
        if extra and "fields" in extra:
            fields.update(extra["fields"])  # type: ignore[call-overload]
        ints = {attr: _as_int(core[attr]) for attr in _INT_FIELDS if attr in core}
        return FluigRequest(
            source=self.source,
            request_id=raw_id,
            process_id=process_id,
            requester_name=as_text(get("requester_name")) or None,
            start_date=parse_date(get("start_date")),
            status=status,
            fields=fields,
            **ints,
        )


# --- entry point --------------------------------------------------------------------------


def read_export(path: Path, *, default_process_id: str | None = None) -> Iterator[FluigRequest]:
    """The requests in an export file, in file order.

    The file itself (missing, unknown extension, empty) is checked at once; rows are read as the
    iterator is consumed, so a bad row 7 raises after rows 1-6 were yielded. `default_process_id`
    fills a missing processId (an export of one process often has no such column).
    """
    path = Path(path)
    kind = SUFFIXES.get(path.suffix.lower())
    if kind is None:
        known = ", ".join(sorted({s for s in SUFFIXES if s != ".txt"}))
        hint = " (save it as .xlsx or CSV)" if path.suffix.lower() == ".xls" else ""
        raise UsageError(
            f"{path}: unknown export format {path.suffix or '(no extension)'!r}; "
            f"use one of {known}{hint}."
        )
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        raise UsageError(f"{path}: no such file; check the path given to --from.") from None
    except OSError as exc:
        raise UsageError(f"{path}: cannot be read ({exc.strerror}).") from None
    if path.is_dir():
        raise UsageError(f"{path}: is a folder; give the export file itself.")
    if size == 0:
        raise UsageError(f"{path}: the file is empty; {_REEXPORT}.")
    builder = _Builder(path, default_process_id, "key" if kind == "json" else "column")
    readers: dict[str, Callable[[Path, _Builder], Iterator[FluigRequest]]] = {
        "csv": _read_csv,
        "json": _read_json,
        "xlsx": _read_xlsx,
    }
    return readers[kind](path, builder)


def _not_none(requests: Iterable[FluigRequest | None]) -> Iterator[FluigRequest]:
    return (r for r in requests if r is not None)


# --- CSV ----------------------------------------------------------------------------------

_CP1252_UNDEFINED = (b"\x81", b"\x8d", b"\x8f", b"\x90", b"\x9d")
_CHUNK = 1 << 16


def _detect_encoding(path: Path) -> str:
    """BOM first; else UTF-8 if every byte decodes (scanned in chunks, constant memory); else
    cp1252 (what Excel writes on Brazilian Windows), or Latin-1 if cp1252 cannot decode it."""
    with path.open("rb") as f:
        head = f.read(4)
        if head.startswith(codecs.BOM_UTF8):
            return "utf-8-sig"
        if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            return "utf-16"
        f.seek(0)
        decoder = codecs.getincrementaldecoder("utf-8")()
        try:
            while chunk := f.read(_CHUNK):
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
            return "utf-8"
        except UnicodeDecodeError:
            pass
        f.seek(0)
        while chunk := f.read(_CHUNK):
            if any(b in chunk for b in _CP1252_UNDEFINED):
                return "latin-1"
        return "cp1252"


def _sniff_delimiter(first_line: str) -> str:
    counts = {d: first_line.count(d) for d in (";", ",", "\t")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def _read_csv(path: Path, builder: _Builder) -> Iterator[FluigRequest]:
    encoding = _detect_encoding(path)
    with path.open(encoding=encoding, newline="") as f:
        first = f.readline()
        while first and not first.strip():
            first = f.readline()
        if not first.strip():
            raise UsageError(f"{path}: the file is empty; {_REEXPORT}.")
    return _not_none(_csv_rows(path, builder, encoding, _sniff_delimiter(first)))


def _csv_rows(
    path: Path, builder: _Builder, encoding: str, delimiter: str
) -> Iterator[FluigRequest | None]:
    csv.field_size_limit(min(sys.maxsize, 1 << 27))  # long descriptions are fine
    with path.open(encoding=encoding, newline="") as f:
        reader = csv.reader(f, delimiter=delimiter, strict=True)
        line = 0
        try:
            header: list[str] = []
            for cells in reader:
                if any(c.strip() for c in cells):
                    header = [c.strip().lstrip("\ufeff").strip() for c in cells]
                    break
            line = reader.line_num
            cols = builder.header(header, f"line {line}")
            width = len(header)
            for cells in reader:
                line = reader.line_num
                if len(cells) > width and any(c.strip() for c in cells[width:]):
                    raise UsageError(
                        f"{path} line {line}: {len(cells)} values but the header has {width} "
                        "columns; check the delimiter and the quotes."
                    )
                yield builder.request(cells, cols, f"line {line}")
        except csv.Error as exc:
            raise UsageError(
                f"{path} line {reader.line_num}: not valid CSV ({exc}); {_REEXPORT}."
            ) from None
        except UnicodeDecodeError:
            raise UsageError(
                f"{path} line {line + 1}: cannot be decoded as {encoding}; save it as UTF-8."
            ) from None


# --- JSON ---------------------------------------------------------------------------------


def _read_json(path: Path, builder: _Builder) -> Iterator[FluigRequest]:
    data = path.read_bytes()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("cp1252", errors="replace")
    if not text.strip():
        raise UsageError(f"{path}: the file is empty; {_REEXPORT}.")
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise UsageError(
            f"{path} line {exc.lineno} column {exc.colno}: not valid JSON ({exc.msg}); {_REEXPORT}."
        ) from None
    del data, text
    items = _json_items(path, doc)
    return _not_none(_json_rows(builder, items))


def _json_items(path: Path, doc: Any) -> list[Any]:
    if isinstance(doc, list):
        return doc
    if isinstance(doc, dict):
        if isinstance(doc.get("items"), list):  # v2 listing page
            return doc["items"]
        content = doc.get("content")
        if isinstance(content, dict) and isinstance(content.get("values"), list):
            return content["values"]  # POST /api/public/ecm/dataset/datasets
        if isinstance(content, list):  # GET /api/public/ecm/dataset/search
            return content
        if isinstance(doc.get("values"), list):  # v2 dataset-handle search
            return doc["values"]
        if "content" in doc or "values" in doc:
            raise UsageError(
                f"{path}: the dataset answer holds no values (does the dataset exist?); "
                f"{_REEXPORT}."
            )
    raise UsageError(
        f'{path}: expected a JSON array of requests, {{"items": [...]}} or '
        f'{{"content": {{"values": [...]}}}}; {_REEXPORT}.'
    )


def _flatten_v2(item: Mapping[str, Any]) -> dict[str, object]:
    """What a whole v2 Request object carries beyond flat columns."""
    extra: dict[str, object] = {}
    requester = item.get("requester")
    if isinstance(requester, Mapping):
        extra["requester_name"] = requester.get("name")
    form_fields = item.get("formFields")
    if isinstance(form_fields, list):
        extra["fields"] = {
            str(f["field"]): as_text(f.get("value"))
            for f in form_fields
            if isinstance(f, Mapping) and f.get("field")
        }
    elif isinstance(form_fields, Mapping):
        extra["fields"] = {str(k): as_text(v) for k, v in form_fields.items()}
    movements = item.get("currentMovements")
    if isinstance(movements, list) and movements:
        live = [m for m in movements if isinstance(m, Mapping)]
        current = next((m for m in live if m.get("active")), live[0] if live else None)
        if current is not None:
            state = current.get("state")
            if isinstance(state, Mapping):
                extra["state_sequence"] = state.get("sequence")
            extra["thread_sequence"] = current.get("threadSequence")
            extra["movement_sequence"] = current.get("movementSequence")
    return extra


def _json_rows(builder: _Builder, items: list[Any]) -> Iterator[FluigRequest | None]:
    plans: dict[tuple[str, ...], _Columns] = {}
    for number, item in enumerate(items, start=1):
        where = f"item {number}"
        if not isinstance(item, dict):
            raise UsageError(f"{builder.file} {where}: not a JSON object; {_REEXPORT}.")
        flat = {k: v for k, v in item.items() if not isinstance(v, dict | list)}
        keys = tuple(flat)
        cols = plans.get(keys)
        if cols is None:
            cols = plans[keys] = builder.header(list(keys), where)
        yield builder.request(list(flat.values()), cols, where, _flatten_v2(item) or None)


# --- xlsx ---------------------------------------------------------------------------------


def _read_xlsx(path: Path, builder: _Builder) -> Iterator[FluigRequest]:
    import openpyxl  # heavy: only when an xlsx is read
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, OSError, ValueError):
        raise UsageError(
            f"{path}: not a readable .xlsx workbook; save it again from Excel as .xlsx, or "
            "export CSV."
        ) from None
    return _not_none(_xlsx_rows(path, builder, workbook))


def _xlsx_rows(path: Path, builder: _Builder, workbook: Any) -> Iterator[FluigRequest | None]:
    try:
        sheet = workbook.worksheets[0] if workbook.worksheets else None
        rows = enumerate(sheet.iter_rows(values_only=True), start=1) if sheet else iter(())
        cols: _Columns | None = None
        for number, cells in rows:
            if cols is None:
                if any(c is not None and as_text(c) for c in cells):
                    names = [as_text(c) for c in cells]
                    cols = builder.header(names, f"row {number}")
                continue
            yield builder.request(cells, cols, f"row {number}")
        if cols is None:
            raise UsageError(f"{path}: the first sheet is empty; {_REEXPORT}.")
    finally:
        workbook.close()
