"""`doctor`: one check per line, ok / warn / fail with what to do; the exit code of the worst.

Each check is a small function returning Check records; the HTTP ones take injected transports
so tests point them at the simulators.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fluigbot.config import Settings
from fluigbot.errors import (
    AuthRejected,
    ConfigError,
    CredentialError,
    FluigbotError,
    RemoteError,
)
from fluigbot.secrets import FLUIG, JOURNAL, WHATSAPP, Secrets

if TYPE_CHECKING:
    import httpx


@dataclass(frozen=True)
class Check:
    name: str
    status: str  # ok | warn | fail
    detail: str
    exit_code: int = 0  # for a failure: the exit code of its error class

    def to_json(self) -> dict[str, Any]:
        return {"check": self.name, "status": self.status, "detail": self.detail}


def _fail(name: str, exc: FluigbotError) -> Check:
    return Check(name, "fail", str(exc), exc.exit_code)


def check_config(settings: Settings) -> Iterator[Check]:
    from fluigbot.config_file import deep_check

    if not settings.exists:
        yield Check(
            "config",
            "fail",
            f"no config at {settings.path}: write one with `fluigbot config init`.",
            2,
        )
        return
    try:
        deep_check(settings)
    except ConfigError as exc:
        yield _fail("config", exc)
        return
    for warning in settings.warnings:
        yield Check("config", "warn", warning)
    yield Check("config", "ok", str(settings.path))
    if settings.whatsapp.provider == "evolution":
        yield Check(
            "provider",
            "warn",
            "Evolution is an unofficial WhatsApp Web gateway: Meta may ban the number; "
            "the Cloud API is the supported way.",
        )
    if settings.whatsapp.provider == "outbox":
        yield Check(
            "provider",
            "warn",
            "provider is outbox: messages are written to a file for review, and sent to no one.",
        )


def check_keyring(secrets: Secrets) -> Iterator[Check]:
    try:
        usable = secrets.keyring.usable()
        name = secrets.keyring.backend_name()
    except CredentialError as exc:
        yield Check("keyring", "warn", f"{exc}; the FLUIGBOT_* variables still work.")
        return
    if usable:
        yield Check("keyring", "ok", name)
    else:
        yield Check(
            "keyring",
            "warn",
            f"no usable OS keyring ({name}); set the FLUIGBOT_* environment variables instead.",
        )


def check_secrets(settings: Settings, secrets: Secrets, state_dir: Path) -> Iterator[Check]:
    from fluigbot.credentials import journal_exists, needed

    need = needed(settings)
    for group, names in (("fluig", FLUIG), ("whatsapp", WHATSAPP)):
        wanted = [n for n in names if n in need]
        if not wanted:
            continue
        missing, origins = _lookup(secrets, wanted)
        if missing:
            yield Check(
                f"credentials {group}",
                "fail",
                f"missing {', '.join(missing)}: `fluigbot auth set {group}` or the environment.",
                3,
            )
        else:
            yield Check(f"credentials {group}", "ok", ", ".join(sorted(set(origins))))
    missing, origins = _lookup(secrets, list(JOURNAL))
    if not missing:
        yield Check("journal key", "ok", origins[0])
    elif journal_exists(state_dir):
        yield Check(
            "journal key",
            "fail",
            "the journal exists but its key is missing: restore it with "
            "`fluigbot auth set journal --stdin` or FLUIGBOT_JOURNAL_KEY.",
            3,
        )
    else:
        yield Check("journal key", "warn", "none yet: one is made (and announced) on first use.")


def _lookup(secrets: Secrets, names: list[str]) -> tuple[list[str], list[str]]:
    missing: list[str] = []
    origins: list[str] = []
    for name in names:
        try:
            found = secrets.find(name)
        except CredentialError:
            found = secrets.find(name, use_keyring=False)
        if found.value is None:
            missing.append(name)
        else:
            origins.append(found.origin)
    return missing, origins


def check_fluig(
    settings: Settings, secrets: Secrets, *, transport: httpx.BaseTransport | None = None
) -> Iterator[Check]:
    """A cheap signed GET: one item of the listing. Proves reachability and the OAuth keys."""
    if settings.fluig.source == "file":
        yield Check("fluig", "ok", "source is an export file: no server to reach.")
        return
    from fluigbot import connect
    from fluigbot.fluig.requests import REQUESTS_PATH

    try:
        client = connect.fluig_client(settings, secrets, transport=transport)
    except FluigbotError as exc:
        yield _fail("fluig", exc)
        return
    try:
        params: dict[str, Any] = {"pageSize": 1, "page": 1}
        if settings.fluig.process_ids:
            params["processId"] = list(settings.fluig.process_ids)
        if settings.fluig.source == "dataset":
            from fluigbot.fluig.datasets import DATASETS_PATH

            client.post_json(
                DATASETS_PATH,
                {"name": settings.fluig.dataset.name, "fields": None, "constraints": None},
                context="doctor",
            )
        else:
            client.get_json(REQUESTS_PATH, params, context="doctor")
        yield Check(
            "fluig", "ok", f"{settings.fluig.base_url} answered and accepted the OAuth keys"
        )
    except (AuthRejected, RemoteError) as exc:
        yield _fail("fluig", exc)
    finally:
        client.close()


def check_provider(
    settings: Settings,
    secrets: Secrets,
    *,
    transport: httpx.AsyncBaseTransport | None = None,
) -> Iterator[Check]:
    from fluigbot.doctor_provider import provider_checks

    yield from provider_checks(settings, secrets, transport=transport)


def run_all(
    settings: Settings,
    secrets: Secrets,
    state_dir: Path,
    *,
    fluig_transport: httpx.BaseTransport | None = None,
    provider_transport: httpx.AsyncBaseTransport | None = None,
    on_check: Callable[[Check], None] | None = None,
) -> list[Check]:
    checks: list[Check] = []

    def add(items: Iterator[Check]) -> None:
        for c in items:
            checks.append(c)
            if on_check:
                on_check(c)

    add(check_config(settings))
    add(check_keyring(secrets))
    if settings.exists:  # what is needed depends on the config
        add(check_secrets(settings, secrets, state_dir))
        add(check_fluig(settings, secrets, transport=fluig_transport))
        add(check_provider(settings, secrets, transport=provider_transport))
    return checks


def worst_exit(checks: list[Check]) -> int:
    """The exit code of the worst failure (the highest code), 0 when none failed."""
    return max((c.exit_code for c in checks if c.status == "fail"), default=0)
