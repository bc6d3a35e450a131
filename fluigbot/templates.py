"""Message templates: Meta's ``{{name}}`` syntax, rendered safely from untrusted request data.

Pure functions, no I/O. The body is trusted (it comes from the operator's config); the values are
not (they come from Fluig forms). So:

- rendering is one regex pass: a value is inserted once and never scanned again, so a name that
  holds ``{{numero}}`` or ``{0.__class__}`` stays literal text; single braces are plain text;
  there is no attribute access and no ``str.format``;
- every value goes through :func:`clean_value`: ANSI escapes and control characters removed,
  whitespace (newlines, tabs, runs of spaces) collapsed to one space, because Meta refuses
  parameters with new lines, tabs or more than 4 consecutive spaces (error 132018), and the length
  is bounded;
- an unknown variable is a :class:`~fluigbot.errors.TemplateError` (exit 2) found before anything
  is sent, never a message with a hole in it.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, tzinfo
from typing import Any, Literal, Protocol
from zoneinfo import ZoneInfo

from fluigbot.errors import TemplateError

ParameterFormat = Literal["positional", "named"]

#: Variables every request can fill. ``descricao`` is filled only when a template asks for it.
KNOWN_VARIABLES: frozenset[str] = frozenset(
    {"nome", "nome_completo", "numero", "processo", "data_abertura", "descricao"}
)
#: Longest value inserted into a message (the ellipsis included).
MAX_VALUE_LENGTH = 200
DEFAULT_TIMEZONE = "America/Sao_Paulo"

# Anything between double braces is a reference; what is inside must be a plain name.
_REFERENCE = re.compile(r"\{\{(.*?)\}\}", re.DOTALL)
_NAME = re.compile(r"\s*([A-Za-z_][A-Za-z0-9_]*)\s*")
# ANSI/VT escapes: CSI (ESC [ ... final), OSC (ESC ] ... BEL or ST), and two-byte escapes; also
# the 8-bit CSI (U+009B).
_ANSI = re.compile(
    r"(?:\x1b\[|\x9b)[0-?]*[ -/]*[@-~]"
    r"|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?"
    r"|\x1b[PX^_][^\x1b]*(?:\x1b\\)?"
    r"|\x1b[@-Z\\-_]"
)
# Bidi overrides and isolates can make a text read differently from what it holds.
_BIDI = dict.fromkeys(
    [*range(0x202A, 0x202F), *range(0x2066, 0x206A), 0x200E, 0x200F, 0x061C, 0xFEFF]
)
_PARTICLES = frozenset({"da", "das", "de", "di", "do", "dos", "du", "e", "d'"})
_HONORIFICS = frozenset({"sr", "sra", "srta", "dr", "dra", "prof", "profa", "sr.", "sra."})


class RequestLike(Protocol):
    """What :func:`build_variables` reads (``fluigbot.models.FluigRequest`` fits)."""

    request_id: str
    process_id: str
    requester_name: str | None
    start_date: datetime | None


# --- values ---------------------------------------------------------------------------------


def clean_value(value: object, *, limit: int = MAX_VALUE_LENGTH) -> str:
    """Make untrusted text safe to put in a message: one line, printable, at most `limit` chars."""
    text = unicodedata.normalize("NFC", str(value))
    text = _ANSI.sub("", text)
    text = text.translate(_BIDI)
    # Whitespace of any kind (\n, \t, \r, NBSP, ...) becomes one space; other controls go.
    out: list[str] = []
    for ch in text:
        if ch.isspace():
            out.append(" ")
        elif unicodedata.category(ch) == "Cc":
            continue
        else:
            out.append(ch)
    text = " ".join("".join(out).split())
    if len(text) > limit:
        text = text[: max(limit - 1, 0)].rstrip() + "…"
    return text


def _title_word(word: str) -> str:
    # Only re-case words written all in one case: "McDonald" or "DeLuca" are left alone.
    if not (word.isupper() or word.islower()):
        return word
    parts = re.split(r"([-'’])", word.lower())
    return "".join(p[:1].upper() + p[1:] if p not in "-'’" else p for p in parts)


def title_name(name: str) -> str:
    """``"MARIA DA SILVA"`` -> ``"Maria da Silva"``; mixed-case names are kept as written."""
    words = clean_value(name).split(" ")
    titled = []
    for i, word in enumerate(words):
        if i > 0 and word.lower() in _PARTICLES and (word.isupper() or word.islower()):
            titled.append(word.lower())
        else:
            titled.append(_title_word(word))
    return " ".join(w for w in titled if w)


def first_name(name: str) -> str:
    """The first word of a name, skipping a leading honorific (``"Sra. ANA"`` -> ``"Ana"``)."""
    words = [w for w in title_name(name).split(" ") if w]
    while len(words) > 1 and words[0].lower().rstrip(".") in _HONORIFICS:
        words.pop(0)
    return words[0] if words else ""


def build_variables(
    request: RequestLike,
    *,
    name: str | None = None,
    description: str | None = None,
    timezone: tzinfo | str = DEFAULT_TIMEZONE,
    fallback_name: str = "cliente",
) -> dict[str, str]:
    """The variables one request offers to a template, already cleaned.

    `name` is the form's name field (it wins over the requester's name). `description` is put in
    (as ``descricao``) only when given: pass it only when the template asks for it
    (:func:`needs_description`). A request with no usable name gets `fallback_name`, so that no
    parameter is ever empty (Meta refuses empty parameters).
    """
    raw_name = clean_value(name or "") or clean_value(request.requester_name or "")
    full = title_name(raw_name) if raw_name else fallback_name
    tz = ZoneInfo(timezone) if isinstance(timezone, str) else timezone
    opened = ""
    if request.start_date is not None:
        start = request.start_date
        if start.tzinfo is not None:
            start = start.astimezone(tz)
        opened = start.strftime("%d/%m/%Y")
    variables = {
        "nome": (first_name(full) if raw_name else "") or fallback_name,
        "nome_completo": full,
        "numero": clean_value(request.request_id),
        "processo": clean_value(request.process_id),
        "data_abertura": opened,
    }
    if description is not None:
        variables["descricao"] = clean_value(description)
    return variables


# --- bodies ---------------------------------------------------------------------------------


def _references(body: str) -> list[tuple[str, str | None]]:
    """Each ``{{...}}`` in the body: (raw text, variable name or None when malformed)."""
    found = []
    for match in _REFERENCE.finditer(body):
        named = _NAME.fullmatch(match.group(1))
        found.append((match.group(0), named.group(1) if named else None))
    return found


def variables_in(body: str) -> list[str]:
    """The variables a body uses, in order of first appearance (malformed references left out)."""
    seen: dict[str, None] = {}
    for _, name in _references(body):
        if name is not None:
            seen.setdefault(name, None)
    return list(seen)


def needs_description(body: str, parameters: Iterable[str] | None = None) -> bool:
    return "descricao" in variables_in(body) or "descricao" in (parameters or ())


def render(body: str, variables: Mapping[str, str]) -> str:
    """Fill ``{{name}}`` references with cleaned values, in one pass.

    Raises TemplateError for a reference that is not a plain name or has no value; the message
    names the variable, never a value.
    """

    def fill(match: re.Match[str]) -> str:
        named = _NAME.fullmatch(match.group(1))
        if named is None:
            raise TemplateError(
                f"template reference {_show(match.group(0))} is not a variable name"
            )
        name = named.group(1)
        if name not in variables:
            raise TemplateError(f"template variable {{{{{name}}}}} has no value")
        return clean_value(variables[name])

    return _REFERENCE.sub(fill, body)


def parameter_values(
    parameters: Sequence[str], variables: Mapping[str, str]
) -> list[tuple[str, str]]:
    """The template's parameters as (name, cleaned value) pairs, in order."""
    missing = [p for p in parameters if p not in variables]
    if missing:
        raise TemplateError(f"template parameter {missing[0]!r} has no value")
    return [(p, clean_value(variables[p])) for p in parameters]


def _show(ref: str) -> str:
    return repr(ref if len(ref) <= 40 else ref[:37] + "...")


def validate(
    body: str,
    parameters: Sequence[str] | None,
    known: Iterable[str] = KNOWN_VARIABLES,
    *,
    where: str,
) -> list[str]:
    """Check a template before anything is sent; return the effective parameter list.

    `where` names the template for the operator (e.g. ``"message (template primeiro_contato)"`` or
    ``"process.abertura_chamado.message"``). `parameters` left out (None) means the body's
    variables in order. Raises TemplateError (exit 2) naming `where` and the variable.
    """
    known_set = set(known)
    refs = _references(body)
    for raw, name in refs:
        if name is None:
            raise TemplateError(f"{where}: {_show(raw)} is not a variable name")
        if name not in known_set:
            raise TemplateError(
                f"{where}: unknown variable {{{{{name}}}}}",
                hint=f"Known variables: {', '.join(sorted(known_set))}.",
            )
    body_vars = variables_in(body)
    if parameters is None:
        params = body_vars
    else:
        params = list(parameters)
        for p in params:
            if p not in known_set:
                raise TemplateError(
                    f"{where}: parameter {p!r} is not a known variable",
                    hint=f"Known variables: {', '.join(sorted(known_set))}.",
                )
        dupes = sorted({p for p in params if params.count(p) > 1})
        if dupes:
            raise TemplateError(f"{where}: parameter {dupes[0]!r} is listed twice")
        for v in body_vars:
            if v not in params:
                raise TemplateError(
                    f"{where}: the body uses {{{{{v}}}}} but the parameters do not list it",
                    hint="List every body variable in message.parameters, in the template's order.",
                )
        for p in params:
            if p not in body_vars:
                raise TemplateError(
                    f"{where}: parameter {p!r} does not appear in the body",
                    hint="The body is what preview shows: keep it the same text as the template.",
                )
    if not render(body, dict.fromkeys(body_vars, "")).strip():
        raise TemplateError(f"{where}: the body renders empty")
    return params


# --- template specs -------------------------------------------------------------------------


@dataclass(frozen=True)
class TemplateSpec:
    """What ``[message]`` (or a ``[process.<id>.message]`` override) says about the template."""

    name: str
    language: str = "pt_BR"
    body: str = ""
    parameters: tuple[str, ...] | None = None
    parameter_format: ParameterFormat = "positional"

    def effective_parameters(self) -> list[str]:
        return list(self.parameters) if self.parameters is not None else variables_in(self.body)

    def validate(self, *, where: str | None = None, known: Iterable[str] = KNOWN_VARIABLES) -> None:
        here = where or f"message (template {self.name})"
        if not self.name.strip():
            raise TemplateError(f"{here}: the template name is empty")
        if self.parameter_format not in ("positional", "named"):
            raise TemplateError(f"{here}: parameter_format must be 'positional' or 'named'")
        validate(self.body, self.parameters, known, where=here)


_SPEC_KEYS = {"template": "name", "language": "language", "body": "body"}


def resolve_template(base: TemplateSpec, override: Mapping[str, Any] | None) -> TemplateSpec:
    """Apply a per-process ``[process.<id>.message]`` table (same keys as ``[message]``).

    Keys given replace the base's; keys left out are inherited. Validate the result with
    ``spec.validate(where="process.<id>.message")``.
    """
    if not override:
        return base
    changes: dict[str, Any] = {}
    for key, attr in _SPEC_KEYS.items():
        if key in override:
            changes[attr] = str(override[key])
    if "parameters" in override:
        changes["parameters"] = tuple(str(p) for p in override["parameters"])
    if "parameter_format" in override:
        changes["parameter_format"] = override["parameter_format"]
    return replace(base, **changes)


class MessageLike(Protocol):
    """What ``[message]`` holds (``fluigbot.config.MessageSettings`` fits)."""

    @property
    def template(self) -> str: ...
    @property
    def language(self) -> str: ...
    @property
    def body(self) -> str: ...
    @property
    def parameters(self) -> tuple[str, ...] | None: ...
    @property
    def parameter_format(self) -> str: ...


def spec_from(message: MessageLike) -> TemplateSpec:
    return TemplateSpec(
        name=message.template,
        language=message.language,
        body=message.body,
        parameters=tuple(message.parameters) if message.parameters is not None else None,
        parameter_format=message.parameter_format,  # type: ignore[arg-type]
    )


def check_message(message: MessageLike, *, where: str = "message") -> TemplateSpec:
    """Validate a ``[message]`` (or ``[process.<id>.message]``) table; TemplateError names `where`.

    Used by ``config validate`` before anything is sent.
    """
    spec = spec_from(message)
    spec.validate(where=f"{where} (template {spec.name})")
    return spec
