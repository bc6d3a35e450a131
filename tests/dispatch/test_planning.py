"""The plan: what send would do at a fixed instant (clock injected), from the journal's facts.
Quiet hours (a Saturday, a national holiday, an hour that differs between UTC and São Paulo),
cooldown, opt-out (both Brazilian forms), templates checked before anything is sent."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from dispatch_helpers import add_pending, phone, statuses

import fluigbot.dispatch.planning as planning
from fluigbot.config import load
from fluigbot.dispatch import Selection, make_plan
from fluigbot.errors import TemplateError

# Wednesday 1 July 2026.
WED_NOON_SP = datetime(2026, 7, 1, 15, 0, tzinfo=UTC)  # 12:00 in São Paulo (UTC-3)
SATURDAY = datetime(2026, 7, 4, 15, 0, tzinfo=UTC)  # Saturday 12:00 in São Paulo
INDEPENDENCE_DAY = datetime(2026, 9, 7, 15, 0, tzinfo=UTC)  # Monday, 7 de Setembro, 12:00 SP
UTC_IN_SP_OUT = datetime(2026, 7, 1, 12, 30, tzinfo=UTC)  # 12:30 UTC but 09:30 in São Paulo
UTC_OUT_SP_IN = datetime(2026, 7, 1, 19, 30, tzinfo=UTC)  # 19:30 UTC but 16:30 in São Paulo


def _settings(home: Path):  # type: ignore[no-untyped-def]
    return load(home / "config.toml")


@pytest.fixture
def quiet(configure):  # type: ignore[no-untyped-def]
    return configure(send={"quiet_hours": True})


@pytest.mark.parametrize(
    ("at", "action", "reason"),
    [
        (WED_NOON_SP, "send", None),
        (SATURDAY, "hold", "quiet hours (Saturday)"),
        (INDEPENDENCE_DAY, "hold", "quiet hours (holiday: Independência do Brasil)"),
        (UTC_IN_SP_OUT, "hold", "quiet hours (before 10:00 America/Sao_Paulo)"),
        (UTC_OUT_SP_IN, "send", None),
    ],
)
def test_quiet_hours_at_fixed_instants(home, quiet, journal, at, action, reason):
    add_pending(journal, [phone(1)])
    plan = make_plan(journal, _settings(home), Selection(), now=at)
    (item,) = plan.items
    assert (item.action, item.reason) == (action, reason)
    if action == "hold":
        assert item.until is not None and item.until > at


def test_ignore_quiet_hours_sends_on_a_saturday(home, quiet, journal):
    add_pending(journal, [phone(1)])
    plan = make_plan(journal, _settings(home), Selection(ignore_quiet_hours=True), now=SATURDAY)
    assert [i.action for i in plan.items] == ["send"]


def test_window_and_holidays_are_configurable(home, configure, journal):
    configure(
        send={
            "quiet_hours": True,
            "window": {"days": ["sat"], "start": "08:00", "end": "12:00", "holidays": ""},
        }
    )
    add_pending(journal, [phone(1)])
    saturday_9 = datetime(2026, 7, 4, 12, 0, tzinfo=UTC)  # 09:00 in São Paulo
    assert make_plan(journal, _settings(home), Selection(), now=saturday_9).items[0].action == (
        "send"
    )
    monday_holiday = make_plan(journal, _settings(home), Selection(), now=INDEPENDENCE_DAY)
    assert monday_holiday.items[0].reason == "quiet hours (Monday)"


def test_send_on_a_saturday_holds_everything_and_sends_nothing(
    home, quiet, journal, cloud, run, monkeypatch
):
    monkeypatch.setattr(planning, "utcnow", lambda: SATURDAY)
    keys = add_pending(journal, [phone(i) for i in range(3)])
    result = run("send", "--yes", "--json")
    assert result.exit_code == 0, result.stderr
    report = json.loads(result.stdout)
    assert (report["sent"], report["held"]) == (0, 3)
    assert all(r["held"] == "quiet hours (Saturday)" for r in report["requests"])
    assert cloud.received == []
    assert statuses(journal, keys) == ["pending"] * 3
    preview = json.loads(run("preview", "--json").stdout)
    assert [p["held"] for p in preview] == ["quiet hours (Saturday)"] * 3
    assert run("send", "--yes", "--ignore-quiet-hours").exit_code == 0
    assert len(cloud.received) == 3


def test_cooldown_holds_a_number_messaged_recently(home, configure, journal, cloud, run):
    first = add_pending(journal, [phone(7)])
    assert run("send", "--yes").exit_code == 0
    later = add_pending(journal, [phone(7), phone(8)], first=2000)
    plan = make_plan(journal, _settings(home), Selection())
    actions = {i.key: (i.action, i.reason) for i in plan.items}
    assert actions[later[0]][0] == "hold"
    assert (actions[later[0]][1] or "").startswith("cooldown until ")
    assert actions[later[1]] == ("send", None)
    assert run("send", "--yes").exit_code == 0
    assert statuses(journal, first + later) == ["sent", "pending", "sent"]
    assert cloud.delivered_to(phone(7)) == 1


def test_two_requests_from_one_number_in_one_run_send_one(home, configure, journal, cloud, run):
    keys = add_pending(journal, [phone(3), phone(4), phone(3)])
    result = run("send", "--yes", "--json")
    assert result.exit_code == 0
    assert statuses(journal, keys) == ["sent", "sent", "pending"]
    assert json.loads(result.stdout)["held"] == 1
    assert cloud.delivered_to(phone(3)) == 1


def test_without_cooldown_the_same_number_is_spaced(
    home, configure, journal, cloud, run, monkeypatch
):
    import fluigbot.dispatch.pipeline as pipeline_mod

    monkeypatch.setattr(pipeline_mod, "RECIPIENT_SPACING", 0.4)
    configure(send={"cooldown_hours": 0, "concurrency": 4})
    add_pending(journal, [phone(3), phone(3)])
    assert run("send", "--yes").exit_code == 0
    first, second = (r.at for r in cloud.received)
    assert second - first >= 0.39


def test_opted_out_number_is_skipped_in_either_form(home, configure, journal, cloud, run):
    keys = add_pending(journal, ["+5511987654321", "+5511912345678", phone(1)])
    with journal.locked():
        journal.optout_add("+551187654321")  # the 12-digit form of the first one
    plan = make_plan(journal, _settings(home), Selection())
    assert [i.action for i in plan.items] == ["skip", "send", "send"]
    assert plan.items[0].reason == "opted_out"
    result = run("send", "--yes", "--json")
    assert result.exit_code == 0
    assert json.loads(result.stdout)["skipped"] == 1
    assert statuses(journal, keys) == ["skipped", "sent", "sent"]
    assert journal.get(keys[0]).reason == "opted_out"  # type: ignore[union-attr]
    assert cloud.delivered_to("+5511987654321") == 0


def test_unknown_template_variable_is_exit_2_before_anything_is_sent(
    home, configure, journal, cloud, run
):
    configure(message={"body": "Olá {{nome}}, protocolo {{protocolo}}."})
    keys = add_pending(journal, [phone(i) for i in range(3)])
    result = run("send", "--yes")
    assert result.exit_code == 2
    assert "protocolo" in result.stderr
    assert cloud.received == []
    assert statuses(journal, keys) == ["pending"] * 3


def test_one_process_with_a_bad_template_stops_every_send(home, configure, journal, cloud, run):
    configure(process={"outro": {"message": {"body": "Oi {{nome}} {{sobrenome}}"}}})
    good = add_pending(journal, [phone(1), phone(2)])
    bad = add_pending(journal, [phone(3)], first=5000, process_id="outro")
    with pytest.raises(TemplateError, match=r"process\.outro\.message"):
        make_plan(journal, _settings(home), Selection())
    assert run("send", "--yes").exit_code == 2
    assert cloud.received == []
    assert statuses(journal, good + bad) == ["pending"] * 3


def test_per_process_template_is_used(home, configure, journal, cloud, run):
    configure(
        process={
            "outro": {
                "message": {
                    "template": "outro_modelo",
                    "body": "Oi {{nome}}, pedido {{numero}} de {{data_abertura}}.",
                }
            }
        }
    )
    add_pending(journal, [phone(1)])
    add_pending(journal, [phone(2)], first=5000, process_id="outro")
    assert run("send", "--yes").exit_code == 0
    by_to = {r.to: r for r in cloud.received}
    assert by_to[phone(1).lstrip("+")].template == "primeiro_contato"
    other = by_to[phone(2).lstrip("+")]
    assert other.template == "outro_modelo"
    assert other.parameters == ["Pessoa", "5000", "01/07/2026"]


def test_hostile_names_stay_plain_text(home, configure, journal, cloud, run):
    names = ["{{numero}} Silva", "{0.__class__} X", "\x1b[31mANA\x1b[0m SOUZA", "A" * 5000]
    add_pending(journal, [phone(i) for i in range(4)], names=names)
    assert run("send", "--yes").exit_code == 0
    params = {r.to: r.parameters for r in cloud.received}
    got = [params[phone(i).lstrip("+")] for i in range(4)]
    assert got[0] == ["{{numero}}", "1000"]
    assert got[1] == ["{0.__class__}", "1001"]
    assert got[2] == ["Ana", "1002"]
    assert len(got[3][0]) <= 200 and got[3][1] == "1003"
