"""Channel transports: the layer that hands one batch of messages to a gateway.

The pattern follows healthchecks' ``hc/api/transports.py``: one class per gateway kind, a
registry from kind to class, configuration read from settings, and a ``TransportError`` that
says whether retrying can help. Unlike healthchecks (one notification at a time), alerts go
out in batches of hundreds over one reused connection, so a transport returns one
``Outcome`` per message instead of raising: one resident's invalid number must never stop
the warning from reaching the next one.

Nothing here touches the database; the dispatch code maps outcomes to deliveries.
"""

from __future__ import annotations

import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from types import TracebackType
from typing import ClassVar, Literal, Self

__all__ = [
    "EmailOut",
    "ErrorKind",
    "Outcome",
    "Receipt",
    "SmsOut",
    "Throttle",
    "Transport",
    "TransportError",
    "error_kind",
]


class TransportError(Exception):
    """A message was not accepted by the gateway.

    ``permanent`` means retrying the same message cannot succeed (the address does not
    exist, the number is invalid); otherwise the caller retries later with backoff.
    """

    def __init__(self, message: str, *, permanent: bool = False) -> None:
        super().__init__(message)
        self.message = message
        self.permanent = permanent

    def __repr__(self) -> str:
        return f"TransportError({self.message!r}, permanent={self.permanent})"

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, TransportError)
            and other.message == self.message
            and other.permanent == self.permanent
        )

    def __hash__(self) -> int:
        return hash((self.message, self.permanent))


class ErrorKind(StrEnum):
    """What a gateway error means for the people sending an alert (the technical text says
    how it happened)."""

    UNREACHABLE = "unreachable"  # down, not answering, or closed the session: retried
    ACCOUNT = "account"  # our account or sender refused: nothing goes out until fixed
    THROTTLED = "throttled"  # over the contracted rate: retried more slowly
    REFUSED = "refused"  # this message or recipient refused: not retried
    OTHER = "other"


# Phrases of the error messages the transports of this package write, most telling first.
_KIND_MARKERS: tuple[tuple[ErrorKind, tuple[str, ...]], ...] = (
    (
        ErrorKind.ACCOUNT,
        ("check ALERT_EMAIL_URL", "check SMPP_URL", "SMPP bind refused", "account or sender"),
    ),
    (ErrorKind.THROTTLED, ("rate limit", "Throttling", "0x58")),
    (
        ErrorKind.UNREACHABLE,
        ("unavailable", "unreachable", "timed out", "no submit_sm_resp", "unbound the session"),
    ),
    (ErrorKind.REFUSED, ("Unsendable", "refused (", "SMTP 5", "Invalid")),
)


def error_kind(message: str) -> ErrorKind:
    """The kind of a ``TransportError`` message as written by this package's transports
    (stored as text on deliveries, so the kind is read back from it)."""
    for kind, markers in _KIND_MARKERS:
        if any(marker in message for marker in markers):
            return kind
    return ErrorKind.OTHER


@dataclass(frozen=True)
class EmailOut:
    key: str  # the delivery's identifier, echoed back in bounces
    to: str
    subject: str
    text: str
    html: str | None = None
    unsubscribe_url: str = ""
    unsubscribe_mailto: str = ""
    headers: Mapping[str, str] = field(default_factory=dict)
    # The display name of From ("Commune de Valmont"): residents recognise who warns them.
    # The address stays the transport's configured sender (SPF, DKIM and bounces rely on it).
    sender_name: str = ""
    # (file name, content, MIME type), e.g. an iCalendar invitation for a volunteer's slot.
    attachments: tuple[tuple[str, bytes, str], ...] = ()


@dataclass(frozen=True)
class SmsOut:
    key: str
    to: str  # E.164, "+33612345678"
    text: str
    sender: str = ""  # overrides the configured sender (alphanumeric, ≤ 11 characters)


@dataclass(frozen=True)
class Outcome:
    key: str
    provider_id: str | None
    error: TransportError | None

    @property
    def accepted(self) -> bool:
        return self.error is None


ReceiptStatus = Literal["delivered", "failed", "pending"]


@dataclass(frozen=True)
class Receipt:
    """A gateway's report on a message it accepted earlier (SMPP receipt or webhook)."""

    provider_id: str
    status: ReceiptStatus
    error_code: str = ""
    done_at: datetime | None = None


class Transport(ABC):
    channel: ClassVar[str]  # "email" | "sms"
    kind: ClassVar[str]  # "smtp" | "smpp" | "http_sms"

    @classmethod
    @abstractmethod
    def from_settings(cls) -> Self:
        """Build the transport from Django settings."""

    def open(self) -> None:  # noqa: B027 - optional hook, connectionless transports skip it
        """Open the connection(s). Must not raise for a gateway that is down: the batch
        then gets temporary errors from ``send_many``."""

    def close(self) -> None:  # noqa: B027 - optional hook
        """Close the connection(s); never raises."""

    def __enter__(self) -> Self:
        self.open()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    @abstractmethod
    def send_many(self, messages: Sequence[EmailOut] | Sequence[SmsOut]) -> list[Outcome]:
        """One ``Outcome`` per message, in the same order. Never raises for one bad message
        nor for a gateway that is down."""


class Throttle:
    """Paces calls to at most ``per_second`` a second (0 disables it), across threads.

    The contract with an SMS gateway caps the rate per account; going over it gets
    messages refused (ESME_RTHROTTLED) or the account suspended in the middle of a crisis.
    Shared by every connection of a process when passed to several transports; the
    transports built from settings use ``throttle.DatabaseThrottle``, shared by every process.
    """

    def __init__(self, per_second: float) -> None:
        self.interval = 1.0 / per_second if per_second > 0 else 0.0
        self._next = 0.0
        self._lock = threading.Lock()

    def wait(self) -> None:
        if not self.interval:
            return
        with self._lock:
            now = time.monotonic()
            slot = max(now, self._next)
            self._next = slot + self.interval
        delay = slot - now
        if delay > 0:
            time.sleep(delay)
