"""doctor's provider checks: reachable, credentials accepted, template approved where it can say."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx

from fluigbot.config import Settings
from fluigbot.doctor import Check
from fluigbot.errors import FluigbotError
from fluigbot.secrets import WHATSAPP, Secrets


def provider_checks(
    settings: Settings, secrets: Secrets, *, transport: httpx.BaseTransport | None = None
) -> Iterator[Check]:
    w = settings.whatsapp
    if w.provider == "outbox":
        yield _outbox(settings)
        return
    try:
        token = secrets.require(WHATSAPP)[WHATSAPP[0]]
    except FluigbotError as exc:
        yield Check("provider", "fail", str(exc), exc.exit_code)
        return
    base = w.effective_base_url
    with httpx.Client(transport=transport, timeout=15.0, follow_redirects=False) as client:
        if w.provider == "cloud":
            headers = {"Authorization": f"Bearer {token}"}
            yield _probe(
                client, "GET", f"{base}/{w.api_version}/{w.phone_number_id}", headers, "cloud"
            )
            if w.waba_id:
                yield _template(
                    client,
                    f"{base}/{w.api_version}/{w.waba_id}/message_templates",
                    headers,
                    settings,
                )
            else:
                yield Check(
                    "template", "warn", "set whatsapp.waba_id to let doctor check the template."
                )
        elif w.provider == "twilio":
            url = f"{base}/2010-04-01/Accounts/{w.account_sid}.json"
            yield _probe(client, "GET", url, {}, "twilio", auth=(w.account_sid, token))
        elif w.provider == "evolution":
            url = f"{base}/instance/connectionState/{w.instance}"
            check = _probe(client, "GET", url, {"apikey": token}, "evolution")
            yield check


def _probe(
    client: httpx.Client,
    method: str,
    url: str,
    headers: dict[str, str],
    name: str,
    *,
    auth: tuple[str, str] | None = None,
) -> Check:
    try:
        response = client.request(method, url, headers=headers, auth=auth)
    except httpx.HTTPError as exc:
        return Check(
            "provider",
            "fail",
            f"{name}: {_host(url)} is unreachable ({type(exc).__name__}); check whatsapp.base_url "
            "and the network.",
            5,
        )
    if response.status_code in (401, 403):
        return Check(
            "provider",
            "fail",
            f"{name} rejected the token (HTTP {response.status_code}): "
            "`fluigbot auth set whatsapp`.",
            4,
        )
    if response.status_code >= 400:
        return Check(
            "provider",
            "fail",
            f"{name} answered HTTP {response.status_code} at {_host(url)}; check the [whatsapp] ids.",
            5,
        )
    detail = f"{name} at {_host(url)} accepted the credentials"
    state = _json(response).get("instance", {}) if name == "evolution" else {}
    if isinstance(state, dict) and state.get("state") not in (None, "open"):
        return Check("provider", "warn", f"{detail}, but the instance is {state.get('state')}.")
    return Check("provider", "ok", detail)


def _template(client: httpx.Client, url: str, headers: dict[str, str], settings: Settings) -> Check:
    name, language = settings.message.template, settings.message.language
    try:
        response = client.get(url, headers=headers, params={"name": name})
    except httpx.HTTPError as exc:
        return Check("template", "fail", f"could not list templates ({type(exc).__name__}).", 5)
    if response.status_code in (401, 403):
        return Check(
            "template", "fail", f"listing templates was refused (HTTP {response.status_code}).", 4
        )
    if response.status_code >= 400:
        return Check(
            "template", "fail", f"listing templates answered HTTP {response.status_code}.", 5
        )
    for item in _json(response).get("data", []) or []:
        if item.get("name") == name and item.get("language") in (language, None):
            status = str(item.get("status", "")).upper()
            if status == "APPROVED":
                return Check("template", "ok", f"{name} ({language}) is approved")
            return Check(
                "template", "fail", f"{name} ({language}) is {status or 'not approved'}.", 2
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

    path = (
        Path(settings.whatsapp.outbox_path).expanduser()
        if settings.whatsapp.outbox_path
        else default_outbox_path()
    )
    folder = path.parent
    if folder.exists() and not os.access(folder, os.W_OK):
        return Check("provider", "fail", f"outbox folder {folder} is not writable.", 2)
    return Check("provider", "ok", f"outbox writes to {path}")


def _json(response: httpx.Response) -> dict[str, Any]:
    try:
        data = response.json()
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def _host(url: str) -> str:
    return httpx.URL(url).host or url
