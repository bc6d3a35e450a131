"""Settings: the TOML config file read, checked and turned into plain dataclasses.

Every problem names its dotted key (and the line, where it can be found), and all of them are
reported at once. Unknown keys are warnings that name the closest known key. Secrets never live
here: see `fluigbot.secrets`.
"""

from __future__ import annotations

import difflib
import os
import re
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fluigbot.errors import ConfigError

SOURCES = ("api", "dataset", "file")
PROVIDERS = ("cloud", "twilio", "evolution", "outbox")
WRITEBACK_MODES = ("none", "observation", "form_field")
PARAMETER_FORMATS = ("positional", "named")
DEFAULT_BASE_URLS = {
    "cloud": "https://graph.facebook.com",
    "twilio": "https://api.twilio.com",
    "evolution": "",
    "outbox": "",
}

DEFAULT_BODY = (
    "Olá {{nome}}! Recebemos sua solicitação nº {{numero}}. "
    "Em breve entraremos em contato por aqui."
)


def config_path(explicit: str | os.PathLike[str] | None = None) -> Path:
    """--config, then FLUIGBOT_CONFIG, then the platform's user config dir."""
    if explicit:
        return Path(explicit).expanduser()
    env = os.environ.get("FLUIGBOT_CONFIG")
    if env:
        return Path(env).expanduser()
    import platformdirs

    return platformdirs.user_config_path("fluigbot") / "config.toml"


def state_dir() -> Path:
    env = os.environ.get("FLUIGBOT_STATE_DIR")
    if env:
        return Path(env).expanduser()
    import platformdirs

    return platformdirs.user_state_path("fluigbot")


@dataclass(frozen=True)
class Fields:
    phone: tuple[str, ...] = ("telefone",)
    name: str = "nome_solicitante"
    consent: str = ""
    description: str = ""


@dataclass(frozen=True)
class Writeback:
    mode: str = "none"
    field: str = "whatsapp_contato"
    value: str = "enviado {{data_envio}}"
    text: str = "Primeiro contato enviado por WhatsApp em {{data_envio}}."


@dataclass(frozen=True)
class Dataset:
    name: str = ""
    fields: tuple[str, ...] = ()
    constraints: tuple[Mapping[str, Any], ...] = ()


@dataclass(frozen=True)
class FluigSettings:
    base_url: str = ""
    source: str = "api"
    process_ids: tuple[str, ...] = ()
    fields: Fields = field(default_factory=Fields)
    writeback: Writeback = field(default_factory=Writeback)
    dataset: Dataset = field(default_factory=Dataset)
    file: str = ""
    ca_bundle: str = ""
    page_size: int = 500
    overlap_hours: float = 24.0
    status: str = "OPEN"
    timeout: float = 30.0


@dataclass(frozen=True)
class WhatsAppSettings:
    provider: str = "outbox"
    base_url: str = ""
    api_version: str = "v23.0"
    phone_number_id: str = ""
    waba_id: str = ""
    account_sid: str = ""
    from_number: str = ""
    messaging_service_sid: str = ""
    instance: str = ""
    outbox_path: str = ""
    timeout: float = 15.0

    @property
    def effective_base_url(self) -> str:
        return (self.base_url or DEFAULT_BASE_URLS.get(self.provider, "")).rstrip("/")


@dataclass(frozen=True)
class MessageSettings:
    template: str = "primeiro_contato"
    language: str = "pt_BR"
    body: str = DEFAULT_BODY
    parameters: tuple[str, ...] | None = None  # None: the body's variables in order
    parameter_format: str = "positional"


@dataclass(frozen=True)
class SendSettings:
    rate_per_second: float = 20.0
    concurrency: int = 8
    quiet_hours: bool = True
    max_attempts: int = 5
    cooldown_hours: float = 24.0
    allow_foreign: bool = False
    window: Mapping[str, Any] = field(default_factory=dict)  # checked by policy.Window.from_config


@dataclass(frozen=True)
class ProcessOverride:
    fields: Fields | None = None
    message: MessageSettings | None = None


@dataclass(frozen=True)
class Settings:
    path: Path
    exists: bool = False
    fluig: FluigSettings = field(default_factory=FluigSettings)
    whatsapp: WhatsAppSettings = field(default_factory=WhatsAppSettings)
    message: MessageSettings = field(default_factory=MessageSettings)
    send: SendSettings = field(default_factory=SendSettings)
    processes: Mapping[str, ProcessOverride] = field(default_factory=dict)
    warnings: tuple[str, ...] = ()

    def fluig_file(self) -> Path | None:
        """fluig.file, relative to the config file's folder (cron runs from anywhere)."""
        if not self.fluig.file:
            return None
        path = Path(self.fluig.file).expanduser()
        return path if path.is_absolute() else self.path.parent / path

    def fields_for(self, process_id: str) -> Fields:
        override = self.processes.get(process_id)
        return override.fields if override and override.fields else self.fluig.fields

    def message_for(self, process_id: str) -> MessageSettings:
        override = self.processes.get(process_id)
        return override.message if override and override.message else self.message


# --- the schema: dotted key -> checker. A checker returns the value or raises _Bad(reason). ---


class _Bad(Exception):
    pass


def _str(v: Any) -> str:
    if not isinstance(v, str):
        raise _Bad(f"must be a string, not {_tname(v)}")
    return v


def _choice(*allowed: str) -> Callable[[Any], str]:
    def check(v: Any) -> str:
        s = _str(v)
        if s not in allowed:
            raise _Bad(f"must be one of {', '.join(allowed)}, not {s!r}")
        return s

    return check


def _url(v: Any) -> str:
    s = _str(v).strip()
    if s and not re.match(r"^https?://[^\s/]+", s):
        raise _Bad(f"must be an http(s) URL, not {s!r}")
    return s.rstrip("/")


def _bool(v: Any) -> bool:
    if not isinstance(v, bool):
        raise _Bad(f"must be true or false, not {_tname(v)}")
    return v


def _number(minimum: float, maximum: float | None = None) -> Callable[[Any], float]:
    def check(v: Any) -> float:
        if isinstance(v, bool) or not isinstance(v, int | float):
            raise _Bad(f"must be a number, not {_tname(v)}")
        if v < minimum or (maximum is not None and v > maximum):
            bound = f"between {minimum:g} and {maximum:g}" if maximum else f"at least {minimum:g}"
            raise _Bad(f"must be {bound}, not {v}")
        return float(v)

    return check


def _int(minimum: int, maximum: int | None = None) -> Callable[[Any], int]:
    def check(v: Any) -> int:
        if isinstance(v, bool) or not isinstance(v, int):
            raise _Bad(f"must be a whole number, not {_tname(v)}")
        if v < minimum or (maximum is not None and v > maximum):
            bound = f"between {minimum} and {maximum}" if maximum else f"at least {minimum}"
            raise _Bad(f"must be {bound}, not {v}")
        return v

    return check


def _str_list(v: Any) -> tuple[str, ...]:
    if isinstance(v, str):
        return (v,) if v else ()
    if not isinstance(v, list) or not all(isinstance(x, str) for x in v):
        raise _Bad("must be a list of strings")
    return tuple(v)


def _table_list(v: Any) -> tuple[Mapping[str, Any], ...]:
    if not isinstance(v, list) or not all(isinstance(x, dict) for x in v):
        raise _Bad("must be a list of tables")
    return tuple(v)


def _table(v: Any) -> Mapping[str, Any]:
    if not isinstance(v, dict):
        raise _Bad(f"must be a table, not {_tname(v)}")
    return v


def _tname(v: Any) -> str:
    return {str: "a string", bool: "a boolean", int: "a number", float: "a number"}.get(
        type(v), type(v).__name__
    )


_FIELDS: dict[str, Callable[[Any], Any]] = {
    "phone": _str_list,
    "name": _str,
    "consent": _str,
    "description": _str,
}
_MESSAGE: dict[str, Callable[[Any], Any]] = {
    "template": _str,
    "language": _str,
    "body": _str,
    "parameters": _str_list,
    "parameter_format": _choice(*PARAMETER_FORMATS),
}
SCHEMA: dict[str, Callable[[Any], Any]] = {
    "fluig.base_url": _url,
    "fluig.source": _choice(*SOURCES),
    "fluig.process_ids": _str_list,
    "fluig.file": _str,
    "fluig.ca_bundle": _str,
    "fluig.page_size": _int(1, 1000),
    "fluig.overlap_hours": _number(0),
    "fluig.status": _str,
    "fluig.timeout": _number(1, 600),
    **{f"fluig.fields.{k}": c for k, c in _FIELDS.items()},
    "fluig.writeback.mode": _choice(*WRITEBACK_MODES),
    "fluig.writeback.field": _str,
    "fluig.writeback.value": _str,
    "fluig.writeback.text": _str,
    "fluig.dataset.name": _str,
    "fluig.dataset.fields": _str_list,
    "fluig.dataset.constraints": _table_list,
    "whatsapp.provider": _choice(*PROVIDERS),
    "whatsapp.base_url": _url,
    "whatsapp.api_version": _str,
    "whatsapp.phone_number_id": _str,
    "whatsapp.waba_id": _str,
    "whatsapp.account_sid": _str,
    "whatsapp.from_number": _str,
    "whatsapp.messaging_service_sid": _str,
    "whatsapp.instance": _str,
    "whatsapp.outbox_path": _str,
    "whatsapp.timeout": _number(1, 600),
    **{f"message.{k}": c for k, c in _MESSAGE.items()},
    "send.rate_per_second": _number(0),
    "send.concurrency": _int(1, 256),
    "send.quiet_hours": _bool,
    "send.max_attempts": _int(1, 100),
    "send.cooldown_hours": _number(0),
    "send.allow_foreign": _bool,
    "send.window.days": _str_list,
    "send.window.start": _str,
    "send.window.end": _str,
    "send.window.timezone": _str,
    "send.window.holidays": _str,
}
_TABLES = {k.rsplit(".", 1)[0] for k in SCHEMA} | {"fluig", "whatsapp", "message", "send"}


def load(path: Path) -> Settings:
    """Read and check the config at `path`. A missing file gives the defaults (exists=False)."""
    if path.is_dir():
        raise ConfigError(f"config path {path} is a directory; name a file (--config PATH).")
    try:
        raw_bytes = path.read_bytes()
    except FileNotFoundError:
        return Settings(path=path, exists=False)
    except OSError as exc:
        raise ConfigError(f"cannot read config {path}: {exc.strerror}.") from None
    try:
        text = raw_bytes.decode("utf-8")
    except UnicodeDecodeError:
        raise ConfigError(f"config {path} is not UTF-8 text; save it as UTF-8.") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        detail = str(exc).replace(
            "(at end of document)", f"(at line {text.count(chr(10)) + 1}, the end of the file)"
        )
        raise ConfigError(
            f"config {path} is not valid TOML: {detail}. Fix it, or write a new one with "
            "`fluigbot config init --force`."
        ) from None
    return from_dict(data, path=path, text=text)


def from_dict(data: Mapping[str, Any], *, path: Path, text: str = "") -> Settings:
    problems: list[str] = []
    warnings: list[str] = []
    values: dict[str, Any] = {}
    processes: dict[str, dict[str, Any]] = {}

    def where(dotted: str) -> str:
        line = _line_of(text, dotted)
        return f"{path.name}:{line}" if line else path.name

    def walk(table: Mapping[str, Any], prefix: str) -> None:
        for key, value in table.items():
            dotted = f"{prefix}{key}"
            if dotted == "process" and isinstance(value, dict):
                for pid, sub in value.items():
                    if not isinstance(sub, dict):
                        problems.append(f"{where(dotted)}: process.{pid} must be a table")
                        continue
                    processes[pid] = _check_process(pid, sub, problems, warnings, where)
                continue
            if dotted in SCHEMA:
                try:
                    values[dotted] = SCHEMA[dotted](value)
                except _Bad as bad:
                    problems.append(f"{where(dotted)}: {dotted} {bad}")
            elif dotted in _TABLES and isinstance(value, dict):
                walk(value, dotted + ".")
            elif dotted in _TABLES:
                problems.append(f"{where(dotted)}: {dotted} must be a table")
            else:
                warnings.append(_unknown(dotted, where(dotted)))

    walk(data, "")
    if problems:
        raise ConfigError(
            f"config {path} has {len(problems)} problem(s): " + "; ".join(problems + warnings),
            problems=problems,
        )
    return _build(values, processes, path=path, warnings=tuple(warnings))


def _check_process(
    pid: str,
    sub: Mapping[str, Any],
    problems: list[str],
    warnings: list[str],
    where: Callable[[str], str],
) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for section, schema in (("fields", _FIELDS), ("message", _MESSAGE)):
        table = sub.get(section, {})
        if not isinstance(table, dict):
            problems.append(f"process.{pid}.{section} must be a table")
            continue
        for key, value in table.items():
            dotted = f"process.{pid}.{section}.{key}"
            if key not in schema:
                warnings.append(_unknown(dotted, where(dotted), list(schema)))
                continue
            try:
                out[f"{section}.{key}"] = schema[key](value)
            except _Bad as bad:
                problems.append(f"{where(dotted)}: {dotted} {bad}")
    for key in sub:
        if key not in ("fields", "message"):
            warnings.append(_unknown(f"process.{pid}.{key}", where(f"process.{pid}.{key}")))
    return out


def _unknown(dotted: str, where: str, known: list[str] | None = None) -> str:
    candidates = known if known is not None else list(SCHEMA)
    leaf = dotted.rsplit(".", 1)[-1]
    close = difflib.get_close_matches(
        dotted, candidates, n=1, cutoff=0.6
    ) or difflib.get_close_matches(leaf, candidates, n=1, cutoff=0.6)
    hint = f"; did you mean {close[0]}?" if close else ""
    return f"{where}: unknown key {dotted} is ignored{hint}"


def _line_of(text: str, dotted: str) -> int | None:
    """The line where `dotted` is set, found by tracking [table] headers. Best effort."""
    if not text:
        return None
    *tables, leaf = dotted.split(".")
    table = ".".join(tables)
    current = ""
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        header = re.match(r"^\[\s*([^\]]+?)\s*\]", stripped)
        if header:
            current = header.group(1).replace('"', "").replace(" ", "")
            if current == dotted:
                return number
            continue
        m = re.match(r"^([A-Za-z0-9_.\"-]+)\s*=", stripped)
        if m:
            key = m.group(1).replace('"', "")
            full = f"{current}.{key}" if current else key
            if full == dotted or (current == table and key == leaf):
                return number
    return None


def _build(
    v: dict[str, Any],
    processes: dict[str, dict[str, Any]],
    *,
    path: Path,
    warnings: tuple[str, ...],
) -> Settings:
    def pick(prefix: str) -> dict[str, Any]:
        n = len(prefix)
        return {k[n:]: val for k, val in v.items() if k.startswith(prefix) and "." not in k[n:]}

    fields = Fields(**pick("fluig.fields."))
    fluig = FluigSettings(
        **pick("fluig."),
        fields=fields,
        writeback=Writeback(**pick("fluig.writeback.")),
        dataset=Dataset(**pick("fluig.dataset.")),
    )
    window = {k: list(x) if isinstance(x, tuple) else x for k, x in pick("send.window.").items()}
    send = SendSettings(**pick("send."), window=window)
    message = MessageSettings(**pick("message."))
    overrides: dict[str, ProcessOverride] = {}
    for pid, got in processes.items():
        f = {k[7:]: x for k, x in got.items() if k.startswith("fields.")}
        m = {k[8:]: x for k, x in got.items() if k.startswith("message.")}
        overrides[pid] = ProcessOverride(
            fields=Fields(**{**fields.__dict__, **f}) if f else None,
            message=MessageSettings(**{**message.__dict__, **m}) if m else None,
        )
    return Settings(
        path=path,
        exists=True,
        fluig=fluig,
        whatsapp=WhatsAppSettings(**pick("whatsapp.")),
        message=message,
        send=send,
        processes=overrides,
        warnings=warnings,
    )
