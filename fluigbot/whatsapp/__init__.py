"""WhatsApp providers behind one small interface (see base.py), and the factory that picks one."""

from __future__ import annotations

import httpx

from fluigbot.errors import ConfigError, CredentialError
from fluigbot.whatsapp.base import (
    ErrorClass,
    HttpRequest,
    Message,
    Provider,
    ProviderConfig,
    SendResult,
    compose,
    stop_error,
)

PROVIDERS = ("cloud", "twilio", "evolution", "outbox")
TOKEN_VARIABLE = "FLUIGBOT_WHATSAPP_TOKEN"

__all__ = [
    "PROVIDERS",
    "ErrorClass",
    "HttpRequest",
    "Message",
    "Provider",
    "ProviderConfig",
    "SendResult",
    "compose",
    "make_provider",
    "required_keys",
    "stop_error",
]


def required_keys(cfg: ProviderConfig) -> list[str]:
    """The ``[whatsapp]`` keys this provider needs that the config leaves empty."""
    missing: list[str] = []
    if cfg.provider == "cloud" and not cfg.phone_number_id:
        missing.append("whatsapp.phone_number_id")
    if cfg.provider == "twilio":
        if not cfg.account_sid:
            missing.append("whatsapp.account_sid")
        if not (cfg.from_number or cfg.messaging_service_sid):
            missing.append("whatsapp.from_number (or whatsapp.messaging_service_sid)")
    if cfg.provider == "evolution":
        if not cfg.base_url:
            missing.append("whatsapp.base_url")
        if not cfg.instance:
            missing.append("whatsapp.instance")
    return missing


def make_provider(
    cfg: ProviderConfig,
    token: str | None,
    *,
    client: httpx.AsyncClient | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
) -> Provider:
    """Build the configured provider. A given `client` is used as is and not closed by aclose().

    Raises ConfigError (exit 2) for an unknown provider or a missing key, and CredentialError
    (exit 3) when an HTTP provider has no token.
    """
    if cfg.provider not in PROVIDERS:
        raise ConfigError(
            f"whatsapp.provider: unknown provider {cfg.provider!r}",
            hint=f"Use one of: {', '.join(PROVIDERS)}.",
            problems=[f"whatsapp.provider: unknown provider {cfg.provider!r}"],
        )
    if cfg.provider == "outbox":
        from fluigbot.whatsapp.outbox import OutboxProvider

        return OutboxProvider(cfg)
    missing = required_keys(cfg)
    if missing:
        problems = [f"{key}: required for provider {cfg.provider!r}" for key in missing]
        raise ConfigError(problems[0], problems=problems)
    if not token:
        raise CredentialError(
            f"No WhatsApp token for provider {cfg.provider!r}.",
            hint=f"Set {TOKEN_VARIABLE} or run `fluigbot auth set whatsapp`.",
        )
    if cfg.provider == "cloud":
        from fluigbot.whatsapp.cloud import CloudProvider

        return CloudProvider(cfg, token, client=client, transport=transport)
    if cfg.provider == "twilio":
        from fluigbot.whatsapp.twilio import TwilioProvider

        return TwilioProvider(cfg, token, client=client, transport=transport)
    from fluigbot.whatsapp.evolution import EvolutionProvider

    return EvolutionProvider(cfg, token, client=client, transport=transport)
