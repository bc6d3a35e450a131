"""`fluigbot demo` and `fluigbot sandbox`: the real commands against the simulators.

The demo runs the CLI's own fetch, preview, send, history and retry in-process: nothing but the far
ends is simulated. Secrets go through the environment only (never the OS keyring), the state
dir and config are temporary, and everything is cleaned up.
"""

from __future__ import annotations

import os
import secrets
import tempfile
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import tomli_w

from fluigbot.demo import sample as demo_sample
from fluigbot.demo.cloud_sim import CloudSimulator
from fluigbot.demo.fluig_sim import FluigSimulator


def e164(typed: str) -> str:
    digits = "".join(ch for ch in typed if ch.isdigit())
    return f"+55{digits}"


@dataclass
class Simulators:
    fluig: FluigSimulator
    cloud: CloudSimulator

    def config(self, *, outbox: Path | None = None) -> dict[str, Any]:
        return {
            "fluig": {
                "base_url": self.fluig.url,
                "source": "api",
                "process_ids": [demo_sample.PROCESS_ID],
                "fields": {"phone": ["telefone"], "name": "nome_solicitante"},
                "writeback": {"mode": "observation"},
            },
            "whatsapp": {
                "provider": "cloud",
                "base_url": self.cloud.url,
                "phone_number_id": demo_sample.PHONE_NUMBER_ID,
                "waba_id": self.cloud.waba_id,
            },
            "message": {
                "template": "primeiro_contato",
                "language": "pt_BR",
                "parameters": ["nome", "numero"],
            },
            "send": {
                "quiet_hours": False,
                "rate_per_second": 40,
                "concurrency": 8,
                "cooldown_hours": 0,
            },
        }

    def env(self) -> dict[str, str]:
        ck, cs, at, ts = self.fluig.credentials
        return {
            "FLUIGBOT_FLUIG_CONSUMER_KEY": ck,
            "FLUIGBOT_FLUIG_CONSUMER_SECRET": cs,
            "FLUIGBOT_FLUIG_ACCESS_TOKEN": at,
            "FLUIGBOT_FLUIG_TOKEN_SECRET": ts,
            "FLUIGBOT_WHATSAPP_TOKEN": demo_sample.TOKEN,
        }


@contextmanager
def simulators(*, port: int = 0, count: int = 36) -> Iterator[Simulators]:
    data = demo_sample.sample(count)
    with ExitStack() as stack:
        fluig = stack.enter_context(FluigSimulator(data.items, port=port))
        cloud = stack.enter_context(
            CloudSimulator(
                token=demo_sample.TOKEN,
                phone_number_id=demo_sample.PHONE_NUMBER_ID,
                old_accounts=[e164(n) for n in data.old_accounts],
                port=port + 1 if port else 0,
                latency=0.02,
            )
        )
        cloud.fail(e164(demo_sample.FAILS_ONCE), 131000, times=1)
        cloud.fail(e164(demo_sample.UNDELIVERABLE), 131026)
        yield Simulators(fluig, cloud)


@contextmanager
def environment(values: dict[str, str]) -> Iterator[None]:
    saved = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def write_config(path: Path, data: dict[str, Any]) -> None:
    from fluigbot.config_file import write_private

    write_private(path, tomli_w.dumps(data))


Step = Callable[[list[str]], int]


def run_demo(invoke: Step, narrate: Callable[[str], None]) -> int:
    """The story, step by step; `invoke(args)` runs one fluigbot command and returns its exit."""
    with tempfile.TemporaryDirectory(prefix="fluigbot-demo-") as tmp, simulators() as sims:
        root = Path(tmp)
        write_config(root / "config.toml", sims.config())
        env = sims.env() | {
            "FLUIGBOT_CONFIG": str(root / "config.toml"),
            "FLUIGBOT_STATE_DIR": str(root / "state"),
            "FLUIGBOT_JOURNAL_KEY": secrets.token_urlsafe(48),
        }
        with environment(env):
            narrate(
                f"Fluig simulator at {sims.fluig.url}, Cloud API simulator at {sims.cloud.url}; "
                f"state in {root} (removed at the end)."
            )
            steps = [
                ("1/6 fetch: read the open requests, normalize phones, record them", ["fetch"]),
                (
                    "2/6 preview: exactly what send would send (nothing leaves)",
                    ["preview", "--limit", "8"],
                ),
                (
                    "3/6 send: one template message each, at most once; marks written back to Fluig",
                    ["send", "--yes"],
                ),
                (
                    "4/6 history: what did not go out, and why (the journal, newest first)",
                    ["history", "--status", "failed", "--status", "dead", "--status", "skipped"],
                ),
                (
                    "5/6 retry --all: the failed one again, without waiting for its backoff",
                    ["retry", "--all", "--yes"],
                ),
                ("6/6 send again: nothing left to send, nobody messaged twice", ["send", "--yes"]),
            ]
            codes = []
            for title, args in steps:
                narrate(f"\n── {title}\n$ fluigbot {' '.join(args)}")
                code = invoke(args)
                codes.append(code)
                if code == 6:
                    narrate("(exit 6, as expected: one number fails once, one is undeliverable)")
            delivered = [r for r in sims.cloud.received if r.delivered]
            per_number: dict[str, int] = {}
            for r in delivered:
                per_number[r.to] = per_number.get(r.to, 0) + 1
            twice = [n for n, c in per_number.items() if c > 1]
            narrate(
                f"\ndemo finished: {len(delivered)} messages delivered to {len(per_number)} numbers "
                f"({'nobody twice' if not twice else f'{len(twice)} numbers TWICE'}), "
                f"{len(sims.fluig.observations)} marks written back to Fluig; exit codes "
                f"{' '.join(str(c) for c in codes)}."
            )
            unexpected = [c for c in codes if c not in (0, 6)]
            return 1 if twice or unexpected else 0


def sandbox_dir() -> Path:
    """A state and config dir of the sandbox's own: a rehearsal never touches the real journal."""
    import platformdirs

    return platformdirs.user_state_path("fluigbot-sandbox")


def serve_sandbox(*, port: int, say: Callable[[str], None], out: Callable[[str], None]) -> None:
    import threading

    folder = sandbox_dir()
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    with simulators(port=port) as sims:
        config = folder / "config.toml"
        write_config(config, sims.config())
        env = sims.env() | {
            "FLUIGBOT_CONFIG": str(config),
            "FLUIGBOT_STATE_DIR": str(folder / "state"),
            "FLUIGBOT_JOURNAL_KEY": _sandbox_key(folder),
        }
        env_file = folder / "sandbox.env"
        from fluigbot.config_file import write_private

        write_private(env_file, "".join(f"{k}={v}\n" for k, v in sorted(env.items())))
        say(
            f"Fluig simulator:     {sims.fluig.url}  ({len(sims.fluig.listing_calls)} calls so far)"
        )
        say(f"Cloud API simulator: {sims.cloud.url}")
        say(f"Config: {config} (throwaway secrets in {env_file}, never in the OS keyring)")
        say("In another terminal, rehearse with:")
        out(f"set -a; . {env_file}; set +a; fluigbot fetch && fluigbot preview")
        say("Press Ctrl-C to stop.")
        try:
            threading.Event().wait()
        except KeyboardInterrupt:
            say(
                f"\nsandbox stopped: {len(sims.cloud.received)} messages received, "
                f"{len(sims.fluig.observations)} marks written."
            )


def _sandbox_key(folder: Path) -> str:
    """The sandbox journal's key, kept beside it (it guards only simulated data)."""
    path = folder / "journal.key"
    if path.exists():
        return path.read_text().strip()
    from fluigbot.config_file import write_private

    key = secrets.token_urlsafe(48)
    write_private(path, key + "\n")
    return key
