"""The journal: at-most-once, crash-safe, encrypted TOML memory of every request and message.

    from fluigbot.journal import Journal, Entry, Outcome, EntryKey, Status, OptOut

Importing this is cheap: `cryptography` loads on the first encryption or decryption and
`filelock` on the first `Journal.locked()`.
"""

from fluigbot.journal.entry import Entry, EntryKey, OptOut, Outcome, Status
from fluigbot.journal.store import Journal

__all__ = ["Entry", "EntryKey", "Journal", "OptOut", "Outcome", "Status"]
