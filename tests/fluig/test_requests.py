"""The v2 listing over loopback: paging, filters, quirks, and parsing of recorded shapes."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from fluigbot.demo.fluig_sim import FluigSimulator, fluig_date, sample_item
from fluigbot.errors import FluigLoginPage, RemoteError
from fluigbot.fluig.client import FluigClient, FluigCredentials
from fluigbot.fluig.requests import (
    InvalidItem,
    format_fluig_datetime,
    iter_requests,
    parse_fluig_datetime,
    parse_request,
)

DATA = Path(__file__).resolve().parents[1] / "data" / "fluig"
PROCESS = ["abertura_chamado"]


def read(client: FluigClient, sim: FluigSimulator, **kwargs: Any) -> list[list[Any]]:
    kwargs.setdefault("process_ids", PROCESS)
    kwargs.setdefault("since", None)
    return list(iter_requests(client, source=sim.url, **kwargs))


def test_one_call_per_page_following_has_next(sim: FluigSimulator, client: FluigClient) -> None:
    seen: list[tuple[int, int]] = []
    pages = read(client, sim, page_size=500, on_page=lambda p, n: seen.append((p, n)))
    assert [len(p) for p in pages] == [500, 500, 200]
    assert len(sim.listing_calls) == len(pages) == len(sim.calls) == 3
    assert seen == [(1, 500), (2, 500), (3, 200)]
    ids = [int(r.request_id) for page in pages for r in page]
    assert ids == sorted(ids) and len(set(ids)) == 1200


def test_the_query_asks_for_what_fetch_needs(sim: FluigSimulator, client: FluigClient) -> None:
    since = datetime(2026, 7, 7, 9, 30, tzinfo=timezone(timedelta(hours=-3)))
    read(
        client,
        sim,
        process_ids=["abertura_chamado", "Abertura de Chamados"],
        since=since,
        min_id=100_010,
        page_size=50,
    )
    query = sim.listing_calls[0].query
    assert query["processId"] == ["abertura_chamado", "Abertura de Chamados"]
    assert query["expand"] == ["formFields", "requester", "currentMovements"]
    assert query["order"] == ["processInstanceId"]
    assert query["status"] == ["OPEN"]
    assert query["initialStartDate"] == ["2026-07-07T12:30:00.000Z"]
    assert query["initialProcessInstanceId"] == ["100010"]
    assert query["page"] == ["1"] and query["pageSize"] == ["50"]
    assert [c.query["page"] for c in sim.listing_calls] == [
        [str(n)] for n in range(1, len(sim.listing_calls) + 1)
    ]


def test_exact_multiple_of_the_page_size_stops_on_has_next() -> None:
    with FluigSimulator([sample_item(n) for n in range(1000)]) as sim:
        fluig = FluigClient(sim.url, FluigCredentials(*sim.credentials))
        pages = read(fluig, sim, page_size=500)
    assert [len(p) for p in pages] == [500, 500]
    assert len(sim.calls) == 2


def test_filters_reach_the_server() -> None:
    items = [
        sample_item(n, process_id="abertura_chamado" if n % 2 else "compras") for n in range(40)
    ]
    items += [sample_item(100 + n, status="FINALIZED") for n in range(5)]
    with FluigSimulator(items) as sim:
        fluig = FluigClient(sim.url, FluigCredentials(*sim.credentials))
        since = parse_fluig_datetime(items[20]["startDate"])
        got = [r for page in read(fluig, sim, since=since) for r in page]
    assert {r.process_id for r in got} == {"abertura_chamado"}
    assert {r.status for r in got} == {"OPEN"}
    assert all(
        r.start_date is not None and since is not None and r.start_date >= since for r in got
    )
    assert len(got) == 10  # odd n from 21 to 39


def test_a_failure_on_page_7_keeps_pages_1_to_6(fluig_for: Any) -> None:
    with FluigSimulator([sample_item(n) for n in range(4000)]) as sim:
        sim.fail_next("500", page=7, times=10)
        fluig = fluig_for(sim, retries=2)
        received: list[list[Any]] = []
        with pytest.raises(RemoteError) as err:
            for page in iter_requests(
                fluig, source=sim.url, process_ids=PROCESS, since=None, page_size=500
            ):
                received.append(page)  # the caller records each page here
    assert [len(p) for p in received] == [500] * 6
    assert int(received[-1][-1].request_id) == 100_000 + 2999
    assert "page 7" in str(err.value) and err.value.exit_code == 5
    assert [c.status for c in sim.listing_calls] == [200] * 6 + [500] * 3


def test_login_page_on_page_2_stops_after_page_1(sim: FluigSimulator, client: FluigClient) -> None:
    sim.fail_next("login_page", page=2)
    received: list[list[Any]] = []
    with pytest.raises(FluigLoginPage) as err:
        for page in iter_requests(
            client, source=sim.url, process_ids=PROCESS, since=None, page_size=500
        ):
            received.append(page)
    assert len(received) == 1 and err.value.exit_code == 4


def test_truncated_page_names_the_page(sim: FluigSimulator, client: FluigClient) -> None:
    sim.fail_next("truncated_json", page=2)
    with pytest.raises(RemoteError) as err:
        read(client, sim, page_size=500)
    assert "/process-management/api/v2/requests (page 2)" in str(err.value)


def test_item_without_id_is_skipped_and_counted(sim: FluigSimulator, client: FluigClient) -> None:
    sim.fail_next("missing_id", page=2)
    invalid: list[tuple[int, int, str]] = []
    pages = read(client, sim, page_size=500, on_invalid=lambda *a: invalid.append(a))
    assert [len(p) for p in pages] == [500, 499, 200]
    assert invalid == [(2, 0, "item has no usable processInstanceId")]


def test_null_form_fields_give_empty_fields(sim: FluigSimulator, client: FluigClient) -> None:
    sim.fail_next("null_formfields", page=1)
    pages = read(client, sim, page_size=500)
    assert all(r.fields == {} for r in pages[0])
    assert pages[1][0].fields["telefone"]


def test_huge_page_beyond_page_size_is_read_whole(sim: FluigSimulator, client: FluigClient) -> None:
    sim.fail_next("huge_page", page=1)
    pages = read(client, sim, page_size=100)
    assert [len(p) for p in pages] == [1200]
    assert len(sim.calls) == 1


def test_fluig_1_8_without_current_movements_falls_back_to_activities() -> None:
    with FluigSimulator([sample_item(n) for n in range(3)], current_movements=False) as sim:
        fluig = FluigClient(sim.url, FluigCredentials(*sim.credentials))
        pages = read(fluig, sim)
    assert [c.status for c in sim.calls] == [400, 200]
    assert sim.calls[1].query["expand"] == ["formFields", "requester", "activities"]
    assert pages[0][0].state_sequence == 5 and pages[0][0].thread_sequence == 0


def test_a_server_that_ignores_page_is_not_read_forever() -> None:
    page = json.loads((DATA / "requests_page.json").read_text())
    page["hasNext"] = True
    transport = httpx.MockTransport(lambda r: httpx.Response(200, json=page))
    fluig = FluigClient(
        "https://fluig.example.com", FluigCredentials("a", "b", "c", "d"), transport=transport
    )
    with pytest.raises(RemoteError) as err:
        list(iter_requests(fluig, source="s", process_ids=[], since=None, page_size=2))
    assert "identical" in str(err.value)
    assert 2 <= fluig.calls <= 2 + 2  # the two pages compared, and never more than two ahead


def test_recorded_listing_page_parses_exactly() -> None:
    page = json.loads((DATA / "requests_page.json").read_text())
    first, second = (parse_request(item, "https://empresa.fluig.com") for item in page["items"])
    assert first.request_id == "196526" and first.process_id == "contratos_taxa_limpeza"
    assert first.requester_name == "Ana Andrade"
    assert first.start_date == datetime(2026, 7, 8, 20, 2, 6, 652000, tzinfo=UTC)
    assert first.status == "OPEN"
    assert first.fields["telefone"] == "(11) 98765-4321"
    assert first.fields["anonymization_date"] == ""
    assert (first.form_id, first.form_record_id) == (197295, 1111258)
    assert (first.state_sequence, first.thread_sequence, first.movement_sequence) == (14, 0, 4)
    assert second.status == "FINALIZED" and second.fields == {}
    assert second.state_sequence is None


def test_recorded_detail_without_requester_parses() -> None:
    item = json.loads((DATA / "request_detail.json").read_text())
    request = parse_request(item, "src")
    assert request.requester_name is None
    assert request.fields["num_tel_contato"] == "5511987654321"
    assert request.process_id == "Abertura de Chamados"


def test_form_fields_as_a_map_and_odd_values() -> None:
    item = {
        "processInstanceId": "42",
        "formFields": {"telefone": 11987654321, "ok": True, "x": None},
    }
    request = parse_request(item, "src")
    assert request.request_id == "42"
    assert request.fields == {"telefone": "11987654321", "ok": "true", "x": ""}


@pytest.mark.parametrize(
    "bad",
    [
        {},
        {"processInstanceId": None},
        {"processInstanceId": "abc"},
        {"processInstanceId": True},
        [],
    ],
)
def test_items_without_a_usable_id_are_invalid(bad: Any) -> None:
    with pytest.raises(InvalidItem):
        parse_request(bad, "src")


def test_parallel_threads_prefer_the_main_thread() -> None:
    item = {
        "processInstanceId": 7,
        "currentMovements": [
            {"active": True, "threadSequence": 2, "movementSequence": 9, "state": {"sequence": 30}},
            {"active": True, "threadSequence": 0, "movementSequence": 8, "state": {"sequence": 12}},
        ],
    }
    assert parse_request(item, "s").state_sequence == 12


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-07-08T16:02:06.652-0400", datetime(2026, 7, 8, 20, 2, 6, 652000, tzinfo=UTC)),
        ("2024-11-08T20:03:01.000+0000", datetime(2024, 11, 8, 20, 3, 1, tzinfo=UTC)),
        ("2026-07-08T16:02:06Z", datetime(2026, 7, 8, 16, 2, 6, tzinfo=UTC)),
        ("1940-10-19T14:05:31.0Z", datetime(1940, 10, 19, 14, 5, 31, tzinfo=UTC)),
        (1763401924348, datetime(2025, 11, 17, 17, 52, 4, 348000, tzinfo=UTC)),
        ("17/11/2025 17:52", datetime(2025, 11, 17, 20, 52, tzinfo=UTC)),  # no offset: São Paulo
        ("ontem", None),
        ("", None),
        (None, None),
    ],
)
def test_fluig_dates(text: Any, expected: datetime | None) -> None:
    assert parse_fluig_datetime(text) == expected


@given(
    st.datetimes(
        min_value=datetime(1990, 1, 1), max_value=datetime(2090, 1, 1), timezones=st.just(UTC)
    )
)
def test_dates_written_the_fluig_way_read_back(moment: datetime) -> None:
    moment = moment.replace(microsecond=moment.microsecond // 1000 * 1000)
    local = moment.astimezone(timezone(timedelta(hours=-4)))
    assert parse_fluig_datetime(fluig_date(local)) == moment
    assert parse_fluig_datetime(format_fluig_datetime(moment)) == moment


def test_page_size_is_bounded_by_the_spec(client: FluigClient) -> None:
    with pytest.raises(ValueError):
        next(iter_requests(client, source="s", process_ids=PROCESS, since=None, page_size=1001))


def test_without_prefetch_the_same_pages_come_back(
    sim: FluigSimulator, client: FluigClient
) -> None:
    pages = read(client, sim, page_size=500, prefetch=False)
    assert [len(p) for p in pages] == [500, 500, 200] and len(sim.calls) == 3


def test_a_caller_that_stops_early_costs_at_most_one_extra_call(
    sim: FluigSimulator, client: FluigClient
) -> None:
    pages = iter_requests(client, source=sim.url, process_ids=PROCESS, since=None, page_size=100)
    first = next(pages)
    pages.close()
    assert len(first) == 100
    assert len(sim.listing_calls) <= 2
