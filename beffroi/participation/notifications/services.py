"""Notifications: created here by every participation area, shown in the app, e-mailed at
once or in a digest according to each person's settings.

Decisions worth knowing:
- E-mails go out through the messaging layer's SMTP transport, the one alerts use
  (``ALERT_EMAIL_URL``, ``ALERT_EMAIL_FROM``), from the organisation's name, with a one-click
  unsubscribe link (``List-Unsubscribe`` and, over HTTPS, ``List-Unsubscribe-Post``, RFC
  8058) that sets the person's frequency to "never" without a login.
- Each notification leaves by e-mail at most once: ``emailed_at`` is set by a conditional
  claim before sending (two workers, or a task and the digest command, never both send it)
  and cleared again when the gateway refuses, so that the next run retries it. Nothing is
  held locked while talking to the SMTP server (SQLite has one writer for the whole site).
- Immediate e-mails are sent by a task enqueued after the commit of the ``notify`` that
  created them; digests by ``notifications_digests_send`` (command ``participation_digests``,
  run every hour or so): daily ones at ``PARTICIPATION_DIGEST_HOUR`` (local time), weekly
  ones on ``PARTICIPATION_DIGEST_WEEKDAY`` (0 = Monday) at that hour; the same run retries
  immediate e-mails left unsent. Running it twice sends nothing twice.
- Recipients: the account's address when verified, else the alerts registration's address
  when verified. Others see their notifications in the app only.
- Titles and bodies are plain text: the HTML part is rendered with autoescaping.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.tasks import task
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from beffroi.messaging.base import EmailOut
from beffroi.participation.models import Notification, NotificationSettings, Participant
from beffroi.participation.notifications.selectors import safe_path
from beffroi.territory.models import Organisation
from beffroi.territory.selectors import organisation_url

logger = logging.getLogger(__name__)

Frequency = NotificationSettings.Frequency

# At most this many notifications are written out in one e-mail; the rest are counted and
# waiting in the app (a digest is read, a list of 300 is not).
EMAIL_MAX_ITEMS = 50
# An immediate e-mail still unsent after this delay (worker down, gateway refusal) is sent
# by the next digest run.
IMMEDIATE_RETRY_AFTER = timedelta(minutes=10)


def notify(
    *,
    recipients: Iterable[Participant],
    kind: str,
    title: str,
    body: str = "",
    url: str = "",
    exclude: Participant | None = None,
) -> int:
    """One notification per recipient (each once, ``exclude`` — usually the person who
    acted — left out, erased people too). Plain text: escaped where shown. Returns how
    many were created.

    Those whose settings ask for e-mails at once are e-mailed by a task enqueued when the
    caller's transaction commits (nothing goes out for a rolled-back action)."""
    seen: set[int] = set()
    rows = []
    for participant in recipients:
        if participant.pk in seen or (exclude is not None and participant.pk == exclude.pk):
            continue
        if participant.erased_at is not None:
            continue
        seen.add(participant.pk)
        rows.append(
            Notification(
                organisation_id=participant.organisation_id,
                recipient=participant,
                kind=kind,
                title=title[:300],
                body=body,
                url=url[:300],
            )
        )
    created = Notification.objects.bulk_create(rows, batch_size=1000)
    if created:
        immediate = set(
            NotificationSettings.objects.filter(
                participant_id__in=seen, email_frequency=Frequency.IMMEDIATE
            ).values_list("participant_id", flat=True)
        )
        ids = [n.pk for n in created if n.recipient_id in immediate and n.pk is not None]
        if ids:
            transaction.on_commit(lambda: send_notification_emails.enqueue(notification_ids=ids))
    return len(rows)


# --- Reading and settings --------------------------------------------------------------------


def notification_mark_read(*, participant: Participant, notification_id: int) -> bool:
    """Mark one of ``participant``'s notifications read. False when it is not theirs (or
    does not exist): callers answer 404."""
    mine = Notification.objects.filter(pk=notification_id, recipient=participant)
    if not mine.exists():
        return False
    mine.filter(read_at__isnull=True).update(read_at=timezone.now())
    return True


def notifications_mark_all_read(*, participant: Participant) -> int:
    return Notification.objects.filter(recipient=participant, read_at__isnull=True).update(
        read_at=timezone.now()
    )


def notification_settings_of(participant: Participant) -> NotificationSettings:
    """The participant's settings row, created with the defaults on first use."""
    row, _created = NotificationSettings.objects.get_or_create(participant=participant)
    return row


def notification_settings_update(
    *, participant: Participant, email_frequency: str
) -> NotificationSettings:
    if email_frequency not in Frequency.values:
        raise ValidationError({"email_frequency": [_("Choose how often to receive e-mails.")]})
    with transaction.atomic():
        row = notification_settings_of(participant)
        row = NotificationSettings.objects.select_for_update().get(pk=row.pk)
        row.email_frequency = email_frequency
        row.save(update_fields=["email_frequency"])
    return row


def notifications_unsubscribe(*, organisation: Organisation, token: str) -> NotificationSettings:
    """The one-click unsubscribe (RFC 8058): no more e-mails for the person whose link
    carries ``token``. Raises ``ValidationError`` for an unknown token."""
    row = (
        NotificationSettings.objects.select_related("participant")
        .filter(unsubscribe_token=(token or "")[:64], participant__organisation=organisation)
        .first()
    )
    if row is None:
        raise ValidationError(_("This link is not valid."), code="invalid")
    NotificationSettings.objects.filter(pk=row.pk).update(email_frequency=Frequency.NEVER)
    row.email_frequency = Frequency.NEVER
    return row


# --- E-mail ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Recipient:
    email: str
    language: str


def email_recipient(participant: Participant) -> Recipient | None:
    """Where ``participant``'s e-mails go, if anywhere: the account's verified address, or
    the verified address of their alerts registration."""
    if participant.erased_at is not None:
        return None
    user = participant.user if participant.user_id is not None else None
    if user is not None:
        if user.is_active and user.erased_at is None and user.email_verified_at is not None:
            return Recipient(user.email, user.language or settings.LANGUAGE_CODE)
        return None
    subscriber = participant.subscriber if participant.subscriber_id is not None else None
    if (
        subscriber is not None
        and subscriber.email
        and subscriber.email_verified_at is not None
        and subscriber.unsubscribed_at is None
    ):
        return Recipient(subscriber.email, subscriber.language or settings.LANGUAGE_CODE)
    return None


def unsubscribe_url(row: NotificationSettings, organisation: Organisation) -> str:
    path = reverse("participation_notifications:unsubscribe", args=[row.unsubscribe_token])
    return organisation_url(organisation, path)


def _link(organisation: Organisation, url: str) -> str:
    """The absolute link of a notification: only paths of this site."""
    path = safe_path(url)
    return organisation_url(organisation, path) if path else ""


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _email_out(
    participant: Participant,
    recipient: Recipient,
    row: NotificationSettings,
    notifications: Sequence[Notification],
    *,
    key: str,
    digest: bool,
) -> EmailOut:
    organisation = participant.organisation
    items = [
        {
            "kind": n.get_kind_display(),
            "title": _one_line(n.title),
            "body": n.body,
            "link": _link(organisation, n.url),
            "created_at": n.created_at,
        }
        for n in notifications[:EMAIL_MAX_ITEMS]
    ]
    unsubscribe = unsubscribe_url(row, organisation)
    context = {
        "organisation": organisation,
        "items": items,
        "more": max(0, len(notifications) - EMAIL_MAX_ITEMS),
        "digest": digest,
        "frequency": row.get_email_frequency_display(),
        "list_url": organisation_url(organisation, reverse("participation_notifications:list")),
        "settings_url": organisation_url(
            organisation, reverse("participation_notifications:settings")
        ),
        "unsubscribe_url": unsubscribe,
    }
    with translation.override(recipient.language):
        if digest:
            subject = ngettext(
                "%(org)s: %(count)d new notification",
                "%(org)s: %(count)d new notifications",
                len(notifications),
            ) % {"org": organisation.name, "count": len(notifications)}
        else:
            subject = _("%(org)s: %(title)s") % {
                "org": organisation.name,
                "title": items[0]["title"],
            }
        text = render_to_string("participation/notifications/email/notifications.txt", context)
        html = render_to_string("participation/notifications/email/notifications.html", context)
    return EmailOut(
        key=key,
        to=recipient.email,
        subject=_one_line(subject)[:250],
        text=text,
        html=html,
        unsubscribe_url=unsubscribe,
        sender_name=organisation.name,
    )


def _send(messages: list[EmailOut]) -> dict[str, bool]:
    """Send through the shared SMTP transport; key → accepted."""
    from beffroi.messaging.registry import get_transport

    if not messages:
        return {}
    with get_transport("smtp") as transport:
        outcomes = transport.send_many(messages)
    result: dict[str, bool] = {}
    for outcome in outcomes:
        if outcome.error is not None:
            logger.warning("Notification e-mail %s not sent: %s", outcome.key, outcome.error)
        result[outcome.key] = outcome.error is None
    return result


def email_official_answer(*, proposal_id: int, to: str) -> bool:
    """E-mail the official answer of a proposal to the address a resident without an account
    gave on a paper form or on the phone (``Proposal.contact``): the one message they asked
    for, so no unsubscribe link. True if the SMTP server accepted it."""
    from beffroi.participation.models import Proposal
    from beffroi.participation.richtext import plain_text

    proposal = Proposal.objects.select_related("organisation").filter(pk=proposal_id).first()
    if proposal is None or not proposal.answer:
        return False
    organisation = proposal.organisation
    link = organisation_url(
        organisation, reverse("participation_proposals:detail", args=[proposal.pk])
    )
    with translation.override(settings.LANGUAGE_CODE):
        answer = str(Proposal.Answer(proposal.answer).label)
        subject = _("Your proposal “%(title)s”: %(answer)s") % {
            "title": _one_line(proposal.title),
            "answer": answer,
        }
        text = "\n\n".join(
            [
                _("Hello,"),
                _(
                    "You made the proposal “%(title)s” and asked to be told what becomes of "
                    "it. The commune gave its official answer: %(answer)s."
                )
                % {"title": _one_line(proposal.title), "answer": answer},
                plain_text(proposal.answer_text),
                _("Read it on the participation site: %(link)s") % {"link": link},
                _(
                    "You receive this message because you left this address with your "
                    "proposal. The town hall keeps it for this purpose only."
                ),
            ]
        )
    outcome = _send(
        [
            EmailOut(
                key=f"proposal-answer-{proposal.pk}",
                to=to,
                subject=_one_line(subject)[:250],
                text=text,
                sender_name=organisation.name,
            )
        ]
    )
    return outcome.get(f"proposal-answer-{proposal.pk}", False)


def _release(ids: Sequence[int], claimed_at: datetime) -> None:
    """Give notifications whose e-mail failed back to the next run."""
    Notification.objects.filter(pk__in=ids, emailed_at=claimed_at).update(emailed_at=None)


def notifications_email_immediate(*, notification_ids: Sequence[int]) -> int:
    """E-mail each of these notifications to its recipient, alone, if their settings still
    ask for e-mails at once. Returns how many e-mails the gateway accepted."""
    now = timezone.now()
    pending = list(
        Notification.objects.filter(pk__in=list(notification_ids), emailed_at__isnull=True)
        .select_related("organisation", "recipient__user", "recipient__subscriber")
        .order_by("pk")
    )
    messages: list[EmailOut] = []
    claimed: dict[str, list[int]] = {}
    for notification in pending:
        participant = notification.recipient
        row = notification_settings_of(participant)
        recipient = email_recipient(participant)
        if row.email_frequency != Frequency.IMMEDIATE or recipient is None:
            continue
        # The claim: whoever sets ``emailed_at`` first sends it.
        if not Notification.objects.filter(pk=notification.pk, emailed_at__isnull=True).update(
            emailed_at=now
        ):
            continue
        key = f"participation-notification-{notification.pk}"
        claimed[key] = [notification.pk]
        messages.append(
            _email_out(participant, recipient, row, [notification], key=key, digest=False)
        )
    sent = _send(messages)
    for key, ids in claimed.items():
        if not sent.get(key):
            _release(ids, now)
    return sum(1 for ok in sent.values() if ok)


def digest_slot(frequency: str, now: datetime) -> datetime:
    """The latest time at or before ``now`` when a digest of ``frequency`` is due."""
    hour = int(getattr(settings, "PARTICIPATION_DIGEST_HOUR", 8))
    weekday = int(getattr(settings, "PARTICIPATION_DIGEST_WEEKDAY", 0))
    local = timezone.localtime(now)
    slot = local.replace(hour=hour, minute=0, second=0, microsecond=0)
    if frequency == Frequency.WEEKLY:
        slot -= timedelta(days=(slot.weekday() - weekday) % 7)
        if slot > local:
            slot -= timedelta(days=7)
    elif slot > local:
        slot -= timedelta(days=1)
    return slot


def _digest_claim(
    participant: Participant, now: datetime
) -> tuple[NotificationSettings, list[Notification], datetime | None] | None:
    """Claim what is due for ``participant`` now (their settings row locked meanwhile):
    the notifications to e-mail and the previous ``last_digest_at``, or None."""
    notification_settings_of(participant)
    with transaction.atomic():
        row = NotificationSettings.objects.select_for_update().get(participant=participant)
        unsent = Notification.objects.filter(recipient=participant, emailed_at__isnull=True)
        if row.email_frequency == Frequency.IMMEDIATE:
            if not unsent.filter(created_at__lte=now - IMMEDIATE_RETRY_AFTER).exists():
                return None
        elif row.email_frequency in (Frequency.DAILY, Frequency.WEEKLY):
            slot = digest_slot(row.email_frequency, now)
            if row.last_digest_at is not None and row.last_digest_at >= slot:
                return None
            if not unsent.filter(created_at__lt=slot).exists():
                return None
        else:
            return None
        items = list(unsent.filter(created_at__lte=now).order_by("created_at", "pk"))
        if not items:
            return None
        Notification.objects.filter(pk__in=[n.pk for n in items]).update(emailed_at=now)
        previous = row.last_digest_at
        if row.email_frequency != Frequency.IMMEDIATE:
            row.last_digest_at = now
            row.save(update_fields=["last_digest_at"])
    return row, items, previous


def notifications_digests_send(*, now: datetime | None = None) -> int:
    """Send every digest due now: one e-mail per person gathering their notifications not
    yet e-mailed (see the module's notes). Idempotent. Returns how many e-mails the gateway
    accepted."""
    now = now or timezone.now()
    recipient_ids = (
        Notification.objects.filter(emailed_at__isnull=True, created_at__lte=now)
        .exclude(recipient__notification_settings__email_frequency=Frequency.NEVER)
        .values_list("recipient_id", flat=True)
        .distinct()
    )
    participants = (
        Participant.objects.filter(pk__in=list(recipient_ids), erased_at__isnull=True)
        .select_related("organisation", "user", "subscriber")
        .order_by("pk")
    )
    messages: list[EmailOut] = []
    claims: dict[str, tuple[NotificationSettings, list[int], datetime | None]] = {}
    for participant in participants:
        recipient = email_recipient(participant)
        if recipient is None:
            continue
        claim = _digest_claim(participant, now)
        if claim is None:
            continue
        row, items, previous = claim
        key = f"participation-digest-{participant.pk}-{int(now.timestamp())}"
        claims[key] = (row, [n.pk for n in items], previous)
        messages.append(
            _email_out(
                participant,
                recipient,
                row,
                items,
                key=key,
                digest=row.email_frequency != Frequency.IMMEDIATE or len(items) > 1,
            )
        )
    sent = _send(messages)
    for key, (row, ids, previous) in claims.items():
        if not sent.get(key):
            _release(ids, now)
            NotificationSettings.objects.filter(pk=row.pk, last_digest_at=now).update(
                last_digest_at=previous
            )
    return sum(1 for ok in sent.values() if ok)


# --- Tasks: fetch by id, call the service ------------------------------------------------


@task(queue_name="email")
def send_notification_emails(*, notification_ids: list[int]) -> int:
    return notifications_email_immediate(notification_ids=notification_ids)


@task(queue_name="email")
def send_digests() -> int:
    return notifications_digests_send()
