"""SMS through an HTTP provider, modelled on Brevo's (ex-Sendinblue) transactional SMS API.

What this follows, from Brevo's developer documentation:
- "Send transactional SMS" (https://developers.brevo.com/docs/transactional-sms-endpoints):
  ``POST {base}/v3/transactionalSMS/send`` with headers ``api-key`` and
  ``content-type: application/json``, body ``{sender, recipient, content, type,
  unicodeEnabled, tag, webUrl}``; the answer carries ``messageId``.
- Changelog "Deprecated endpoint: POST /v3/transactionalSMS/sms"
  (https://developers.brevo.com/changelog/deprecated-endpoint-post-v3transactionalsmssms):
  the older path still works and answers ``{reference, messageId, smsCount, usedCredits,
  remainingCredits}``; set ``SMS_HTTP_PATH`` to use it. Both answers are read.
- Model ``SendTransacSms`` (sendinblue/APIv3-php-library docs/Model/SendTransacSms.md):
  sender limited to 11 alphanumeric or 15 numeric characters, ``type`` "transactional" or
  "marketing", ``unicodeEnabled`` false by default.
- "Transactional webhooks", SMS events (https://developers.brevo.com/docs/
  transactional-webhooks): ``{id, to, sms_count, credits_used, messageId, remaining_credit,
  msg_status: sent|delivered|soft_bounce|hard_bounce, date, type, reference, ...}``.
Errors are ``{code, message}`` with 400 (bad parameter, e.g. an invalid number), 401 (API
key), 402 (not enough credit).

The connection is kept alive across a batch (http.client, no new dependency).
"""

from __future__ import annotations

import http.client
import json
import ssl
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Self
from urllib.parse import urlsplit

from beffroi.messaging.base import (
    EmailOut,
    Outcome,
    Receipt,
    ReceiptStatus,
    SmsOut,
    Throttle,
    Transport,
    TransportError,
)
from beffroi.messaging.sms import is_gsm7
from beffroi.messaging.throttle import shared_throttle

__all__ = ["HttpSmsConfig", "HttpSmsTransport", "parse_http_sms_webhook"]

DEFAULT_PATH = "/v3/transactionalSMS/send"


@dataclass(frozen=True)
class HttpSmsConfig:
    base_url: str
    api_key: str
    sender: str
    path: str = DEFAULT_PATH
    timeout: float = 10.0
    webhook_url: str = ""  # our receipts endpoint, passed as webUrl
    tag: str = "beffroi-alert"


class _ChannelDown(Exception):
    """The whole channel is unusable for this batch; carries the error for every message."""

    def __init__(self, error: TransportError) -> None:
        super().__init__(error.message)
        self.error = error


def _provider_message(body: bytes) -> str:
    try:
        data = json.loads(body)
    except ValueError:
        return body[:200].decode("utf-8", "replace")
    if isinstance(data, dict):
        code, message = data.get("code", ""), data.get("message", "")
        return f"{code}: {message}" if code else str(message)
    return str(data)[:200]


class HttpSmsTransport(Transport):
    channel = "sms"
    kind = "http_sms"

    def __init__(self, config: HttpSmsConfig, *, throttle: Throttle | None = None) -> None:
        parts = urlsplit(config.base_url)
        if parts.scheme not in {"http", "https"} or not parts.hostname:
            raise ValueError("SMS_HTTP_URL must be an http(s):// URL")
        self.config = config
        self.throttle = throttle or Throttle(0)
        self._scheme = parts.scheme
        self._host = parts.hostname
        self._port = parts.port
        self._prefix = parts.path.rstrip("/")
        self._conn: http.client.HTTPConnection | None = None
        self.connections_opened = 0

    @classmethod
    def from_settings(cls) -> Self:
        from django.conf import settings

        return cls(
            HttpSmsConfig(
                base_url=settings.SMS_HTTP_URL,
                api_key=settings.SMS_HTTP_API_KEY,
                sender=settings.SMS_HTTP_SENDER,
                path=settings.SMS_HTTP_PATH,
                timeout=settings.SMS_HTTP_TIMEOUT,
                webhook_url=settings.SMS_HTTP_WEBHOOK_URL,
            ),
            throttle=shared_throttle(cls.kind, settings.SMS_HTTP_MAX_PER_SECOND),
        )

    def _connect(self) -> http.client.HTTPConnection:
        conn: http.client.HTTPConnection
        if self._scheme == "https":
            conn = http.client.HTTPSConnection(
                self._host,
                self._port,
                timeout=self.config.timeout,
                context=ssl.create_default_context(),
            )
        else:
            conn = http.client.HTTPConnection(self._host, self._port, timeout=self.config.timeout)
        self._conn = conn
        self.connections_opened += 1
        return conn

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def _post(self, body: bytes) -> tuple[int, bytes]:
        headers = {
            "api-key": self.config.api_key,
            "content-type": "application/json",
            "accept": "application/json",
        }
        path = self._prefix + self.config.path
        for attempt in (1, 2):
            reused = self._conn is not None
            conn = self._conn or self._connect()
            try:
                conn.request("POST", path, body=body, headers=headers)
                response = conn.getresponse()
                data = response.read()
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError):
                self.close()
                # A kept-alive connection the provider closed while idle: retry once on a
                # fresh one. A fresh connection failing like this means the provider is down.
                if reused and attempt == 1:
                    continue
                raise
            except BaseException:
                self.close()
                raise
            if response.will_close:
                self.close()
            return response.status, data
        raise AssertionError("unreachable")

    def _send_one(self, out: SmsOut) -> Outcome:
        recipient = out.to.strip().removeprefix("+")
        if not recipient.isdigit() or not 6 <= len(recipient) <= 15:
            error = TransportError(
                f"Unsendable SMS: {out.to!r} is not an E.164 number", permanent=True
            )
            return Outcome(out.key, None, error)
        payload: dict[str, Any] = {
            "sender": out.sender or self.config.sender,
            "recipient": recipient,
            "content": out.text,
            "type": "transactional",
            "unicodeEnabled": not is_gsm7(out.text),
            "tag": self.config.tag,
        }
        if self.config.webhook_url:
            payload["webUrl"] = self.config.webhook_url
        self.throttle.wait()
        try:
            status, data = self._post(json.dumps(payload).encode())
        except TimeoutError as exc:
            # The provider may have taken the message; it is resent later (a duplicate is the
            # lesser harm) and the batch stops instead of waiting a timeout per message.
            raise _ChannelDown(
                TransportError(f"SMS provider timed out after {self.config.timeout:g} s")
            ) from exc
        except (OSError, http.client.HTTPException) as exc:
            raise _ChannelDown(TransportError(f"SMS provider unreachable: {exc!r}")) from exc
        detail = _provider_message(data)
        if status in (200, 201, 202):
            try:
                message_id = json.loads(data)["messageId"]
            except (ValueError, KeyError, TypeError):
                return Outcome(
                    out.key,
                    None,
                    TransportError(f"SMS provider answered {status} without messageId"),
                )
            return Outcome(out.key, str(message_id), None)
        if status == 400:
            return Outcome(
                out.key,
                None,
                TransportError(f"SMS provider refused (400) {detail}", permanent=True),
            )
        if status in (401, 403):
            raise _ChannelDown(
                TransportError(
                    f"SMS CHANNEL DOWN: the provider rejects our API key ({status} {detail}); "
                    "check SMS_HTTP_API_KEY. No SMS can be sent until it is fixed."
                )
            )
        if status == 402:
            raise _ChannelDown(
                TransportError(
                    f"SMS CHANNEL DOWN: the provider account is out of credit (402 {detail}); "
                    "buy SMS credit. No SMS can be sent until it is topped up."
                )
            )
        if status == 404:
            raise _ChannelDown(
                TransportError(
                    "SMS provider endpoint not found (404): check SMS_HTTP_URL and SMS_HTTP_PATH"
                )
            )
        if status == 429:
            raise _ChannelDown(TransportError(f"SMS provider rate limit (429) {detail}"))
        if status >= 500:
            return Outcome(out.key, None, TransportError(f"SMS provider error {status} {detail}"))
        return Outcome(
            out.key,
            None,
            TransportError(f"SMS provider refused ({status}) {detail}", permanent=True),
        )

    def send_many(self, messages: Sequence[EmailOut] | Sequence[SmsOut]) -> list[Outcome]:
        outcomes: list[Outcome] = []
        down: TransportError | None = None
        for out in messages:
            if not isinstance(out, SmsOut):
                raise TypeError(f"HttpSmsTransport sends SmsOut, got {type(out).__name__}")
            if down is not None:
                outcomes.append(Outcome(out.key, None, down))
                continue
            try:
                outcomes.append(self._send_one(out))
            except _ChannelDown as exc:
                down = exc.error
                outcomes.append(Outcome(out.key, None, down))
        return outcomes


_WEBHOOK_STATUS: dict[str, ReceiptStatus] = {
    "sent": "pending",
    "accepted": "pending",
    "delivered": "delivered",
    "soft_bounce": "failed",
    "softbounce": "failed",
    "hard_bounce": "failed",
    "hardbounce": "failed",
    "rejected": "failed",
    "skip": "failed",
}


def parse_http_sms_webhook(payload: Mapping[str, Any]) -> Receipt | None:
    """A receipt from the provider's delivery webhook, or None for other events (replies,
    unsubscriptions) and payloads without a message id."""
    message_id = payload.get("messageId") or payload.get("message_id")
    raw_status = payload.get("msg_status") or payload.get("event") or payload.get("status")
    if message_id in (None, "") or not isinstance(raw_status, str):
        return None
    status = _WEBHOOK_STATUS.get(raw_status.strip().lower().replace("-", "_"))
    if status is None:
        return None
    done_at: datetime | None = None
    ts = payload.get("ts_event") or payload.get("ts")
    if isinstance(ts, int | float) and not isinstance(ts, bool):
        # ts_epoch is in milliseconds, ts_event in seconds; both UTC.
        done_at = datetime.fromtimestamp(ts / 1000 if ts > 10**11 else ts, tz=UTC)
    else:
        date = payload.get("date")
        if isinstance(date, str):
            try:
                parsed = datetime.fromisoformat(date.replace("Z", "+00:00"))
            except ValueError:
                parsed = None
            # Brevo's "date" is Paris time without an offset; only trust an explicit one.
            if parsed is not None and parsed.tzinfo is not None:
                done_at = parsed
    error = ""
    if status == "failed":
        error = str(payload.get("reason") or payload.get("error") or raw_status)
    return Receipt(provider_id=str(message_id), status=status, error_code=error, done_at=done_at)
