"""OAuth 1.0a signing: what leaves the machine, checked with oauthlib's own server-side math."""

from __future__ import annotations

import json
from types import SimpleNamespace
from urllib.parse import urlsplit

import httpx
from oauthlib.oauth1.rfc5849 import signature as sig
from oauthlib.oauth1.rfc5849 import utils

from fluigbot.fluig.auth import FluigCredentials, OAuth1Auth

CREDS = FluigCredentials("ck-123", "cs-secret-456", "tk-789", "ts-secret-000")


def _oauth_params(request: httpx.Request) -> dict[str, str]:
    header = request.headers["Authorization"]
    assert header.startswith("OAuth ")
    return {k: utils.unescape(v) for k, v in utils.parse_authorization_header(header)}


def _valid(request: httpx.Request, consumer_secret: str, token_secret: str) -> bool:
    header = request.headers["Authorization"]
    params = sig.collect_parameters(
        uri_query=urlsplit(str(request.url)).query, headers={"Authorization": header}
    )
    if request.headers.get("Content-Type", "").startswith("application/x-www-form-urlencoded"):
        params += sig.collect_parameters(body=request.content.decode())
    base = sig.signature_base_string(
        request.method, sig.base_string_uri(str(request.url)), sig.normalize_parameters(params)
    )
    secrets = SimpleNamespace(client_secret=consumer_secret, resource_owner_secret=token_secret)
    expected = sig.sign_hmac_sha1_with_client(base, secrets)
    return expected == _oauth_params(request)["oauth_signature"]


def _capture(**request_kwargs: object) -> tuple[httpx.Request, httpx.Response]:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={})

    with httpx.Client(transport=httpx.MockTransport(handler), auth=OAuth1Auth(CREDS)) as client:
        response = client.request(**request_kwargs)  # type: ignore[arg-type]
    return seen[0], response


def test_get_is_signed_over_repeated_query_params_with_hmac_sha1() -> None:
    request, _ = _capture(
        method="GET",
        url="https://fluig.example.com/process-management/api/v2/requests",
        params={
            "processId": ["abertura_chamado", "Abertura de Chamados"],
            "expand": ["formFields", "requester"],
        },
    )
    oauth = _oauth_params(request)
    assert oauth["oauth_signature_method"] == "HMAC-SHA1"
    assert oauth["oauth_consumer_key"] == "ck-123"
    assert oauth["oauth_token"] == "tk-789"
    assert oauth["oauth_version"] == "1.0"
    assert _valid(request, "cs-secret-456", "ts-secret-000")
    assert not _valid(request, "cs-secret-456", "another-token-secret")


def test_changing_a_query_param_after_signing_breaks_the_signature() -> None:
    request, _ = _capture(method="GET", url="https://f.example/x", params={"page": 1})
    tampered = httpx.Request("GET", "https://f.example/x?page=2", headers=request.headers)
    assert _valid(request, "cs-secret-456", "ts-secret-000")
    assert not _valid(tampered, "cs-secret-456", "ts-secret-000")


def test_json_body_arrives_intact_and_outside_the_signature() -> None:
    body = {
        "processInstanceId": 656304,
        "stateSequence": 5,
        "threadSequence": 0,
        "observation": "Olá! ✓ {x}&y=1",
    }
    raw = json.dumps(body, ensure_ascii=False).encode()
    request, _ = _capture(
        method="POST",
        url="https://fluig.example.com/api/public/2.0/workflows/createProcessObservation",
        content=raw,
        headers={"Content-Type": "application/json"},
    )
    assert request.content == raw  # authlib 1.9 would send b"" here (issue #543)
    oauth = _oauth_params(request)
    assert "oauth_body_hash" not in oauth
    assert _valid(request, "cs-secret-456", "ts-secret-000")


def test_form_body_takes_part_in_the_signature() -> None:
    request, _ = _capture(
        method="POST",
        url="https://f.example/portal/api/rest/oauth/x",
        data={"login": "a", "oauth_callback": "oob"},
    )
    assert request.content == b"login=a&oauth_callback=oob"
    assert _valid(request, "cs-secret-456", "ts-secret-000")


def test_every_request_gets_a_fresh_nonce() -> None:
    first, _ = _capture(method="GET", url="https://f.example/a")
    second, _ = _capture(method="GET", url="https://f.example/a")
    assert _oauth_params(first)["oauth_nonce"] != _oauth_params(second)["oauth_nonce"]


def test_reprs_hide_the_secrets() -> None:
    for text in (repr(CREDS), str(CREDS), repr(OAuth1Auth(CREDS))):
        for secret in ("ck-123", "cs-secret-456", "tk-789", "ts-secret-000"):
            assert secret not in text
