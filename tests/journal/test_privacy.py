"""Nothing personal in clear on disk; a wrong key is refused and destroys nothing."""

from __future__ import annotations

import hashlib
import os
import stat
from pathlib import Path

import pytest
from journal_helpers import KEY, SOURCE, fetch

from fluigbot.errors import CredentialError, JournalKeyError
from fluigbot.journal import Journal, Outcome

PHONE = "+5521987654321"
NAME = "Josefina Albuquerque"
WA = "552187654321"


def _fill(j: Journal) -> None:
    with j.locked():
        j.record_fetched(
            __import__("journal_helpers").req(1), phone=PHONE, phone_masked=None, name=NAME,
            description="Minha conta Josefina no andar 3", status="pending", reason=None,
        )  # fmt: skip
        j.claim([(SOURCE, "1")])
        j.record_outcomes([Outcome((SOURCE, "1"), "sent", message_id="wamid.Q", wa_id=WA)])
        j.optout_add("+5511912345678", wa_id="551112345678")
        fetch(j, 2, "+5511912345678", name=NAME)
        j.claim([(SOURCE, "2")])
        j.record_outcomes([Outcome((SOURCE, "2"), "failed", error_code="131000",
                                   error_message=f"could not reach {PHONE}")])  # fmt: skip


def _all_bytes(root: Path) -> bytes:
    return b"".join(p.read_bytes() for p in root.rglob("*") if p.is_file())


def test_no_phone_digits_or_names_anywhere_in_the_state_dir(
    journal: Journal, state_dir: Path
) -> None:
    _fill(journal)
    blob = _all_bytes(state_dir)
    for secret in (PHONE, PHONE[1:], "552187654321", WA, "5511912345678", "551112345678",
                   "987654321", "87654321", NAME, "Josefina", "Albuquerque"):  # fmt: skip
        assert secret.encode() not in blob, secret
    # a plain (unkeyed) hash of the number is not there either
    assert hashlib.sha256(PHONE[1:].encode()).hexdigest()[:32].encode() not in blob
    assert b"+55 21 9****-4321" in blob  # the masked form may be stored in clear
    assert journal.get((SOURCE, "1")).phone == PHONE  # type: ignore[union-attr]


def test_files_0600_folders_0700_and_a_warning_when_looser(
    journal: Journal, state_dir: Path
) -> None:
    _fill(journal)
    for p in [state_dir, *state_dir.rglob("*")]:
        mode = stat.S_IMODE(p.stat().st_mode)
        assert mode & 0o077 == 0, (p, oct(mode))
    os.chmod(state_dir / "meta.toml", 0o644)
    with pytest.warns(UserWarning, match="readable by others"):
        Journal(state_dir, KEY)


def test_wrong_key_is_refused_and_nothing_changes(journal: Journal, state_dir: Path) -> None:
    _fill(journal)
    before = {p: p.read_bytes() for p in state_dir.rglob("*") if p.is_file()}
    with pytest.raises(JournalKeyError) as err:
        Journal(state_dir, "another-key-of-at-least-32-characters!!")
    assert err.value.exit_code == 3 and str(state_dir) in str(err.value)
    after = {p: p.read_bytes() for p in state_dir.rglob("*") if p.is_file()}
    assert after == before


def test_short_key_is_a_credential_error(state_dir: Path) -> None:
    with pytest.raises(CredentialError, match="32"):
        Journal(state_dir, "short")


def test_missing_meta_with_data_is_refused_not_restarted(journal: Journal, state_dir: Path) -> None:
    _fill(journal)
    (state_dir / "meta.toml").unlink()
    with pytest.raises(Exception, match=r"meta\.toml"):
        Journal(state_dir, KEY)


def test_reading_an_empty_or_absent_journal(state_dir: Path) -> None:
    j = Journal(state_dir, KEY)
    assert j.select() == [] and j.get((SOURCE, "1")) is None
    assert j.last_contact(PHONE) is None and not j.is_opted_out(PHONE)
    assert not state_dir.exists()  # reading never creates anything
