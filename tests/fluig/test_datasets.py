"""Reading requests through a Fluig dataset (POST /api/public/ecm/dataset/datasets)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from fluigbot.demo.fluig_sim import FluigSimulator
from fluigbot.errors import ConfigError, RemoteError
from fluigbot.fluig.client import FluigClient, FluigCredentials
from fluigbot.fluig.datasets import build_constraint, iter_dataset

DATA = Path(__file__).resolve().parents[1] / "data" / "fluig"
RECORDED = json.loads((DATA / "dataset_workflowProcess.json").read_text())["content"]["values"]
FORM_ROWS = [
    {
        "documentid": "5001",
        "WKNumProces": "700",
        "telefone": "11 98765-4321",
        "nome_solicitante": "Ana Lima",
        "metadata#active": "true",
    },
    {
        "documentid": "5002",
        "WKNumProces": "701",
        "telefone": "",
        "nome_solicitante": "Caio Souza",
        "metadata#active": "false",
    },
]


@pytest.fixture
def dataset_sim() -> Any:
    with FluigSimulator(datasets={"workflowProcess": RECORDED, "ds_chamado": FORM_ROWS}) as sim:
        yield sim


def fluig(sim: FluigSimulator) -> FluigClient:
    return FluigClient(sim.url, FluigCredentials(*sim.credentials))


def test_workflow_process_rows_map_to_requests(dataset_sim: FluigSimulator) -> None:
    invalid: list[tuple[int, int, str]] = []
    (page,) = iter_dataset(
        fluig(dataset_sim),
        source="src",
        dataset="workflowProcess",
        on_invalid=lambda *a: invalid.append(a),
    )
    first, second = page
    assert first.request_id == "656304" and first.process_id == "Abertura de Chamados"
    assert first.status == "OPEN" and second.status == "FINALIZED"
    assert first.start_date == datetime(2025, 11, 17, 17, 52, 4, 348000, tzinfo=UTC)
    assert (first.form_id, first.form_record_id) == (41123, 1139863)
    assert (second.form_id, second.form_record_id) == (41123, 1139900)
    assert invalid == [(1, 2, "row has no usable request number")]  # the phantom empty row
    (call,) = dataset_sim.calls
    assert call.body == {
        "name": "workflowProcess",
        "fields": None,
        "constraints": None,
        "order": None,
    }


def test_form_dataset_with_constraints_and_limit(dataset_sim: FluigSimulator) -> None:
    (page,) = iter_dataset(
        fluig(dataset_sim),
        source="src",
        dataset="ds_chamado",
        constraints=[{"field": "metadata#active", "value": "true"}],
        process_id="abertura_chamado",
        limit=300,
    )
    assert [(r.request_id, r.process_id, r.form_record_id) for r in page] == [
        ("700", "abertura_chamado", 5001)
    ]
    assert page[0].fields["telefone"] == "11 98765-4321"
    constraints = dataset_sim.calls[0].body["constraints"]
    assert constraints == [
        {
            "_field": "metadata#active",
            "_initialValue": "true",
            "_finalValue": "true",
            "_type": 1,
            "_likeSearch": False,
        },
        {
            "_field": "sqlLimit",
            "_initialValue": "300",
            "_finalValue": "300",
            "_type": 1,
            "_likeSearch": False,
        },
    ]


def test_a_dataset_that_does_not_exist_is_an_error(dataset_sim: FluigSimulator) -> None:
    with pytest.raises(RemoteError) as err:
        list(iter_dataset(fluig(dataset_sim), source="s", dataset="ds_typo"))
    assert "ds_typo" in str(err.value) and err.value.exit_code == 5


def test_constraint_without_value_is_a_config_error_before_any_call(
    dataset_sim: FluigSimulator,
) -> None:
    with pytest.raises(ConfigError) as err:
        list(
            iter_dataset(
                fluig(dataset_sim), source="s", dataset="ds_chamado", constraints=[{"field": "x"}]
            )
        )
    assert "fluig.dataset.constraints[0]" in str(err.value)
    assert dataset_sim.calls == []


@pytest.mark.parametrize(
    ("spec", "wire"),
    [
        (
            {"field": "a", "value": 1, "type": "must_not"},
            {
                "_field": "a",
                "_initialValue": "1",
                "_finalValue": "1",
                "_type": 3,
                "_likeSearch": False,
            },
        ),
        (
            {"field": "a", "initial": "1", "final": "9", "type": 2, "like": True},
            {
                "_field": "a",
                "_initialValue": "1",
                "_finalValue": "9",
                "_type": 2,
                "_likeSearch": True,
            },
        ),
        (
            {
                "_field": "raw",
                "_initialValue": "%x%",
                "_finalValue": "%x%",
                "_type": 1,
                "_likeSearch": True,
            },
            {
                "_field": "raw",
                "_initialValue": "%x%",
                "_finalValue": "%x%",
                "_type": 1,
                "_likeSearch": True,
            },
        ),
    ],
)
def test_constraints_in_fluig_wire_shape(spec: dict[str, Any], wire: dict[str, Any]) -> None:
    assert build_constraint(spec) == wire


def test_unknown_constraint_type_is_a_config_error() -> None:
    with pytest.raises(ConfigError):
        build_constraint({"field": "a", "value": "1", "type": "MAYBE"})
