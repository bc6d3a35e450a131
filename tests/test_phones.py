"""Phone normalization: how people really type phones into Fluig forms, and the rules that keep
a message from going to a guessed number."""

from __future__ import annotations

import re

import phonenumbers
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from fluigbot import phones
from fluigbot.phones import SKIP_REASONS, PhoneResult, mask, normalize, pick, whatsapp_forms

M = "+5511987654321"  # the usual example mobile, São Paulo

CASES: list[tuple[str | None, str]] = [
    # one mobile, written every way people write it
    ("(11) 98765-4321", M),
    ("11987654321", M),
    ("11 98765-4321", M),
    ("11 98765 4321", M),
    ("(11)98765-4321", M),
    ("(11) 9 8765-4321", M),
    ("11 9 8765 4321", M),
    ("11.98765.4321", M),
    ("+55 (21) 9 8765-4321", "+5521987654321"),
    ("+55 11 98765-4321", M),
    ("+5511987654321", M),
    ("5511987654321", M),
    ("55 11 98765-4321", M),
    ("0055 11 98765 4321", M),
    ("005511987654321", M),
    ("011 98765-4321", M),
    ("0 11 98765-4321", M),
    ("0xx11 98765-4321", M),
    ("(0xx11) 98765-4321", M),
    ("0XX11 98765 4321", M),
    ("0 15 11 98765-4321", M),  # carrier-selection code 15 (Vivo)
    ("015 11 98765-4321", M),
    ("021 21 98765-4321", "+5521987654321"),  # carrier 21, DDD 21
    ("021 98765-4321", "+5521987654321"),  # trunk 0 + DDD 21, not a carrier code
    ("055 11 98765-4321", M),
    ("+55 (011) 98765-4321", M),
    ("(55) 98765-4321", "+5555987654321"),  # DDD 55 (Santa Maria/RS), not the country code
    ("  (11) 98765-4321  ", M),
    ("（１１）９８７６５－４３２１", M),  # full-width, pasted from a phone
    ("11 – 98765–4321", M),  # en dashes
    ("11\u00a098765-4321", M),  # no-break space
    ("11 91234-5678", "+5511912345678"),
    ("(85) 99123-4567", "+5585991234567"),
    ("(61) 98111-2233", "+5561981112233"),
    ("21 90123-4567", "+5521901234567"),  # the digit after the 9 may be 0
    # words, extensions, a landline or a 0800 beside the mobile
    ("cel 11 98765-4321 / fixo 11 3456-7890", M),
    ("fixo: (11) 3456-7890 celular: (11) 98765-4321", M),
    ("11 3456-7890 ou 11 98765-4321", M),
    ("whats 11 98765-4321", M),
    ("11 98765-4321 zap", M),
    ("tel: 11 98765-4321 ramal 12", M),
    ("+55 11 98765-4321 ext. 12", M),
    ("cel:11987654321", M),
    ("11 98765-4321 (recado)", M),
    ("11 98765-4321; 0800 123 4567", M),
    ("11 98765-4321 ou 11 98765-4321", M),  # the same mobile twice is one
    ("11 98765-4321 / 98765-4321", M),  # ... also without the DDD the second time
    ("11 98765-4321 / 11 8765-4321", M),  # ... or without the 9 the second time
    # two different people or numbers: nobody can tell which one to use
    ("11 98765-4321 / 21 98765-4321", "multiple"),
    ("11987654321 e 11912345678", "multiple"),
    ("11 98765 4321 / 98765 4322", "multiple"),  # a second, broken mobile
    ("11 98765-4321 ou +1 415 555 0100", "multiple"),
    ("11 98765-4321\n21 99876-5432", "multiple"),
    # landlines and non-personal numbers
    ("(11) 3456-7890", "landline"),
    ("tel: 11 3456 7890 ramal 12", "landline"),
    ("(21)2345-6789", "landline"),
    ("11 3456-7890 / 11 2345-6789", "landline"),
    ("(11) 4004-0001", "landline"),  # with a DDD, Fluig-style "capital" numbers are fixed lines
    ("0800 123 4567", "non_personal"),
    ("0800-7701234", "non_personal"),
    ("4004-0001", "non_personal"),
    ("0300 123 4567", "non_personal"),
    ("0900 123 4567", "non_personal"),
    # never repaired: no ninth digit added, no DDD guessed
    ("(11) 8765-4321", "missing_ninth_digit"),
    ("1187654321", "missing_ninth_digit"),
    ("551187654321", "missing_ninth_digit"),  # a 12-digit wa_id is not a phone to send to
    ("+55 82 9944-8232", "missing_ninth_digit"),
    ("(11) 7345-6789", "missing_ninth_digit"),  # legacy radio (SME) range
    ("98765-4321", "missing_area_code"),
    ("987654321", "missing_area_code"),
    ("90011-5102", "missing_area_code"),  # not a 0900 line
    ("8765-4321", "missing_area_code"),
    ("3456-7890", "missing_area_code"),
    ("cel 98765-4321", "missing_area_code"),
    ("fixo 11 3456-7890 cel 8765-4321", "missing_area_code"),
    # placeholders people type to get past a required field
    ("999999999", "placeholder"),
    ("11 99999-9999", "placeholder"),
    ("(11) 90000-0000", "placeholder"),
    ("00000000", "placeholder"),
    ("(00) 0000-0000", "placeholder"),
    ("123456789", "placeholder"),
    ("12345678901", "placeholder"),
    ("11 3333-3333", "placeholder"),
    # broken
    ("(11) 98765-43210", "invalid"),  # one digit too many: never trust a slice
    ("11 98765-43", "invalid"),
    ("11 98765-432", "missing_ninth_digit"),  # reads as 11 9876-5432: a human must check
    ("+55 20 98765-4321", "invalid"),  # DDD 20 does not exist
    ("(11) 18765-4321", "invalid"),
    ("1234", "invalid"),
    ("ramal 12", "invalid"),
    ("CPF 123.456.789-09", "invalid"),
    # foreign
    ("+1 415 555 0100", "foreign"),
    ("+351 912 345 678", "foreign"),
    ("+54 9 11 2345-6789", "foreign"),
    # nothing there
    ("não tem", "empty"),
    ("", "empty"),
    ("   ", "empty"),
    ("-", "empty"),
    ("sem telefone", "empty"),
    (None, "empty"),
]


@pytest.mark.parametrize(("raw", "expected"), CASES)
def test_normalize_table(raw: str | None, expected: str) -> None:
    result = normalize(raw)
    if expected.startswith("+"):
        assert result == PhoneResult(e164=expected)
        assert result.ok
    else:
        assert result == PhoneResult(reason=expected)
        assert not result.ok


def test_table_is_big_and_covers_every_reason() -> None:
    assert len(CASES) >= 60
    assert {e for _, e in CASES if not e.startswith("+")} == set(SKIP_REASONS)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("+1 415 555 0100", "+14155550100"),
        ("+351 912 345 678", "+351912345678"),
        ("+44 20 7946 0000", "landline"),  # a London fixed line is still a landline
        ("+1 800 555 0100", "non_personal"),
        ("+1 415 555", "invalid"),
        ("11 98765-4321", M),
        ("11 98765-4321 ou +1 415 555 0100", "multiple"),
    ],
)
def test_foreign_numbers_when_allowed(raw: str, expected: str) -> None:
    result = normalize(raw, allow_foreign=True)
    assert (result.e164 or result.reason) == expected


def test_result_holds_exactly_one_of_number_and_reason() -> None:
    with pytest.raises(ValueError):
        PhoneResult()
    with pytest.raises(ValueError):
        PhoneResult(e164=M, reason="invalid")
    with pytest.raises(ValueError):
        PhoneResult(reason="no_such_reason")


def test_repr_never_shows_the_number() -> None:
    text = repr(normalize("11 98765-4321"))
    assert "98765" not in text and "4321" in text
    assert repr(normalize("não tem")) == "PhoneResult(reason='empty')"


# --- pick: several candidate fields --------------------------------------------------------


def test_pick_first_usable_field_wins() -> None:
    assert pick(["11 98765-4321", "21 98765-4321"]).e164 == M
    assert pick(["", None, "(11) 3456-7890", "21 98765-4321"]).e164 == "+5521987654321"
    # a field with two mobiles is not usable, so the next field decides
    assert pick(["11 98765-4321 / 21 98765-4321", "31 98765-4321"]).e164 == "+5531987654321"


@pytest.mark.parametrize(
    ("fields", "reason"),
    [
        ([], "empty"),
        ([None, "", "não tem"], "empty"),
        (["(11) 3456-7890", "(11) 8765-4321"], "missing_ninth_digit"),  # the fixable one
        (["(11) 8765-4321", "(11) 3456-7890"], "missing_ninth_digit"),
        (["0800 123 4567", "(11) 3456-7890"], "landline"),
        (["11 98765-4321 / 21 98765-4321", "(11) 3456-7890"], "multiple"),
        (["98765-4321", "(11) 7345-6789"], "missing_ninth_digit"),
        (["98765-4321", "+1 415 555 0100"], "missing_area_code"),
    ],
)
def test_pick_reason_is_the_most_telling(fields: list[str | None], reason: str) -> None:
    assert pick(fields) == PhoneResult(reason=reason)


# --- mask and whatsapp_forms ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("e164", "masked"),
    [
        (M, "+55 11 9****-4321"),
        ("+5521987650000", "+55 21 9****-0000"),
        ("+551134567890", "+55 11 ****-7890"),
        ("+14155550100", "+1 ******-0100"),
        ("+351912345678", "+351 *****-5678"),
    ],
)
def test_mask(e164: str, masked: str) -> None:
    assert mask(e164) == masked


def test_whatsapp_forms_match_both_ninth_digit_variants() -> None:
    assert whatsapp_forms(M) == ("5511987654321", "551187654321")
    assert whatsapp_forms("+5582999448232") == ("5582999448232", "558299448232")
    # a provider's 12-digit wa_id gives the same pair, canonical first
    assert whatsapp_forms("558299448232") == ("5582999448232", "558299448232")
    assert whatsapp_forms("+14155550100") == ("14155550100",)
    assert whatsapp_forms("+551134567890") == ("551134567890",)  # a landline has one form


# --- properties -----------------------------------------------------------------------------

DDDS = ["11", "12", "19", "21", "27", "31", "41", "48", "51", "55", "61", "68", "71", "81", "85"]
DDDS += ["91", "99", "20", "23", "30", "90"]  # the last ones do not exist
PREFIXES = ["", "0", "0xx", "0 15 ", "021 ", "055 ", "+55 ", "+55 0", "55", "0055 ", "+55", "+1 "]
SEPARATED = ["{p}{d}{s}", "{p}({d}) {s}", "{p}{d} {s}", "{p}{d}-{s}", "{p}{d}.{s}"]


@st.composite
def typed_numbers(draw: st.DrawFn) -> str:
    """What people type: prefixes, a DDD (or none), 8 or 9 digits, separators, maybe words."""
    subscriber = draw(st.from_regex(r"[2-9]?[0-9]{8}", fullmatch=True))
    if draw(st.booleans()):
        subscriber = f"{subscriber[:-4]}-{subscriber[-4:]}"
    ddd = draw(st.sampled_from([*DDDS, ""]))
    text = draw(st.sampled_from(SEPARATED)).format(
        p=draw(st.sampled_from(PREFIXES)), d=ddd, s=subscriber
    )
    before = draw(st.sampled_from(["", "cel ", "tel: ", "whats: "]))
    after = draw(st.sampled_from(["", " ramal 12", " (recado)", " / fixo 11 3456-7890"]))
    return before + text + after


E164 = re.compile(r"\+[1-9]\d{7,14}")


@settings(max_examples=200, deadline=None)
@given(st.one_of(typed_numbers(), st.text(max_size=40)), st.booleans())
@example("0055 11 98765 4321", False)
@example("(11) 98765-43210", False)
def test_output_is_e164_or_a_reason_and_normalizing_again_changes_nothing(
    raw: str, allow_foreign: bool
) -> None:
    result = normalize(raw, allow_foreign=allow_foreign)
    if result.ok:
        assert result.reason is None
        assert E164.fullmatch(str(result.e164))
        if not allow_foreign:
            assert re.fullmatch(r"\+55[1-9]{2}9\d{8}", str(result.e164))
        assert normalize(result.e164, allow_foreign=allow_foreign) == result
        assert phonenumbers.is_valid_number(phonenumbers.parse(str(result.e164)))
    else:
        assert result.e164 is None
        assert result.reason in SKIP_REASONS


@settings(max_examples=150, deadline=None)
@given(typed_numbers())
def test_a_usable_number_is_never_a_repair(raw: str) -> None:
    """The national digits of the output appear, in order, in what was typed: no added 9, no
    guessed DDD."""
    result = normalize(raw)
    if result.ok:
        typed = re.sub(r"\D", "", raw)
        national = str(result.e164)[3:]
        assert national in typed


@settings(max_examples=150, deadline=None)
@given(st.from_regex(r"\+[1-9][0-9]{9,13}", fullmatch=True))
@example(M)
def test_mask_reveals_no_more_than_cc_ddd_nine_and_last_four(e164: str) -> None:
    masked = mask(e164)
    digits = re.sub(r"\D", "", e164)
    shown = re.sub(r"\D", "", masked)
    assert masked.endswith(digits[-4:])
    if digits.startswith("55") and len(digits) == 13:
        assert shown == digits[:4] + ("9" if digits[4] == "9" else "") + digits[-4:]
    elif digits.startswith("55") and len(digits) == 12:  # a landline or an old 12-digit wa_id
        assert shown == digits[:4] + digits[-4:]
    else:
        assert len(shown) <= 3 + 4  # country code and last four only
    assert shown == digits[: len(shown) - 4] + digits[-4:]  # a prefix and the end, nothing else


@settings(max_examples=100, deadline=None)
@given(st.lists(st.one_of(st.none(), typed_numbers()), max_size=4))
def test_pick_returns_the_first_usable_field(fields: list[str | None]) -> None:
    results = [normalize(f) for f in fields]
    chosen = pick(fields)
    usable = [r for r in results if r.ok]
    if usable:
        assert chosen == usable[0]
    else:
        assert not chosen.ok
        reasons = [r.reason for r in results if r.reason != "empty"]
        assert chosen.reason in (reasons or ["empty"])


@settings(max_examples=250, deadline=None)
@given(
    prefix=st.sampled_from(["", "0", "015", "021", "055", "0055", "55", "+55", "+550", "+55015"]),
    ddd=st.from_regex(r"[1-8][0-9]|9[1-9]", fullmatch=True) | st.just(""),
    body=st.from_regex(r"[1-9][0-9]{5,8}", fullmatch=True),
)
def test_fast_path_agrees_with_libphonenumber(prefix: str, ddd: str, body: str) -> None:
    """Digits-only fields skip parse() for speed; libphonenumber gives the same answer."""
    digits = (prefix + ddd + body).lstrip("+")
    plus = prefix.startswith("+")
    fast = phones._digits_candidate(digits, plus, False)
    as_parsed = "+55" + digits[4:] if digits.startswith("0055") else ("+" if plus else "") + digits
    slow = phones._parse_digits(as_parsed, False)
    assert (fast.kind, fast.e164) == (slow.kind, slow.e164)


@settings(max_examples=150, deadline=None)
@given(st.from_regex(r"\+?[0-9]{1,15}", fullmatch=True))
def test_fast_path_never_accepts_what_libphonenumber_rejects(text: str) -> None:
    fast = phones._digits_candidate(text.lstrip("+"), text.startswith("+"), False)
    if fast.kind == "ok":
        slow = phones._parse_digits(text, False)
        assert (slow.kind, slow.e164) == ("ok", fast.e164)
