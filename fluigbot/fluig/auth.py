"""OAuth 1.0a (HMAC-SHA1) signing for Fluig, as a small `httpx.Auth` over oauthlib's `Client`.

Fluig accepts only OAuth 1.0a for external apps (research/fluig.md §1.1). We sign the method, the
URL and its query parameters, and put the signature in the `Authorization` header. A JSON body is
never part of the signature (RFC 5849 only signs form-encoded bodies) and is sent untouched:
authlib's httpx integration sends JSON bodies empty (authlib issue #543), which is why this exists.
No `oauth_body_hash` either: the public clients known to work against Fluig (requests_oauthlib)
do not send one.
"""

from __future__ import annotations

from collections.abc import Generator
from dataclasses import dataclass, field

import httpx
from oauthlib.oauth1 import SIGNATURE_HMAC_SHA1, SIGNATURE_TYPE_AUTH_HEADER, Client

FORM_CONTENT_TYPE = "application/x-www-form-urlencoded"


@dataclass(frozen=True)
class FluigCredentials:
    """The four Fluig secrets (an OAuth app plus an app user's token). The repr hides them."""

    consumer_key: str = field(repr=False)
    consumer_secret: str = field(repr=False)
    access_token: str = field(repr=False)
    token_secret: str = field(repr=False)

    def __repr__(self) -> str:
        return "FluigCredentials(<hidden>)"


class OAuth1Auth(httpx.Auth):
    """Signs every request with OAuth 1.0a HMAC-SHA1 in the Authorization header."""

    requires_request_body = True  # so a form body, if ever sent, can be signed

    def __init__(self, creds: FluigCredentials) -> None:
        self._creds = creds

    def __repr__(self) -> str:
        return "OAuth1Auth(<hidden>)"

    def _client(self) -> Client:
        # A fresh Client per request: oauthlib makes a new nonce and timestamp on each sign().
        return Client(
            self._creds.consumer_key,
            client_secret=self._creds.consumer_secret,
            resource_owner_key=self._creds.access_token,
            resource_owner_secret=self._creds.token_secret,
            signature_method=SIGNATURE_HMAC_SHA1,
            signature_type=SIGNATURE_TYPE_AUTH_HEADER,
        )

    def sign(self, request: httpx.Request) -> None:
        """Adds the Authorization header to `request` in place."""
        content_type = request.headers.get("Content-Type", "")
        body: str | None = None
        headers: dict[str, str] = {}
        if content_type.split(";")[0].strip().lower() == FORM_CONTENT_TYPE and request.content:
            # Only form bodies take part in the signature (RFC 5849 §3.4.1.3.1).
            body = request.content.decode("utf-8")
            headers["Content-Type"] = FORM_CONTENT_TYPE
        _, signed, _ = self._client().sign(
            str(request.url), http_method=request.method, body=body, headers=headers
        )
        request.headers["Authorization"] = signed["Authorization"]

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        self.sign(request)
        yield request
