"""`fluigbot preview`: what send would send, sending and writing nothing (but the reveal audit)."""

from __future__ import annotations

import json

from dispatch_helpers import (
    add_pending,
    cloud,
    configure,
    home,
    journal,
    phone,
    run,
    statuses,
)

__all__ = ["cloud", "configure", "home", "journal", "run"]


def test_preview_json_contract(configure, journal, cloud, run):
    keys = add_pending(journal, [phone(1), phone(2)], names=["MARIA DA SILVA", "José"])
    result = run("preview", "--json")
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert [r["request_id"] for r in data] == ["1000", "1001"]
    first = data[0]
    assert first["phone"] == "+55 11 9****-0001"
    assert first["text"] == (
        "Olá Maria! Recebemos sua solicitação nº 1000. Em breve entraremos em contato por aqui."
    )
    assert first["template"] == {
        "name": "primeiro_contato",
        "language": "pt_BR",
        "parameters": ["Maria", "1000"],
    }
    assert first["held"] is None and first["skipped"] is None
    assert cloud.received == []
    assert statuses(journal, keys) == ["pending", "pending"]


def test_named_parameters_show_their_names(configure, journal, run):
    configure(message={"parameter_format": "named"})
    add_pending(journal, [phone(1)])
    (record,) = json.loads(run("preview", "--json").stdout)
    assert record["template"]["parameters"] == {"nome": "Pessoa", "numero": "1000"}


def test_reveal_unmasks_and_is_logged(configure, journal, run):
    add_pending(journal, [phone(1)])
    assert journal.access_log() == []
    (record,) = json.loads(run("preview", "--json", "--reveal").stdout)
    assert record["phone"] == phone(1)
    log = journal.access_log()
    assert len(log) == 1 and log[0]["action"] == "preview --reveal"
    assert phone(1) not in json.dumps(log) and phone(1)[1:] not in json.dumps(log)


def test_preview_shows_skips_and_holds_like_send(home, configure, journal, run):
    add_pending(journal, [phone(1), phone(2), phone(1)])
    with journal.locked():
        journal.optout_add(phone(2))
    data = json.loads(run("preview", "--json").stdout)
    assert [(r["held"] is not None, r["skipped"]) for r in data] == [
        (False, None),
        (False, "opted_out"),
        (True, None),
    ]


def test_preview_table_and_tsv(configure, journal, run):
    add_pending(journal, [phone(1)])
    result = run("preview")
    assert result.exit_code == 0
    (row,) = [line.split("\t") for line in result.stdout.splitlines()]
    assert row[0] == "1000" and row[2] == "primeiro_contato" and row[4] == "send"
    assert "preview: 1 would be sent, 0 held, 0 skipped." in result.stderr


def test_preview_limit_and_request(configure, journal, run):
    add_pending(journal, [phone(i) for i in range(5)])
    assert len(json.loads(run("preview", "--json", "--limit", "2").stdout)) == 2
    (only,) = json.loads(run("preview", "--json", "--request", "1003").stdout)
    assert only["request_id"] == "1003"


def test_preview_template_error_is_exit_2(configure, journal, run):
    configure(message={"body": "Olá {{nome.__class__}}"})
    add_pending(journal, [phone(1)])
    assert run("preview").exit_code == 2
