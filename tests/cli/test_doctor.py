"""`fluigbot doctor`: one line per check, the exit code of the worst failure."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import tomli_w

from fluigbot.demo.cloud_sim import CloudSimulator
from fluigbot.demo.fluig_sim import FluigSimulator

FLUIG_VARS = (
    "FLUIGBOT_FLUIG_CONSUMER_KEY",
    "FLUIGBOT_FLUIG_CONSUMER_SECRET",
    "FLUIGBOT_FLUIG_ACCESS_TOKEN",
    "FLUIGBOT_FLUIG_TOKEN_SECRET",
)


@pytest.fixture
def sims(isolated_env: Path, monkeypatch) -> Iterator[tuple[FluigSimulator, CloudSimulator]]:
    with FluigSimulator([]) as fluig, CloudSimulator(token="tok") as cloud:
        data = {
            "fluig": {"base_url": fluig.url, "process_ids": ["abertura_chamado"]},
            "whatsapp": {
                "provider": "cloud",
                "base_url": cloud.url,
                "phone_number_id": cloud.phone_number_id,
                "waba_id": cloud.waba_id,
            },
            "message": {"template": "primeiro_contato"},
        }
        (isolated_env / "config.toml").write_text(tomli_w.dumps(data))
        for name, value in zip(FLUIG_VARS, fluig.credentials, strict=True):
            monkeypatch.setenv(name, value)
        monkeypatch.setenv("FLUIGBOT_WHATSAPP_TOKEN", "tok")
        yield fluig, cloud


def lines(result) -> dict[str, str]:
    out: dict[str, str] = {}
    for line in result.stdout.strip().splitlines():
        status, name, _detail = line.split("\t", 2)
        out.setdefault(name, status)
        if status == "fail":
            out[name] = "fail"
    return out


def test_all_good(run, sims) -> None:
    result = run("doctor")
    assert result.exit_code == 0, result.output
    got = lines(result)
    assert got["config"] == "ok" and got["fluig"] == "ok"
    assert got["provider"] == "ok" and got["template"] == "ok"
    assert got["credentials fluig"] == "ok" and got["credentials whatsapp"] == "ok"


def test_wrong_fluig_secret_is_4(run, sims, monkeypatch) -> None:
    monkeypatch.setenv("FLUIGBOT_FLUIG_TOKEN_SECRET", "wrong")
    result = run("doctor")
    assert result.exit_code == 4
    assert lines(result)["fluig"] == "fail"


def test_wrong_token_is_4(run, sims, monkeypatch) -> None:
    monkeypatch.setenv("FLUIGBOT_WHATSAPP_TOKEN", "wrong")
    result = run("doctor")
    assert result.exit_code == 4, result.output
    assert lines(result)["provider"] == "fail"


def test_missing_template_is_2(run, sims, isolated_env: Path) -> None:
    path = isolated_env / "config.toml"
    path.write_text(path.read_text().replace('"primeiro_contato"', '"nao_existe"'))
    result = run("doctor")
    assert result.exit_code == 2 and lines(result)["template"] == "fail"


def test_missing_secret_is_3(run, sims, monkeypatch) -> None:
    monkeypatch.delenv("FLUIGBOT_WHATSAPP_TOKEN")
    result = run("doctor")
    assert result.exit_code == 3 and lines(result)["credentials whatsapp"] == "fail"


def test_unreachable_fluig_is_5(run, sims, isolated_env: Path) -> None:
    fluig, _ = sims
    url = fluig.url
    fluig.close()
    path = isolated_env / "config.toml"
    path.write_text(path.read_text())
    result = run("doctor")
    assert result.exit_code == 5, (url, result.output)
    assert lines(result)["fluig"] == "fail"


def test_no_config(run) -> None:
    result = run("doctor")
    assert result.exit_code == 2 and "config init" in result.stdout


def test_unreachable_provider_is_5(run, sims) -> None:
    _, cloud = sims
    cloud.close()
    result = run("doctor")
    assert result.exit_code == 5
    assert lines(result)["provider"] == "fail" and "unreachable" in result.stdout
