"""Every state transition of an entry, as fetch, send, retry and the Fluig mark drive them."""

from __future__ import annotations

from datetime import timedelta

import pytest
from journal_helpers import SOURCE, fetch, phone, req

from fluigbot.errors import FluigbotError
from fluigbot.journal import Journal, Outcome, Status

K1 = (SOURCE, "1")


def test_fetch_new_known_and_a_fixed_phone_updates(journal: Journal) -> None:
    with journal.locked():
        assert fetch(journal, 1, phone(1)) == "new"
        assert fetch(journal, 1, phone(1)) == "known"
        assert fetch(journal, 1, phone(2)) == "known"  # a known pending request never changes
        assert fetch(journal, 2) == "new"  # skipped: no usable phone
        assert fetch(journal, 2) == "known"
        assert fetch(journal, 2, phone(3)) == "updated"
        assert fetch(journal, 2, phone(4)) == "known"
    e = journal.get((SOURCE, "2"))
    assert e is not None and e.status == "pending" and e.phone == phone(3) and e.reason is None
    assert journal.get(K1).phone == phone(1)  # type: ignore[union-attr]


def test_same_request_number_on_another_source_is_another_entry(journal: Journal) -> None:
    with journal.locked():
        fetch(journal, 1, phone(1))
        assert fetch(journal, 1, phone(1), source="http://127.0.0.1:8080") == "new"
    assert {e.source for e in journal.select()} == {SOURCE, "http://127.0.0.1:8080"}


def test_fetched_entry_keeps_what_the_mark_needs(journal: Journal) -> None:
    with journal.locked():
        journal.record_fetched(
            req(7, form_id=11, form_record_id=22, state_sequence=5, thread_sequence=0,
                movement_sequence=3),
            phone=phone(7), phone_masked="+55 11 9****-0007", name="Ana", description="x",
            status="pending", reason=None,
        )  # fmt: skip
    e = journal.get((SOURCE, "7"))
    assert e is not None
    assert (e.form_id, e.form_record_id, e.state_sequence, e.thread_sequence) == (11, 22, 5, 0)
    assert e.movement_sequence == 3 and e.process_id == "abertura_chamado"
    assert e.phone_masked == "+55 11 9****-0007" and e.name == "Ana"


def test_claim_then_sent(journal: Journal, clock) -> None:  # type: ignore[no-untyped-def]
    with journal.locked():
        fetch(journal, 1, phone(1))
        claimed = journal.claim([K1, K1])
        assert [e.key for e in claimed] == [K1] and claimed[0].status == "sending"
        assert claimed[0].attempts == 1
        assert journal.claim([K1]) == []  # already sending: nobody claims it again
        clock.advance(seconds=5)
        journal.record_outcomes([Outcome(K1, "sent", message_id="wamid.A", wa_id="551100000001")])
        assert journal.claim([K1], force=True) == []  # sent is final, even with force
    e = journal.get(K1)
    assert e is not None and e.status == Status.SENT and e.message_id == "wamid.A"
    assert e.sent_at == clock.now and e.wa_id == "551100000001"
    assert journal.last_contact(phone(1)) == clock.now


def test_failed_is_retried_and_dead_or_unknown_need_force(journal: Journal, clock) -> None:  # type: ignore[no-untyped-def]
    later = clock.now + timedelta(minutes=10)
    with journal.locked():
        for i in (1, 2, 3):
            fetch(journal, i, phone(i))
        keys = [(SOURCE, str(i)) for i in (1, 2, 3)]
        journal.claim(keys)
        journal.record_outcomes([
            Outcome(keys[0], "failed", error_code="131000", error_message="try later",
                    next_attempt_at=later),
            Outcome(keys[1], "dead", error_code="131026", error_message="undeliverable"),
            Outcome(keys[2], "unknown", error_code="timeout", error_message="read timeout"),
        ])  # fmt: skip
        failed = journal.get(keys[0])
        assert failed is not None and failed.next_attempt_at == later
        assert failed.to_json()["error"] == {"code": "131000", "message": "try later"}
        assert journal.select(statuses=["failed"], due_before=clock.now) == []
        assert [e.key for e in journal.select(statuses=["failed"], due_before=later)] == [keys[0]]
        assert [e.key for e in journal.claim(keys)] == [keys[0]]
        assert journal.get(keys[0]).attempts == 2  # type: ignore[union-attr]
        assert [e.key for e in journal.claim(keys, force=True)] == keys[1:]


def test_released_unsent_goes_back_to_pending_with_attempts_restored(journal: Journal) -> None:
    with journal.locked():
        fetch(journal, 1, phone(1))
        journal.claim([K1])
        journal.record_outcomes([Outcome(K1, "pending")])
    e = journal.get(K1)
    assert e is not None and e.status == "pending" and e.attempts == 0


def test_outcome_for_an_entry_not_being_sent_is_a_bug(journal: Journal) -> None:
    with journal.locked():
        fetch(journal, 1, phone(1))
        with pytest.raises(FluigbotError, match="not being sent"):
            journal.record_outcomes([Outcome(K1, "sent")])
        with pytest.raises(FluigbotError):
            journal.set_mark(K1, "done")


def test_mark_has_its_own_state(journal: Journal) -> None:
    with journal.locked():
        fetch(journal, 1, phone(1))
        journal.claim([K1])
        journal.record_outcomes([Outcome(K1, "sent", message_id="m")])
        journal.set_mark(K1, "pending")
        assert [e.key for e in journal.marks_due()] == [K1]
        journal.set_mark(K1, "failed", "Fluig said 500")
        assert journal.marks_due()[0].mark_error == "Fluig said 500"
        assert journal.claim([K1], force=True) == []  # a failed mark never resends
        journal.set_mark(K1, "done")
        assert journal.marks_due() == []
    e = journal.get(K1)
    assert e is not None and e.status == "sent" and e.to_json()["mark"]["state"] == "done"


def test_mutations_outside_the_lock_raise(journal: Journal) -> None:
    with pytest.raises(FluigbotError, match="outside"):
        fetch(journal, 1, phone(1))
    with journal.locked():
        fetch(journal, 1, phone(1))
    with pytest.raises(FluigbotError):
        journal.claim([K1])
    with pytest.raises(FluigbotError):
        journal.optout_add(phone(1))


def test_history_json_contract_and_masking(journal: Journal) -> None:
    with journal.locked():
        fetch(journal, 1, phone(1))
        fetch(journal, 2)
    sent, skipped = journal.get(K1), journal.get((SOURCE, "2"))
    assert sent is not None and skipped is not None
    doc = sent.to_json()
    for k in ("request_id", "process_id", "status", "reason", "phone", "attempts", "message_id",
              "error", "created_at", "updated_at"):  # fmt: skip
        assert k in doc
    assert doc["request_id"] == "1" and doc["phone"] == "+55 11 9****-0001"
    assert doc["created_at"].endswith("+00:00") and doc["error"] is None
    assert sent.to_json(reveal=True)["phone"] == phone(1)
    assert skipped.to_json()["phone"] is None and skipped.to_json()["reason"] == "invalid"
    text = repr(sent) + str(sent)
    assert phone(1) not in text and "Maria" not in text and "Impressora" not in text


def test_select_newest_first_with_filters(journal: Journal, clock) -> None:  # type: ignore[no-untyped-def]
    with journal.locked():
        for i in range(1, 8):
            fetch(journal, i, phone(i) if i % 2 else None)
            clock.advance(days=1)
        journal.claim([(SOURCE, "3")])
        journal.record_outcomes([Outcome((SOURCE, "3"), "failed", error_code="1")])
    ids = [e.request_id for e in journal.select()]
    assert ids == ["3", "7", "6", "5", "4", "2", "1"]
    assert [e.request_id for e in journal.select(limit=2)] == ["3", "7"]
    assert [e.request_id for e in journal.select(statuses=["skipped"])] == ["6", "4", "2"]
    assert [e.request_id for e in journal.select(statuses=["failed"])] == ["3"]
    assert [e.request_id for e in journal.select(statuses=["pending"])] == ["7", "5", "1"]
    assert [e.request_id for e in journal.select(request_ids=["5", "99"])] == ["5"]
    since = clock.now - timedelta(days=2, hours=12)
    assert [e.request_id for e in journal.select(since=since)] == ["3", "7", "6"]


def test_crashed_sending_becomes_unknown_on_next_lock(make_journal, clock) -> None:  # type: ignore[no-untyped-def]
    j = make_journal()
    with j.locked():
        fetch(j, 1, phone(1))
        j.claim([K1])
    # the process "died" without recording an outcome; the next writer recovers it
    j2 = make_journal()
    with j2.locked():
        assert [e.key for e in j2.recovered] == [K1]
        assert j2.recovered[0].status == "unknown" and j2.recovered[0].error_code == "interrupted"
        assert j2.claim([K1]) == []
    with j2.locked():
        assert j2.recovered == []


def test_cursors(journal: Journal) -> None:
    assert journal.cursor(SOURCE, "p") is None
    with journal.locked():
        journal.set_cursor(SOURCE, "p", {"last_id": 120, "last_start": "2025-03-01T00:00:00Z"})
    assert journal.cursor(SOURCE, "p") == {"last_id": 120, "last_start": "2025-03-01T00:00:00Z"}
    assert journal.cursor(SOURCE, "other") is None


def test_reader_sees_a_running_writers_durable_work(make_journal) -> None:  # type: ignore[no-untyped-def]
    writer, reader = make_journal(), make_journal()
    with writer.locked():
        fetch(writer, 1, phone(1))
        writer.claim([K1])  # durable now, indexes not yet checkpointed
        assert reader.get(K1).status == "sending"  # type: ignore[union-attr]
        assert [e.key for e in reader.select(statuses=["sending"])] == [K1]
        writer.record_outcomes([Outcome(K1, "sent", message_id="m")])
        assert reader.last_contact(phone(1)) is not None
        assert reader.select(statuses=["sending"]) == []


def test_skip_records_a_late_reason_and_never_touches_sent(journal: Journal) -> None:
    with journal.locked():
        for i in (1, 2, 3):
            fetch(journal, i, phone(i))
        journal.claim([(SOURCE, "3")])
        journal.record_outcomes([Outcome((SOURCE, "3"), "sent", message_id="m")])
        got = journal.skip([((SOURCE, "1"), "opted_out"), ((SOURCE, "3"), "opted_out")])
        assert [e.request_id for e in got] == ["1"]
        assert journal.claim([(SOURCE, "1")], force=True) == []
    one = journal.get((SOURCE, "1"))
    assert one is not None and one.status == "skipped" and one.reason == "opted_out"
    assert journal.get((SOURCE, "3")).status == "sent"  # type: ignore[union-attr]
    assert journal.get((SOURCE, "2")).status == "pending"  # type: ignore[union-attr]
