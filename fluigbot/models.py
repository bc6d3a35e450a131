"""Plain data shared by the layers: what a Fluig request is once read from any source.

Kept free of HTTP and storage so that intake, dispatch, the journal and (later) AI agents can all
speak it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True)
class FluigRequest:
    """One service request ("solicitação") as read from the v2 API, a dataset or an export file.

    `source` is where it came from: the Fluig server's base URL, or the export file's name. The
    journal keys every entry by (source, request_id), so a rehearsal against the sandbox never
    makes a real request "known".
    """

    source: str
    request_id: str  # processInstanceId, as text
    process_id: str
    requester_name: str | None = field(default=None, repr=False)  # personal data
    start_date: datetime | None = None
    status: str | None = None  # OPEN, FINALIZED, CANCELED, ... as Fluig says it
    fields: Mapping[str, str] = field(default_factory=dict, repr=False)  # form values: personal
    # What the Fluig mark needs later.
    form_id: int | None = None  # formId / cardIndex documentId
    form_record_id: int | None = None  # formRecordId / card documentId
    state_sequence: int | None = None  # current movement's state
    thread_sequence: int | None = None  # current movement's thread (0 for the main thread)
    movement_sequence: int | None = None
