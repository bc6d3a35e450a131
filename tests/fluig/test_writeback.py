"""The Fluig mark: what arrives at the server, byte for byte, and what Fluig shows afterwards."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import httpx
import pytest

from fluigbot.demo.fluig_sim import FluigSimulator
from fluigbot.errors import RemoteError, TemplateError
from fluigbot.fluig.client import FluigClient, FluigCredentials
from fluigbot.fluig.requests import iter_requests
from fluigbot.fluig.writeback import find_active_task, post_observation, render_mark, set_form_field

DATA = Path(__file__).resolve().parents[1] / "data" / "fluig"
OBSERVATION = "/api/public/2.0/workflows/createProcessObservation"
TEXT = "Primeiro contato enviado por WhatsApp em 06/02/2026 10:00. Ação: “olá” & {ok}"


def test_observation_body_arrives_intact(sim: FluigSimulator, client: FluigClient) -> None:
    post_observation(
        client, process_instance_id=100_007, state_sequence=5, thread_sequence=0, text=TEXT
    )
    (call,) = sim.calls
    assert (call.method, call.path, call.status) == ("POST", OBSERVATION, 200)
    assert call.body == {
        "processInstanceId": 100_007,
        "stateSequence": 5,
        "threadSequence": 0,
        "observation": TEXT,
    }
    assert sim.observations == [call.body]


def test_observation_without_state_asks_for_the_active_task(
    sim: FluigSimulator, client: FluigClient
) -> None:
    post_observation(
        client, process_instance_id=100_003, state_sequence=None, thread_sequence=None, text="x"
    )
    assert [c.path for c in sim.calls] == [
        "/api/public/2.0/workflows/findActiveTasks/100003",
        OBSERVATION,
    ]
    assert sim.observations[0]["stateSequence"] == 5 and sim.observations[0]["threadSequence"] == 0


def test_observation_is_not_sent_twice_when_the_connection_drops(
    sim: FluigSimulator, client: FluigClient
) -> None:
    sim.fail_next("drop", path="createProcessObservation")
    with pytest.raises(RemoteError) as err:
        post_observation(
            client, process_instance_id=100_001, state_sequence=5, thread_sequence=0, text="x"
        )
    assert len(sim.calls) == 1 and err.value.exit_code == 5


def test_observation_refused_in_the_envelope_is_an_error() -> None:
    body = {"content": None, "message": {"message": "Sem permissão", "detail": "", "type": "ERROR"}}
    transport = httpx.MockTransport(lambda r: httpx.Response(200, json=body))
    fluig = FluigClient(
        "https://f.example", FluigCredentials("a", "b", "c", "d"), transport=transport
    )
    with pytest.raises(RemoteError) as err:
        post_observation(
            fluig, process_instance_id=9, state_sequence=1, thread_sequence=0, text="x"
        )
    assert "request 9" in str(err.value)


def test_card_update_arrives_intact_and_fluig_then_shows_the_field(
    sim: FluigSimulator, client: FluigClient
) -> None:
    set_form_field(
        client,
        form_id=41_123,
        form_record_id=1_100_002,
        field="whatsapp_contato",
        value="enviado 06/02/2026 10:00",
    )
    (call,) = sim.calls
    assert (call.method, call.path) == ("PUT", "/ecm-forms/api/v2/cardindex/41123/cards/1100002")
    assert call.body == {
        "values": [{"fieldId": "whatsapp_contato", "value": "enviado 06/02/2026 10:00"}]
    }
    pages = list(
        iter_requests(
            client, source=sim.url, process_ids=["abertura_chamado"], since=None, page_size=5
        )
    )
    marked = next(r for r in pages[0] if r.request_id == "100002")
    assert marked.fields["whatsapp_contato"] == "enviado 06/02/2026 10:00"
    assert marked.fields["telefone"]  # merged, not replaced


def test_card_update_on_an_unknown_card_is_an_error(client: FluigClient) -> None:
    with pytest.raises(RemoteError) as err:
        set_form_field(client, form_id=1, form_record_id=2, field="f", value="v")
    assert "HTTP 404" in str(err.value)


def test_find_active_task_reads_the_recorded_shape() -> None:
    payload = json.loads((DATA / "find_active_tasks.json").read_text())
    transport = httpx.MockTransport(lambda r: httpx.Response(200, json=payload))
    fluig = FluigClient(
        "https://f.example", FluigCredentials("a", "b", "c", "d"), transport=transport
    )
    assert find_active_task(fluig, 656304) == (5, 0)


def test_find_active_task_of_a_finished_request_is_an_error() -> None:
    payload: dict[str, Any] = {
        "content": {"processInstanceId": 1, "tasksInfo": []},
        "message": None,
    }
    transport = httpx.MockTransport(lambda r: httpx.Response(200, json=payload))
    fluig = FluigClient(
        "https://f.example", FluigCredentials("a", "b", "c", "d"), transport=transport
    )
    with pytest.raises(RemoteError) as err:
        find_active_task(fluig, 1)
    assert "form_field" in str(err.value)


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        (datetime(2026, 2, 6, 13, 5, tzinfo=UTC), "enviado 06/02/2026 10:05"),
        (
            datetime(2026, 2, 6, 1, 30, tzinfo=UTC),
            "enviado 05/02/2026 22:30",
        ),  # the day before, locally
        (
            datetime(2026, 2, 6, 10, 5, tzinfo=timezone(timedelta(hours=-3))),
            "enviado 06/02/2026 10:05",
        ),
        (datetime(2026, 2, 6, 13, 5), "enviado 06/02/2026 10:05"),  # naive is UTC
    ],
)
def test_render_mark_uses_sao_paulo_time(moment: datetime, expected: str) -> None:
    assert render_mark("enviado {{data_envio}}", moment) == expected
    assert render_mark("enviado {{ data_envio }}", moment) == expected


def test_render_mark_leaves_single_braces_and_refuses_unknown_variables() -> None:
    moment = datetime(2026, 2, 6, 13, 5, tzinfo=UTC)
    assert render_mark("{x} {{data_envio}}", moment) == "{x} 06/02/2026 10:05"
    with pytest.raises(TemplateError):
        render_mark("para {{nome}}", moment)
