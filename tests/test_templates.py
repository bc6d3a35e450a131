"""Templates: Meta's {{name}} syntax, rendered from hostile request data without surprises."""

from __future__ import annotations

import re
import unicodedata
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fluigbot.errors import TemplateError
from fluigbot.models import FluigRequest
from fluigbot.templates import (
    KNOWN_VARIABLES,
    MAX_VALUE_LENGTH,
    TemplateSpec,
    build_variables,
    clean_value,
    first_name,
    needs_description,
    render,
    resolve_template,
    title_name,
    validate,
    variables_in,
)
from fluigbot.whatsapp import compose

BODY = "Olá {{nome}}! Recebemos sua solicitação nº {{numero}}. Em breve entraremos em contato."
VARS = {"nome": "Maria", "numero": "4242", "processo": "abertura", "nome_completo": "Maria S"}


def request(name: str | None = "MARIA DA SILVA", **kw: object) -> FluigRequest:
    return FluigRequest(
        source="https://fluig.example.com",
        request_id=str(kw.pop("request_id", "4242")),
        process_id=str(kw.pop("process_id", "abertura_chamado")),
        requester_name=name,
        start_date=kw.pop("start_date", datetime(2026, 3, 2, 1, 30, tzinfo=UTC)),  # type: ignore[arg-type]
    )


def test_render_fills_each_variable() -> None:
    assert render(BODY, VARS) == (
        "Olá Maria! Recebemos sua solicitação nº 4242. Em breve entraremos em contato."
    )


def test_single_braces_and_format_fields_are_plain_text() -> None:
    body = "{nome} {0} {0.__class__} {{nome}} {} }}{{"
    assert render(body, VARS) == "{nome} {0} {0.__class__} Maria {} }}{{"


@pytest.mark.parametrize(
    "hostile",
    ["{{numero}}", "{0.__class__}", "{nome}", "{{ nome_completo }}", "%s %(nome)s", "${HOME}"],
)
def test_a_value_is_inserted_once_and_never_expanded(hostile: str) -> None:
    out = render("Olá {{nome}}, pedido {{numero}}", {**VARS, "nome": hostile})
    assert out == f"Olá {hostile}, pedido 4242"


def test_ansi_escapes_and_control_characters_are_removed() -> None:
    hostile = "\x1b[31mMaria\x1b[0m\x07\x1b]0;title\x07 \u202eSilva\x00\r\n\tx"
    assert clean_value(hostile) == "Maria Silva x"


def test_newlines_tabs_and_space_runs_collapse_to_one_space() -> None:
    # Meta refuses parameters with new lines, tabs or more than 4 consecutive spaces (132018).
    assert clean_value("Rua A\n\n  nº 10\t\t     apto") == "Rua A nº 10 apto"


def test_5000_characters_are_cut_with_an_ellipsis() -> None:
    value = clean_value("a" * 5000)
    assert len(value) == MAX_VALUE_LENGTH and value.endswith("…")
    out = render("Olá {{nome}}!", {"nome": "b" * 5000})
    assert len(out) == len("Olá !") + MAX_VALUE_LENGTH


def test_unknown_or_malformed_references_are_errors_never_holes() -> None:
    with pytest.raises(TemplateError, match="nome_mae"):
        render("Olá {{nome_mae}}", VARS)
    with pytest.raises(TemplateError, match="not a variable name"):
        render("Olá {{nome.__class__}}", VARS)


def test_variables_in_order_of_first_appearance() -> None:
    assert variables_in("{{numero}} {{nome}} {{numero}} {{ processo }} {x} {{1x}}") == [
        "numero",
        "nome",
        "processo",
    ]


def test_names_are_title_cased_sensibly() -> None:
    assert title_name("MARIA DA SILVA") == "Maria da Silva"
    assert title_name("joão d'ávila dos santos") == "João D'Ávila dos Santos"
    assert title_name("Ana-paula McDonald") == "Ana-paula McDonald"  # mixed case kept
    assert first_name("  JOSÉ  carlos ") == "José"
    assert first_name("Sra. ANA LUIZA") == "Ana"
    assert first_name("ana-paula souza") == "Ana-Paula"


def test_build_variables_from_a_request() -> None:
    variables = build_variables(request())
    assert variables == {
        "nome": "Maria",
        "nome_completo": "Maria da Silva",
        "numero": "4242",
        "processo": "abertura_chamado",
        "data_abertura": "01/03/2026",  # 01:30 UTC is still the 1st in São Paulo
    }


def test_build_variables_prefers_the_form_name_and_falls_back_when_empty() -> None:
    assert build_variables(request(), name="carla souza")["nome"] == "Carla"
    fallback = build_variables(request(name=None), name="  \x1b[0m ")
    assert fallback["nome"] == "cliente" and fallback["nome_completo"] == "cliente"


def test_description_is_put_in_only_when_asked() -> None:
    assert "descricao" not in build_variables(request())
    assert not needs_description(BODY)
    assert needs_description("Sobre: {{descricao}}")
    text = build_variables(request(), description="Impressora\nquebrada\x1b[2J")["descricao"]
    assert text == "Impressora quebrada"


def test_validate_accepts_the_default_template() -> None:
    assert validate(BODY, None, where="message") == ["nome", "numero"]
    assert validate(BODY, ["numero", "nome"], where="message") == ["numero", "nome"]


@pytest.mark.parametrize(
    ("body", "parameters", "match"),
    [
        ("Olá {{nome_mae}}", None, r"process\.x\.message: unknown variable \{\{nome_mae\}\}"),
        ("Olá {{nome}}", ["nome", "cpf"], "parameter 'cpf' is not a known variable"),
        ("Olá {{nome}} {{numero}}", ["nome"], r"uses \{\{numero\}\}"),
        ("Olá {{nome}}", ["nome", "numero"], "'numero' does not appear in the body"),
        ("Olá {{nome}}", ["nome", "nome"], "listed twice"),
        ("{{nome}}  ", None, "renders empty"),
        ("   ", None, "renders empty"),
        ("Olá {{0.__class__}}", None, "not a variable name"),
    ],
)
def test_validate_names_the_template_and_the_variable(
    body: str, parameters: list[str] | None, match: str
) -> None:
    with pytest.raises(TemplateError, match=match) as err:
        validate(body, parameters, where="process.x.message")
    assert err.value.exit_code == 2


def test_per_process_override_and_compose() -> None:
    base = TemplateSpec(name="primeiro_contato", body=BODY, parameters=("nome", "numero"))
    spec = resolve_template(base, {"template": "contato_ti", "body": "Oi {{nome}} ({{processo}})",
                                   "parameters": ["nome", "processo"]})  # fmt: skip
    spec.validate(where="process.ti.message")
    assert resolve_template(base, None) is base
    variables = build_variables(request(process_id="ti"))
    msg = compose(spec, variables, key=("src", "4242"), to="+5511987654321")
    assert msg.template == "contato_ti"
    assert msg.text == "Oi Maria (ti)"
    assert msg.parameters == [("nome", "Maria"), ("processo", "ti")]
    broken = resolve_template(base, {"body": "Oi {{nome}}"})  # parameters inherited: mismatch
    with pytest.raises(TemplateError, match=r"process\.y\.message"):
        broken.validate(where="process.y.message")


# --- properties ------------------------------------------------------------------------------

known = sorted(KNOWN_VARIABLES)
literal = st.text(alphabet=st.characters(blacklist_characters="{}"), max_size=20)
segment = st.one_of(
    literal.map(lambda s: ("lit", s)), st.sampled_from(known).map(lambda n: ("var", n))
)
values = st.dictionaries(st.sampled_from(known), st.text(max_size=300), min_size=len(known))


def _no_controls(text: str) -> bool:
    return not any(unicodedata.category(c) == "Cc" for c in text) and "\x1b" not in text


@given(st.lists(segment, max_size=12), values)
def test_render_is_literal_text_plus_cleaned_values(
    segments: list[tuple[str, str]], vals: dict[str, str]
) -> None:
    body = "".join(s if kind == "lit" else "{{" + s + "}}" for kind, s in segments)
    expected = "".join(s if kind == "lit" else clean_value(vals[s]) for kind, s in segments)
    out = render(body, vals)
    assert out == expected  # no hole left, nothing expanded twice


@given(st.text(max_size=6000))
def test_clean_value_is_one_bounded_printable_line(value: str) -> None:
    out = clean_value(value)
    assert len(out) <= MAX_VALUE_LENGTH
    assert _no_controls(out)
    assert "\n" not in out and "\t" not in out and "  " not in out
    assert out == out.strip()


soup = st.lists(
    st.sampled_from(["{", "}", "{{", "}}", "numero", "nome", "0", ".", " "]), max_size=20
)


@given(soup.map("".join))
def test_brace_soup_in_values_stays_literal(value: str) -> None:
    out = render("[{{nome}}]", {"nome": value})
    assert out == f"[{clean_value(value)}]"


@given(st.text(max_size=200))
def test_any_name_gives_a_clean_nonempty_first_name(name: str) -> None:
    req = request(name=name)
    variables = build_variables(req)
    assert variables["nome"] and variables["nome_completo"]
    assert all(_no_controls(v) for v in variables.values())
    assert not re.search(r"\s{2,}", variables["nome_completo"])


def test_check_message_validates_a_config_table() -> None:
    from fluigbot.config import MessageSettings
    from fluigbot.templates import check_message

    spec = check_message(MessageSettings(), where="message")
    assert spec.effective_parameters() == variables_in(MessageSettings().body)
    bad = MessageSettings(body="Olá {{nome_do_pai}}")
    with pytest.raises(TemplateError, match=r"process\.rh\.message \(template primeiro_contato\)"):
        check_message(bad, where="process.rh.message")
