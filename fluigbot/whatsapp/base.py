"""The provider interface: one message in, one classified answer out.

Every provider maps every answer exactly once, in its own pure ``classify`` table, to one
:class:`ErrorClass`. ``send()`` never raises for an answer (or for a transport failure): errors
are data, and the dispatch decides what each class means for the journal.
"""

from __future__ import annotations

import base64
import email.utils
import json
import re
import ssl
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Literal, NamedTuple, Protocol, runtime_checkable

import httpx

from fluigbot import __version__
from fluigbot.config import WhatsAppSettings
from fluigbot.errors import AuthRejected, FluigbotError, ProviderStop
from fluigbot.templates import TemplateSpec, parameter_values, render

ParameterFormat = Literal["positional", "named"]
USER_AGENT = f"fluigbot/{__version__}"
CONNECT_TIMEOUT = 5.0


class ErrorClass(StrEnum):
    RATE_LIMITED = "rate_limited"  # wait (retry_after) and try again within the run, bounded
    RETRYABLE = "retryable"  # nothing was sent: failed, with a backoff
    UNKNOWN = "unknown"  # it may have been sent: never again without --force
    PERMANENT = "permanent"  # this recipient cannot get it: dead
    STOP = "stop"  # credentials (auth=True, exit 4) or template/account (exit 2): stop the batch


@dataclass(frozen=True)
class Message:
    """One rendered message for one recipient. `key` is the journal key (source, request_id)."""

    key: tuple[str, str]
    to: str  # E.164, "+5511987654321"
    text: str  # the rendered body (what preview shows; what text-only gateways send)
    template: str  # Meta template name, or Twilio Content SID (HX...)
    language: str = "pt_BR"
    parameters: list[tuple[str, str]] = field(default_factory=list)  # (name, value), in order
    parameter_format: ParameterFormat = "positional"

    def __repr__(self) -> str:  # no phone numbers or names in logs
        return f"Message(key={self.key!r}, template={self.template!r}, to=<hidden>)"


def compose(
    spec: TemplateSpec, variables: Mapping[str, str], *, key: tuple[str, str], to: str
) -> Message:
    """The message a template spec and a request's variables make (raises TemplateError)."""
    return Message(
        key=key,
        to=to,
        text=render(spec.body, variables),
        template=spec.name,
        language=spec.language,
        parameters=parameter_values(spec.effective_parameters(), variables),
        parameter_format=spec.parameter_format,
    )


@dataclass(frozen=True)
class SendResult:
    ok: bool
    message_id: str | None = None
    wa_id: str | None = None  # the provider's id for the recipient, when it says (PII)
    error_class: ErrorClass | None = None
    code: str | None = None  # the provider's error code, or a transport label ("read_timeout")
    detail: str | None = None  # short, scrubbed of phone numbers
    retry_after: float | None = None  # seconds, for rate_limited
    auth: bool = False  # for STOP: True -> exit 4 (credentials), else exit 2 (template/account)

    def __repr__(self) -> str:
        return (
            f"SendResult(ok={self.ok}, message_id={self.message_id!r}, "
            f"error_class={self.error_class}, code={self.code!r}, detail={self.detail!r}, "
            f"retry_after={self.retry_after}, auth={self.auth})"
        )


def stop_error(result: SendResult, provider: str) -> FluigbotError:
    """The exception a STOP answer becomes (AuthRejected exit 4, ProviderStop exit 2)."""
    what = f"{provider} answered {result.code or 'an error'}"
    if result.detail:
        what += f": {result.detail}"
    if result.auth:
        return AuthRejected(
            f"{what}. The WhatsApp credentials were rejected; the batch stopped.",
            hint="Check FLUIGBOT_WHATSAPP_TOKEN (or `fluigbot auth set whatsapp`) and the config.",
        )
    return ProviderStop(
        f"{what}. The template or the account was refused; the batch stopped.",
        hint="The remaining messages stay pending. Check [message] and the provider's console.",
    )


# The ``[whatsapp]`` table itself: "" means a key's default (the provider's base URL, the user
# data dir's outbox). One definition, shared with the config loader.
ProviderConfig = WhatsAppSettings


class HttpRequest(NamedTuple):
    """What a provider would send: the seam for --dry-run and tests. `body` is JSON or form."""

    method: str
    url: str
    headers: dict[str, str]
    body: dict[str, Any]

    def redacted(self) -> HttpRequest:
        secret = {"authorization", "apikey"}
        headers = {k: ("***" if k.lower() in secret else v) for k, v in self.headers.items()}
        return self._replace(headers=headers)

    def encode(self) -> bytes:
        if self.headers.get("Content-Type", "").startswith("application/x-www-form-urlencoded"):
            return str(httpx.QueryParams(self.body)).encode()
        return json.dumps(self.body, ensure_ascii=False, separators=(",", ":")).encode()


@runtime_checkable
class Provider(Protocol):
    name: str

    def build_request(self, msg: Message) -> HttpRequest: ...

    async def send(self, msg: Message) -> SendResult: ...

    async def aclose(self) -> None: ...


# --- shared helpers -------------------------------------------------------------------------


def digits(e164: str) -> str:
    return "".join(ch for ch in e164 if ch.isdigit())


def basic_auth(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


_NUMBERISH = re.compile(r"\+?\d[\d\s().-]{6,}\d")


def scrub(text: object, limit: int = 200) -> str:
    """A provider's error text made safe for logs: no phone numbers, one line, bounded."""
    out = _NUMBERISH.sub("[number]", " ".join(str(text).split()))
    return out if len(out) <= limit else out[: limit - 1] + "…"


def json_or_none(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None


def retry_after_seconds(headers: Mapping[str, str], *, now: float | None = None) -> float | None:
    """Retry-After (seconds or an HTTP date), else Meta's usage header (minutes), else None."""
    value = headers.get("retry-after")
    if value:
        value = value.strip()
        try:
            return max(float(value), 0.0)
        except ValueError:
            try:
                when = email.utils.parsedate_to_datetime(value).timestamp()
            except (TypeError, ValueError):
                when = None
            if when is not None:
                return max(when - (time.time() if now is None else now), 0.0)
    usage = headers.get("x-business-use-case-usage")
    if usage:
        try:
            data = json.loads(usage)
            minutes = max(
                float(item.get("estimated_time_to_regain_access") or 0)
                for items in data.values()
                for item in items
            )
        except (ValueError, TypeError, AttributeError):
            return None
        return minutes * 60 if minutes > 0 else None
    return None


def answered_failure(
    response: httpx.Response, klass: ErrorClass, *, auth: bool, code: str, detail: str | None
) -> SendResult:
    """A provider's error answer as a SendResult; rate limits carry how long to wait."""
    wait = retry_after_seconds(response.headers) if klass is ErrorClass.RATE_LIMITED else None
    return SendResult(
        ok=False, error_class=klass, code=code, detail=detail, retry_after=wait, auth=auth
    )


def no_answer_class(exc: BaseException | None) -> tuple[ErrorClass, bool]:
    """The class of a failure with no answer, as transport_failure decides it: one rule for
    every provider's table."""
    if isinstance(exc, httpx.HTTPError):
        klass = transport_failure(exc).error_class
        return (klass or ErrorClass.UNKNOWN), False
    return ErrorClass.UNKNOWN, False


def transport_failure(exc: httpx.HTTPError) -> SendResult:
    """A failure with no answer. Only a connection that never opened surely sent nothing."""
    if isinstance(exc, httpx.ConnectTimeout | httpx.ConnectError | httpx.PoolTimeout):
        label = "connect_timeout" if isinstance(exc, httpx.ConnectTimeout) else "connect_error"
        if isinstance(exc, httpx.PoolTimeout):
            label = "pool_timeout"
        return SendResult(
            ok=False, error_class=ErrorClass.RETRYABLE, code=label, detail="no connection"
        )
    if isinstance(exc, httpx.ProxyError):
        return SendResult(
            ok=False, error_class=ErrorClass.RETRYABLE, code="proxy_error", detail="proxy refused"
        )
    if isinstance(exc, httpx.UnsupportedProtocol | httpx.LocalProtocolError):
        # Every message would fail the same way: a bad base_url or a token that is not a header.
        return SendResult(
            ok=False,
            error_class=ErrorClass.STOP,
            code="bad_request_setup",
            detail=f"the request could not be built ({type(exc).__name__}); check base_url",
        )
    labels: dict[type[Exception], str] = {
        httpx.ReadTimeout: "read_timeout",
        httpx.WriteTimeout: "write_timeout",
        httpx.RemoteProtocolError: "connection_dropped",
        httpx.ReadError: "read_error",
        httpx.WriteError: "write_error",
    }
    label = labels.get(type(exc), type(exc).__name__)
    return SendResult(
        ok=False,
        error_class=ErrorClass.UNKNOWN,
        code=label,
        detail="no answer after the request went out: it may have been sent",
    )


def http_status_class(status: int) -> tuple[ErrorClass, bool]:
    """An HTTP status with no provider envelope (a proxy, a wrong URL): (class, auth)."""
    if status == 401:
        return ErrorClass.STOP, True
    if status == 403:
        return ErrorClass.STOP, True
    if status == 429:
        return ErrorClass.RATE_LIMITED, False
    if 300 <= status < 400 or status in (404, 405, 407, 410, 415):
        return ErrorClass.STOP, False  # the endpoint is not there: base_url or proxy config
    if status in (413, 414, 431):
        return ErrorClass.PERMANENT, False  # this message is too big
    return ErrorClass.UNKNOWN, False  # a 5xx page, a 408, anything we cannot read


def _ssl_context() -> ssl.SSLContext | bool:
    try:
        import truststore

        return truststore.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    except Exception:  # pragma: no cover - truststore is a dependency; certifi is the fallback
        return True


def make_client(
    cfg: ProviderConfig, transport: httpx.AsyncBaseTransport | None = None
) -> httpx.AsyncClient:
    """One client per provider: connect 5 s, read `cfg.timeout`, keep-alive for the batch."""
    return httpx.AsyncClient(
        transport=transport,
        verify=_ssl_context() if transport is None else True,
        timeout=httpx.Timeout(cfg.timeout, connect=CONNECT_TIMEOUT),
        limits=httpx.Limits(max_connections=128, max_keepalive_connections=128),
        headers={"User-Agent": USER_AGENT},
        follow_redirects=False,
    )


class HttpProvider:
    """Shared plumbing: build, post, then hand the answer to the subclass's interpret()."""

    name = "http"

    def __init__(
        self,
        cfg: ProviderConfig,
        token: str,
        *,
        client: httpx.AsyncClient | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.cfg = cfg
        self._token = token
        self._own_client = client is None
        self._client = client if client is not None else make_client(cfg, transport)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(base_url={self.base_url!r})"

    @property
    def base_url(self) -> str:
        raise NotImplementedError

    def build_request(self, msg: Message) -> HttpRequest:
        raise NotImplementedError

    def interpret(self, response: httpx.Response) -> SendResult:
        raise NotImplementedError

    async def send(self, msg: Message) -> SendResult:
        req = self.build_request(msg)
        try:
            response = await self._client.request(
                req.method, req.url, headers=req.headers, content=req.encode()
            )
        except httpx.HTTPError as exc:
            return transport_failure(exc)
        return self.interpret(response)

    async def aclose(self) -> None:
        if self._own_client:
            await self._client.aclose()
