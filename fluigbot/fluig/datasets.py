"""Reading requests through a Fluig dataset: `POST /api/public/ecm/dataset/datasets`.

For servers where the v2 listing is missing, or where the form data lives in a form dataset
(research/fluig.md §2.5). Body `{"name", "fields", "constraints", "order"}`; answer
`{"content": {"columns": [...], "values": [{...}]}, "message": null}`.

This endpoint has no paging: one call returns every row (`limit` adds Fluig's `sqlLimit`
constraint). Columns are mapped to FluigRequest by the names the system datasets and the usual
forms use; every column is also kept as a form field, so `fluig.fields` can name any of them.
A row without a usable request number (e.g. the phantom all-empty row some datasets return) is
skipped and counted through `on_invalid(1, index, reason)`, as in the v2 listing.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

from fluigbot.errors import ConfigError, RemoteError
from fluigbot.fluig.client import FluigClient
from fluigbot.fluig.requests import field_text, parse_fluig_datetime
from fluigbot.models import FluigRequest

__all__ = ["DATASETS_PATH", "build_constraint", "iter_dataset", "parse_row"]

log = logging.getLogger("fluigbot.fluig")

DATASETS_PATH = "/api/public/ecm/dataset/datasets"

# Column candidates, first match wins. workflowProcess (system), processTask/processHistory, and
# the names forms commonly give the request number (WKNumProces, the DB column NUM_PROCES...).
ID_COLUMNS = (
    "processInstanceId",
    "workflowProcessPK.processInstanceId",
    "processTaskPK.processInstanceId",
    "processHistoryPK.processInstanceId",
    "NUM_PROCES",
    "num_proces",
    "WKNumProces",
    "numProcesso",
    "num_processo",
    "num_solicitacao",
)
PROCESS_COLUMNS = ("processId", "workflowProcessPK.processId", "COD_DEF_PROCES", "WKDef")
START_COLUMNS = ("startDate", "startDateProcess", "START_DATE", "dt_abertura")
NAME_COLUMNS = ("requesterName", "requester.name", "colleagueName")
FORM_RECORD_COLUMNS = ("formRecordId", "cardDocumentId", "metadata#id", "documentid")
FORM_COLUMNS = ("formId", "cardIndexDocumentId", "metadata#card_index_id", "metadata#parent_id")
STATE_COLUMNS = ("stateSequence", "state_sequence", "WKNumState")
THREAD_COLUMNS = ("threadSequence",)
# workflowProcess.status is numeric (research §2.5.4).
STATUS_NAMES = {"0": "OPEN", "1": "CANCELED", "2": "FINALIZED"}
CONSTRAINT_TYPES = {"MUST": 1, "SHOULD": 2, "MUST_NOT": 3}


def build_constraint(spec: Mapping[str, Any], where: str = "constraint") -> dict[str, Any]:
    """A constraint in Fluig's wire shape from a friendly one.

    Accepts `{"field", "value"}` or `{"field", "initial", "final"}`, optional `"type"` (MUST,
    SHOULD, MUST_NOT or 1/2/3) and `"like"` (bool); or the wire shape (`_field`...) as is.
    A constraint without a value makes Fluig answer 500, so it is a config error here.
    """
    if "_field" in spec:
        return dict(spec)
    field = spec.get("field")
    initial = spec.get("initial", spec.get("value"))
    final = spec.get("final", initial)
    if not isinstance(field, str) or not field:
        raise ConfigError(f"{where} has no field name.")
    if initial is None or initial == "":
        raise ConfigError(f"{where} ({field}) has no value; Fluig fails on empty constraints.")
    kind = spec.get("type", "MUST")
    type_code = CONSTRAINT_TYPES.get(str(kind).upper()) if not isinstance(kind, int) else kind
    if type_code not in (1, 2, 3):
        raise ConfigError(f"{where} ({field}) has type {kind!r}; use MUST, SHOULD or MUST_NOT.")
    return {
        "_field": field,
        "_initialValue": str(initial),
        "_finalValue": str(final),
        "_type": type_code,
        "_likeSearch": bool(spec.get("like", False)),
    }


def iter_dataset(
    client: FluigClient,
    *,
    source: str,
    dataset: str,
    fields: list[str] | None = None,
    constraints: Sequence[Mapping[str, Any]] = (),
    order: list[str] | None = None,
    process_id: str = "",
    id_column: str | None = None,
    limit: int | None = None,
    on_page: Callable[[int, int], None] | None = None,
    on_invalid: Callable[[int, int, str], None] | None = None,
) -> Iterator[list[FluigRequest]]:
    """Yields the dataset's rows as FluigRequests, in one list (the endpoint has no paging).

    `process_id` fills FluigRequest.process_id when the dataset has no process column.
    `id_column` names the column holding the request number when none of the usual ones does.
    """
    wire = [
        build_constraint(c, f"fluig.dataset.constraints[{i}]") for i, c in enumerate(constraints)
    ]
    if limit is not None:
        wire.append(build_constraint({"field": "sqlLimit", "value": str(limit)}))
    body = {
        "name": dataset,
        "fields": fields or None,
        "constraints": wire or None,
        "order": order or None,
    }
    data = client.post_json(DATASETS_PATH, body, context=f"dataset {dataset}")
    message = data.get("message")
    if message not in (None, "", {}) and not _is_ok(message):
        log.debug("Dataset %s error message: %r", dataset, message)
        raise RemoteError(
            f"Fluig reported an error for dataset {dataset} at {DATASETS_PATH}.",
            hint="Check fluig.dataset (name, fields, constraints) and the app user's permissions.",
        )
    content = data.get("content")
    if not isinstance(content, Mapping) or not isinstance(content.get("values"), list):
        # Fluig answers 200 with empty content for a dataset that does not exist.
        raise RemoteError(
            f"Fluig returned no rows table for dataset {dataset}: does it exist?",
            hint="Check the dataset name in fluig.dataset.",
        )
    rows: list[Any] = content["values"]
    requests: list[FluigRequest] = []
    for index, row in enumerate(rows):
        try:
            requests.append(parse_row(row, source, process_id=process_id, id_column=id_column))
        except ValueError as exc:
            log.warning("Skipped row %d of dataset %s: %s", index, dataset, exc)
            if on_invalid is not None:
                on_invalid(1, index, str(exc))
    if on_page is not None:
        on_page(1, len(rows))
    yield requests


def parse_row(
    row: Any, source: str, *, process_id: str = "", id_column: str | None = None
) -> FluigRequest:
    """One dataset row -> FluigRequest. Raises ValueError when it has no request number."""
    if not isinstance(row, Mapping):
        raise ValueError("row is not an object")
    id_columns = (id_column,) if id_column else ID_COLUMNS
    raw_id = _first(row, id_columns)
    request_id = field_text(raw_id).strip()
    if request_id.endswith(".0"):  # numbers that went through a float
        request_id = request_id[:-2]
    if not request_id.isdigit():
        raise ValueError("row has no usable request number")
    status = field_text(_first(row, ("status",))).strip()
    name = field_text(_first(row, NAME_COLUMNS)).strip()
    return FluigRequest(
        source=source,
        request_id=str(int(request_id)),
        process_id=field_text(_first(row, PROCESS_COLUMNS)).strip() or process_id,
        requester_name=name or None,
        start_date=parse_fluig_datetime(_first(row, START_COLUMNS)),
        status=STATUS_NAMES.get(status, status or None),
        fields={str(k): field_text(v) for k, v in row.items()},
        form_id=_int(_first(row, FORM_COLUMNS)),
        form_record_id=_int(_first(row, FORM_RECORD_COLUMNS)),
        state_sequence=_int(_first(row, STATE_COLUMNS)),
        thread_sequence=_int(_first(row, THREAD_COLUMNS)),
    )


def _first(row: Mapping[str, Any], names: Sequence[str]) -> Any:
    for name in names:
        value = row.get(name)
        if value not in (None, ""):
            return value
    return None


def _int(value: Any) -> int | None:
    text = field_text(value).strip()
    if text.endswith(".0"):
        text = text[:-2]
    return int(text) if text.isdigit() else None


def _is_ok(message: Any) -> bool:
    if isinstance(message, Mapping):
        return str(message.get("type", "")).upper() == "INFO" or message.get("message") == "OK"
    return str(message).upper() == "OK"
