"""Phone numbers typed into Fluig forms -> one E.164 Brazilian mobile, or the reason there is none.

Pure functions, no I/O. The rules (DESIGN.md "Phones", research/lgpd.md section 4):

- never repair a number: no added ninth digit, no guessed area code (DDD);
- exactly one usable Brazilian mobile per field; a landline or a 0800 beside it is ignored, a
  second different mobile (or a broken number that might be the real one) makes it `multiple`;
- free text goes through `PhoneNumberMatcher` (`parse()` turns letters into keypad digits);
- `0055` is +55, `0xx`, the trunk `0` and carrier-selection codes (`0 15 11 ...`) are dropped,
  extensions (`ramal 12`) removed.

Speed: most fields are one number written with digits and separators. Those take a fast path that
classifies the national number with the BR metadata's own regexes (compiled once), without
`parse()`; everything else goes through the matcher. Both give the same answers (a test checks).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import NamedTuple

import phonenumbers
from phonenumbers import Leniency, NumberParseException, PhoneNumber, PhoneNumberMatcher
from phonenumbers import PhoneNumberType as PNT

SKIP_REASONS: tuple[str, ...] = (
    "empty",
    "invalid",
    "landline",
    "missing_area_code",
    "missing_ninth_digit",
    "foreign",
    "non_personal",
    "multiple",
    "placeholder",
)


@dataclass(frozen=True)
class PhoneResult:
    """A usable number (`e164`) or the reason there is none (`reason`); exactly one is set.

    The repr is masked: results end up in logs and tracebacks.
    """

    e164: str | None = field(default=None, repr=False)
    reason: str | None = None

    def __post_init__(self) -> None:
        if (self.e164 is None) == (self.reason is None):
            raise ValueError("PhoneResult needs exactly one of e164 and reason")
        if self.reason is not None and self.reason not in SKIP_REASONS:
            raise ValueError(f"unknown skip reason {self.reason!r}")

    @property
    def ok(self) -> bool:
        return self.e164 is not None

    def __repr__(self) -> str:
        if self.e164 is not None:
            return f"PhoneResult(masked={mask(self.e164)!r})"
        return f"PhoneResult(reason={self.reason!r})"


# --- BR metadata, compiled once --------------------------------------------------------------

_BR = phonenumbers.PhoneMetadata.metadata_for_region("BR")
assert _BR is not None


def _pattern(desc: object) -> re.Pattern[str]:
    return re.compile(f"(?:{desc.national_number_pattern})")  # type: ignore[attr-defined]


_MOBILE = _pattern(_BR.mobile)
_FIXED = _pattern(_BR.fixed_line)
_NON_PERSONAL = tuple(_pattern(d) for d in (_BR.toll_free, _BR.premium_rate, _BR.shared_cost))
_DDD = re.compile(r"(?:[14689][1-9]|2[12478]|3[1-578]|5[13-5]|7[13-579])")
# `0` or `90` (collect call), then optionally a carrier-selection code followed by 10-11 digits.
_NATIONAL_PREFIX = re.compile(_BR.national_prefix_for_parsing or r"0")

# Internal candidate kinds. `competes`: could be the person's own mobile, so a usable mobile
# beside it is ambiguous. `rank`: lower is more telling when nothing is usable.
_RANK = {
    "multiple": 0,
    "missing_ninth_digit": 1,
    "missing_area_code": 2,
    "foreign": 3,
    "placeholder": 4,
    "invalid": 5,
    "landline": 6,
    "local_landline": 7,  # reported as missing_area_code; never competes with a mobile
    "non_personal": 8,
    "empty": 9,
}
_COMPETES = frozenset({"missing_ninth_digit", "missing_area_code", "foreign", "invalid"})


class _Cand(NamedTuple):
    kind: str  # "ok" or a key of _RANK
    e164: str | None = None
    nsn: str = ""  # BR national number, to tell "the same mobile written twice"

    @property
    def reason(self) -> str:
        return "missing_area_code" if self.kind == "local_landline" else self.kind


_COUNTING = "01234567890123456789"


def _same_digit(digits: str) -> bool:
    return len(digits) >= 4 and digits.count(digits[0]) == len(digits)


def _is_placeholder(digits: str) -> bool:
    """0000-0000, 999999999, or a count from 0 or 1 (12345678, 123456789, 12345678901).

    Only counts that start at 0/1: 3456-7890 and 98765-4321 are ordinary example numbers."""
    if _same_digit(digits):
        return True
    return len(digits) >= 8 and digits[0] in "01" and digits in _COUNTING


def _classify_br(nsn: str) -> _Cand:
    """Classify a Brazilian national significant number (digits after +55)."""
    if _is_placeholder(nsn):
        return _Cand("placeholder")
    n = len(nsn)
    if n == 9 and nsn[0] == "9":
        # A mobile without DDD, even "90011-5102", which the metadata would read as a 0900 line:
        # nobody gives a premium-rate number as their contact.
        return _Cand("missing_area_code", nsn=nsn)
    if any(p.fullmatch(nsn) for p in _NON_PERSONAL):
        return _Cand("non_personal")
    if n == 11:
        if _MOBILE.fullmatch(nsn):
            if _same_digit(nsn[3:]):  # 11 99999-9999, 21 90000-0000
                return _Cand("placeholder")
            return _Cand("ok", "+55" + nsn, nsn)
        return _Cand("invalid", nsn=nsn)
    if n == 10:
        if _FIXED.fullmatch(nsn):
            return _Cand("placeholder" if _same_digit(nsn[2:]) else "landline")
        if _DDD.fullmatch(nsn[:2]) and nsn[2] in "6789":
            # An old mobile without the 9, or a legacy SME (radio) number: never add a 9.
            return _Cand("missing_ninth_digit", nsn=nsn)
        return _Cand("invalid", nsn=nsn)
    if n == 8:
        if nsn[0] in "2345":
            return _Cand("local_landline")
        if nsn[0] in "6789":
            return _Cand("missing_area_code", nsn=nsn)
    return _Cand("invalid", nsn=nsn)


_PERSONAL_FOREIGN = (PNT.MOBILE, PNT.FIXED_LINE_OR_MOBILE, PNT.PERSONAL_NUMBER)


def _classify_number(num: PhoneNumber, raw_digits: str, allow_foreign: bool) -> _Cand:
    if num.country_code == 55:
        if _is_placeholder(raw_digits):
            return _Cand("placeholder")
        return _classify_br(str(num.national_number))
    if not allow_foreign:
        return _Cand("foreign")
    if not phonenumbers.is_valid_number(num):
        return _Cand("invalid")
    kind = phonenumbers.number_type(num)
    if kind in _PERSONAL_FOREIGN:
        return _Cand("ok", phonenumbers.format_number(num, phonenumbers.PhoneNumberFormat.E164))
    return _Cand("landline" if kind == PNT.FIXED_LINE else "non_personal")


def _parse_digits(text: str, allow_foreign: bool) -> _Cand:
    """The slow, safe way for a digits-only string (no letters: parse cannot invent digits)."""
    try:
        num = phonenumbers.parse(text, "BR")
    except NumberParseException:
        return _Cand("invalid")
    return _classify_number(num, re.sub(r"\D", "", text), allow_foreign)


def _digits_candidate(digits: str, plus: bool, allow_foreign: bool) -> _Cand:
    """One number written as digits only (with an optional leading +): libphonenumber's BR rules
    for prefixes, without the cost of parse()."""
    if _is_placeholder(digits):
        return _Cand("placeholder")
    if plus:
        if not digits.startswith("55"):
            return _parse_digits("+" + digits, allow_foreign)
        nsn = digits[2:]
    elif digits.startswith("0055"):
        nsn = digits[4:]
    elif digits.startswith(("00", "90")):  # international or collect-call prefixes: rare
        return _parse_digits(digits, allow_foreign)
    elif digits.startswith("55") and len(digits) >= 12:  # the country code without a +
        nsn = digits[2:]
    else:
        nsn = digits
    if nsn.startswith("0"):  # trunk prefix, maybe with a carrier code: 0 15 11 ..., +55 (011) ...
        m = _NATIONAL_PREFIX.match(nsn)
        assert m is not None
        nsn = (m.group(2) or "") + nsn[m.end() :] if m.lastindex else nsn[m.end() :]
    return _classify_br(nsn)


# --- text clean-up --------------------------------------------------------------------------

_DASHES = dict.fromkeys(map(ord, "\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe63\uff0d"), "-")
_DASHES.update(dict.fromkeys(map(ord, "\u00a0\u2007\u202f\t"), " "))
_DASHES.update(dict.fromkeys(map(ord, "\r\n\u2028"), " / "))  # one number per line
_ZERO_XX = re.compile(r"0\s*[xX]\s*[xX]")
# 00 55 at the start or after a space/punctuation, never inside a number (3456-0055).
_IDD_55 = re.compile(r"(?<![^\s:;,/|(])00\s*55")
_EXTENSION = re.compile(
    r"(?i)(?:\b(?:ramal|ram\.|ext\b\.?|extens[aã]o|r\.)|\#)\s*[:.]?\s*\d{1,6}\b"
)
_SIMPLE = re.compile(r"\s*(\+?)[\d\s().\-]*")
_NOT_DIGIT = re.compile(r"\D")
_DIGIT = re.compile(r"\d")
_SPLIT = re.compile(r"[^\d\s().+\-]+")
_TOUCHING = frozenset(" ().-+")


def _clean(text: str) -> str:
    if not text.isascii():
        text = unicodedata.normalize("NFKC", text).translate(_DASHES)
    elif "\t" in text or "\n" in text or "\r" in text:
        text = text.translate(_DASHES)
    if "x" in text or "X" in text:
        text = _ZERO_XX.sub("0", text)
    text = _IDD_55.sub("+55", text)
    return _EXTENSION.sub(" ", text)


def _touches_unmatched_digit(text: str, spans: list[tuple[int, int]]) -> bool:
    """Digits the matcher left out, joined to a match by separators only: "(11) 98765-43210"
    yields a match of "98765-43210" and must not be trusted."""
    covered: set[int] = set()
    for s, e in spans:
        covered.update(range(s, e))
    for s, e in spans:
        for i, step in ((s - 1, -1), (e, 1)):
            while 0 <= i < len(text) and text[i] in _TOUCHING:
                i += step
            if 0 <= i < len(text) and text[i].isdigit() and i not in covered:
                return True
    return False


def _matcher_candidates(text: str, allow_foreign: bool) -> list[_Cand]:
    matches = list(PhoneNumberMatcher(text, "BR", leniency=Leniency.POSSIBLE))
    if not matches:
        digits = _NOT_DIGIT.sub("", text)
        return [
            _digits_candidate(digits, False, allow_foreign)
            if len(digits) <= 15
            else _Cand("invalid")
        ]
    if _touches_unmatched_digit(text, [(m.start, m.end) for m in matches]):
        return [_Cand("invalid")]
    return [
        _classify_number(m.number, _NOT_DIGIT.sub("", m.raw_string), allow_foreign) for m in matches
    ]


def _same_line(c: _Cand, mobile: str) -> bool:
    """`c` is the usable mobile (11-digit nsn) written again without DDD or without the 9."""
    if c.kind == "missing_area_code":
        return c.nsn in (mobile[2:], mobile[3:])
    if c.kind == "missing_ninth_digit":
        return c.nsn == mobile[:2] + mobile[3:]
    return False


def _decide(cands: list[_Cand]) -> PhoneResult:
    if len(cands) == 1:
        (c,) = cands
        return PhoneResult(e164=c.e164) if c.kind == "ok" else PhoneResult(reason=c.reason)
    usable = {c.e164: c for c in cands if c.kind == "ok"}
    if len(usable) > 1:
        return PhoneResult(reason="multiple")
    if usable:
        (best,) = usable.values()
        if any(c.kind in _COMPETES and not _same_line(c, best.nsn) for c in cands):
            return PhoneResult(reason="multiple")
        return PhoneResult(e164=best.e164)
    return PhoneResult(reason=min(cands, key=lambda c: _RANK[c.kind]).reason)


@lru_cache(maxsize=8192)
def _normalize_text(text: str, allow_foreign: bool) -> PhoneResult:
    text = _clean(text)
    simple = _SIMPLE.fullmatch(text)
    if simple is not None:
        digits = _NOT_DIGIT.sub("", text)
        if not digits:  # only an extension ("ramal 12")
            return PhoneResult(reason="invalid")
        if len(digits) <= 15:  # two numbers need at least 16 digits
            return _decide([_digits_candidate(digits, bool(simple.group(1)), allow_foreign)])
    else:
        # "cel 11 98765-4321 / fixo 11 3456-7890": when words and / , ; split the text into
        # pieces that each hold one whole number, classify the pieces without the matcher.
        cands = []
        for piece in _SPLIT.split(text):
            digits = _NOT_DIGIT.sub("", piece)
            if not digits:
                continue
            m = _SIMPLE.fullmatch(piece)
            if m is None or not 8 <= len(digits) <= 15:
                break
            cands.append(_digits_candidate(digits, bool(m.group(1)), allow_foreign))
        else:
            if cands:
                return _decide(cands)
    return _decide(_matcher_candidates(text, allow_foreign))


def normalize(raw: str | None, *, allow_foreign: bool = False) -> PhoneResult:
    """Normalize one field's text to an E.164 mobile, or say why it cannot be used."""
    if raw is None or _DIGIT.search(raw) is None:
        return PhoneResult(reason="empty")
    return _normalize_text(raw.strip(), allow_foreign)


def pick(candidates: Sequence[str | None], *, allow_foreign: bool = False) -> PhoneResult:
    """Normalize several candidate fields in order: the first field with a usable number wins.

    When none has one, the reason is the most telling one over all non-empty fields (ties go to
    the earlier field), in this order: multiple, missing_ninth_digit, missing_area_code, foreign,
    placeholder, invalid, landline, non_personal; `empty` only when every field is empty. So a
    form with a landline in `telefone` and an 8-digit mobile in `celular` says
    `missing_ninth_digit`: the one an operator can fix.
    """
    best: PhoneResult | None = None
    for raw in candidates:
        result = normalize(raw, allow_foreign=allow_foreign)
        if result.ok:
            return result
        if best is None or _RANK[str(result.reason)] < _RANK[str(best.reason)]:
            best = result
    return best or PhoneResult(reason="empty")


def mask(e164: str) -> str:
    """`+55 11 9****-4321`: country code, DDD, the leading 9 and the last four digits only."""
    digits = _NOT_DIGIT.sub("", e164)
    if len(digits) <= 4:
        return "*" * len(digits)
    last = digits[-4:]
    if digits.startswith("55") and len(digits) in (12, 13):
        ddd, middle = digits[2:4], digits[4:-4]
        lead = "9" if len(middle) == 5 and middle[0] == "9" else ""
        return f"+55 {ddd} {lead}{'*' * (len(middle) - len(lead))}-{last}"
    cc = _country_code(digits)
    hidden = len(digits) - len(cc) - 4
    return f"+{cc} {'*' * max(hidden, 0)}-{last}" if cc else f"{'*' * (len(digits) - 4)}-{last}"


def _country_code(digits: str) -> str:
    for n in (1, 2, 3):
        if digits[:n] and phonenumbers.region_code_for_country_code(int(digits[:n])) != "ZZ":
            return digits[:n] if len(digits) - n > 4 else ""
    return ""


def whatsapp_forms(e164: str) -> tuple[str, ...]:
    """Digits-only forms to match against a wa_id or an opt-out: for a Brazilian mobile both the
    13-digit form and the 12-digit one without the 9 (accounts registered before the ninth digit
    keep it). Accepts the E.164 or a provider's wa_id; the canonical form comes first."""
    digits = _NOT_DIGIT.sub("", e164)
    if digits.startswith("55") and len(digits) == 13 and digits[4] == "9":
        return (digits, digits[:4] + digits[5:])
    if digits.startswith("55") and len(digits) == 12 and digits[4] in "6789":
        return (digits[:4] + "9" + digits[4:], digits)
    return (digits,)
