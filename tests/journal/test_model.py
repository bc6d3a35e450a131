"""A hypothesis state machine drives the journal and checks it against a dict-based model."""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule
from journal_helpers import KEY, SOURCE, Clock, fetch

from fluigbot.journal import Journal, Outcome
from fluigbot.journal.numbers import canonical

PHONES = ["+5511911110000", "+5511922220000", "+5521933330000", "+551144440000"]
RIDS = st.integers(min_value=1, max_value=6)
PHONE_IX = st.integers(min_value=0, max_value=len(PHONES) - 1)


def twelve(p: str) -> str:
    d = p[1:]
    return "+" + d[:4] + d[5:] if len(d) == 13 else p


@dataclass
class M:
    status: str
    phone: str | None
    attempts: int = 0
    at: float = 0.0
    ever: set[str] = field(default_factory=set)
    ref: str | None = None  # the phone whose keyed hash the entry keeps (purge keeps it)


class JournalMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.dir = Path(tempfile.mkdtemp())
        self.clock = Clock()
        self.t = 0.0
        self.j = Journal(self.dir / "state", KEY, clock=self.clock)
        self.m: dict[str, M] = {}
        self.optouts: set[str] = set()
        self.contact: dict[str, float] = {}

    def teardown(self) -> None:
        shutil.rmtree(self.dir, ignore_errors=True)

    def lock(self):  # type: ignore[no-untyped-def]
        """Every new lock ends the previous run: what it left in `sending` becomes unknown."""
        for v in self.m.values():
            if v.status == "sending":
                v.status, v.at = "unknown", self.t
        return self.j.locked()

    @rule(rid=RIDS, ix=st.none() | PHONE_IX)
    def record(self, rid: int, ix: int | None) -> None:
        ph = PHONES[ix] if ix is not None else None
        with self.lock():
            got = fetch(self.j, rid, ph)
        k = str(rid)
        if k not in self.m:
            self.m[k] = M("pending" if ph else "skipped", ph, at=self.t, ever={ph} if ph else set(),
                          ref=ph)  # fmt: skip
            assert got == "new"
        elif self.m[k].status == "skipped" and ph:
            self.m[k].status, self.m[k].phone, self.m[k].at = "pending", ph, self.t
            self.m[k].ever.add(ph)
            self.m[k].ref = ph
            assert got == "updated"
        else:
            assert got == "known"

    @rule(
        rids=st.lists(RIDS, max_size=4),
        force=st.booleans(),
        status=st.none() | st.sampled_from(["sent", "failed", "dead", "unknown", "pending"]),
    )
    def send(self, rids: list[int], force: bool, status: str | None) -> None:
        """Claim, then record one outcome for all claimed (None: the run dies in between)."""
        with self.lock():
            got = self.j.claim([(SOURCE, str(r)) for r in rids], force=force)
            if status:
                self.j.record_outcomes([Outcome(e.key, status, message_id="m") for e in got])
        ok = {"pending", "failed"} | ({"dead", "unknown"} if force else set())
        want = []
        for r in dict.fromkeys(str(r) for r in rids):
            v = self.m.get(r)
            if v is not None and v.status in ok:
                v.attempts += 1
                v.status, v.at = status or "sending", self.t
                if status == "pending":
                    v.attempts -= 1
                if status == "sent" and v.phone:
                    self.contact[canonical(v.phone)] = self.t
                want.append(r)
        assert [e.request_id for e in got] == want

    @rule(days=st.integers(min_value=0, max_value=40))
    def advance(self, days: int) -> None:
        self.clock.advance(days=days, seconds=1)
        self.t += days * 86400 + 1

    @rule(days=st.integers(min_value=1, max_value=60))
    def purge(self, days: int) -> None:
        with self.lock():
            self.j.purge(timedelta(days=days))
        for v in self.m.values():
            if v.at < self.t - days * 86400 and v.phone:
                v.phone = None
                if v.status in ("pending", "failed"):
                    v.status, v.at = "skipped", self.t

    @rule(ix=PHONE_IX, short=st.booleans())
    def forget(self, ix: int, short: bool) -> None:
        ph = PHONES[ix]
        with self.lock():
            got = self.j.forget(twelve(ph) if short else ph)
        assert {k for _, k in got} == {k for k, v in self.m.items() if ph in v.ever}
        for v in self.m.values():
            if ph in v.ever:
                v.ever.discard(ph)
                if v.ref == ph:
                    v.ref = None
                if v.phone == ph:
                    v.phone = None
                    if v.status in ("pending", "failed"):
                        v.status, v.at = "skipped", self.t
        self.optouts.add(canonical(ph))
        self.contact.pop(canonical(ph), None)

    @rule(ix=PHONE_IX, short=st.booleans(), add=st.booleans())
    def optout(self, ix: int, short: bool, add: bool) -> None:
        ph = PHONES[ix]
        with self.lock():
            if add:
                assert self.j.optout_add(twelve(ph) if short else ph) == (
                    canonical(ph) not in self.optouts
                )
                self.optouts.add(canonical(ph))
            else:
                assert self.j.optout_remove(twelve(ph) if short else ph) == (
                    canonical(ph) in self.optouts
                )
                self.optouts.discard(canonical(ph))

    @rule()
    def reopen(self) -> None:
        self.j = Journal(self.dir / "state", KEY, clock=self.clock)

    @invariant()
    def matches_model(self) -> None:
        for k, v in self.m.items():
            e = self.j.get((SOURCE, k))
            assert e is not None
            assert (e.status, e.attempts, e.phone) == (v.status, v.attempts, v.phone), k
        for s in ("pending", "failed", "sending", "unknown", "sent", "skipped", "dead"):
            got = {e.request_id for e in self.j.select(statuses=[s], limit=None)}
            assert got == {k for k, v in self.m.items() if v.status == s}, s
        for ph in PHONES:
            assert self.j.is_opted_out(twelve(ph)) == (canonical(ph) in self.optouts)
            last = self.j.last_contact(twelve(ph))
            assert (last is None) == (canonical(ph) not in self.contact)
            holders = {e.request_id for e in self.j.find_by_phone(ph)}
            assert holders == {k for k, v in self.m.items() if v.ref == ph}  # purged: audit stays


JournalMachine.TestCase.settings = settings(max_examples=20, stateful_step_count=15, deadline=None)
TestJournalModel = JournalMachine.TestCase
