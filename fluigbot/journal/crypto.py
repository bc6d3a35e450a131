"""Keys derived from FLUIGBOT_JOURNAL_KEY, field encryption (AES-GCM) and keyed phone hashes.

HKDF and HMAC come from the standard library so opening a journal for reading stays cheap;
`cryptography` is imported on the first encryption or decryption only.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
from typing import Any

from fluigbot.journal import numbers

MIN_SECRET_LEN = 32
_CHECK_LABEL = b"fluigbot journal key check v1"


def hkdf(secret: bytes, salt: bytes, info: bytes, length: int = 32) -> bytes:
    """RFC 5869 HKDF-SHA256."""
    prk = hmac.new(salt, secret, hashlib.sha256).digest()
    out, block, i = b"", b"", 1
    while len(out) < length:
        block = hmac.new(prk, block + info + bytes([i]), hashlib.sha256).digest()
        out += block
        i += 1
    return out[:length]


class Keys:
    """The journal's key material. Never printed: its repr says nothing."""

    def __init__(self, secret: str, salt: bytes) -> None:
        raw = secret.encode("utf-8")
        self._aes = hkdf(raw, salt, b"fluigbot journal v1 aes-256-gcm")
        self._mac = hkdf(raw, salt, b"fluigbot journal v1 hmac-sha256 phone")
        self.check = hmac.new(
            hkdf(raw, salt, b"fluigbot journal v1 key check"), _CHECK_LABEL, hashlib.sha256
        ).hexdigest()
        self._aead: Any = None

    def __repr__(self) -> str:
        return "Keys(<hidden>)"

    def phone_ref(self, phone: str) -> str:
        """Keyed hash of the canonical digits: the same for the 12- and 13-digit BR forms."""
        return self.digest(numbers.canonical(phone))

    def phone_refs(self, phone: str) -> list[str]:
        """Keyed hashes of every digit form (opt-out list: both BR forms)."""
        return [self.digest(v) for v in numbers.variants(phone)]

    def digest(self, text: str) -> str:
        return hmac.digest(self._mac, text.encode(), "sha256").hex()[:32]

    def _cipher(self) -> Any:
        if self._aead is None:
            from cryptography.hazmat.primitives.ciphers.aead import AESGCM

            self._aead = AESGCM(self._aes)
        return self._aead

    def encrypt(self, value: str, aad: str) -> str:
        nonce = os.urandom(12)
        ct = self._cipher().encrypt(nonce, value.encode("utf-8"), aad.encode("utf-8"))
        return base64.b64encode(nonce + ct).decode("ascii")

    def decrypt(self, token: str, aad: str) -> str:
        raw = base64.b64decode(token)
        pt = self._cipher().decrypt(raw[:12], raw[12:], aad.encode("utf-8"))
        return str(pt.decode("utf-8"))
