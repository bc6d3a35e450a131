"""`fluigbot fetch` end to end against the Fluig simulator over loopback (every call signed)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import tomli_w

from fluigbot.demo.fluig_sim import FluigSimulator, sample_item

JOURNAL_KEY = "k" * 40


@pytest.fixture
def fluig(isolated_env: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[FluigSimulator]:
    items = [sample_item(n) for n in range(1, 13)]
    items[2] = sample_item(3, phone="(11) 3456-7890")  # landline
    items[4] = sample_item(5, phone="(11) 98765-4321 / (21) 99876-5432")  # two mobiles
    items[6] = sample_item(7, phone="")  # empty
    with FluigSimulator(items) as sim:
        write_config(isolated_env, sim.url)
        for name, value in zip(
            (
                "FLUIGBOT_FLUIG_CONSUMER_KEY",
                "FLUIGBOT_FLUIG_CONSUMER_SECRET",
                "FLUIGBOT_FLUIG_ACCESS_TOKEN",
                "FLUIGBOT_FLUIG_TOKEN_SECRET",
            ),
            sim.credentials,
            strict=True,
        ):
            monkeypatch.setenv(name, value)
        monkeypatch.setenv("FLUIGBOT_JOURNAL_KEY", JOURNAL_KEY)
        yield sim


def write_config(home: Path, url: str, **fluig: object) -> None:
    data = {
        "fluig": {
            "base_url": url,
            "process_ids": ["abertura_chamado"],
            "page_size": 5,
            **fluig,
        },
        "whatsapp": {"provider": "outbox"},
    }
    (home / "config.toml").write_text(tomli_w.dumps(data))


def fetch_json(run, *args: str) -> dict:
    result = run("fetch", "--json", *args)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_first_fetch_records_pending_and_skipped(run, fluig: FluigSimulator) -> None:
    out = fetch_json(run)
    assert (out["new"], out["skipped"], out["known"]) == (9, 3, 0)
    reasons = {r["request_id"]: r["reason"] for r in out["requests"] if r["status"] == "skipped"}
    assert reasons == {"100003": "landline", "100005": "multiple", "100007": "empty"}
    skipped = next(r for r in out["requests"] if r["request_id"] == "100003")
    assert skipped["phone"] is None
    pending = next(r for r in out["requests"] if r["request_id"] == "100001")
    assert pending["phone"].startswith("+55 ") and "****" in pending["phone"]
    # One call per page of 5, never one per request; every call was signed (else 401).
    assert len(fluig.listing_calls) == 3


def test_fetch_again_changes_nothing(run, fluig: FluigSimulator) -> None:
    fetch_json(run)
    again = fetch_json(run, "--full")
    assert (again["new"], again["skipped"], again["known"]) == (0, 0, 12)
    assert again["requests"] == []


def test_counts_are_disjoint_and_add_up(run, fluig: FluigSimulator) -> None:
    fetch_json(run, "--limit", "4")
    out = fetch_json(run, "--full")
    assert out["new"] + out["skipped"] + out["known"] == 12
    assert out["known"] == 4


def test_fixed_phone_makes_skipped_pending(run, fluig: FluigSimulator) -> None:
    fetch_json(run)
    fluig.set_field(100003, "telefone", "(11) 91234-5678")
    out = fetch_json(run, "--full")
    assert out["new"] == 1 and out["updated"] == 1
    assert out["requests"][0]["request_id"] == "100003"
    assert out["requests"][0]["status"] == "pending"


def test_marker_already_set_is_skipped(run, isolated_env: Path, fluig: FluigSimulator) -> None:
    fluig.set_field(100001, "whatsapp_contato", "enviado 01/07/2026")
    write_config(
        isolated_env, fluig.url, writeback={"mode": "form_field", "field": "whatsapp_contato"}
    )
    out = fetch_json(run)
    first = next(r for r in out["requests"] if r["request_id"] == "100001")
    assert (first["status"], first["reason"]) == ("skipped", "already_contacted")


def test_consent_field_must_say_yes(run, isolated_env: Path, fluig: FluigSimulator) -> None:
    fluig.set_field(100001, "aceite", "Sim")
    fluig.set_field(100002, "aceite", "não")
    write_config(isolated_env, fluig.url, fields={"phone": "telefone", "consent": "aceite"})
    out = {r["request_id"]: r for r in fetch_json(run)["requests"]}
    assert out["100001"]["status"] == "pending"
    assert (out["100002"]["status"], out["100002"]["reason"]) == ("skipped", "no_consent")
    assert out["100004"]["reason"] == "no_consent"  # no consent field at all: not a yes


def test_opted_out_number_is_skipped(run, fluig: FluigSimulator) -> None:
    phone = next(
        f["value"] for f in fluig.request(100001)["formFields"] if f["field"] == "telefone"
    )
    assert run("optout", "add", "-", input=phone + "\n").exit_code == 0
    out = {r["request_id"]: r for r in fetch_json(run)["requests"]}
    assert (out["100001"]["status"], out["100001"]["reason"]) == ("skipped", "opted_out")


@pytest.mark.parametrize(("fault", "code"), [("login_page", 4), ("401", 4), ("403", 4)])
def test_credentials_problems_exit_4(run, fluig: FluigSimulator, fault: str, code: int) -> None:
    fluig.fail_next(fault, times=10)
    result = run("fetch")
    assert result.exit_code == code
    assert len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.output


def test_server_errors_are_retried_then_exit_5(run, fluig: FluigSimulator) -> None:
    fluig.fail_next("500", times=50)
    result = run("fetch")
    assert result.exit_code == 5
    assert len(fluig.listing_calls) > 1  # retried before giving up


def test_failure_on_a_later_page_keeps_earlier_pages(run, fluig: FluigSimulator) -> None:
    fluig.fail_next("truncated_json", page=3, times=10)
    result = run("fetch")
    assert result.exit_code == 5
    assert "Stopped after page" in result.stderr and "10 request(s)" in result.stderr
    history = json.loads(run("history", "--json", "--limit", "100").stdout)
    assert len(history) == 10


def test_export_file_needs_no_fluig(run, isolated_env: Path, monkeypatch) -> None:
    (isolated_env / "config.toml").write_text('[whatsapp]\nprovider = "outbox"\n')
    monkeypatch.setenv("FLUIGBOT_JOURNAL_KEY", JOURNAL_KEY)
    export = isolated_env / "export.csv"
    export.write_text(
        "processInstanceId;processId;requesterName;telefone\n"
        "501;abertura_chamado;Maria Souza;(11) 98765-4321\n"
        "502;abertura_chamado;João Lima;(21) 3456-7890\n",
        encoding="utf-8",
    )
    out = fetch_json(run, "--from", str(export))
    assert (out["new"], out["skipped"]) == (1, 1)
    human = run("history")
    assert "Maria S." in human.stdout and "Maria Souza" not in human.stdout
    assert "98765" not in human.stdout


def test_table_and_summary_for_operators(run, fluig: FluigSimulator) -> None:
    result = run("fetch")
    assert result.exit_code == 0
    assert "fetch: 12 read, 9 new, 3 skipped, 0 already known." in result.stderr
    rows = [line.split("\t") for line in result.stdout.strip().splitlines()]
    assert len(rows) == 12 and all(len(r) == 6 for r in rows)


def test_items_without_a_request_number_are_counted_not_recorded(
    run, fluig: FluigSimulator
) -> None:
    fluig.fail_next("missing_id", page=1)
    out = fetch_json(run)
    assert out["invalid"] >= 1
    assert out["new"] + out["skipped"] + out["known"] == out["read"]
    assert out["read"] + out["invalid"] == 12
