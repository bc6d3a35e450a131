"""Writing and showing config files, and the checks that need more than types (templates,
the contact window). Kept apart from `config` so that loading stays small."""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path
from typing import Any

import click
import tomli_w

from fluigbot.config import (
    DEFAULT_BODY,
    PROVIDERS,
    SOURCES,
    MessageSettings,
    Settings,
)
from fluigbot.errors import ConfigError, FluigbotError

HEADER = """\
# fluigbot config. Secrets are not kept here: see `fluigbot auth set`.
# Every key is described in the README ("Configuration").
"""


def default_answers() -> dict[str, Any]:
    return {
        "base_url": "https://empresa.fluig.com",
        "source": "api",
        "process_ids": ["abertura_chamado"],
        "phone_field": "telefone",
        "provider": "cloud",
        "phone_number_id": "123456789",
        "template": "primeiro_contato",
    }


def ask_answers(answers: dict[str, Any]) -> dict[str, Any]:
    """Prompts on stderr, each with its default."""
    out = dict(answers)

    def ask(label: str, key: str, choices: tuple[str, ...] | None = None) -> None:
        default = out[key] if not isinstance(out[key], list) else ",".join(out[key])
        kind = click.Choice(choices) if choices else str
        out[key] = click.prompt(label, default=default, type=kind, err=True)

    ask("Fluig base URL", "base_url")
    ask("Source (api, dataset, file)", "source", SOURCES)
    ask("Process ids (comma-separated)", "process_ids")
    out["process_ids"] = [p.strip() for p in str(out["process_ids"]).split(",") if p.strip()]
    ask("Form field with the phone", "phone_field")
    ask("WhatsApp provider", "provider", PROVIDERS)
    if out["provider"] == "cloud":
        ask("Cloud API phone number id", "phone_number_id")
    ask("Approved template name (Twilio: the HX… Content SID)", "template")
    return out


def starter(answers: dict[str, Any]) -> dict[str, Any]:
    whatsapp: dict[str, Any] = {"provider": answers["provider"]}
    if answers["provider"] == "cloud":
        whatsapp |= {"api_version": "v23.0", "phone_number_id": answers["phone_number_id"]}
    elif answers["provider"] == "twilio":
        whatsapp |= {"account_sid": "AC...", "from_number": "+5511900000000"}
    elif answers["provider"] == "evolution":
        whatsapp |= {"base_url": "https://evolution.example.com", "instance": "fluigbot"}
    elif answers["provider"] == "outbox":
        whatsapp |= {"outbox_path": str(Path.home() / "fluigbot-outbox.jsonl")}
    return {
        "fluig": {
            "base_url": answers["base_url"],
            "source": answers["source"],
            "process_ids": answers["process_ids"],
            "fields": {"phone": answers["phone_field"], "name": "nome_solicitante", "consent": ""},
            "writeback": {"mode": "none"},
        },
        "whatsapp": whatsapp,
        "message": {
            "template": answers["template"],
            "language": "pt_BR",
            "body": DEFAULT_BODY,
            "parameters": ["nome", "numero"],
        },
        "send": {
            "rate_per_second": 20,
            "concurrency": 8,
            "quiet_hours": True,
            "max_attempts": 5,
            "cooldown_hours": 24,
            "window": {
                "days": ["mon", "tue", "wed", "thu", "fri"],
                "start": "10:00",
                "end": "18:00",
                "timezone": "America/Sao_Paulo",
                "holidays": "BR",
            },
        },
    }


def write_starter(path: Path, answers: dict[str, Any], *, force: bool) -> None:
    if path.is_dir():
        raise ConfigError(f"config path {path} is a directory; name a file (--config PATH).")
    if path.exists() and not force:
        raise ConfigError(f"{path} already exists.", hint="Pass --force to overwrite it.")
    write_private(path, HEADER + "\n" + tomli_w.dumps(starter(answers)))


def write_private(path: Path, text: str) -> None:
    """Atomic write, 0600 file in a 0700 folder."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    tmp = path.with_name(f".{path.name}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(text)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def effective_dict(settings: Settings) -> dict[str, Any]:
    """The settings as TOML-able data (no None: TOML has no null)."""

    def clean(value: Any) -> Any:
        if dataclasses.is_dataclass(value) and not isinstance(value, type):
            return {
                f.name: clean(getattr(value, f.name))
                for f in dataclasses.fields(value)
                if getattr(value, f.name) is not None
            }
        if isinstance(value, tuple | list):
            return [clean(v) for v in value]
        if isinstance(value, dict):
            return {k: clean(v) for k, v in value.items() if v is not None}
        return value

    whatsapp = clean(settings.whatsapp)
    whatsapp["base_url"] = settings.whatsapp.effective_base_url
    if settings.whatsapp.provider == "outbox" and not settings.whatsapp.outbox_path:
        from fluigbot.whatsapp.outbox import default_outbox_path

        whatsapp["outbox_path"] = str(default_outbox_path())
    data = {
        "fluig": clean(settings.fluig),
        "whatsapp": whatsapp,
        "message": clean(settings.message),
        "send": clean(settings.send),
    }
    if settings.processes:
        data["process"] = {pid: clean(o) for pid, o in settings.processes.items()}
    return data


def to_toml(data: dict[str, Any]) -> str:
    return tomli_w.dumps(data)


def deep_check(settings: Settings) -> None:
    """The checks that need the template and policy code; all problems in one ConfigError."""
    problems: list[str] = []
    messages: list[tuple[str, MessageSettings]] = [("message", settings.message)]
    messages += [
        (f"process.{pid}.message", o.message) for pid, o in settings.processes.items() if o.message
    ]
    from fluigbot.templates import check_message

    for where, message in messages:
        try:
            check_message(message, where=where)
        except FluigbotError as exc:
            problems.append(str(exc))
    from fluigbot.policy import Window

    try:
        Window.from_config(settings.send.window)
    except FluigbotError as exc:
        problems.append(str(exc))
    from fluigbot.whatsapp import required_keys

    provider = settings.whatsapp.provider
    problems += [
        f"{key} must be set for provider {provider}" for key in required_keys(settings.whatsapp)
    ]
    if settings.fluig.source in ("api", "dataset") and not settings.fluig.base_url:
        problems.append(f"fluig.base_url must be set for source {settings.fluig.source}")
    if settings.fluig.source == "dataset" and not settings.fluig.dataset.name:
        problems.append("fluig.dataset.name must be set for source dataset")
    if problems:
        raise ConfigError(
            f"config {settings.path} has {len(problems)} problem(s): " + "; ".join(problems),
            problems=problems,
        )
