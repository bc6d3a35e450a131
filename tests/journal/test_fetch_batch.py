"""Journal.record_fetched_many: a page recorded in one append, with the same answers as one by one."""

from __future__ import annotations

from journal_helpers import KEY, SOURCE, phone, req

from fluigbot.journal import Journal
from fluigbot.journal.entry import Fetched


def item(rid: int, ph: str | None, *, name: str | None = "Ana Souza") -> Fetched:
    status, reason = ("pending", None) if ph else ("skipped", "invalid")
    masked = None if ph is None else f"+55 11 9****-{ph[-4:]}"
    return Fetched.of(req(rid), status, reason, ph, masked, name, "Sem internet")


def test_a_page_with_repeats_answers_as_if_recorded_one_by_one(journal: Journal) -> None:
    with journal.locked():
        assert journal.record_fetched_many([item(9, phone(9))])[0][0] == "new"
        answers = journal.record_fetched_many(
            [
                item(1, phone(1)),
                item(1, phone(2)),  # the same request again in the page: known
                item(2, None),  # skipped...
                item(2, phone(3)),  # ...and fixed further down the same page: updated
                item(9, phone(4)),  # recorded by an earlier page: known
            ]
        )
    assert [a for a, _ in answers] == ["new", "known", "new", "updated", "known"]
    entries = [e for _, e in answers]
    assert entries[1] is None and entries[4] is None
    first, skipped, fixed = entries[0], entries[2], entries[3]
    assert first is not None and first.phone == phone(1) and first.name == "Ana Souza"
    assert skipped is not None and skipped.status == "skipped" and skipped.reason == "invalid"
    assert fixed is not None and fixed.status == "pending" and fixed.phone == phone(3)
    # What the journal holds afterwards, read back and decrypted.
    again = Journal(journal.state_dir, KEY)
    one, two = again.get((SOURCE, "1")), again.get((SOURCE, "2"))
    assert one is not None and one.phone == phone(1) and one.description == "Sem internet"
    assert two is not None and two.status == "pending" and two.phone == phone(3)
    assert two.created_at == skipped.created_at  # the update keeps when it was first seen
    assert [e.request_id for e in again.find_by_phone(phone(3))] == ["2"]
    assert again.get((SOURCE, "9")).phone == phone(9)  # type: ignore[union-attr]


def test_the_entries_returned_match_what_a_reader_decrypts(journal: Journal) -> None:
    with journal.locked():
        answers = journal.record_fetched_many([item(n, phone(n)) for n in range(1, 6)])
    reread = Journal(journal.state_dir, KEY)
    for _, entry in answers:
        assert entry is not None
        stored = reread.get(entry.key)
        assert stored is not None
        assert entry.to_json(reveal=True) == stored.to_json(reveal=True)
        assert (entry.name, entry.description) == (stored.name, stored.description)


def test_json_made_page_by_page_is_the_json_made_at_the_end(journal: Journal) -> None:
    """fetch --json makes each entry's JSON as its page is recorded (FetchReport.json_rows)."""
    from fluigbot import intake

    pages = [
        [item(n, phone(n)) for n in (1, 2)] + [item(3, None)],
        [item(2, phone(2)), item(4, phone(4))],
    ]
    early, late = intake.FetchReport(json_rows=[]), intake.FetchReport()
    with journal.locked():
        for page in pages:
            intake._record_page(journal, page, early)
    with Journal(journal.state_dir.parent / "other", KEY).locked() as again:
        for page in pages:
            intake._record_page(again, page, late)
    assert early.entries == [] and early.json_rows is not None and len(early.json_rows) == 4
    for got, want in zip(early.to_json()["requests"], late.to_json()["requests"], strict=True):
        assert {k: v for k, v in got.items() if not k.endswith("_at")} == {
            k: v for k, v in want.items() if not k.endswith("_at")
        }
    assert early.to_json()["requests"][0]["phone"] == late.entries[0].phone_masked
    assert [early.to_json()[k] for k in ("new", "known", "skipped")] == [3, 1, 1]
