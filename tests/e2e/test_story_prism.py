"""The story against Prism serving the vendors' own specs: fetch from Fluig's process-management
spec, then preview and send through the Meta Cloud API spec. Any request that breaks a spec fails
the test. Skipped where Prism or ../shared is missing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import tomli_w

pytestmark = [pytest.mark.prism, pytest.mark.e2e]

FLUIG_VARS = (
    "FLUIGBOT_FLUIG_CONSUMER_KEY",
    "FLUIGBOT_FLUIG_CONSUMER_SECRET",
    "FLUIGBOT_FLUIG_ACCESS_TOKEN",
    "FLUIGBOT_FLUIG_TOKEN_SECRET",
)


def test_story_against_the_vendors_specs(
    run, isolated_env: Path, monkeypatch, prism_process_management, prism_meta
) -> None:
    config = {
        "fluig": {
            "base_url": prism_process_management.url,
            "process_ids": ["abertura_chamado"],
            "page_size": 20,
        },
        "whatsapp": {
            "provider": "cloud",
            "base_url": prism_meta.url,
            "phone_number_id": "123456789",
        },
        "message": {"template": "primeiro_contato", "parameters": ["nome", "numero"]},
        "send": {"quiet_hours": False, "cooldown_hours": 0, "rate_per_second": 0},
    }
    (isolated_env / "config.toml").write_text(tomli_w.dumps(config))
    for name in FLUIG_VARS:
        monkeypatch.setenv(name, f"prism-{name.lower()}")
    monkeypatch.setenv("FLUIGBOT_WHATSAPP_TOKEN", "prism-token")
    monkeypatch.setenv("FLUIGBOT_JOURNAL_KEY", "p" * 40)
    fluig_since, meta_since = prism_process_management.mark(), prism_meta.mark()

    # Fluig: Prism answers the listing with random data valid for the spec; fetch must read it
    # without a crash and with requests that satisfy the spec.
    fetched = run("fetch", "--json", "--limit", "40")
    assert fetched.exit_code == 0, fetched.output
    counts = json.loads(fetched.stdout)  # random pages: some items may lack an id, or be none
    assert counts["new"] + counts["skipped"] + counts["known"] == counts["read"]
    assert prism_process_management.errors(fluig_since) == []

    # Real-looking requesters from an export, so that messages go out to the Meta spec.
    export = isolated_env / "export.csv"
    export.write_text(
        "processInstanceId;processId;requesterName;telefone\n"
        "9001;abertura_chamado;Maria Souza;(11) 98765-4321\n"
        "9002;abertura_chamado;JOÃO D'ÁVILA;+55 21 99876-5432\n",
        encoding="utf-8",
    )
    assert run("fetch", "--from", str(export)).exit_code == 0
    preview = json.loads(run("preview", "--json", "--request", "9001").stdout)
    assert preview[0]["template"]["parameters"] == ["Maria", "9001"]

    sent = run("send", "--yes", "--json", "--request", "9001", "--request", "9002")
    assert sent.exit_code == 0, sent.output
    assert json.loads(sent.stdout)["sent"] == 2
    assert prism_meta.errors(meta_since) == []
