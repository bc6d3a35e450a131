"""Factories that turn settings and secrets into the clients the core uses.

The one place that knows both the config's shape and the clients' constructors; tests build the
clients directly, with an injected transport.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from fluigbot.config import Settings
from fluigbot.errors import ConfigError
from fluigbot.secrets import FLUIG, WHATSAPP, Secrets

if TYPE_CHECKING:
    import httpx

    from fluigbot.fluig.client import FluigClient
    from fluigbot.whatsapp.base import Provider


def fluig_client(
    settings: Settings, secrets: Secrets, *, transport: httpx.BaseTransport | None = None
) -> FluigClient:
    from fluigbot.fluig.auth import FluigCredentials
    from fluigbot.fluig.client import FluigClient

    if not settings.fluig.base_url:
        raise ConfigError(
            f"fluig.base_url is not set in {settings.path}.",
            hint="Set it, or read an export file with `fluigbot fetch --from FILE`.",
        )
    values = secrets.require(FLUIG)
    creds = FluigCredentials(*(values[name] for name in FLUIG))
    return FluigClient(
        settings.fluig.base_url,
        creds,
        transport=transport,
        timeout=settings.fluig.timeout,
        ca_bundle=settings.fluig.ca_bundle or None,
    )


def provider(
    settings: Settings,
    secrets: Secrets,
    *,
    transport: httpx.AsyncBaseTransport | None = None,
) -> Provider:
    from fluigbot.whatsapp import make_provider, required_keys

    cfg = settings.whatsapp
    missing = required_keys(cfg)
    if missing:
        raise ConfigError(
            f"{', '.join(missing)} must be set for provider {cfg.provider} in {settings.path}."
        )
    token = None if cfg.provider == "outbox" else secrets.require(WHATSAPP)[WHATSAPP[0]]
    return make_provider(cfg, token, transport=transport)
