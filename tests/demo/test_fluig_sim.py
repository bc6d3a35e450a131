"""The Fluig simulator itself: it must be as strict as the real server where fluigbot can get it
wrong (signatures, page bounds), and faithful to the spec's shapes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from fluigbot.demo._http import LoopbackServer, SimRequest, SimResponse
from fluigbot.demo.fluig_sim import FluigSimulator, sample_item
from fluigbot.fluig.auth import FluigCredentials, OAuth1Auth

LISTING = "/process-management/api/v2/requests"
SPEC = (
    Path(__file__).resolve().parents[2].parent
    / "shared"
    / "specs"
    / "fluig"
    / "fluig-process-management.swagger.json"
)


@pytest.fixture
def sim() -> Any:
    with FluigSimulator([sample_item(n) for n in range(30)]) as server:
        yield server


def signed(sim: FluigSimulator, **creds: str) -> httpx.Client:
    values = dict(
        zip(
            ("consumer_key", "consumer_secret", "access_token", "token_secret"),
            sim.credentials,
            strict=True,
        )
    )
    values.update(creds)
    return httpx.Client(base_url=sim.url, auth=OAuth1Auth(FluigCredentials(**values)))


def test_unsigned_and_badly_signed_requests_get_401(sim: FluigSimulator) -> None:
    assert httpx.get(sim.url + LISTING).status_code == 401
    for wrong in (
        {"consumer_secret": "x"},
        {"token_secret": "x"},
        {"access_token": "x"},
        {"consumer_key": "x"},
    ):
        with signed(sim, **wrong) as http:
            response = http.get(LISTING)
        assert response.status_code == 401
        assert response.json()["code"] == "UNAUTHORIZED"
    with signed(sim) as http:
        assert http.get(LISTING).status_code == 200
    assert [c.status for c in sim.calls] == [401] * 5 + [200]


def test_a_replayed_request_is_refused(sim: FluigSimulator) -> None:
    with signed(sim) as http:
        request = http.build_request("GET", LISTING, params={"page": 1})
        http.auth.sign(request)  # type: ignore[union-attr]
        raw = httpx.Client(base_url=sim.url)
        assert raw.send(request).status_code == 200
        assert raw.send(request).status_code == 401


def test_calls_are_recorded_with_query_and_json_body(sim: FluigSimulator) -> None:
    with signed(sim) as http:
        http.get(LISTING, params={"processId": ["a", "b"], "page": 2, "pageSize": 10})
        http.put(
            "/ecm-forms/api/v2/cardindex/41123/cards/1100001",
            json={"values": [{"fieldId": "x", "value": "ç"}]},
        )
    listing, card = sim.calls
    assert listing.query == {"processId": ["a", "b"], "page": ["2"], "pageSize": ["10"]}
    assert listing.body is None
    assert card.body == {"values": [{"fieldId": "x", "value": "ç"}]}
    assert sim.card_updates == [
        {"formId": 41123, "cardId": 1100001, "values": [{"fieldId": "x", "value": "ç"}]}
    ]


def test_listing_honours_the_spec_bounds_and_expands(sim: FluigSimulator) -> None:
    with signed(sim) as http:
        assert http.get(LISTING, params={"pageSize": 1001}).status_code == 400
        assert http.get(LISTING, params={"page": 0}).status_code == 400
        bare = http.get(LISTING, params={"pageSize": 3}).json()
        full = http.get(
            LISTING, params={"pageSize": 3, "page": 10, "expand": ["formFields", "requester"]}
        ).json()
    assert bare["hasNext"] is True and len(bare["items"]) == 3
    assert bare["items"][0]["formFields"] is None and bare["items"][0]["requester"] is None
    assert full["hasNext"] is False
    assert (
        full["items"][0]["requester"]["name"]
        and full["items"][0]["formFields"][0]["field"] == "telefone"
    )


def test_fault_kinds_are_checked() -> None:
    with pytest.raises(ValueError):
        FluigSimulator().fail_next("gremlins")


def test_sample_items_carry_only_fields_the_spec_knows() -> None:
    if not SPEC.is_file():
        pytest.skip("../shared/specs is missing")
    spec = json.loads(SPEC.read_text())
    known = set(spec["definitions"]["Request"]["properties"]) | {"_expandables"}
    movement_known = set(spec["definitions"]["ProcessActivity"]["properties"]) | {
        "_expandables",
        "taskInfo",
    }
    item = sample_item(1)
    assert set(item) <= known
    assert set(item["currentMovements"][0]) <= movement_known
    assert set(item["requester"]) <= set(spec["definitions"]["BPMUser"]["properties"]) | {
        "_expandables"
    }


def test_sample_items_look_like_brazilian_requests() -> None:
    item = sample_item(3, phone="", name="Zé")
    fields = {f["field"]: f["value"] for f in item["formFields"]}
    assert fields["telefone"] == "" and fields["nome_solicitante"] == "Zé"
    other = {f["field"]: f["value"] for f in sample_item(4)["formFields"]}
    assert other["telefone"].startswith("(") and "-" in other["telefone"]
    assert item["startDate"].endswith("-0300")


def test_loopback_server_is_generic() -> None:
    seen: list[SimRequest] = []

    def handler(request: SimRequest) -> SimResponse:
        seen.append(request)
        return SimResponse.json({"echo": request.json()}, status=201)

    with LoopbackServer(handler) as server:
        assert server.url.startswith("http://127.0.0.1:")
        response = httpx.post(server.url + "/v1/x?a=1&a=2", json={"k": "v"})
    assert response.status_code == 201 and response.json() == {"echo": {"k": "v"}}
    assert seen[0].query == {"a": ["1", "2"]} and seen[0].path == "/v1/x"


def test_loopback_server_can_drop_and_delay() -> None:
    with (
        LoopbackServer(lambda r: SimResponse(drop=True)) as server,
        pytest.raises(httpx.RemoteProtocolError),
    ):
        httpx.get(server.url)
    with (
        LoopbackServer(lambda r: SimResponse(delay=2.0)) as server,
        pytest.raises(httpx.ReadTimeout),
    ):
        httpx.get(server.url, timeout=0.2)
