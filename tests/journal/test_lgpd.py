"""Opt-out in both Brazilian forms, retention purge that keeps the audit, erasure of one number."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from journal_helpers import SOURCE, fetch, phone

from fluigbot.journal import Journal, Outcome
from fluigbot.journal.numbers import mask, variants

P13 = "+5582999448232"
P12 = "+558299448232"


def test_number_forms_and_masks() -> None:
    assert variants(P13) == ["5582999448232", "558299448232"]
    assert variants(P12) == ["5582999448232", "558299448232"]
    assert variants("+14155550123") == ["14155550123"]
    assert mask(P13) == "+55 82 9****-8232"
    assert mask("+5511987654321") == "+55 11 9****-4321"
    assert mask("+14155550123") == "+1 ****0123"
    assert mask("+351912345678") == "+351 ****5678"


@pytest.mark.parametrize(("added", "checked"), [(P13, P12), (P12, P13), (P13, P13)])
def test_optout_matches_both_digit_forms(journal: Journal, added: str, checked: str) -> None:
    with journal.locked():
        assert journal.optout_add(added) is True
        assert journal.optout_add(checked) is False  # the same line
    assert journal.is_opted_out(checked)
    assert not journal.is_opted_out("+5582999448233")
    assert [o.masked for o in journal.optout_list()] == [mask(added)]
    with journal.locked():
        assert journal.optout_remove(checked) is True
        assert journal.optout_remove(checked) is False
    assert not journal.is_opted_out(added)


def test_optout_by_wa_id(journal: Journal) -> None:
    with journal.locked():
        journal.optout_add("+5511987654321", wa_id="551187654321", source="webhook")
    assert journal.is_opted_out("+5511900000000", wa_id="551187654321")
    assert journal.optout_list()[0].source == "webhook"


def test_dedup_lookup_by_phone_in_either_form(journal: Journal, clock) -> None:  # type: ignore[no-untyped-def]
    with journal.locked():
        fetch(journal, 1, P13)
        fetch(journal, 2, P13)
        journal.claim([(SOURCE, "1")])
        journal.record_outcomes([Outcome((SOURCE, "1"), "sent", message_id="m")])
    assert journal.last_contact(P12) == clock.now
    assert [e.request_id for e in journal.find_by_phone(P12)] == ["1", "2"]  # newest change first
    assert journal.find_by_phone("+5582999448299") == []


def test_purge_scrubs_old_entries_and_keeps_the_audit(
    journal: Journal, clock, state_dir: Path
) -> None:  # type: ignore[no-untyped-def]
    with journal.locked():
        fetch(journal, 1, phone(1), name="Antiga Pessoa")
        fetch(journal, 2, phone(2), name="Antiga Pendente")
        journal.claim([(SOURCE, "1")])
        journal.record_outcomes([Outcome((SOURCE, "1"), "sent", message_id="wamid.OLD",
                                         wa_id="551100000001")])  # fmt: skip
        clock.advance(days=100)
        fetch(journal, 3, phone(3), name="Nova Pessoa")
        assert journal.purge(timedelta(days=90), dry_run=True) == 2
        assert journal.get((SOURCE, "1")).name == "Antiga Pessoa"  # type: ignore[union-attr]
        assert journal.purge(timedelta(days=90)) == 2
        assert journal.purge(timedelta(days=90)) == 0  # idempotent
    old = journal.get((SOURCE, "1"))
    assert old is not None and old.status == "sent" and old.message_id == "wamid.OLD"
    assert old.phone is None and old.name is None and old.wa_id is None
    assert old.phone_masked == "+55 11 9****-0001" and old.sent_at is not None
    assert old.to_json()["scrubbed"] == "purge"
    pend = journal.get((SOURCE, "2"))
    assert pend is not None and pend.status == "skipped" and pend.reason == "purged"
    assert journal.get((SOURCE, "3")).name == "Nova Pessoa"  # type: ignore[union-attr]
    assert journal.last_contact(phone(1)) is not None  # cooldown audit stays
    blob = b"".join(p.read_bytes() for p in state_dir.rglob("*") if p.is_file())
    fresh = journal.get((SOURCE, "3"))
    assert fresh is not None
    # no ciphertext of the old phone survives anywhere (each field has its own nonce, so
    # check by count: only entry 3's records still carry a phone field)
    assert blob.count(b"\nname = ") == blob.count(b'request_id = "3"\n')
    assert any(a["action"] == "purge" for a in journal.access_log())


def test_forget_erases_a_person_and_opts_them_out(journal: Journal, state_dir: Path) -> None:
    with journal.locked():
        fetch(journal, 1, P13, name="Quem Esquece")
        fetch(journal, 2, P13, name="Quem Esquece")
        fetch(journal, 3, phone(3), name="Outra Pessoa")
        journal.claim([(SOURCE, "1")])
        journal.record_outcomes([Outcome((SOURCE, "1"), "sent", message_id="m1")])
        assert journal.forget(P12, dry_run=True) == [(SOURCE, "1"), (SOURCE, "2")]
        assert journal.get((SOURCE, "1")).phone == P13  # type: ignore[union-attr]
        assert journal.forget(P12) == [(SOURCE, "1"), (SOURCE, "2")]
    assert journal.is_opted_out(P13)
    one, two = journal.get((SOURCE, "1")), journal.get((SOURCE, "2"))
    assert one is not None and one.status == "sent" and one.phone is None and one.name is None
    assert one.phone_masked is None and one.phone_ref is None and one.message_id == "m1"
    assert two is not None and two.status == "skipped" and two.reason == "forgotten"
    assert journal.find_by_phone(P13) == [] and journal.last_contact(P13) is None
    assert journal.get((SOURCE, "3")).name == "Outra Pessoa"  # type: ignore[union-attr]
    files = [p for p in state_dir.rglob("*") if p.is_file() and p.name != "optouts.toml"]
    blob = b"".join(p.read_bytes() for p in files)
    assert b"8232" not in blob  # not even the masked form, except on the opt-out list
    assert blob.count(b"\nphone = ") == blob.count(b'request_id = "3"\n')


def test_log_access_without_the_lock(journal: Journal) -> None:
    journal.log_access("history --reveal", "12 entries shown unmasked")
    with journal.locked():
        journal.log_access("history --reveal", "1 entry")
    assert [a["detail"] for a in journal.access_log()] == ["12 entries shown unmasked", "1 entry"]
