"""Writing the "contacted" mark back to Fluig after a send (fluig.writeback.mode).

- `observation`: a complement on the request, without moving it:
  `POST /api/public/2.0/workflows/createProcessObservation`
  `{"processInstanceId", "stateSequence", "threadSequence", "observation"}` (research §4.1; the old
  public API, not in the specs). The state and thread come from the journal, or from
  `GET /api/public/2.0/workflows/findActiveTasks/{id}` (ProcessInstanceInfoVO.tasksInfo).
- `form_field`: one field on the request's card, merged with the others:
  `PUT /ecm-forms/api/v2/cardindex/{formId}/cards/{formRecordId}` `{"values": [{fieldId, value}]}`
  (ecm-forms spec, `update`; research §4.2).

The observation is not idempotent: it is retried only when it certainly never reached Fluig.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from fluigbot.errors import RemoteError, TemplateError
from fluigbot.fluig.client import FluigClient

__all__ = [
    "ACTIVE_TASKS_PATH",
    "OBSERVATION_PATH",
    "card_path",
    "find_active_task",
    "post_observation",
    "render_mark",
    "set_form_field",
]

OBSERVATION_PATH = "/api/public/2.0/workflows/createProcessObservation"
ACTIVE_TASKS_PATH = "/api/public/2.0/workflows/findActiveTasks/{id}"
MARK_ZONE = ZoneInfo("America/Sao_Paulo")
_VARIABLE = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}")


def card_path(form_id: int, form_record_id: int) -> str:
    return f"/ecm-forms/api/v2/cardindex/{int(form_id)}/cards/{int(form_record_id)}"


def render_mark(template: str, data_envio: datetime) -> str:
    """`{{data_envio}}` -> "dd/mm/yyyy HH:MM" in São Paulo time (a naive datetime is UTC).

    Any other `{{variable}}` is a TemplateError: a mark with a hole in it is never written.
    """
    moment = data_envio if data_envio.tzinfo else data_envio.replace(tzinfo=UTC)
    text = moment.astimezone(MARK_ZONE).strftime("%d/%m/%Y %H:%M")

    def replace(match: re.Match[str]) -> str:
        if match.group(1) != "data_envio":
            raise TemplateError(
                f"The Fluig mark uses an unknown variable {{{{{match.group(1)}}}}}.",
                hint="fluig.writeback.text and .value may use only {{data_envio}}.",
            )
        return text

    return _VARIABLE.sub(replace, template)


def find_active_task(client: FluigClient, process_instance_id: int) -> tuple[int, int]:
    """(stateSequence, threadSequence) of the request's active task.

    ProcessTaskInfoVO has no thread sequence; the main thread (0) is assumed unless Fluig sends one.
    """
    pid = int(process_instance_id)
    data = client.get_json(ACTIVE_TASKS_PATH.format(id=pid), context=f"request {pid}")
    info = data.get("content", data)
    tasks = info.get("tasksInfo") if isinstance(info, Mapping) else None
    if not isinstance(tasks, list):
        tasks = []
    candidates = [t for t in tasks if isinstance(t, Mapping)]
    active = [t for t in candidates if t.get("active") is not False] or candidates
    for task in active:
        state = task.get("stateSequence")
        if state is None and isinstance(task.get("state"), Mapping):
            state = task["state"].get("sequence")
        if isinstance(state, int) and not isinstance(state, bool):
            thread = task.get("threadSequence")
            return state, thread if isinstance(thread, int) and not isinstance(thread, bool) else 0
    raise RemoteError(
        f"Fluig shows no active task for request {pid} at /api/public/2.0/workflows/findActiveTasks.",
        hint="The request may be finished or canceled; use fluig.writeback.mode = form_field.",
    )


def post_observation(
    client: FluigClient,
    *,
    process_instance_id: int,
    state_sequence: int | None,
    thread_sequence: int | None,
    text: str,
) -> None:
    """Adds a complement to the request. A None state asks Fluig for the active task first."""
    pid = int(process_instance_id)
    if state_sequence is None:
        state_sequence, found_thread = find_active_task(client, pid)
        thread_sequence = found_thread if thread_sequence is None else thread_sequence
    body = {
        "processInstanceId": pid,
        "stateSequence": int(state_sequence),
        "threadSequence": int(thread_sequence or 0),
        "observation": text,
    }
    data = client.post_json(OBSERVATION_PATH, body, context=f"request {pid}", idempotent=False)
    _check_envelope(data, OBSERVATION_PATH, pid)


def set_form_field(
    client: FluigClient, *, form_id: int, form_record_id: int, field: str, value: str
) -> None:
    """Sets one field on the request's card (Fluig merges: the other fields stay)."""
    body = {"values": [{"fieldId": field, "value": value}]}
    client.put_json(card_path(form_id, form_record_id), body, context=f"card {int(form_record_id)}")


def _check_envelope(data: Mapping[str, Any], path: str, pid: int) -> None:
    """The old API's envelope: `message.type` ERROR means it was not done, even with HTTP 200."""
    message = data.get("message")
    if isinstance(message, Mapping) and str(message.get("type", "")).upper() == "ERROR":
        raise RemoteError(
            f"Fluig refused the observation for request {pid} at {path}.",
            hint="Check that the app user may add complements to this process.",
        )
