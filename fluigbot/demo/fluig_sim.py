"""A Fluig simulator on loopback, for the tests, `fluigbot demo`, `fluigbot sandbox` and bench/.

Serves what fluigbot uses, in the shapes of fluig-process-management.swagger.json,
fluig-ecm-forms.swagger.json and research/fluig.md:

- `GET  /process-management/api/v2/requests`  the v2 listing, paged, honoring processId,
  status, initialStartDate, initialProcessInstanceId, page, pageSize and expand
- `GET  /api/public/2.0/workflows/findActiveTasks/{id}`   ProcessInstanceInfoVO in the old envelope
- `POST /api/public/2.0/workflows/createProcessObservation` records the complement
- `GET|PUT /ecm-forms/api/v2/cardindex/{formId}/cards/{cardId}`  CardFind; PUT merges fields
- `POST /api/public/ecm/dataset/datasets`  rows of `datasets[name]`

Every request must carry a valid OAuth 1.0a HMAC-SHA1 signature (recomputed here with oauthlib's
signature functions; nonces are not accepted twice), else 401. Every call is recorded in
`.calls`. Quirks are injected with `fail_next(kind, page=None, times=1, path=None)`.
"""

from __future__ import annotations

import hmac
import json
import threading
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from typing import Any
from urllib.parse import urlsplit

from oauthlib.oauth1.rfc5849 import signature as oauth_signature
from oauthlib.oauth1.rfc5849 import utils as oauth_utils

from fluigbot.demo._http import LoopbackServer, SimRequest, SimResponse

__all__ = ["FAULT_KINDS", "Call", "FluigSimulator", "sample_item"]

LISTING_PATH = "/process-management/api/v2/requests"
OBSERVATION_PATH = "/api/public/2.0/workflows/createProcessObservation"
ACTIVE_TASKS_PREFIX = "/api/public/2.0/workflows/findActiveTasks/"
CARD_PREFIX = "/ecm-forms/api/v2/cardindex/"
DATASETS_PATH = "/api/public/ecm/dataset/datasets"

FAULT_KINDS = frozenset(
    {
        "login_page",
        "timeout",
        "drop",
        "truncated_json",
        "malformed_json",
        "missing_id",
        "null_formfields",
        "huge_page",
    }
)  # plus any HTTP status as text: "401", "403", "429", "500", "502", "503", ...
OK_MESSAGE = {"message": "OK", "detail": "OK", "type": "INFO"}
LOGIN_PAGE = (
    b'<!DOCTYPE html><html lang="pt-BR"><head><title>fluig</title></head><body>'
    b'<form method="post" action="/portal/api/servlet/login.do">'
    b'<input name="j_username"><input name="j_password" type="password"></form></body></html>'
)


@dataclass(frozen=True)
class Call:
    method: str
    path: str
    query: dict[str, list[str]]
    body: Any  # parsed JSON, or None
    status: int  # what the simulator answered (0 when it dropped the connection)


@dataclass(frozen=True)
class _Secrets:
    """What oauthlib's signing function reads from a client."""

    client_secret: str
    resource_owner_secret: str


@dataclass
class _Fault:
    kind: str
    page: int | None
    times: int
    path: str | None


def _error(status: int, code: str, message: str) -> SimResponse:
    """Fluig's v2 ErrorResponse."""
    body = {
        "code": code,
        "message": message,
        "detailedMessage": message,
        "helpUrl": None,
        "details": None,
    }
    return SimResponse.json(body, status=status)


class FluigSimulator:
    """A fake Fluig on 127.0.0.1:<ephemeral>. Use as a context manager; `.url` is its base URL."""

    def __init__(
        self,
        requests: list[dict[str, Any]] | None = None,
        *,
        consumer_key: str = "sim-consumer-key",
        consumer_secret: str = "sim-consumer-secret",
        access_token: str = "sim-access-token",
        token_secret: str = "sim-token-secret",
        datasets: Mapping[str, list[dict[str, Any]]] | None = None,
        latency: float = 0.0,
        timeout_delay: float = 5.0,
        current_movements: bool = True,
        port: int = 0,
    ) -> None:
        self.consumer_key = consumer_key
        self.consumer_secret = consumer_secret
        self.access_token = access_token
        self.token_secret = token_secret
        self.latency = latency  # seconds before every answer
        self.timeout_delay = timeout_delay  # how long a "timeout" fault keeps the client waiting
        self.current_movements = current_movements  # False behaves like Fluig 1.8
        self.datasets: dict[str, list[dict[str, Any]]] = {
            k: list(v) for k, v in (datasets or {}).items()
        }
        self.calls: list[Call] = []
        self.observations: list[dict[str, Any]] = []
        self.card_updates: list[dict[str, Any]] = []
        self._items: list[dict[str, Any]] = []
        self._starts: dict[int, datetime | None] = {}
        self._faults: list[_Fault] = []
        self._matches: dict[tuple[Any, ...], list[dict[str, Any]]] = {}  # listing filter cache
        self._encoded: dict[tuple[int, frozenset[str]], bytes] = {}  # item JSON per expand set
        self._nonces: set[str] = set()
        self._lock = threading.Lock()
        self._server = LoopbackServer(self._handle, port=port)  # port 0: any free one
        self.add_requests(requests or [])

    # -- setup --------------------------------------------------------------------------------

    @property
    def url(self) -> str:
        return self._server.url

    @property
    def credentials(self) -> tuple[str, str, str, str]:
        """(consumer_key, consumer_secret, access_token, token_secret), in FluigCredentials order."""
        return (self.consumer_key, self.consumer_secret, self.access_token, self.token_secret)

    def add_requests(self, items: Iterable[dict[str, Any]]) -> None:
        with self._lock:
            for item in items:
                self._items.append(item)
                pid = item.get("processInstanceId")
                if isinstance(pid, int):
                    self._starts[pid] = _parse_date(item.get("startDate"))
            self._items.sort(key=lambda i: i.get("processInstanceId") or 0)
            self._matches.clear()

    def warm(self, expand: Iterable[str] = ("formFields", "requester", "currentMovements")) -> None:
        """Encodes every item for this expand set now, so that listing pages cost the server
        almost nothing later (for benchmarks that time the client)."""
        variant = frozenset(expand)
        with self._lock:
            for item in self._items:
                raw = json.dumps(self._render(item, set(variant)), ensure_ascii=False)
                self._encoded[(id(item), variant)] = raw.encode("utf-8")

    def fail_next(
        self, kind: str, page: int | None = None, times: int = 1, path: str | None = None
    ) -> None:
        """Injects a quirk into the next `times` matching requests.

        `page` restricts it to that listing page; `path` to requests whose path contains it;
        neither: the next request, whatever it is.
        """
        if kind not in FAULT_KINDS and not (kind.isdigit() and len(kind) == 3):
            raise ValueError(f"unknown fault kind {kind!r}")
        with self._lock:
            self._faults.append(_Fault(kind, page, times, path))

    def request(self, process_instance_id: int) -> dict[str, Any]:
        """The stored raw item (e.g. to look at a card after a PUT)."""
        return next(i for i in self._items if i.get("processInstanceId") == process_instance_id)

    def set_field(self, process_instance_id: int, field: str, value: str) -> None:
        """Change (or add) a form field of a stored request, as a person editing it in Fluig."""
        with self._lock:
            item = next(i for i in self._items if i.get("processInstanceId") == process_instance_id)
            fields = [f for f in item.get("formFields") or [] if f.get("field") != field]
            item["formFields"] = [*fields, {"field": field, "value": value}]
            self._encoded = {k: v for k, v in self._encoded.items() if k[0] != id(item)}

    def calls_to(self, path: str) -> list[Call]:
        return [c for c in self.calls if c.path == path or c.path.startswith(path)]

    @property
    def listing_calls(self) -> list[Call]:
        return self.calls_to(LISTING_PATH)

    def start(self) -> FluigSimulator:
        self._server.start()
        return self

    def close(self) -> None:
        self._server.close()

    def __enter__(self) -> FluigSimulator:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- dispatch -----------------------------------------------------------------------------

    def _handle(self, req: SimRequest) -> SimResponse:
        page = _int(req.query.get("page", ["1"])[0]) if req.path == LISTING_PATH else None
        if not self._signature_ok(req):
            response = _error(401, "UNAUTHORIZED", "OAuth signature invalid")
        else:
            fault = self._take_fault(req, page)
            response = self._route(req, fault)
            if fault is not None:
                response = self._apply_fault(fault, response)
        if self.latency:
            response.delay += self.latency
        with self._lock:
            self.calls.append(
                Call(
                    req.method,
                    req.path,
                    req.query,
                    req.json(),
                    0 if response.drop else response.status,
                )
            )
        return response

    def _route(self, req: SimRequest, fault: _Fault | None) -> SimResponse:
        if req.path == LISTING_PATH and req.method == "GET":
            return self._listing(req, fault)
        if req.path == OBSERVATION_PATH and req.method == "POST":
            return self._observation(req)
        if req.path.startswith(ACTIVE_TASKS_PREFIX) and req.method == "GET":
            return self._active_tasks(req.path[len(ACTIVE_TASKS_PREFIX) :])
        if req.path.startswith(CARD_PREFIX) and req.method in ("GET", "PUT"):
            return self._card(req)
        if req.path == DATASETS_PATH and req.method == "POST":
            return self._dataset(req)
        return _error(404, "NOT_FOUND", "Resource not found")

    # -- OAuth 1.0a ---------------------------------------------------------------------------

    def _signature_ok(self, req: SimRequest) -> bool:
        header = req.headers.get("authorization", "")
        if not header.startswith("OAuth "):
            return False
        try:
            oauth = {
                k: oauth_utils.unescape(v)
                for k, v in oauth_utils.parse_authorization_header(header)
            }
            params = oauth_signature.collect_parameters(
                uri_query=urlsplit(req.target).query, headers={"Authorization": header}
            )
            if req.headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
                params += oauth_signature.collect_parameters(body=req.body.decode("utf-8"))
        except (ValueError, UnicodeDecodeError):
            return False
        if (
            oauth.get("oauth_consumer_key") != self.consumer_key
            or oauth.get("oauth_token") != self.access_token
            or oauth.get("oauth_signature_method") != "HMAC-SHA1"
            or not oauth.get("oauth_nonce")
            or not oauth.get("oauth_timestamp", "").isdigit()
        ):
            return False
        base_uri = oauth_signature.base_string_uri(f"http://{req.host}{req.path}")
        base = oauth_signature.signature_base_string(
            req.method, base_uri, oauth_signature.normalize_parameters(params)
        )
        expected = oauth_signature.sign_hmac_sha1_with_client(
            base, _Secrets(self.consumer_secret, self.token_secret)
        )
        if not hmac.compare_digest(expected, oauth.get("oauth_signature", "")):
            return False
        with self._lock:
            if oauth["oauth_nonce"] in self._nonces:
                return False  # a replayed request
            self._nonces.add(oauth["oauth_nonce"])
        return True

    # -- faults -------------------------------------------------------------------------------

    def _take_fault(self, req: SimRequest, page: int | None) -> _Fault | None:
        with self._lock:
            for fault in self._faults:
                if fault.page is not None and fault.page != page:
                    continue
                if fault.path is not None and fault.path not in req.path:
                    continue
                fault.times -= 1
                if fault.times <= 0:
                    self._faults.remove(fault)
                return fault
        return None

    def _apply_fault(self, fault: _Fault, response: SimResponse) -> SimResponse:
        kind = fault.kind
        if kind.isdigit():
            status = int(kind)
            failure = _error(status, "SIMULATED", "Simulated failure")
            if status in (429, 503):
                failure.headers["Retry-After"] = "1"
            return failure
        if kind == "login_page":
            return SimResponse(200, LOGIN_PAGE, {"Content-Type": "text/html;charset=UTF-8"})
        if kind == "timeout":
            return SimResponse(delay=self.timeout_delay, drop=True)
        if kind == "drop":
            return SimResponse(drop=True)
        if kind == "truncated_json":
            response.body = response.body[: max(1, len(response.body) // 2)]
        elif kind == "malformed_json":
            response.body = b'{"items": [{"processInstanceId": 1,}] "hasNext": false'
        return response

    # -- endpoints ----------------------------------------------------------------------------

    def _listing(self, req: SimRequest, fault: _Fault | None) -> SimResponse:
        q = req.query
        page = _int(q.get("page", ["1"])[0])
        size = _int(q.get("pageSize", ["1000"])[0])
        if page is None or page < 1 or size is None or not 1 <= size <= 1000:
            return _error(400, "BAD_REQUEST", "page must be >= 1 and pageSize between 1 and 1000")
        expand = set(q.get("expand", []))
        if "currentMovements" in expand and not self.current_movements:
            return _error(400, "BAD_REQUEST", "Invalid expand: currentMovements")
        process_ids = set(q.get("processId", []))
        statuses = set(q.get("status", []))
        since = _parse_date(q.get("initialStartDate", [None])[0])
        min_id = _int(q.get("initialProcessInstanceId", [""])[0])
        key = (frozenset(process_ids), frozenset(statuses), since, min_id)
        with self._lock:
            matching = self._matches.get(key)
            if matching is None:
                matching = [
                    item
                    for item in self._items
                    if (not process_ids or item.get("processId") in process_ids)
                    and (not statuses or item.get("status") in statuses)
                    and (min_id is None or (item.get("processInstanceId") or 0) >= min_id)
                    and (
                        since is None
                        or _after(self._starts.get(item.get("processInstanceId") or 0), since)
                    )
                ]
                self._matches[key] = matching
        kind = fault.kind if fault else None
        start = (page - 1) * size
        end = len(matching) if kind == "huge_page" else start + size
        has_next = end < len(matching)
        if kind in ("missing_id", "null_formfields"):
            chunk = [self._render(item, expand) for item in matching[start:end]]
            if kind == "missing_id" and chunk:
                chunk[0].pop("processInstanceId", None)
            if kind == "null_formfields":
                for item in chunk:
                    item["formFields"] = None
            return SimResponse.json({"items": chunk, "hasNext": has_next})
        # Items are encoded once per expand set, so a big listing costs the server little
        # (bench/fetch.py measures the client, not this simulator).
        variant = frozenset(expand)
        encoded = []
        for item in matching[start:end]:
            cache_key = (id(item), variant)
            raw = self._encoded.get(cache_key)
            if raw is None:
                raw = json.dumps(self._render(item, expand), ensure_ascii=False).encode("utf-8")
                self._encoded[cache_key] = raw
            encoded.append(raw)
        body = (
            b'{"items":['
            + b",".join(encoded)
            + b'],"hasNext":'
            + (b"true" if has_next else b"false")
            + b"}"
        )
        return SimResponse(200, body, {"Content-Type": "application/json; charset=UTF-8"})

    def _render(self, item: Mapping[str, Any], expand: set[str]) -> dict[str, Any]:
        out = dict(item)
        if "formFields" not in expand:
            out["formFields"] = None
        if "requester" not in expand:
            out["requester"] = None
        moves = item.get("currentMovements")
        if not self.current_movements:
            out.pop("currentMovements", None)  # Fluig 1.8 has no such field
        elif "currentMovements" not in expand:
            out["currentMovements"] = None
        if "activities" in expand:
            out["activities"] = moves
        return out

    def _observation(self, req: SimRequest) -> SimResponse:
        body = req.json()
        ok = (
            isinstance(body, dict)
            and all(
                isinstance(body.get(k), int)
                for k in ("processInstanceId", "stateSequence", "threadSequence")
            )
            and isinstance(body.get("observation"), str)
            and body["observation"].strip()
        )
        if not ok:
            return SimResponse.json(
                {
                    "content": None,
                    "message": {"message": "Invalid observation", "detail": "", "type": "ERROR"},
                },
                status=400,
            )
        assert isinstance(body, dict)
        with self._lock:
            known = any(
                i.get("processInstanceId") == body["processInstanceId"] for i in self._items
            )
            if not known:
                return SimResponse.json(
                    {
                        "content": None,
                        "message": {"message": "Request not found", "detail": "", "type": "ERROR"},
                    },
                    status=500,
                )
            self.observations.append(dict(body))
            vo = {
                **body,
                "id": len(self.observations),
                "observationDate": int(time.time() * 1000),
                "movementSequence": 0,
                "colleagueId": "fluigbot-app",
            }
        return SimResponse.json({"content": vo, "message": OK_MESSAGE})

    def _active_tasks(self, raw_id: str) -> SimResponse:
        pid = _int(raw_id)
        item = next((i for i in self._items if i.get("processInstanceId") == pid), None)
        if item is None:
            return SimResponse.json(
                {
                    "content": None,
                    "message": {"message": "Request not found", "detail": "", "type": "ERROR"},
                },
                status=500,
            )
        tasks: list[dict[str, Any]] = []
        for move in item.get("currentMovements") or []:
            state = move.get("state") or {}
            tasks.append(
                {
                    "movementSequence": move.get("movementSequence"),
                    "transferredSequence": 0,
                    "stateSequence": state.get("sequence"),
                    "colleagueName": "Pool:Group:ATENDIMENTO",
                    "startDateTask": move.get("startDate"),
                    "state": {
                        "sequence": state.get("sequence"),
                        "stateName": state.get("stateName"),
                    },
                    "status": 0,
                    "taskDeadline": None,
                    "active": bool(move.get("active", True)),
                    "expired": False,
                }
            )
        info: dict[str, Any] = {
            "processInstanceId": pid,
            "processId": item.get("processId"),
            "processVersion": item.get("processVersion"),
            "companyId": 1,
            "formId": item.get("formId"),
            "formVersion": 1000,
            "formValues": {},
            "startDateProcess": item.get("startDate"),
            "taskObservations": [o for o in self.observations if o["processInstanceId"] == pid],
            "tasksInfo": tasks,
            "attachments": [],
        }
        return SimResponse.json({"content": info, "message": OK_MESSAGE})

    def _card(self, req: SimRequest) -> SimResponse:
        parts = req.path[len(CARD_PREFIX) :].split("/")
        if (
            len(parts) != 3
            or parts[1] != "cards"
            or _int(parts[0]) is None
            or _int(parts[2]) is None
        ):
            return _error(404, "NOT_FOUND", "Resource not found")
        form_id, card_id = _int(parts[0]), _int(parts[2])
        with self._lock:
            item = next(
                (
                    i
                    for i in self._items
                    if i.get("formId") == form_id and i.get("formRecordId") == card_id
                ),
                None,
            )
            if item is None:
                return _error(404, "NOT_FOUND", "Form record not found")
            if req.method == "PUT":
                body = req.json()
                values = body.get("values") if isinstance(body, dict) else None
                if not isinstance(values, list) or not all(
                    isinstance(v, dict) and isinstance(v.get("fieldId"), str) for v in values
                ):
                    return _error(400, "BAD_REQUEST", "values must be a list of {fieldId, value}")
                fields = list(item.get("formFields") or [])
                for value in values:
                    fields = [f for f in fields if f.get("field") != value["fieldId"]]
                    fields.append({"field": value["fieldId"], "value": value.get("value")})
                item["formFields"] = fields
                self._encoded = {k: v for k, v in self._encoded.items() if k[0] != id(item)}
                item["_cardVersion"] = item.get("_cardVersion", 1000) + 1000
                self.card_updates.append({"formId": form_id, "cardId": card_id, "values": values})
            card = {
                "cardId": card_id,
                "version": item.get("_cardVersion", 1000),
                "companyId": 1,
                "parentDocumentId": form_id,
                "activeVersion": True,
                "values": [
                    {"fieldId": f["field"], "value": f.get("value")}
                    for f in item.get("formFields") or []
                ],
                "children": [],
            }
        return SimResponse.json(card)

    def _dataset(self, req: SimRequest) -> SimResponse:
        body = req.json()
        if not isinstance(body, dict) or not isinstance(body.get("name"), str):
            return SimResponse.json(
                {"content": None, "message": {"message": "name is required"}}, status=500
            )
        rows = self.datasets.get(body["name"])
        if rows is None:
            return SimResponse.json({"content": {}, "message": None})  # Fluig's answer to a typo
        limit = None
        for c in body.get("constraints") or []:
            if not isinstance(c, dict) or c.get("_initialValue") in (None, ""):
                return _error(500, "INTERNAL", "NullPointerException")  # as Fluig does
            if c.get("_field") == "sqlLimit":
                limit = _int(str(c["_initialValue"]))
                continue
            lo, hi, kind = (
                str(c["_initialValue"]),
                str(c.get("_finalValue", c["_initialValue"])),
                c.get("_type", 1),
            )
            hit = [r for r in rows if lo <= str(r.get(c["_field"], "")) <= hi]
            rows = hit if kind != 3 else [r for r in rows if r not in hit]
        if limit is not None:
            rows = rows[:limit]
        fields = body.get("fields") or None
        columns = fields or (sorted({k for r in rows for k in r}) if rows else [])
        values = (
            [{k: r.get(k) for k in columns} for r in rows] if fields else [dict(r) for r in rows]
        )
        return SimResponse.json(
            {"content": {"columns": columns, "values": values}, "message": None}
        )


# -- sample data ----------------------------------------------------------------------------------

FIRST_NAMES = (
    "Ana",
    "João",
    "Maria",
    "José",
    "Francisca",
    "Antônio",
    "Luíza",
    "Carlos",
    "Adriana",
    "Paulo",
    "Juliana",
    "Lucas",
    "Márcia",
    "Rafael",
    "Fernanda",
    "Gabriel",
    "Patrícia",
    "Pedro",
    "Aline",
    "Thiago",
)
LAST_NAMES = (
    "Silva",
    "Santos",
    "Oliveira",
    "Souza",
    "Rodrigues",
    "Ferreira",
    "Alves",
    "Pereira",
    "Lima",
    "Gomes",
    "Costa",
    "Ribeiro",
    "Martins",
    "Carvalho",
    "Araújo",
    "Conceição",
    "Nascimento",
)
AREA_CODES = (11, 21, 31, 41, 51, 61, 71, 81, 85, 92, 19, 27)
DESCRIPTIONS = (
    "Solicito segunda via do boleto de agosto.",
    "Minha internet está caindo várias vezes ao dia.",
    "Preciso alterar o endereço de entrega do contrato.",
    "Pedido de reembolso da taxa cobrada em duplicidade.",
    "Quero agendar a visita técnica para instalação.",
)
BRT = timezone(timedelta(hours=-3))


def sample_name(n: int) -> str:
    return f"{FIRST_NAMES[n % len(FIRST_NAMES)]} {LAST_NAMES[(n * 7) % len(LAST_NAMES)]}"


def sample_phone(n: int) -> str:
    """A made-up Brazilian mobile, typed the way people type it into forms."""
    body = 81_000_000 + (n * 7919) % 18_000_000
    return f"({AREA_CODES[n % len(AREA_CODES)]}) 9{body // 10000:04d}-{body % 10000:04d}"


def fluig_date(moment: datetime) -> str:
    """Fluig's way of writing a date: millis and an offset without a colon."""
    return (
        moment.strftime("%Y-%m-%dT%H:%M:%S.")
        + f"{moment.microsecond // 1000:03d}"
        + moment.strftime("%z")
    )


def sample_item(
    n: int,
    *,
    phone: str | None = None,
    name: str | None = None,
    process_id: str = "abertura_chamado",
    description: str | None = None,
    start: datetime | None = None,
    status: str = "OPEN",
    extra_fields: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """A realistic v2 `Request` item (numbered 100000 + n) with its form fields and movement."""
    pid = 100_000 + n
    person = name if name is not None else sample_name(n)
    started = start or datetime(2026, 7, 6, 8, 0, tzinfo=BRT) + timedelta(minutes=7 * n)
    login = f"user{n}"
    form_id, card_id = 41_123, 1_100_000 + n
    fields = {
        "telefone": sample_phone(n) if phone is None else phone,
        "nome_solicitante": person,
        "descricao": description
        if description is not None
        else DESCRIPTIONS[n % len(DESCRIPTIONS)],
        "num_solicitacao": str(pid),
        **(extra_fields or {}),
        "documentid": str(card_id),
        "cardid": str(form_id),
        "version": "1000",
        "companyid": "1",
        "tableid": "principal",
        "anonymization_date": "",
    }
    movement = {
        "processInstanceId": pid,
        "movementSequence": 2,
        "active": True,
        "slaStatus": "ON_TIME",
        "startDate": fluig_date(started + timedelta(seconds=54)),
        "processId": process_id,
        "processVersion": 12,
        "processDescription": "Abertura de Chamado",
        "state": {
            "processId": process_id,
            "processVersion": 12,
            "sequence": 5,
            "stateName": "Aguardando Atendimento",
            "stateDescription": "Aguardando Atendimento",
            "stateType": "SIMPLE",
            "bpmnType": "TASK_NORMAL",
            "configuration": None,
            "_expandables": ["instructions", "configuration"],
        },
        "tasks": None,
        "threadSequence": 0,
        "formFields": None,
        "deadlineSpecification": None,
        "taskInfo": None,
        "_expandables": ["tasks", "taskInfo", "deadlineSpecification", "formFields"],
    }
    return {
        "processInstanceId": pid,
        "processId": process_id,
        "processVersion": 12,
        "active": status == "OPEN",
        "requester": {
            "code": f"00000000-0000-0000-0000-{n:012d}",
            "name": person,
            "mail": f"{login}@exemplo.com.br",
            "login": login,
            "local": None,
            "_expandables": ["local"],
        },
        "formRecordId": card_id,
        "formId": form_id,
        "parentRequestId": None,
        "startDate": fluig_date(started),
        "endDate": None if status == "OPEN" else fluig_date(started + timedelta(hours=3)),
        "warningDate": None,
        "deadlineDate": None,
        "periodId": "Default",
        "activities": None,
        "currentMovements": [movement] if status == "OPEN" else [],
        "formRecord": None,
        "formFields": [{"field": k, "value": v} for k, v in fields.items()],
        "slaStatus": "ON_TIME",
        "status": status,
        "processDescription": "Abertura de Chamado",
        "deadlineSpecification": None,
        "_expandables": ["formRecord", "activities", "formFields", "deadlineSpecification"],
    }


def _int(text: Any) -> int | None:
    try:
        return int(str(text))
    except (TypeError, ValueError):
        return None


def _parse_date(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _after(moment: datetime | None, since: datetime) -> bool:
    return moment is not None and moment >= since
