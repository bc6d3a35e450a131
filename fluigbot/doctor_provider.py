"""doctor's provider checks: reachable, credentials accepted, template approved where it can say.

The URLs and headers live in the providers (`phone_number_info`, `template_info`, `account_info`,
`connection_state`); this module only judges their answers.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import httpx

from fluigbot.config import Settings
from fluigbot.doctor import Check
from fluigbot.errors import FluigbotError
from fluigbot.secrets import Secrets

Probe = Callable[[], Awaitable[tuple[int, Any]]]
PROBES = {"cloud": "phone_number_info", "twilio": "account_info", "evolution": "connection_state"}


def provider_checks(
    settings: Settings, secrets: Secrets, *, transport: httpx.AsyncBaseTransport | None = None
) -> Iterator[Check]:
    if settings.whatsapp.provider == "outbox":
        yield _outbox(settings)
        return
    from fluigbot import connect

    try:
        provider: Any = connect.provider(settings, secrets, transport=transport)
    except FluigbotError as exc:
        yield Check("provider", "fail", str(exc), exc.exit_code)
        return
    yield from asyncio.run(_run(provider, settings))


async def _run(provider: Any, settings: Settings) -> list[Check]:
    name = settings.whatsapp.provider
    host = httpx.URL(settings.whatsapp.effective_base_url).host or "the provider"
    checks: list[Check] = []
    try:
        probe = PROBES[name]
        status, body = await _ask(getattr(provider, probe))
        checks.append(_judge(name, host, status, body))
        if name == "cloud" and checks[-1].status != "fail":
            if settings.whatsapp.waba_id:
                template = settings.message.template
                status, body = await _ask(lambda: provider.template_info(template))
                checks.append(_template(status, body, settings))
            else:
                checks.append(
                    Check("template", "warn", "set whatsapp.waba_id to let doctor check it.")
                )
    except _Unreachable as exc:
        checks.append(
            Check(
                "provider",
                "fail",
                f"{name}: {host} is unreachable ({exc}); check whatsapp.base_url and the network.",
                5,
            )
        )
    finally:
        await provider.aclose()
    return checks


class _Unreachable(Exception):
    pass


async def _ask(probe: Probe) -> tuple[int, Any]:
    try:
        return await probe()
    except httpx.HTTPError as exc:
        raise _Unreachable(type(exc).__name__) from None


def _judge(name: str, host: str, status: int, body: Any) -> Check:
    if status in (401, 403):
        return Check(
            "provider",
            "fail",
            f"{name} rejected the token (HTTP {status}): `fluigbot auth set whatsapp`.",
            4,
        )
    if status >= 400:
        return Check(
            "provider", "fail", f"{name} answered HTTP {status} at {host}; check [whatsapp].", 5
        )
    detail = f"{name} at {host} accepted the credentials"
    if name == "evolution":
        state = (body or {}).get("instance", {}) if isinstance(body, dict) else {}
        if isinstance(state, dict) and state.get("state") not in (None, "open"):
            return Check("provider", "warn", f"{detail}, but the instance is {state.get('state')}.")
    return Check("provider", "ok", detail)


def _template(status: int, body: Any, settings: Settings) -> Check:
    name, language = settings.message.template, settings.message.language
    if status in (401, 403):
        return Check("template", "fail", f"listing templates was refused (HTTP {status}).", 4)
    if status >= 400:
        return Check("template", "fail", f"listing templates answered HTTP {status}.", 5)
    items = body.get("data", []) if isinstance(body, dict) else []
    for item in items or []:
        if item.get("name") == name and item.get("language") in (language, None):
            state = str(item.get("status", "")).upper()
            if state == "APPROVED":
                return Check("template", "ok", f"{name} ({language}) is approved")
            return Check(
                "template", "fail", f"{name} ({language}) is {state or 'not approved'}.", 2
            )
    return Check(
        "template",
        "fail",
        f"no template {name} ({language}) in the WhatsApp Business account; create it and have "
        "it approved, or fix message.template.",
        2,
    )


def _outbox(settings: Settings) -> Check:
    from fluigbot.whatsapp.outbox import default_outbox_path

    configured = settings.whatsapp.outbox_path
    path = Path(configured).expanduser() if configured else default_outbox_path()
    if path.parent.exists() and not os.access(path.parent, os.W_OK):
        return Check("provider", "fail", f"outbox folder {path.parent} is not writable.", 2)
    return Check("provider", "ok", f"outbox writes to {path}")
