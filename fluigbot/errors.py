"""The error tree. Every expected failure is one of these; the CLI maps the class to an exit code.

    FluigbotError                  exit 1  (a bug, when nothing more specific applies)
    ├── UsageError                 exit 2  bad option, refused or missing confirmation
    │   ├── ConfigError            exit 2  config file missing, unreadable or invalid
    │   ├── TemplateError          exit 2  template variables, parameters, empty render
    │   ├── JournalError           exit 2  corrupt or hand-broken journal file, busy lock
    │   └── ProviderStop           exit 2  the provider refused the template or the account
    ├── CredentialError            exit 3  a secret is missing or the keyring cannot be used
    │   └── JournalKeyError        exit 3  the journal was written with another key
    ├── AuthRejected               exit 4  Fluig or the provider rejected the credentials
    ├── RemoteError                exit 5  unreachable, or answered something unexpected
    │   └── FluigLoginPage         exit 4  (an HTML login page served with 200: credentials)
    ├── SendFailures               exit 6  at least one message ended failed, dead or unknown
    └── Interrupted                exit 130 Ctrl-C

Messages are one line that names the problem and what to do. They must never hold a phone
number, a name or a secret: they reach stderr and logs.
"""

from __future__ import annotations

from typing import Any


class FluigbotError(Exception):
    """Base of every expected fluigbot failure."""

    exit_code: int = 1

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __reduce__(self) -> tuple[Any, ...]:
        # Crosses a process boundary (readahead) whatever a subclass's __init__ asks for.
        return (_restore, (type(self), dict(self.__dict__)))

    def __str__(self) -> str:
        if not self.hint:
            return self.message
        stop = "" if self.message.rstrip().endswith((".", "!", "?", ":")) else "."
        return f"{self.message}{stop} {self.hint}"


class UsageError(FluigbotError):
    exit_code = 2


class ConfigError(UsageError):
    """A config problem. `problems` holds every finding, each naming the dotted key."""

    def __init__(
        self, message: str, *, hint: str | None = None, problems: list[str] | None = None
    ) -> None:
        super().__init__(message, hint=hint)
        self.problems = problems or []


class TemplateError(UsageError):
    pass


class JournalError(UsageError):
    pass


class ProviderStop(UsageError):
    """The provider refused the template or the account: the batch stops, the rest stays pending."""


class CredentialError(FluigbotError):
    exit_code = 3


class JournalKeyError(CredentialError):
    pass


class AuthRejected(FluigbotError):
    exit_code = 4


class RemoteError(FluigbotError):
    exit_code = 5


class FluigLoginPage(RemoteError):
    """Fluig answered 200 with its HTML login page: the session or the credentials are not valid."""

    exit_code = 4


class SendFailures(FluigbotError):
    exit_code = 6


class Interrupted(FluigbotError):
    exit_code = 130


def _restore(cls: type[FluigbotError], state: dict[str, Any]) -> FluigbotError:
    exc = cls.__new__(cls)
    exc.args = (state.get("message", ""),)
    exc.__dict__.update(state)
    return exc
