"""The one HTTP door to Fluig: signed requests, TLS always verified, and every answer mapped once
into the error tree (fluigbot/errors.py).

- 401/403                    -> AuthRejected (exit 4)
- 200 with an HTML page      -> FluigLoginPage (exit 4), never parsed
- 3xx to a login page        -> FluigLoginPage; any other redirect -> RemoteError
- 5xx/429, timeouts, refused -> retried with backoff (injected `sleep`), then RemoteError (exit 5)
- a ca_bundle that cannot be read -> ConfigError (exit 2)
- other 4xx                  -> FluigHTTPError (a RemoteError carrying `status_code`)
- malformed/truncated JSON   -> RemoteError naming the endpoint and the context (e.g. "page 7")

Messages name the URL path only: never the query (it may hold names) nor any secret.
"""

from __future__ import annotations

import json
import logging
import re
import ssl
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import httpx

from fluigbot.errors import AuthRejected, ConfigError, FluigLoginPage, RemoteError
from fluigbot.fluig.auth import FluigCredentials, OAuth1Auth

__all__ = ["DEFAULT_TIMEOUT", "FluigClient", "FluigCredentials", "FluigHTTPError"]

log = logging.getLogger("fluigbot.fluig")

# Listing pages with expand=formFields can take many seconds on a big Fluig (research §2.1).
DEFAULT_TIMEOUT = httpx.Timeout(120.0, connect=10.0)
AUTH_HINT = (
    "Check them with `fluigbot auth set fluig` (or the FLUIGBOT_FLUIG_* variables) "
    "and that the app user may read these processes."
)
Params = Mapping[str, Any] | Sequence[tuple[str, Any]] | None


class FluigHTTPError(RemoteError):
    """Fluig answered an unexpected 4xx (400, 404, 412...). `status_code` says which."""

    def __init__(self, message: str, *, status_code: int, hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.status_code = status_code


def _is_tls_failure(exc: BaseException) -> bool:
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, ssl.SSLError) or "CERTIFICATE_VERIFY_FAILED" in str(seen):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


class FluigClient:
    """Speaks dicts with Fluig. `calls` counts the HTTP requests sent (retries included)."""

    def __init__(
        self,
        base_url: str,
        creds: FluigCredentials,
        *,
        client: httpx.Client | None = None,
        transport: httpx.BaseTransport | None = None,
        timeout: float | httpx.Timeout = DEFAULT_TIMEOUT,
        retries: int = 3,
        sleep: Callable[[float], None] = time.sleep,
        backoff: float = 0.5,
        ca_bundle: str | Path | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self._auth = OAuth1Auth(creds)
        self._retries = max(0, retries)
        self._sleep = sleep
        self._backoff = backoff
        self.calls = 0
        self._owns_client = client is None
        if client is not None:
            self._http = client
        else:
            # Verification is never off: the OS trust store by default (company CAs), or a bundle.
            verify = _ca_bundle_context(ca_bundle) if ca_bundle else _truststore_context()
            self._http = httpx.Client(
                transport=transport,
                timeout=timeout,
                verify=verify,
                follow_redirects=False,
                headers={"Accept": "application/json", "User-Agent": "fluigbot"},
            )

    def __repr__(self) -> str:
        return f"FluigClient({self.base_url!r})"

    def close(self) -> None:
        if self._owns_client:
            self._http.close()

    def __enter__(self) -> FluigClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- the three verbs --------------------------------------------------------------------

    def get_json(
        self, path: str, params: Params = None, *, context: str | None = None
    ) -> dict[str, Any]:
        return self.decode_json(
            self.get_bytes(path, params, context=context), _where(path, context)
        )

    def get_bytes(self, path: str, params: Params = None, *, context: str | None = None) -> bytes:
        """GET with every check of get_json but the JSON decoding, which the caller does with
        `decode_json` (so the listing can send the next request before decoding this page)."""
        return self._send("GET", path, params=params, context=context, idempotent=True)

    def post_json(
        self,
        path: str,
        body: Any,
        *,
        params: Params = None,
        context: str | None = None,
        idempotent: bool = True,
    ) -> dict[str, Any]:
        """POST a JSON body. `idempotent=False` (a write such as an observation) is retried only
        when the request certainly never reached Fluig (connection refused, 503)."""
        raw = self._send(
            "POST", path, params=params, body=body, context=context, idempotent=idempotent
        )
        return self.decode_json(raw, _where(path, context))

    def put_json(
        self, path: str, body: Any, *, params: Params = None, context: str | None = None
    ) -> dict[str, Any]:
        raw = self._send("PUT", path, params=params, body=body, context=context, idempotent=True)
        return self.decode_json(raw, _where(path, context))

    # -- internals --------------------------------------------------------------------------

    def _send(
        self,
        method: str,
        path: str,
        *,
        params: Params = None,
        body: Any = None,
        context: str | None,
        idempotent: bool,
    ) -> bytes:
        url = self.base_url + (path if path.startswith("/") else "/" + path)
        where = _where(path, context)
        attempts = 1 + self._retries
        content = None if body is None else json.dumps(body, ensure_ascii=False).encode("utf-8")
        headers = (
            {"Content-Type": "application/json; charset=utf-8"} if content is not None else None
        )
        for attempt in range(1, attempts + 1):
            response: httpx.Response | None = None
            try:
                self.calls += 1
                request = self._http.build_request(
                    method,
                    url,
                    params=params,  # type: ignore[arg-type]
                    content=content,
                    headers=headers,
                )
                response = self._http.send(request, auth=self._auth, stream=True)
                try:
                    # Not response.read(): that keeps the body on the Response, which httpx
                    # leaves in a reference cycle: a 1 MB page would live until a collection.
                    raw = b"".join(response.iter_bytes())
                finally:
                    response.close()
            except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as exc:
                if _is_tls_failure(exc):
                    raise RemoteError(
                        f"Fluig's TLS certificate could not be verified at {where}.",
                        hint="If Fluig uses a company CA, set fluig.ca_bundle to its PEM file.",
                    ) from None
                reason, retryable = "could not be reached", True
            except httpx.TimeoutException:
                reason, retryable = "did not answer in time", idempotent
            except httpx.TransportError:
                reason, retryable = "dropped the connection", idempotent
            else:
                status = response.status_code
                if status >= 500 or status == 429:
                    reason = f"answered HTTP {status}"
                    retryable = idempotent or status == 503
                else:
                    return self._check(response, raw, where)
            if not retryable or attempt == attempts:
                tries = f" after {attempt} attempts" if attempt > 1 else ""
                raise RemoteError(
                    f"Fluig {reason} at {where}{tries}.",
                    hint="Check fluig.base_url and that Fluig is up, then run the command again.",
                )
            delay = self._delay(attempt, response)
            log.info(
                "Fluig %s at %s; retry %d/%d in %.1fs", reason, where, attempt, self._retries, delay
            )
            self._sleep(delay)
        raise AssertionError("unreachable")  # pragma: no cover

    def _delay(self, attempt: int, response: httpx.Response | None) -> float:
        delay = self._backoff * (2 ** (attempt - 1))
        if response is not None:
            retry_after = response.headers.get("Retry-After", "")
            if retry_after.isdigit():
                delay = max(delay, float(retry_after))
        return min(delay, 30.0)

    def _check(self, response: httpx.Response, raw: bytes, where: str) -> bytes:
        """Maps the answer's status into the error tree; returns the body of a usable answer."""
        status = response.status_code
        if status in (401, 403):
            raise AuthRejected(
                f"Fluig rejected the OAuth credentials (HTTP {status}).", hint=AUTH_HINT
            )
        if 300 <= status < 400:
            location = response.headers.get("Location", "")
            if "login" in location.lower():
                raise FluigLoginPage(
                    f"Fluig redirected {where} to its login page: the credentials were not accepted.",
                    hint=AUTH_HINT,
                )
            raise RemoteError(
                f"Fluig redirected {where} elsewhere (HTTP {status}).",
                hint="Check fluig.base_url (scheme, host and path).",
            )
        if status >= 400:
            code = _error_code(raw)
            raise FluigHTTPError(
                f"Fluig answered HTTP {status}{code} at {where}.",
                status_code=status,
                hint="Check fluig.base_url, the process ids and the app user's permissions.",
            )
        content_type = response.headers.get("Content-Type", "").lower()
        if "text/html" in content_type or raw.lstrip()[:1] == b"<":
            # Fluig serves its login page with 200 when the session or credentials are not valid.
            raise FluigLoginPage(
                f"Fluig answered an HTML page (its login page) at {where} instead of data.",
                hint=AUTH_HINT,
            )
        return raw

    @staticmethod
    def decode_json(raw: bytes, where: str) -> dict[str, Any]:
        """A checked body -> dict. Empty -> {}; bad or truncated JSON -> RemoteError at `where`."""
        if not raw.strip():
            return {}
        try:
            data = json.loads(raw)
        except ValueError:
            raise RemoteError(
                f"Fluig answered malformed or truncated JSON at {where}.",
                hint="Run the command again; if it persists, check Fluig's server log.",
            ) from None
        if not isinstance(data, dict):
            raise RemoteError(f"Fluig answered JSON that is not an object at {where}.")
        return data


def _where(path: str, context: str | None) -> str:
    return f"{path} ({context})" if context else path


def _error_code(raw: bytes) -> str:
    """Fluig's ErrorResponse `code` (e.g. "BAD_REQUEST"); its free text may echo data, so not it."""
    try:
        data = json.loads(raw)
    except ValueError:
        return ""
    code = data.get("code") if isinstance(data, dict) else None
    return f" ({code})" if isinstance(code, str) and re.fullmatch(r"[\w.\-]{1,80}", code) else ""


def _ca_bundle_context(path: str | Path) -> ssl.SSLContext:
    try:
        return ssl.create_default_context(cafile=str(path))
    except (OSError, ssl.SSLError):
        raise ConfigError(
            f"fluig.ca_bundle ({path}) cannot be read as a PEM certificate bundle.",
            hint="Point it at the company CA's PEM file.",
        ) from None


def _truststore_context() -> ssl.SSLContext:
    import truststore

    return truststore.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
