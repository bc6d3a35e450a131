"""`fluigbot doctor`: is everything in place to run?"""

from __future__ import annotations

from fluigbot.cli.app import not_available


def doctor() -> None:
    """Check the config, the keyring, the credentials, and that Fluig and the WhatsApp provider
    answer and accept them."""
    not_available("doctor")
