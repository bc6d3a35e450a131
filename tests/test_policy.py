"""Quiet hours, consent and the send/hold/skip decision, at fixed instants (no real clock)."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fluigbot.errors import ConfigError
from fluigbot.policy import Decision, QuietHours, Window, consent_given, decide

SP = ZoneInfo("America/Sao_Paulo")
QUIET = QuietHours(Window())


def sp(*args: int) -> datetime:
    return datetime(*args, tzinfo=SP)  # type: ignore[arg-type,misc]


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)  # type: ignore[arg-type,misc]


# --- the window at fixed instants -------------------------------------------------------------


def test_weekday_inside_window_is_allowed() -> None:
    at = sp(2026, 3, 4, 14, 0)  # a Wednesday
    assert QUIET.allows(at)
    assert QUIET.reason(at) is None
    assert QUIET.next_open(at) == at


def test_saturday_and_sunday_are_held() -> None:
    assert QUIET.reason(sp(2026, 3, 7, 14, 0)) == "quiet hours (Saturday)"
    assert QUIET.reason(sp(2026, 3, 8, 14, 0)) == "quiet hours (Sunday)"


@pytest.mark.parametrize(
    ("day", "name"),
    [
        ((2026, 12, 25), "Natal"),
        ((2026, 9, 7), "Independência do Brasil"),
        ((2026, 11, 20), "Dia Nacional de Zumbi e da Consciência Negra"),  # national since 2024
        ((2026, 4, 3), "Sexta-feira Santa"),
    ],
)
def test_national_holiday_on_a_weekday_is_held_with_its_name(
    day: tuple[int, int, int], name: str
) -> None:
    at = sp(*day, 14, 0)
    assert at.weekday() < 5
    assert not QUIET.allows(at)
    assert QUIET.reason(at) == f"quiet hours (holiday: {name})"


def test_holidays_can_be_turned_off() -> None:
    quiet = QuietHours(Window(holidays=""))
    assert quiet.allows(sp(2026, 12, 25, 14, 0))


def test_carnival_is_not_a_national_holiday() -> None:
    # Carnival is in the package's "optional" category, not the national list the window uses.
    assert QUIET.allows(sp(2026, 2, 17, 14, 0))


def test_hour_is_read_in_sao_paulo_not_utc() -> None:
    morning = utc(2026, 3, 4, 12, 30)  # 09:30 in São Paulo
    assert QUIET.reason(morning) == "quiet hours (before 10:00 America/Sao_Paulo)"
    assert QUIET.next_open(morning) == utc(2026, 3, 4, 13, 0)
    assert QUIET.next_open(morning).tzinfo is UTC  # answered in the caller's zone
    assert QUIET.allows(utc(2026, 3, 4, 20, 30))  # 17:30 in São Paulo
    assert not QUIET.allows(utc(2026, 3, 4, 21, 0))  # 18:00 in São Paulo


def test_no_daylight_saving_offset_is_three_hours_all_year() -> None:
    # Brazil dropped DST in 2019: 12:59 UTC is 09:59 in January and in July alike.
    for month, day in ((1, 14), (7, 14), (11, 11)):  # weekdays in summer, winter, and November
        assert not QUIET.allows(utc(2026, month, day, 12, 59))
        assert QUIET.allows(utc(2026, month, day, 13, 0))


def test_window_start_inclusive_end_exclusive() -> None:
    assert QUIET.allows(sp(2026, 3, 4, 10, 0))
    assert not QUIET.allows(sp(2026, 3, 4, 9, 59, 59))
    assert QUIET.allows(sp(2026, 3, 4, 17, 59, 59))
    assert QUIET.reason(sp(2026, 3, 4, 18, 0)) == "quiet hours (after 18:00 America/Sao_Paulo)"


def test_next_open_across_a_weekend() -> None:
    friday_evening = sp(2026, 3, 6, 18, 0)
    assert QUIET.next_open(friday_evening) == sp(2026, 3, 9, 10, 0)  # Monday
    assert QUIET.next_open(sp(2026, 3, 7, 11, 0)) == sp(2026, 3, 9, 10, 0)


def test_next_open_across_a_holiday_and_a_weekend() -> None:
    # Thursday 2026-12-24 evening -> Friday 25 is Natal -> weekend -> Monday 28.
    assert QUIET.next_open(sp(2026, 12, 24, 19, 0)) == sp(2026, 12, 28, 10, 0)
    # Friday 2027-01-01 (Confraternização) -> Monday 4.
    assert QUIET.next_open(sp(2026, 12, 31, 18, 30)) == sp(2027, 1, 4, 10, 0)


def test_next_open_same_day_before_start() -> None:
    assert QUIET.next_open(sp(2026, 3, 4, 6, 15)) == sp(2026, 3, 4, 10, 0)


def test_disabled_quiet_hours_allow_any_time() -> None:
    quiet = QuietHours(Window(), enabled=False)
    sunday_night = sp(2026, 3, 8, 23, 0)
    assert quiet.allows(sunday_night)
    assert quiet.next_open(sunday_night) == sunday_night


def test_acre_zone_moves_the_window_to_acre_wall_clock() -> None:
    acre = QuietHours(Window(timezone="America/Rio_Branco", start=time(8), end=time(16)))
    # 08:00-16:00 in Acre is exactly 10:00-18:00 in São Paulo.
    for at in (
        sp(2026, 3, 4, 9, 59),
        sp(2026, 3, 4, 10, 0),
        sp(2026, 3, 4, 17, 59),
        sp(2026, 3, 4, 18, 0),
    ):
        assert acre.allows(at) == QUIET.allows(at)


def test_naive_datetime_is_a_programming_error() -> None:
    with pytest.raises(ValueError):
        QUIET.allows(datetime(2026, 3, 4, 14, 0))


# --- next_open, by property ------------------------------------------------------------------

instants = st.datetimes(
    min_value=datetime(2019, 6, 1), max_value=datetime(2032, 12, 31), timezones=st.just(UTC)
)


@settings(max_examples=200, deadline=None)
@given(at=instants, data=st.data())
def test_next_open_is_the_first_allowed_instant(at: datetime, data: st.DataObject) -> None:
    opened = QUIET.next_open(at)
    assert opened >= at
    assert QUIET.allows(opened)
    if opened > at:
        gap = (opened - at).total_seconds()
        offsets = data.draw(st.lists(st.floats(0, gap, exclude_max=True), max_size=20))
        for offset in [0.0, gap - 1e-3, *offsets]:
            probe = at + timedelta(seconds=max(0.0, offset))
            if probe < opened:
                assert not QUIET.allows(probe)


@settings(max_examples=100, deadline=None)
@given(
    at=instants,
    days=st.sets(st.sampled_from(["mon", "tue", "wed", "thu", "fri", "sat", "sun"]), min_size=1),
    hours=st.tuples(st.integers(0, 23), st.integers(0, 23)).filter(lambda h: h[0] < h[1]),
    zone=st.sampled_from(["America/Sao_Paulo", "America/Rio_Branco", "Europe/Berlin", "UTC"]),
)
def test_next_open_for_any_window(
    at: datetime, days: set[str], hours: tuple[int, int], zone: str
) -> None:
    quiet = QuietHours(
        Window(days=tuple(days), start=time(hours[0]), end=time(hours[1]), timezone=zone)
    )
    opened = quiet.next_open(at)
    assert opened >= at
    assert quiet.allows(opened)
    just_before = opened - timedelta(microseconds=1)
    assert opened == at or just_before < at or not quiet.allows(just_before)


# --- Window.from_config ------------------------------------------------------------------------


def test_from_config_defaults_and_values() -> None:
    assert Window.from_config({}) == Window()
    assert Window.from_config({"colour": "blue"}) == Window()  # the loader warns about those
    w = Window.from_config(
        {
            "days": ["Sat", "mon", "mon"],
            "start": "8:30",
            "end": time(12, 0),
            "timezone": "America/Manaus",
            "holidays": "",
        }
    )
    assert w == Window(
        days=("mon", "sat"), start=time(8, 30), end=time(12), timezone="America/Manaus", holidays=""
    )


@pytest.mark.parametrize(
    ("table", "key"),
    [
        ({"days": ["mon", "funday"]}, "send.window.days"),
        ({"days": []}, "send.window.days"),
        ({"days": "mon"}, "send.window.days"),
        ({"start": "25:00"}, "send.window.start"),
        ({"start": "10h"}, "send.window.start"),
        ({"end": "18:60"}, "send.window.end"),
        ({"start": "18:00", "end": "10:00"}, "send.window.start"),
        ({"start": "10:00", "end": "10:00"}, "send.window.start"),
        ({"timezone": "America/Sao_Paolo"}, "send.window.timezone"),
        ({"timezone": ""}, "send.window.timezone"),
        ({"timezone": "../etc/passwd"}, "send.window.timezone"),
        ({"holidays": "XX"}, "send.window.holidays"),
    ],
)
def test_from_config_names_the_bad_key(table: dict[str, object], key: str) -> None:
    with pytest.raises(ConfigError) as caught:
        Window.from_config(table)
    assert caught.value.problems
    assert all(p.startswith(key + ":") for p in caught.value.problems)
    assert str(caught.value).startswith(key + ":")


def test_from_config_reports_every_problem() -> None:
    with pytest.raises(ConfigError) as caught:
        Window.from_config({"days": ["xyz"], "start": "99:00", "timezone": "Nowhere/Land"})
    keys = {p.split(":")[0] for p in caught.value.problems}
    assert keys == {"send.window.days", "send.window.start", "send.window.timezone"}


def test_quiet_hours_rejects_an_unknown_zone() -> None:
    with pytest.raises(ConfigError, match=r"send\.window\.timezone"):
        Window(timezone="Mars/Olympus")


# --- consent -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    ["sim", "SIM", " Sim ", "s", "S", "yes", "Y", "true", "TRUE", "1", "x", "X", "on", "SÍM"],
)
def test_consent_yes(value: str) -> None:
    assert consent_given(value)


@pytest.mark.parametrize(
    "value", [None, "", " ", "nao", "não", "no", "0", "false", "off", "talvez"]
)
def test_consent_not_yes(value: str | None) -> None:
    assert not consent_given(value)


# --- decide ------------------------------------------------------------------------------------

WEDNESDAY = sp(2026, 3, 4, 14, 0)
SATURDAY = sp(2026, 3, 7, 14, 0)


def _decide(**overrides: object) -> Decision:
    facts: dict[str, object] = {
        "now": WEDNESDAY,
        "quiet": QUIET,
        "ignore_quiet_hours": False,
        "opted_out": False,
        "consent_field": "",
        "consent_value": None,
        "already_contacted": False,
        "last_contact": None,
        "cooldown": timedelta(hours=24),
    }
    facts.update(overrides)
    return decide(**facts)  # type: ignore[arg-type]


def test_plain_request_is_sent() -> None:
    assert _decide() == Decision("send", None)


def test_skips_win_over_holds() -> None:
    on_saturday_in_cooldown = {"now": SATURDAY, "last_contact": SATURDAY - timedelta(hours=1)}
    assert _decide(opted_out=True, **on_saturday_in_cooldown) == Decision("skip", "opted_out")
    no = _decide(consent_field="aceita_whatsapp", consent_value="não", **on_saturday_in_cooldown)
    assert no == Decision("skip", "no_consent")
    done = _decide(already_contacted=True, **on_saturday_in_cooldown)
    assert done == Decision("skip", "already_contacted")


def test_skip_order_opt_out_then_consent_then_marker() -> None:
    assert _decide(opted_out=True, consent_field="c", already_contacted=True).reason == "opted_out"
    assert _decide(consent_field="c", already_contacted=True).reason == "no_consent"


def test_consent_only_checked_when_configured() -> None:
    assert _decide(consent_field="", consent_value=None).action == "send"
    assert _decide(consent_field="c", consent_value="Sim").action == "send"
    assert _decide(consent_field="c", consent_value=None).reason == "no_consent"


def test_cooldown_holds_with_local_end_time() -> None:
    last = utc(2026, 3, 4, 12, 0)  # 09:00 São Paulo
    d = _decide(last_contact=last)
    assert d.action == "hold"
    assert d.reason == "cooldown until 2026-03-05 09:00 America/Sao_Paulo"
    assert d.until == last + timedelta(hours=24)
    assert _decide(last_contact=WEDNESDAY - timedelta(hours=24)).action == "send"
    assert (
        _decide(last_contact=WEDNESDAY - timedelta(hours=1), cooldown=timedelta(0)).action == "send"
    )


def test_cooldown_is_held_even_with_ignore_quiet_hours() -> None:
    d = _decide(last_contact=WEDNESDAY - timedelta(hours=1), ignore_quiet_hours=True)
    assert d.action == "hold"


def test_quiet_hours_hold_and_their_override() -> None:
    d = _decide(now=SATURDAY)
    assert d == Decision("hold", "quiet hours (Saturday)", sp(2026, 3, 9, 10, 0))
    assert _decide(now=SATURDAY, ignore_quiet_hours=True) == Decision("send", None)
