"""What `preview`, `send` and `retry` would do, decided before anything leaves: the plan.

For each selected journal entry: its rendered message (the template of its process, filled from
the entry) and its policy decision (send, hold or skip) at one instant. Every template problem is
a TemplateError (exit 2) raised here, before the first claim, so one bad template is never sent
to anyone. Reads the journal; writes nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Literal

from fluigbot.config import MessageSettings, Settings
from fluigbot.policy import Decision, QuietHours, Window, decide
from fluigbot.templates import TemplateSpec, build_variables, needs_description
from fluigbot.whatsapp.base import Message, compose

if TYPE_CHECKING:
    from fluigbot.journal import Entry, Journal

Mode = Literal["send", "retry"]
Action = Literal["send", "hold", "skip"]


def utcnow() -> datetime:
    """The clock. Tests replace it (monkeypatch) to stand at a fixed instant."""
    return datetime.now(UTC)


@dataclass(frozen=True)
class Selection:
    """Which entries a run looks at. `send`: pending; `retry`: failed that are due (`all_due`:
    every failed), plus dead and unknown with `force`."""

    mode: Mode = "send"
    request_ids: tuple[str, ...] = ()
    limit: int | None = None  # at most this many messages to send (held/skipped not counted)
    all_due: bool = False
    force: bool = False
    ignore_quiet_hours: bool = False


@dataclass(frozen=True)
class PlanItem:
    entry: Entry
    message: Message | None  # None only for an entry without a usable phone (skipped)
    action: Action
    reason: str | None = None  # why held or skipped
    until: datetime | None = None  # when a hold ends

    @property
    def key(self) -> tuple[str, str]:
        return self.entry.key


@dataclass
class Plan:
    now: datetime
    items: list[PlanItem] = field(default_factory=list)

    def with_action(self, action: Action) -> list[PlanItem]:
        return [i for i in self.items if i.action == action]

    @property
    def to_send(self) -> list[PlanItem]:
        return self.with_action("send")

    @property
    def held(self) -> list[PlanItem]:
        return self.with_action("hold")

    @property
    def skipped(self) -> list[PlanItem]:
        return self.with_action("skip")


def template_spec(message: MessageSettings) -> TemplateSpec:
    return TemplateSpec(
        name=message.template,
        language=message.language,
        body=message.body,
        parameters=message.parameters,
        parameter_format="named" if message.parameter_format == "named" else "positional",
    )


class Composer:
    """Renders each entry's message with its process's template, validating each template once."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._specs: dict[str, TemplateSpec] = {}
        window = settings.send.window
        self._zone = str(window.get("timezone") or "America/Sao_Paulo")

    def spec(self, process_id: str) -> TemplateSpec:
        spec = self._specs.get(process_id)
        if spec is None:
            overridden = process_id in self.settings.processes and (
                self.settings.processes[process_id].message is not None
            )
            spec = template_spec(self.settings.message_for(process_id))
            spec.validate(where=f"process.{process_id}.message" if overridden else None)
            self._specs[process_id] = spec
        return spec

    def compose(self, entry: Entry) -> Message | None:
        if not entry.phone:
            return None
        spec = self.spec(entry.process_id)
        wants_description = needs_description(spec.body, spec.parameters)
        variables = build_variables(
            _RequestView(entry.request_id, entry.process_id, entry.name, entry.start_date),
            name=entry.name,
            description=(entry.description or "") if wants_description else None,
            timezone=self._zone,
        )
        return compose(spec, variables, key=entry.key, to=entry.phone)


@dataclass
class _RequestView:
    """What build_variables reads, taken from a journal entry."""

    request_id: str
    process_id: str
    requester_name: str | None
    start_date: datetime | None


def quiet_hours(settings: Settings) -> QuietHours:
    # The config loader keeps string lists as tuples; Window.from_config wants TOML's lists.
    table = {k: list(v) if isinstance(v, tuple) else v for k, v in settings.send.window.items()}
    return QuietHours(Window.from_config(table), enabled=settings.send.quiet_hours)


def now() -> datetime:
    """utcnow, looked up at call time (so a test's replacement is seen everywhere)."""
    return utcnow()


def select(journal: Journal, sel: Selection, now: datetime) -> list[Entry]:
    """The entries a run considers, oldest first."""
    ids = list(sel.request_ids)
    if sel.mode == "send":
        found = list(journal.select(statuses=["pending"], request_ids=ids, limit=None))
    else:
        found = list(
            journal.select(
                statuses=["failed"],
                request_ids=ids,
                limit=None,
                due_before=None if sel.all_due else now,
            )
        )
        if sel.force:
            found += journal.select(statuses=["dead", "unknown"], request_ids=ids, limit=None)
    unique = {e.key: e for e in found}
    return sorted(unique.values(), key=lambda e: (e.created_at, _number(e.request_id), e.key))


def _number(request_id: str) -> int:
    try:
        return int(request_id)
    except ValueError:
        return 0


def make_plan(
    journal: Journal,
    settings: Settings,
    sel: Selection,
    *,
    now: datetime | None = None,
    entries: Iterable[Entry] | None = None,
) -> Plan:
    """Decide every selected entry at `now` (default: the clock). Raises TemplateError before
    anything is sent when a template of any selected process is wrong."""
    at = now if now is not None else utcnow()
    chosen = list(entries) if entries is not None else select(journal, sel, at)
    composer = Composer(settings)
    quiet = quiet_hours(settings)
    cooldown = timedelta(hours=settings.send.cooldown_hours)
    plan = Plan(now=at)
    planned_phones: set[str] = set()
    sending = 0
    for entry in chosen:
        message = composer.compose(entry)  # TemplateError here: nothing has been sent yet
        if message is None:
            plan.items.append(PlanItem(entry, None, "skip", entry.reason or "no_phone"))
            continue
        decision = decide(
            now=at,
            quiet=quiet,
            ignore_quiet_hours=sel.ignore_quiet_hours,
            opted_out=journal.is_opted_out(message.to, entry.wa_id),
            consent_field="",  # consent and the Fluig marker were checked at fetch (skipped)
            consent_value=None,
            already_contacted=False,
            last_contact=journal.last_contact(message.to) if cooldown else None,
            cooldown=cooldown,
        )
        phone = _line(message.to)
        if decision.action == "send" and phone in planned_phones and cooldown > timedelta(0):
            # Another request of this run goes to the same number first.
            decision = Decision("hold", "cooldown (another request to this number goes first)")
        if decision.action == "send":
            if sel.limit is not None and sending >= sel.limit:
                continue
            sending += 1
            planned_phones.add(phone)
        plan.items.append(
            PlanItem(entry, message, decision.action, decision.reason, decision.until)
        )
    return plan


def _line(e164: str) -> str:
    """One key per phone line (the 12- and 13-digit Brazilian forms are the same person)."""
    from fluigbot.journal.numbers import canonical

    try:
        return canonical(e164)
    except ValueError:
        return e164


def still_allowed(quiet: QuietHours, now: datetime, *, ignore_quiet_hours: bool) -> str | None:
    """Re-checked before each claim batch: a window that closes mid-run holds the rest."""
    if ignore_quiet_hours:
        return None
    return quiet.reason(now)


def keys_of(items: Sequence[PlanItem]) -> list[tuple[str, str]]:
    return [i.key for i in items]


Clock = Callable[[], datetime]
