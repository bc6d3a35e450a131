"""Pure string work on phone numbers, so the journal needs no phonenumbers.

Input is E.164 (`+5511987654321`) or its digits (`5511987654321`, a WhatsApp `wa_id`). Brazil has
two forms of one mobile: 13 digits with the ninth digit (`55 11 9 8765-4321`) and the 12-digit
form many WhatsApp accounts still carry (`55 11 8765-4321`). Both must match the same person.
"""

from __future__ import annotations

# ITU country codes of one and two digits; everything else has three.
_CC1 = {"1", "7"}
_CC2 = {
    "20", "27", "30", "31", "32", "33", "34", "36", "39", "40", "41", "43", "44", "45", "46",
    "47", "48", "49", "51", "52", "53", "54", "55", "56", "57", "58", "60", "61", "62", "63",
    "64", "65", "66", "81", "82", "84", "86", "90", "91", "92", "93", "94", "95", "98",
}  # fmt: skip


def digits(phone: str) -> str:
    """The digits of an E.164 number or wa_id; ValueError (without the number) otherwise."""
    d = phone.strip().removeprefix("+")
    if not d.isascii() or not d.isdigit() or not 8 <= len(d) <= 15:
        raise ValueError("not an E.164 number or wa_id")
    return d


def _is_br(d: str) -> bool:
    return d.startswith("55") and len(d) in (12, 13)


def variants(phone: str) -> list[str]:
    """Digit forms of the same line: the 13-digit BR mobile and its 12-digit form, both ways."""
    d = digits(phone)
    if _is_br(d) and len(d) == 13 and d[4] == "9":
        return [d, d[:4] + d[5:]]
    if _is_br(d) and len(d) == 12:
        return [d[:4] + "9" + d[4:], d]
    return [d]


def canonical(phone: str) -> str:
    """One digit string per line: the 13-digit form when the number has a 12/13-digit twin."""
    return variants(phone)[0]


def _country_code(d: str) -> str:
    if d[:1] in _CC1:
        return d[:1]
    if d[:2] in _CC2:
        return d[:2]
    return d[:3]


def mask(phone: str) -> str:
    """`+55 11 9****-4321`: country, area code, leading 9 and the last four digits only."""
    d = digits(phone)
    if _is_br(d) and len(d) == 13:
        return f"+55 {d[2:4]} {d[4]}****-{d[-4:]}"
    if _is_br(d):
        return f"+55 {d[2:4]} ****-{d[-4:]}"
    cc = _country_code(d)
    return f"+{cc} ****{d[-4:]}"
