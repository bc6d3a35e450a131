"""Journal: the memory that keeps fluigbot from messaging a person twice. See state.py for files."""

from __future__ import annotations

import logging
import warnings
from collections.abc import Callable, Collection, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

import tomli_w

from fluigbot.errors import CredentialError, FluigbotError, JournalError, JournalKeyError
from fluigbot.journal import fsutil, numbers
from fluigbot.journal.blocks import FILE_HEADER, Block
from fluigbot.journal.crypto import MIN_SECRET_LEN, Keys
from fluigbot.journal.entry import (
    CLAIMABLE,
    FORCE_CLAIMABLE,
    MARK_STATES,
    OPEN_STATUSES,
    OUTCOME_STATUSES,
    Entry,
    EntryKey,
    Fetched,
    OptOut,
    Outcome,
)
from fluigbot.journal.state import GROUPS, Store, ts
from fluigbot.models import FluigRequest

log = logging.getLogger("fluigbot.journal")

ENCRYPTED = ("phone", "name", "description", "wa_id", "error_message", "mark_error")
_DATES = ("start_date", "next_attempt_at", "created_at", "sent_at")


def _dt(value: Any) -> datetime | None:
    if value is None:
        return None
    return value if isinstance(value, datetime) else datetime.fromisoformat(value)


class Journal:
    """Open a journal. Never hangs and never writes: writing happens inside `locked()`."""

    def __init__(
        self, state_dir: Path, secret: str, *, clock: Callable[[], datetime] | None = None
    ) -> None:
        if not isinstance(secret, str) or len(secret) < MIN_SECRET_LEN:
            raise CredentialError(
                f"the journal key must have at least {MIN_SECRET_LEN} characters",
                hint="Set FLUIGBOT_JOURNAL_KEY (or `fluigbot auth set journal --stdin`).",
            )
        self._st = Store(Path(state_dir), clock)
        self.state_dir = self._st.state_dir
        self.recovered: list[Entry] = []
        self._secret: str | None = secret
        self._keys: Keys | None = None
        self._optout_cache: tuple[Any, list[dict[str, Any]]] | None = None
        self._optout_refs: tuple[list[dict[str, Any]], set[str]] | None = None
        self._optout_generation = -1
        meta = self._st._read_toml(self.state_dir / "meta.toml")
        if meta:
            self._keys = self._check_key(meta)
        elif self._has_data():
            raise JournalError(
                f"{self.state_dir / 'meta.toml'} is missing, but the journal holds data",
                hint="Restore meta.toml from a backup; fluigbot never starts a journal afresh.",
            )
        loose = fsutil.check_modes(self.state_dir)
        if loose:
            msg = f"journal files readable by others in {self.state_dir}: {', '.join(loose)}"
            warnings.warn(msg + " (chmod 700 the folder, 600 the files)", stacklevel=2)

    def __repr__(self) -> str:
        return f"Journal({str(self.state_dir)!r})"

    @staticmethod
    def exists(state_dir: Path) -> bool:
        """Whether a journal was ever written there (so its key must never be made anew)."""
        d = Path(state_dir)
        return any((d / n).exists() for n in ("meta.toml", "wal", "index", "optouts.toml"))

    # ----- key and meta
    def _has_data(self) -> bool:
        return any((self.state_dir / n).exists() for n in ("wal", "index", "optouts.toml"))

    def _check_key(self, meta: dict[str, Any]) -> Keys:
        try:
            keys = Keys(str(self._secret), bytes.fromhex(meta["salt"]))
            expected = str(meta["key_check"])
        except (KeyError, ValueError, TypeError):
            raise JournalError(f"journal file {self.state_dir / 'meta.toml'} is damaged") from None
        if keys.check != expected:
            raise JournalKeyError(
                f"the journal in {self.state_dir} was written with another FLUIGBOT_JOURNAL_KEY",
                hint="Use the key it was written with (your backup or keyring); nothing was "
                "changed. fluigbot never starts afresh: that would forget who opted out.",
            )
        self._secret = None
        return keys

    def _create_meta(self) -> None:
        import os

        path = self.state_dir / "meta.toml"
        meta = self._st._read_toml(path)
        if not meta:
            if self._has_data():
                raise JournalError(f"{path} is missing, but the journal holds data")
            meta = {
                "schema": 1,
                "created_at": ts(self._st.now()),
                "cipher": "aes-256-gcm (per field, random nonce)",
                "kdf": "hkdf-sha256",
                "phone_hash": "hmac-sha256, first 128 bits, of the digits",
                "salt": os.urandom(16).hex(),
            }
            meta["key_check"] = Keys(str(self._secret), bytes.fromhex(meta["salt"])).check
            fsutil.atomic_write(path, tomli_w.dumps(meta).encode())
        self._keys = self._check_key(meta)

    def _ready(self) -> bool:
        """True once the journal exists (a reader opened before the first write catches up)."""
        if self._keys is None:
            meta = self._st._read_toml(self.state_dir / "meta.toml")
            if meta:
                self._keys = self._check_key(meta)
        return self._keys is not None

    @property
    def keys(self) -> Keys:
        if not self._ready():
            raise FluigbotError("journal key not set up (a bug in fluigbot)")
        assert self._keys is not None
        return self._keys

    # ----- lock
    @contextmanager
    def locked(self, wait: float = 10.0) -> Iterator[Journal]:
        """Exclusive writer lock for this state dir; recovers what a crashed run left."""
        st = self._st
        if st._locked:
            st._locked += 1
            try:
                yield self
            finally:
                st._locked -= 1
            return
        from filelock import FileLock, Timeout

        fsutil.ensure_dir(self.state_dir)
        lock = FileLock(str(self.state_dir / "journal.lock"), timeout=wait, mode=0o600)
        try:
            lock.acquire()
        except Timeout:
            raise JournalError(
                f"another fluigbot is running on {self.state_dir} (waited {wait:g} s)",
                hint="Wait for it to finish, or stop it.",
            ) from None
        ok = False
        try:
            st._locked = 1
            st._generation += 1
            self._open_for_writing()
            yield self
            ok = True
        finally:
            try:
                st.checkpoint() if ok else st.flush()
            finally:
                st._locked = 0
                st._view = None
                lock.release()

    @contextmanager
    def checkpoint_aside(self, *, at_least: int = 1000) -> Iterator[None]:
        """Write the indexes (the checkpoint of lock release) while the body runs: the phone
        leaves in a second process, the rest here once the body is done (fetch prints its
        output meanwhile), head.toml last. The body must not write the journal. With
        fewer than `at_least` records to index, or where a second process is not possible
        (readahead.can_fork), nothing changes: the lock's release writes them as usual."""
        from fluigbot import readahead

        st = self._st
        st.require_lock()
        plan = None
        if len(st.view().latest) >= at_least and readahead.can_fork():
            plan = st.checkpoint_plan()
        if plan is None:
            yield
            return
        job = readahead.Aside(lambda: st.write_leaves(plan, phones=True, others=False))
        st._frozen = True
        try:
            yield
            st.write_leaves(plan, phones=False, others=True)  # this process's part, meanwhile
        except BaseException:
            try:
                job.wait()
            except Exception:  # the first error is the one to report; the files are checked
                log.warning("journal: the checkpoint beside the output failed too", exc_info=True)
            except KeyboardInterrupt:
                pass  # Ctrl-C reached both processes
            st.repair()  # cut what was left half-written; the next lock writes it again
            raise
        finally:
            st._frozen = False
        try:
            job.wait()
        except BaseException:
            st.repair()
            raise
        st.end_checkpoint(plan)

    def _open_for_writing(self) -> None:
        st = self._st
        st._view = None
        st._seg_cache.clear()
        st._leaf_cache.clear()
        if self._keys is None:
            self._create_meta()
        st.repair()
        v = st.view()
        for name in GROUPS:
            v.groups[name] = st.read_group(name)
        from fluigbot.journal import maintenance  # only writers need it

        maintenance.resume(self)
        self.recovered = []
        stuck = sorted(st.group("sending").values(), key=lambda b: b.seq)
        if stuck:
            note = "the run stopped while sending; the message may have gone out"
            recs = [
                self._next(b, status="unknown", error_code="interrupted", error_message=note)
                for b in stuck
            ]
            blocks = st.append(recs)
            st.flush()
            self.recovered = [self._entry(b) for b in blocks]
            log.warning("journal: %d request(s) left in 'sending' are now 'unknown'", len(stuck))

    def flush(self) -> None:
        """Make queued records (record_fetched) durable now; claims and outcomes always are."""
        self._st.flush()

    # ----- records
    def _aad(self, field: str, source: str, request_id: str) -> str:
        return f"{field}\x00{source}\x00{request_id}"

    def _enc(self, rec: dict[str, Any], field: str, value: str | None) -> None:
        rec[field] = (
            None
            if value is None
            else self.keys.encrypt(value, self._aad(field, rec["source"], rec["request_id"]))
        )

    def _next(self, block: Block, **changes: Any) -> dict[str, Any]:
        rec = dict(block.record())
        for field in ("error_message", "mark_error", "wa_id"):
            if field in changes:
                self._enc(rec, field, changes.pop(field))
        rec.update(changes)
        return rec

    def _entry(self, block: Block) -> Entry:
        rec = block.record()
        keys = self.keys
        dec: dict[str, str | None] = {}
        for field in ENCRYPTED:
            token = rec.get(field)
            if token is None:
                dec[field] = None
                continue
            try:
                dec[field] = keys.decrypt(token, self._aad(field, block.source, block.request_id))
            except Exception:
                raise JournalError(
                    f"journal file {block.path}, line {block.line}: field {field} does not "
                    "decrypt (damaged or moved between records)"
                ) from None
        return Entry(
            source=block.source,
            request_id=block.request_id,
            process_id=rec.get("process_id", ""),
            status=block.status,
            reason=rec.get("reason"),
            phone=dec["phone"],
            phone_masked=rec.get("phone_masked"),
            wa_id=dec["wa_id"],
            name=dec["name"],
            description=dec["description"],
            start_date=_dt(rec.get("start_date")),
            attempts=int(rec.get("attempts", 0)),
            message_id=rec.get("message_id"),
            error_code=rec.get("error_code"),
            error_message=dec["error_message"],
            next_attempt_at=_dt(rec.get("next_attempt_at")),
            created_at=_dt(rec.get("created_at")) or _dt(block.at),  # type: ignore[arg-type]
            updated_at=_dt(block.at),  # type: ignore[arg-type]
            sent_at=_dt(rec.get("sent_at")),
            form_id=rec.get("form_id"),
            form_record_id=rec.get("form_record_id"),
            state_sequence=rec.get("state_sequence"),
            thread_sequence=rec.get("thread_sequence"),
            movement_sequence=rec.get("movement_sequence"),
            mark_state=rec.get("mark_state"),
            mark_error=dec["mark_error"],
            phone_ref=rec.get("phone_ref"),
            scrubbed=rec.get("scrubbed"),
        )

    # ----- fetch
    def record_fetched(
        self,
        req: FluigRequest,
        *,
        phone: str | None,
        phone_masked: str | None,
        name: str | None,
        description: str | None,
        status: str,
        reason: str | None,
    ) -> str:
        """Record one request read from Fluig; see record_fetched_many."""
        item = Fetched.of(req, status, reason, phone, phone_masked, name, description)
        return self.record_fetched_many([item])[0][0]

    def record_fetched_many(self, items: Sequence[Fetched]) -> list[tuple[str, Entry | None]]:
        """Record requests read from Fluig in one append (a page at a time): for each, "new",
        "known" (nothing changes) or "updated" (a skipped request whose phone is now usable
        becomes pending), with the entry as recorded (None when known). The entries carry the
        private fields as given: nothing is decrypted again."""
        from fluigbot.journal import fetched

        return fetched.record_many(self, items)

    # ----- reads
    def get(self, key: EntryKey) -> Entry | None:
        block = self._st.latest_block((key[0], str(key[1])))
        return self._entry(block) if block is not None else None

    def select(
        self,
        *,
        statuses: Collection[str] = (),
        request_ids: Collection[str] = (),
        since: datetime | None = None,
        limit: int | None = 50,
        due_before: datetime | None = None,
    ) -> list[Entry]:
        """Entries newest first (most recently changed). Reads only what it returns, through
        the open-state index for open statuses and from the newest day segments otherwise."""
        st = self._st
        st.flush() if st._locked else None
        wanted = set(statuses)
        after = ts(since) if since else None
        due = ts(due_before) if due_before else None

        def keep(b: Block) -> bool:
            if wanted and b.status not in wanted:
                return False
            if after and b.at < after:
                return False
            if due:
                nxt = b.record().get("next_attempt_at")
                if nxt and nxt > due:
                    return False
            return True

        blocks: list[Block]
        if request_ids:
            found = [st.latest_block(k) for rid in request_ids for k in st.keys_for_request(rid)]
            blocks = sorted((b for b in found if b and keep(b)), key=lambda b: -b.seq)
        elif wanted and wanted <= OPEN_STATUSES:
            pool = [b for s in sorted(wanted) for b in st.group(s).values()]
            blocks = sorted((b for b in pool if keep(b)), key=lambda b: -b.seq)
        else:
            blocks = []
            for b in st.newest_first():
                if after and b.at < after:
                    break
                if keep(b):
                    blocks.append(b)
                    if limit is not None and len(blocks) >= limit:
                        break
        if limit is not None:
            blocks = blocks[:limit]
        return [self._entry(b) for b in blocks]

    def marks_due(self) -> list[Entry]:
        blocks = sorted(self._st.group("mark").values(), key=lambda b: -b.seq)
        return [self._entry(b) for b in blocks]

    # ----- send
    def claim(self, keys: Sequence[EntryKey], *, force: bool = False) -> list[Entry]:
        """Mark claimable entries `sending` (attempts + 1) in one fsynced write, then return
        them. Only what this returns may be sent."""
        st = self._st
        st.require_lock()
        allowed = FORCE_CLAIMABLE if force else CLAIMABLE
        seen: set[EntryKey] = set()
        recs = []
        for key in keys:
            key = (key[0], str(key[1]))
            if key in seen:
                continue
            seen.add(key)
            b = st.latest_block(key)
            if b is not None and b.status in allowed:
                attempts = int(b.record().get("attempts", 0)) + 1
                recs.append(
                    self._next(b, status="sending", attempts=attempts, next_attempt_at=None,
                               error_code=None, error_message=None)
                )  # fmt: skip
        blocks = st.append(recs)
        st.flush()
        return [self._entry(b) for b in blocks]

    def record_outcomes(self, outcomes: Sequence[Outcome]) -> None:
        """Record what happened to claimed requests; one fsync for the batch."""
        st = self._st
        st.require_lock()
        now = ts(st.now())
        current: dict[EntryKey, Block] = {}
        for o in outcomes:
            key = (o.key[0], str(o.key[1]))
            b = st.latest_block(key)
            if o.status not in OUTCOME_STATUSES:
                raise ValueError(f"unknown outcome status {o.status!r}")
            if b is None or b.status != "sending" or key in current:
                raise FluigbotError(
                    f"outcome for request {key[1]} that is not being sent "
                    f"({b.status if b else 'not in the journal'}; a bug in fluigbot)"
                )
            current[key] = b
        recs = []
        for o in outcomes:
            b = current[(o.key[0], str(o.key[1]))]
            attempts = int(b.record().get("attempts", 0))
            common: dict[str, Any] = {"status": o.status, "next_attempt_at": None,
                                      "error_code": o.error_code, "error_message": o.error_message}  # fmt: skip
            if o.status == "sent":
                common.update(sent_at=now, message_id=o.message_id, error_code=None,
                              error_message=None)  # fmt: skip
                if o.wa_id:
                    common["wa_id"] = o.wa_id
            elif o.status == "failed":
                common["next_attempt_at"] = ts(o.next_attempt_at) if o.next_attempt_at else None
            elif o.status == "pending":
                common.update(attempts=max(0, attempts - 1), error_code=None, error_message=None)
            recs.append(self._next(b, **common))
        st.append(recs)
        st.flush()

    def skip(self, items: Sequence[tuple[EntryKey, str]]) -> list[Entry]:
        """Mark entries `skipped` with a reason (e.g. opted out since the fetch), one fsync.
        Only entries that could still be sent change: pending, failed, dead, unknown."""
        st = self._st
        st.require_lock()
        recs, seen = [], set()
        for key, reason in items:
            key = (key[0], str(key[1]))
            b = st.latest_block(key)
            if b is None or key in seen or b.status not in FORCE_CLAIMABLE:
                continue
            seen.add(key)
            recs.append(self._next(b, status="skipped", reason=reason, next_attempt_at=None))
        blocks = st.append(recs)
        st.flush()
        return [self._entry(b) for b in blocks]

    def set_mark(self, key: EntryKey, state: str, error: str | None = None) -> None:
        """The Fluig write-back mark's own state; a failed mark is retried, never the message."""
        st = self._st
        st.require_lock()
        if state not in MARK_STATES:
            raise ValueError(f"unknown mark state {state!r}")
        b = st.latest_block((key[0], str(key[1])))
        if b is None or b.status != "sent":
            raise FluigbotError(f"mark for request {key[1]} that was not sent (a bug in fluigbot)")
        st.append([self._next(b, mark_state=state, mark_error=error)])
        st.flush()

    # ----- phones
    def last_contact(self, phone_e164: str) -> datetime | None:
        """Most recent sent_at to this number (either BR form), under any request."""
        if not self._ready():
            return None
        toks = self._st.phone_tokens(self.keys.phone_ref(phone_e164))
        times = [t[2:] for t in toks if t.startswith("c:")]
        return _dt(max(times)) if times else None

    def _phone_keys(self, ref: str) -> list[EntryKey]:
        from fluigbot.journal.index import split_name

        return sorted(split_name(t[2:]) for t in self._st.phone_tokens(ref) if t.startswith("k:"))

    def find_by_phone(self, phone_e164: str) -> list[Entry]:
        """Entries whose current phone is this number (either BR form), newest first."""
        if not self._ready():
            return []
        ref = self.keys.phone_ref(phone_e164)
        blocks = [self._st.latest_block(k) for k in self._phone_keys(ref)]
        hits = sorted((b for b in blocks if b and b.phone_ref == ref), key=lambda b: -b.seq)
        return [self._entry(b) for b in hits]

    # ----- opt-out
    def _optouts(self) -> list[dict[str, Any]]:
        held = self._st._locked and self._optout_generation == self._st._generation
        if held and self._optout_cache is not None:
            return self._optout_cache[1]  # under our lock no one else can change it
        path = self.state_dir / "optouts.toml"
        self._optout_generation = self._st._generation if self._st._locked else -1
        sig = self._st._sig(path)
        if self._optout_cache and self._optout_cache[0] == sig:
            return self._optout_cache[1]
        items = list(self._st._read_toml(path).get("optout", []))
        self._optout_cache = (sig, items)
        return items

    def _save_optouts(self, items: list[dict[str, Any]]) -> None:
        data = FILE_HEADER + tomli_w.dumps({"optout": items}) if items else FILE_HEADER
        fsutil.atomic_write(self.state_dir / "optouts.toml", data.encode())
        self._optout_cache = None

    def _refs(self, phone: str | None, wa_id: str | None = None) -> set[str]:
        refs = set(self.keys.phone_refs(phone)) if phone else set()
        if wa_id:
            try:
                refs |= set(self.keys.phone_refs(wa_id))
            except ValueError:
                refs.add(self.keys.digest("wa:" + wa_id))
        return refs

    def optout_add(
        self, phone_e164: str, *, wa_id: str | None = None, source: str = "operator"
    ) -> bool:
        """Add a number (both BR forms, and its wa_id) to the opt-out list. True when new."""
        self._st.require_lock()
        refs = self._refs(phone_e164, wa_id)
        items = [dict(i) for i in self._optouts()]
        for item in items:
            if set(item["refs"]) & refs:
                if not refs <= set(item["refs"]):
                    item["refs"] = sorted(set(item["refs"]) | refs)
                    self._save_optouts(items)
                return False
        items.append(
            {"refs": sorted(refs), "masked": numbers.mask(phone_e164),
             "added_at": ts(self._st.now()), "source": source}
        )  # fmt: skip
        self._save_optouts(items)
        return True

    def optout_remove(self, phone_e164: str) -> bool:
        self._st.require_lock()
        refs = self._refs(phone_e164)
        items = self._optouts()
        kept = [i for i in items if not set(i["refs"]) & refs]
        if len(kept) == len(items):
            return False
        self._save_optouts(kept)
        return True

    def is_opted_out(self, phone_e164: str, wa_id: str | None = None) -> bool:
        if not self._ready():
            return False
        items = self._optouts()
        if not items:
            return False  # the common case: no hashing at all
        if self._optout_refs is None or self._optout_refs[0] is not items:
            self._optout_refs = (items, {r for i in items for r in i["refs"]})
        return not self._optout_refs[1].isdisjoint(self._refs(phone_e164, wa_id))

    def optout_list(self) -> list[OptOut]:
        return [
            OptOut(masked=i["masked"], added_at=_dt(i["added_at"]), source=i["source"])  # type: ignore[arg-type]
            for i in self._optouts()
        ]

    # ----- LGPD
    def purge(self, older_than: Any, *, dry_run: bool = False) -> int:
        """Remove phone, name, wa_id and texts from entries unchanged for `older_than`; the
        phone-free audit (status, dates, message id, masked phone, phone hash) stays."""
        from fluigbot.journal import maintenance  # only writers need it

        return maintenance.purge(self, older_than, dry_run=dry_run)

    def forget(self, phone_e164: str, *, dry_run: bool = False) -> list[EntryKey]:
        """Erase every trace of this number from the entries and put it on the opt-out list."""
        from fluigbot.journal import maintenance  # only writers need it

        return maintenance.forget(self, phone_e164, dry_run=dry_run)

    def log_access(self, action: str, detail: str) -> None:
        """Accountability log (e.g. `history --reveal`). Never pass phone numbers or names."""
        fsutil.ensure_dir(self.state_dir)
        path = self.state_dir / "access.toml"
        rec = {"at": ts(self._st.now()), "action": action, "detail": detail}
        head = "" if path.exists() and path.stat().st_size else FILE_HEADER
        fsutil.append(path, (head + "[[a]]\n" + tomli_w.dumps(rec)).encode())

    def access_log(self) -> list[dict[str, Any]]:
        return list(self._st._read_toml(self.state_dir / "access.toml").get("a", []))

    # ----- fetch bookmarks
    def cursor(self, source: str, process_id: str) -> dict[str, Any] | None:
        data = self._st._read_toml(self.state_dir / "cursors.toml")
        found = data.get("cursor", {}).get(source, {}).get(process_id)
        return dict(found) if found is not None else None

    def set_cursor(self, source: str, process_id: str, data: dict[str, Any]) -> None:
        self._st.require_lock()
        path = self.state_dir / "cursors.toml"
        doc = self._st._read_toml(path) or {"schema": 1}
        doc.setdefault("cursor", {}).setdefault(source, {})[process_id] = data
        fsutil.atomic_write(path, tomli_w.dumps(doc).encode())

    def rebuild_indexes(self) -> None:
        """Rebuild every index from the day segments (after a hand-deleted or damaged index)."""
        from fluigbot.journal import maintenance  # only writers need it

        maintenance.rebuild(self)
