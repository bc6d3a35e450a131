"""A loopback simulator of the Meta WhatsApp Cloud API, for `demo`, `sandbox`, tests and benches.

    with CloudSimulator(latency=0.05) as sim:
        sim.fail("+5511987654321", 131026)         # this number: "undeliverable", every time
        sim.fail("+5511912345678", "timeout", times=1)
        ...  # point whatsapp.base_url at sim.url, token "demo-token", phone_number_id "123456789"
        sim.received        # every well-formed message that reached it, in order

It checks the Bearer token (401, code 190 otherwise) and the message's shape (400, code 100 or
132018, like Meta), answers ``wamid`` ids and ``wa_id``s (12 digits for an "old account": a
Brazilian mobile registered before the ninth digit), after `latency` seconds. Failure kinds: a
Meta error code (Meta's envelope, HTTP status as Meta tends to use), ``"timeout"`` (read the
request, never answer until the client gives up), ``"drop"`` (close the connection without an
answer) and ``"proxy_502"`` (an HTML 502 page, no Graph envelope). For timeout, drop and
proxy_502 the message counts as delivered: the dangerous case, where the far end acted but the
answer was lost.
"""

from __future__ import annotations

import re
import secrets
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from fluigbot.demo._http import LoopbackServer, SimRequest, SimResponse

KINDS = ("timeout", "drop", "proxy_502")
_FOREVER = 24 * 3600.0  # "never answer": the handler waits until the client or the server quits
_VERSION = re.compile(r"v\d+\.\d+")
_BAD_PARAM_TEXT = re.compile(r"[\n\t]| {5,}")

# code -> (HTTP status, message, details, is_transient)
ERRORS: dict[int, tuple[int, str, str, bool | None]] = {
    0: (401, "(#0) AuthException", "Unable to authenticate the app user", None),
    1: (500, "(#1) An unknown error occurred", "Invalid request or possible server error", True),
    2: (503, "(#2) Service temporarily unavailable", "Temporary downtime or overload", True),
    4: (429, "(#4) Application request limit reached", "Too many API calls", True),
    100: (400, "(#100) Invalid parameter", "Invalid parameter", False),
    190: (401, "Invalid OAuth access token - Cannot parse access token", "", None),
    368: (403, "(#368) Temporarily blocked for policies violations", "Policy violation", None),
    80007: (429, "(#80007) Rate limit issues", "WABA rate limit reached", True),
    130429: (429, "(#130429) Rate limit hit", "Cloud API message throughput reached", True),
    131000: (500, "(#131000) Something went wrong", "Unknown error", True),
    131008: (400, "(#131008) Required parameter is missing", "Parameter missing", None),
    131016: (503, "(#131016) Service unavailable", "A service is temporarily unavailable", True),
    131021: (400, "(#131021) Recipient cannot be sender", "Sender and recipient are the same", None),
    131026: (400, "(#131026) Message Undeliverable", "Message Undeliverable.", None),
    131031: (403, "(#131031) Account has been locked", "Account locked", None),
    131042: (400, "(#131042) Business eligibility payment issue", "Payment issue", None),
    131047: (400, "(#131047) Re-engagement message", "More than 24 hours have passed", None),
    131056: (400, "(#131056) (Business Account, Consumer Account) pair rate limit hit",
             "Too many messages to this recipient", True),
    131057: (503, "(#131057) Account in maintenance mode", "Throughput upgrade", True),
    132000: (400, "(#132000) Number of parameters does not match the expected number of params",
             "Parameter count mismatch", None),
    132001: (404, "(#132001) Template name does not exist in the translation",
             "template name does not exist in pt_BR", None),
    132005: (400, "(#132005) Translated text too long", "Text too long", None),
    132007: (400, "(#132007) Template format character policy violated", "Policy", None),
    132015: (400, "(#132015) Template is Paused", "Template paused for low quality", None),
    132016: (400, "(#132016) Template is Disabled", "Template disabled for low quality", None),
    132018: (400, "(#132018) There was an issue with the parameters in your template",
             "Param text cannot have new-line/tab characters or more than 4 consecutive spaces",
             None),
}  # fmt: skip


def meta_error(code: int, *, regain_minutes: int = 0) -> SimResponse:
    """Meta's Graph API error envelope for `code`, with its usual HTTP status."""
    status, message, details, transient = ERRORS.get(
        code, (400, f"(#{code}) Simulated error", "Simulated error", None)
    )
    error: dict[str, Any] = {
        "message": message,
        "type": "OAuthException",
        "code": code,
        "fbtrace_id": "A" + secrets.token_urlsafe(16),
    }
    if details:
        error["error_data"] = {"messaging_product": "whatsapp", "details": details}
    if transient is not None:
        error["is_transient"] = transient
    usage = (
        '{"123456789":[{"type":"whatsapp","call_count":100,"total_cputime":1,"total_time":1,'
        f'"estimated_time_to_regain_access":{regain_minutes}}}]}}'
    )
    return SimResponse.json(
        {"error": error}, status=status, headers={"x-business-use-case-usage": usage}
    )


PROXY_502 = (
    b"<html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad Gateway</h1>"
    b"</center><hr><center>nginx</center></body></html>\n"
)


def old_wa_id(number: str) -> str:
    """The 12-digit wa_id of a Brazilian mobile registered before the ninth digit."""
    d = _digits(number)
    if len(d) == 13 and d.startswith("55") and d[4] == "9":
        return d[:4] + d[5:]
    return d


def _digits(number: str) -> str:
    return "".join(ch for ch in number if ch.isdigit())


@dataclass(frozen=True)
class Received:
    """One well-formed message that reached the simulator (`to` is digits, as sent)."""

    to: str
    template: str
    language: str
    parameters: list[str]
    parameter_names: list[str | None]
    at: float  # time.monotonic()
    outcome: str  # "ok", "error:<code>", "timeout", "drop", "proxy_502"
    message_id: str | None = None

    @property
    def delivered(self) -> bool:
        """True where the far end may have acted on it (ok, or an answer that was lost)."""
        return self.outcome in ("ok", *KINDS)


@dataclass
class _Rule:
    error: int | str
    times: int | None
    regain_minutes: int = 0
    used: int = field(default=0)


class CloudSimulator:
    """The Cloud API on 127.0.0.1:<ephemeral>; a context manager. `.url` is the base URL."""

    def __init__(
        self,
        *,
        token: str = "demo-token",
        phone_number_id: str = "123456789",
        waba_id: str = "987654321",
        latency: float = 0.0,
        old_accounts: Iterable[str] = (),
        templates: list[dict[str, Any]] | None = None,
        port: int = 0,
    ) -> None:
        self.token = token
        self.phone_number_id = phone_number_id
        self.waba_id = waba_id
        self.latency = latency
        self.templates = templates if templates is not None else [DEFAULT_TEMPLATE]
        self._old = {_digits(n) for n in old_accounts}
        self._rules: dict[str | None, _Rule] = {}
        self._received: list[Received] = []
        self._rejected: list[tuple[int, str]] = []
        self._lock = threading.Lock()
        self._server = LoopbackServer(self._handle, port=port)

    # --- lifecycle --------------------------------------------------------------------------

    @property
    def url(self) -> str:
        return self._server.url

    def start(self) -> CloudSimulator:
        self._server.start()
        return self

    def close(self) -> None:
        self._server.close()

    def __enter__(self) -> CloudSimulator:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- control ----------------------------------------------------------------------------

    def fail(
        self,
        number: str | None,
        error: int | str,
        *,
        times: int | None = None,
        regain_minutes: int = 0,
    ) -> None:
        """Answer `number` (any form; None = every number) with `error`: a Meta error code or
        one of "timeout", "drop", "proxy_502". `times` None = always; else the next `times`
        messages, then normally. `regain_minutes` goes in the usage header of rate limits."""
        if isinstance(error, str) and error not in KINDS:
            raise ValueError(f"unknown failure kind {error!r}; use a code or one of {KINDS}")
        key = _digits(number) if number is not None else None
        with self._lock:
            self._rules[key] = _Rule(error, times, regain_minutes)

    def heal(self, number: str | None = None) -> None:
        """Forget the failure rule for `number` (None: every rule)."""
        with self._lock:
            if number is None:
                self._rules.clear()
            else:
                self._rules.pop(_digits(number), None)

    def add_old_account(self, number: str) -> None:
        with self._lock:
            self._old.add(_digits(number))

    @property
    def received(self) -> list[Received]:
        with self._lock:
            return list(self._received)

    @property
    def rejected(self) -> list[tuple[int, str]]:
        """(status, reason) of requests refused for the token or the shape."""
        with self._lock:
            return list(self._rejected)

    def delivered_to(self, number: str) -> int:
        d = _digits(number)
        return sum(1 for r in self.received if r.to == d and r.delivered)

    # --- serving ----------------------------------------------------------------------------

    def _reject(self, status: int, reason: str, response: SimResponse) -> SimResponse:
        with self._lock:
            self._rejected.append((status, reason))
        return response

    def _handle(self, req: SimRequest) -> SimResponse:
        parts = [p for p in req.path.split("/") if p]
        if not parts or not _VERSION.fullmatch(parts[0]):
            return SimResponse(
                status=404, body=b"not found", headers={"Content-Type": "text/plain"}
            )
        auth = req.headers.get("authorization", "")
        if auth != f"Bearer {self.token}":
            return self._reject(401, "token", meta_error(190))
        if req.method == "POST" and parts[1:] == [self.phone_number_id, "messages"]:
            return self._message(req)
        if req.method == "GET" and parts[1:] == [self.phone_number_id]:
            return SimResponse.json(
                {
                    "id": self.phone_number_id,
                    "display_phone_number": "+55 11 4000-0000",
                    "verified_name": "Fluigbot Demo",
                    "quality_rating": "GREEN",
                    "code_verification_status": "VERIFIED",
                }
            )
        if req.method == "GET" and parts[1:] == [self.waba_id, "message_templates"]:
            names = req.query.get("name") or []
            name = names[0] if names else None
            data = [t for t in self.templates if name is None or t.get("name") == name]
            return SimResponse.json({"data": data, "paging": {"cursors": {}}})
        return meta_error(100)

    def _message(self, req: SimRequest) -> SimResponse:
        if not req.headers.get("content-type", "").startswith("application/json"):
            return self._reject(400, "content-type", meta_error(100))
        body = req.json()
        problem = shape_problem(body)
        if problem is not None:
            code, reason = problem
            return self._reject(400, reason, meta_error(code))
        to = _digits(body["to"])
        params = body["template"].get("components", [{}])[0].get("parameters", [])
        with self._lock:
            rule = self._rules.get(to) or self._rules.get(None)
            if rule is not None:
                rule.used += 1
                if rule.times is not None and rule.used >= rule.times:
                    self._rules = {k: v for k, v in self._rules.items() if v is not rule}
        error = rule.error if rule is not None else None
        message_id = None if error is not None else "wamid." + secrets.token_urlsafe(24)
        outcome = "ok" if error is None else (error if isinstance(error, str) else f"error:{error}")
        record = Received(
            to=to,
            template=body["template"]["name"],
            language=body["template"]["language"]["code"],
            parameters=[p["text"] for p in params],
            parameter_names=[p.get("parameter_name") for p in params],
            at=time.monotonic(),
            outcome=outcome,
            message_id=message_id,
        )
        with self._lock:
            self._received.append(record)
            wa_id = old_wa_id(to) if to in self._old else to
        if error == "timeout":
            return SimResponse(delay=_FOREVER, drop=True)
        if error == "drop":
            return SimResponse(delay=self.latency, drop=True)
        if error == "proxy_502":
            return SimResponse(
                status=502,
                body=PROXY_502,
                headers={"Content-Type": "text/html"},
                delay=self.latency,
            )
        if isinstance(error, int):
            response = meta_error(error, regain_minutes=rule.regain_minutes if rule else 0)
            response.delay = self.latency
            return response
        return SimResponse.json(
            {
                "messaging_product": "whatsapp",
                "contacts": [{"input": body["to"], "wa_id": wa_id}],
                "messages": [{"id": message_id}],
            },
            delay=self.latency,
        )


def shape_problem(body: Any) -> tuple[int, str] | None:
    """(Meta code, reason) when the body is not a template message Meta would take; else None."""
    if not isinstance(body, dict):
        return 100, "body is not a JSON object"
    if body.get("messaging_product") != "whatsapp":
        return 100, "messaging_product"
    if body.get("recipient_type", "individual") != "individual":
        return 100, "recipient_type"
    to = body.get("to")
    if not isinstance(to, str) or not re.fullmatch(r"\+?\d{8,15}", to):
        return 100, "to"
    if body.get("type") != "template":
        return 100, "type"
    template = body.get("template")
    if not isinstance(template, dict) or not isinstance(template.get("name"), str):
        return 100, "template.name"
    language = template.get("language")
    if not isinstance(language, dict) or not isinstance(language.get("code"), str):
        return 100, "template.language.code"
    if language.get("policy", "deterministic") != "deterministic":
        return 100, "template.language.policy"
    components = template.get("components", [])
    if not isinstance(components, list) or len(components) > 1:
        return 100, "template.components"
    for component in components:
        if not isinstance(component, dict) or component.get("type") != "body":
            return 100, "template.components.type"
        params = component.get("parameters")
        if not isinstance(params, list) or not params:
            return 100, "template.components.parameters"
        named = [isinstance(p, dict) and "parameter_name" in p for p in params]
        if any(named) and not all(named):
            return 100, "parameter_name on some parameters only"
        for p in params:
            if not isinstance(p, dict) or p.get("type") != "text":
                return 100, "parameter.type"
            text = p.get("text")
            if not isinstance(text, str) or not text:
                return 131008, "parameter.text"
            if _BAD_PARAM_TEXT.search(text):
                return 132018, "parameter.text has new lines, tabs or 5+ spaces"
    return None


DEFAULT_TEMPLATE: dict[str, Any] = {
    "name": "primeiro_contato",
    "language": "pt_BR",
    "status": "APPROVED",
    "category": "UTILITY",
    "id": "1029384756",
    "components": [
        {
            "type": "BODY",
            "text": "Olá {{1}}! Recebemos sua solicitação nº {{2}}. "
            "Em breve entraremos em contato por aqui.",
        }
    ],
}
