"""FluigClient: how each kind of answer reaches the operator (class, exit code, message, retries)."""

from __future__ import annotations

import socket
import ssl
from pathlib import Path
from typing import Any

import certifi
import httpx
import pytest

from fluigbot.demo.fluig_sim import FluigSimulator
from fluigbot.errors import AuthRejected, ConfigError, FluigLoginPage, RemoteError
from fluigbot.fluig.client import FluigClient, FluigCredentials, FluigHTTPError

LISTING = "/process-management/api/v2/requests"
CREDS = FluigCredentials("ck", "cs", "tk", "ts")


def mock_client(handler: Any, **kwargs: Any) -> FluigClient:
    kwargs.setdefault("sleep", lambda s: None)
    return FluigClient(
        "https://fluig.example.com", CREDS, transport=httpx.MockTransport(handler), **kwargs
    )


def test_wrong_secret_is_rejected_by_the_server_and_maps_to_exit_4(
    sim: FluigSimulator, fluig_for: Any
) -> None:
    fluig = FluigClient(
        sim.url, FluigCredentials(sim.consumer_key, "wrong", sim.access_token, sim.token_secret)
    )
    with pytest.raises(AuthRejected) as err:
        fluig.get_json(LISTING, {"page": 1})
    assert err.value.exit_code == 4
    assert str(err.value).startswith("Fluig rejected the OAuth credentials (HTTP 401).")
    assert "fluigbot auth set fluig" in str(err.value)
    assert "wrong" not in str(err.value) and sim.consumer_secret not in str(err.value)
    assert [c.status for c in sim.calls] == [401]  # never retried


@pytest.mark.parametrize("status", ["401", "403"])
def test_401_and_403_stop_at_once(sim: FluigSimulator, fluig_for: Any, status: str) -> None:
    sim.fail_next(status)
    with fluig_for(sim) as fluig, pytest.raises(AuthRejected) as err:
        fluig.get_json(LISTING)
    assert err.value.exit_code == 4
    assert f"HTTP {status}" in str(err.value)
    assert len(sim.calls) == 1


def test_login_page_with_200_is_never_parsed(sim: FluigSimulator, fluig_for: Any) -> None:
    sim.fail_next("login_page")
    with fluig_for(sim) as fluig, pytest.raises(FluigLoginPage) as err:
        fluig.get_json(LISTING, context="page 1")
    assert err.value.exit_code == 4
    assert "login page" in str(err.value) and "page 1" in str(err.value)
    assert len(sim.calls) == 1


def test_html_without_content_type_is_a_login_page_too() -> None:
    fluig = mock_client(lambda r: httpx.Response(200, content=b"  <html><body>login</body></html>"))
    with pytest.raises(FluigLoginPage):
        fluig.get_json(LISTING)


def test_redirect_to_login_is_a_login_page_and_other_redirects_are_remote_errors() -> None:
    to_login = mock_client(
        lambda r: httpx.Response(302, headers={"Location": "/portal/home?login=1"})
    )
    with pytest.raises(FluigLoginPage):
        to_login.get_json(LISTING)
    elsewhere = mock_client(lambda r: httpx.Response(301, headers={"Location": "https://other/"}))
    with pytest.raises(RemoteError) as err:
        elsewhere.get_json(LISTING)
    assert err.value.exit_code == 5


def test_5xx_is_retried_with_backoff_then_exit_5(sim: FluigSimulator, fluig_for: Any) -> None:
    sleeps: list[float] = []
    sim.fail_next("500", times=10)
    with fluig_for(sim, sleeps=sleeps, retries=3) as fluig, pytest.raises(RemoteError) as err:
        fluig.get_json(LISTING, {"processId": "Maria da Silva"}, context="page 3")
    assert err.value.exit_code == 5
    assert [c.status for c in sim.calls] == [500, 500, 500, 500]  # 1 + 3 retries, at the server
    assert sleeps == [0.5, 1.0, 2.0]
    message = str(err.value)
    assert LISTING in message and "page 3" in message and "HTTP 500" in message
    assert "Maria" not in message  # never the query


def test_a_passing_5xx_is_absorbed(sim: FluigSimulator, fluig_for: Any) -> None:
    sim.fail_next("503")
    with fluig_for(sim) as fluig:
        data = fluig.get_json(LISTING, {"pageSize": 10})
    assert len(data["items"]) == 10
    assert [c.status for c in sim.calls] == [503, 200]


def test_retry_after_is_honoured(sim: FluigSimulator, fluig_for: Any) -> None:
    sleeps: list[float] = []
    sim.fail_next("429")
    with fluig_for(sim, sleeps=sleeps) as fluig:
        fluig.get_json(LISTING, {"pageSize": 1})
    assert sleeps == [1.0]


def test_timeout_is_retried_then_exit_5(sim: FluigSimulator, fluig_for: Any) -> None:
    sim.timeout_delay = 2.0
    sim.fail_next("timeout", times=2)
    with fluig_for(sim, timeout=0.2, retries=1) as fluig, pytest.raises(RemoteError) as err:
        fluig.get_json(LISTING)
    assert "did not answer in time" in str(err.value)
    assert len(sim.calls) == 2


def test_dropped_connection_is_retried(sim: FluigSimulator, fluig_for: Any) -> None:
    sim.fail_next("drop")
    with fluig_for(sim) as fluig:
        data = fluig.get_json(LISTING, {"pageSize": 2})
    assert len(data["items"]) == 2
    assert [c.status for c in sim.calls] == [0, 200]


def test_connection_refused_is_retried_then_exit_5() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    sleeps: list[float] = []
    fluig = FluigClient(f"http://127.0.0.1:{port}", CREDS, sleep=sleeps.append, retries=2)
    with pytest.raises(RemoteError) as err:
        fluig.get_json(LISTING)
    assert err.value.exit_code == 5
    assert "could not be reached" in str(err.value)
    assert fluig.calls == 3 and len(sleeps) == 2


def test_non_idempotent_post_is_not_resent_after_a_drop(
    sim: FluigSimulator, fluig_for: Any
) -> None:
    sim.fail_next("drop")
    with fluig_for(sim) as fluig, pytest.raises(RemoteError):
        fluig.post_json(
            "/api/public/2.0/workflows/createProcessObservation", {"a": 1}, idempotent=False
        )
    assert len(sim.calls) == 1


@pytest.mark.parametrize("kind", ["truncated_json", "malformed_json"])
def test_bad_json_names_the_endpoint_and_page(
    sim: FluigSimulator, fluig_for: Any, kind: str
) -> None:
    sim.fail_next(kind)
    with fluig_for(sim) as fluig, pytest.raises(RemoteError) as err:
        fluig.get_json(LISTING, {"page": 1}, context="page 1")
    assert err.value.exit_code == 5
    assert f"malformed or truncated JSON at {LISTING} (page 1)" in str(err.value)


def test_other_4xx_carry_the_status_and_fluig_code(sim: FluigSimulator, fluig_for: Any) -> None:
    with fluig_for(sim) as fluig, pytest.raises(FluigHTTPError) as err:
        fluig.get_json(LISTING, {"pageSize": 5000})
    assert err.value.status_code == 400
    assert "HTTP 400 (BAD_REQUEST)" in str(err.value)
    assert err.value.exit_code == 5


def test_tls_is_verified_with_the_os_trust_store_by_default(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    seen: dict[str, Any] = {}
    real = httpx.Client

    def spy(**kwargs: Any) -> httpx.Client:
        seen.update(kwargs)
        return real(**kwargs)

    monkeypatch.setattr(httpx, "Client", spy)
    FluigClient("https://fluig.example.com", CREDS).close()
    import truststore

    assert isinstance(seen["verify"], truststore.SSLContext)
    assert seen["verify"].verify_mode == ssl.CERT_REQUIRED
    FluigClient("https://fluig.example.com", CREDS, ca_bundle=certifi.where()).close()
    assert isinstance(seen["verify"], ssl.SSLContext)
    assert seen["verify"].verify_mode == ssl.CERT_REQUIRED and seen["verify"].check_hostname


def test_unreadable_ca_bundle_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as err:
        FluigClient("https://fluig.example.com", CREDS, ca_bundle=tmp_path / "missing.pem")
    assert "fluig.ca_bundle" in str(err.value) and err.value.exit_code == 2


def test_certificate_failure_is_explained_and_not_retried() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed")

    fluig = mock_client(handler)
    with pytest.raises(RemoteError) as err:
        fluig.get_json(LISTING)
    assert "fluig.ca_bundle" in str(err.value)
    assert fluig.calls == 1


def test_injected_httpx_client_is_signed_and_left_open() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"ok": True})

    http = httpx.Client(transport=httpx.MockTransport(handler))
    with FluigClient("https://fluig.example.com/", CREDS, client=http) as fluig:
        assert fluig.put_json("/x", {"values": []}) == {"ok": True}
    assert seen[0].headers["Authorization"].startswith("OAuth ")
    assert str(seen[0].url) == "https://fluig.example.com/x"
    assert not http.is_closed


def test_empty_2xx_body_is_an_empty_dict_and_non_objects_are_errors() -> None:
    assert mock_client(lambda r: httpx.Response(204)).post_json("/x", {}) == {}
    with pytest.raises(RemoteError):
        mock_client(lambda r: httpx.Response(200, json=[1, 2])).get_json("/x")
