"""Moderation: residents' reports, automatic hiding, the moderators' decisions, blocking, and
the limits on how much one resident may post per hour.

Every decision goes into the audit trail (``participation.moderation.*``), so that a resident
who asks why their text disappeared, or a judge years later, gets an answer naming who
decided, when and why. Hiding is never deletion: the content stays, with a public reason in
its place, and a moderator can restore it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from beffroi.accounts.access import has_role
from beffroi.accounts.models import User
from beffroi.core.audit import audit_record
from beffroi.core.ratelimit import rate_hit
from beffroi.participation.access import (
    MANAGER_ROLES,
    MODERATION_ROLES,
    ActionRefused,
    Decision,
    participant_eligible,
)
from beffroi.participation.models import Comment, Notification, Participant, Proposal, Report
from beffroi.participation.notifications.services import notify
from beffroi.participation.proposals import mapcache
from beffroi.territory.models import Organisation

# Organisation.settings["participation"] keys and their defaults.
SETTINGS_KEY = "participation"
AUTO_HIDE_REPORTS = "auto_hide_reports"
PROPOSALS_PER_HOUR = "proposals_per_hour"
COMMENTS_PER_HOUR = "comments_per_hour"
DEFAULTS: dict[str, int] = {AUTO_HIDE_REPORTS: 3, PROPOSALS_PER_HOUR: 5, COMMENTS_PER_HOUR: 30}
# Bounds an administrator may set (0 for a rate: no limit; the auto-hide needs at least 1).
BOUNDS: dict[str, tuple[int, int]] = {
    AUTO_HIDE_REPORTS: (1, 100),
    PROPOSALS_PER_HOUR: (0, 1000),
    COMMENTS_PER_HOUR: (0, 1000),
}
RATE_KINDS: dict[str, str] = {"proposal": PROPOSALS_PER_HOUR, "comment": COMMENTS_PER_HOUR}
RATE_WINDOW_SECONDS = 3600

PUBLIC_REASON_MAX = 300
BLOCK_REASON_MAX = 300
DETAILS_MAX = 500


class ModerationError(Exception):
    """Bad input or a refused decision; ``errors`` maps a form field (or "") to messages."""

    def __init__(self, errors: dict[str, list[str]]) -> None:
        super().__init__("; ".join(m for messages in errors.values() for m in messages))
        self.errors = errors


def _fail(field: str, message: str) -> ModerationError:
    return ModerationError({field: [message]})


# ---------------------------------------------------------------------------------------------
# Organisation settings


def moderation_setting(organisation: Organisation, key: str) -> int:
    """One of the organisation's moderation numbers (``DEFAULTS`` when unset or unreadable)."""
    own = ((organisation.settings or {}).get(SETTINGS_KEY) or {}).get(key)
    low, high = BOUNDS[key]
    if isinstance(own, int) and not isinstance(own, bool) and low <= own <= high:
        return own
    return DEFAULTS[key]


def moderation_settings(organisation: Organisation) -> dict[str, int]:
    return {key: moderation_setting(organisation, key) for key in DEFAULTS}


def moderation_settings_update(
    *,
    organisation: Organisation,
    actor: User,
    auto_hide_reports: int,
    proposals_per_hour: int,
    comments_per_hour: int,
    request: HttpRequest | None = None,
) -> Organisation:
    """Administrators and participation managers set the number of reports that hides a
    content and the hourly limits on posting. Other keys of the settings are kept."""
    if not has_role(actor, organisation, *MANAGER_ROLES):
        raise _fail("", _("Only administrators and participation managers change these settings."))
    wanted = {
        AUTO_HIDE_REPORTS: auto_hide_reports,
        PROPOSALS_PER_HOUR: proposals_per_hour,
        COMMENTS_PER_HOUR: comments_per_hour,
    }
    errors: dict[str, list[str]] = {}
    for key, value in wanted.items():
        low, high = BOUNDS[key]
        if not low <= value <= high:
            errors[key] = [
                _("Enter a number between %(low)d and %(high)d.") % {"low": low, "high": high}
            ]
    if errors:
        raise ModerationError(errors)
    with transaction.atomic():
        locked = Organisation.objects.select_for_update().get(pk=organisation.pk)
        current = dict(locked.settings or {})
        own = dict(current.get(SETTINGS_KEY) or {})
        changes = {
            key: [own.get(key), value] for key, value in wanted.items() if own.get(key) != value
        }
        own.update(wanted)
        current[SETTINGS_KEY] = own
        locked.settings = current
        locked.save(update_fields=["settings"])
        audit_record(
            action="participation.moderation.settings_update",
            organisation=locked,
            actor=actor,
            target=locked,
            data=changes,
            request=request,
        )
    organisation.settings = locked.settings
    return locked


# ---------------------------------------------------------------------------------------------
# Hourly limits


def participation_rate_check(*, participant: Participant, kind: str) -> None:
    """Count one post of ``kind`` ("proposal" or "comment") by ``participant`` in the current
    hour; ``ActionRefused`` (code "rate_limited") past the organisation's limit.

    One atomic increment (``core.ratelimit``): sixteen posts sent at once cannot all pass.
    Call it after the other checks and *before* the transaction that saves the post (a hit
    inside a transaction that rolls back would be lost)."""
    setting = RATE_KINDS.get(kind)
    if setting is None:
        raise ValueError(f"Unknown kind of post: {kind!r}")
    organisation = participant.organisation
    limit = moderation_setting(organisation, setting)
    decision = rate_hit(
        f"participation:{kind}:{participant.pk}",
        limit=limit,
        window_seconds=RATE_WINDOW_SECONDS,
    )
    if decision.allowed:
        return
    minutes = max(1, int(decision.retry_after + 59) // 60)
    if kind == "proposal":
        message = ngettext(
            "You have reached the limit of %(limit)d proposal per hour. Try again in "
            "%(minutes)d minutes.",
            "You have reached the limit of %(limit)d proposals per hour. Try again in "
            "%(minutes)d minutes.",
            limit,
        )
    else:
        message = ngettext(
            "You have reached the limit of %(limit)d comment per hour. Try again in "
            "%(minutes)d minutes.",
            "You have reached the limit of %(limit)d comments per hour. Try again in "
            "%(minutes)d minutes.",
            limit,
        )
    raise ActionRefused(
        Decision(False, "rate_limited", message % {"limit": limit, "minutes": minutes})
    )


# ---------------------------------------------------------------------------------------------
# Reports


@dataclass(frozen=True)
class Content:
    """What is moderated: a proposal or a comment (exactly one)."""

    proposal: Proposal | None = None
    comment: Comment | None = None

    def __post_init__(self) -> None:
        if (self.proposal is None) == (self.comment is None):
            raise ValueError("A content is a proposal or a comment.")

    @property
    def item(self) -> Proposal | Comment:
        item = self.proposal or self.comment
        assert item is not None
        return item

    @property
    def organisation_id(self) -> int:
        return self.item.organisation_id

    @property
    def author(self) -> Participant | None:
        return self.item.author

    @property
    def kind(self) -> str:
        return "proposal" if self.proposal is not None else "comment"

    def reports(self) -> Any:
        if self.proposal is not None:
            return Report.objects.filter(proposal=self.proposal)
        return Report.objects.filter(comment=self.comment)

    def locked(self) -> Content:
        """The same content re-read under a row lock (inside an atomic block)."""
        if self.proposal is not None:
            return Content(proposal=Proposal.objects.select_for_update().get(pk=self.proposal.pk))
        assert self.comment is not None
        return Content(comment=Comment.objects.select_for_update().get(pk=self.comment.pk))

    def label(self) -> str:
        if self.proposal is not None:
            return _("your proposal “%(title)s”") % {"title": self.proposal.title}
        assert self.comment is not None
        excerpt = self.comment.body[:60] + ("…" if len(self.comment.body) > 60 else "")
        return _("your comment “%(excerpt)s”") % {"excerpt": excerpt}


def _process_of(content: Content) -> Any:
    return content.item.process


def report_create(
    *,
    reporter: Participant,
    content: Content,
    reason: str,
    details: str = "",
    request: HttpRequest | None = None,
) -> Report:
    """A resident reports a proposal or a comment; once per person and content (the
    database's constraint). The content is hidden at once when its pending reports reach
    the organisation's ``auto_hide_reports``; moderators then confirm or restore it."""
    if reporter.organisation_id != content.organisation_id:
        raise _fail("", _("This content cannot be reported."))
    eligible = participant_eligible(reporter, _process_of(content))
    if not eligible.allowed and eligible.code in {"blocked", "login", "email_unverified"}:
        raise ActionRefused(eligible)
    if content.author is not None and content.author.pk == reporter.pk:
        raise _fail("", _("You cannot report your own contribution."))
    if content.item.hidden_at is not None:
        raise _fail("", _("This content is already hidden by the moderators."))
    if reason not in Report.Reason.values:
        raise _fail("reason", _("Choose a reason."))
    details = details.strip()
    if len(details) > DETAILS_MAX:
        raise _fail(
            "details", _("Keep the details under %(max)d characters.") % {"max": DETAILS_MAX}
        )
    if reason == Report.Reason.OTHER and not details:
        raise _fail("details", _("Say what is wrong with this content."))
    threshold = moderation_setting(reporter.organisation, AUTO_HIDE_REPORTS)
    try:
        with transaction.atomic():
            locked = content.locked()
            report = Report.objects.create(
                organisation_id=content.organisation_id,
                proposal=locked.proposal,
                comment=locked.comment,
                reporter=reporter,
                reason=reason,
                details=details,
            )
            pending = locked.reports().filter(decision=Report.Decision.PENDING).count()
            if locked.item.hidden_at is None and pending >= threshold:
                _hide(
                    locked,
                    reason=_("Hidden after several reports, awaiting review by the moderators."),
                )
                audit_record(
                    action="participation.moderation.auto_hide",
                    organisation=reporter.organisation,
                    target=locked.item,
                    reason=locked.item.hidden_reason,
                    data={"reports": pending, "threshold": threshold},
                    request=request,
                )
                _notify_hidden(locked)
    except IntegrityError:
        raise _fail("", _("You have already reported this content.")) from None
    return report


# ---------------------------------------------------------------------------------------------
# Moderators' decisions


def _require_moderator(actor: User, organisation_id: int) -> Organisation:
    organisation = Organisation.objects.get(pk=organisation_id)
    if not has_role(actor, organisation, *MODERATION_ROLES):
        raise _fail("", _("Only moderators can do this."))
    return organisation


def _hide(content: Content, *, reason: str) -> None:
    """Hide a locked, visible content; keeps the proposal's comment counter right."""
    item = content.item
    item.hidden_at = timezone.now()
    item.hidden_reason = reason[:PUBLIC_REASON_MAX]
    item.save(update_fields=["hidden_at", "hidden_reason"])
    if content.proposal is not None:  # on the map or off it
        mapcache.map_changed(content.proposal.process_id)
    comment = content.comment
    if comment is not None and comment.proposal_id is not None:
        Proposal.objects.filter(pk=comment.proposal_id, comments_count__gt=0).update(
            comments_count=F("comments_count") - 1
        )


def _unhide(content: Content) -> None:
    item = content.item
    item.hidden_at = None
    item.hidden_reason = ""
    item.save(update_fields=["hidden_at", "hidden_reason"])
    if content.proposal is not None:  # on the map or off it
        mapcache.map_changed(content.proposal.process_id)
    comment = content.comment
    if comment is not None and comment.proposal_id is not None:
        Proposal.objects.filter(pk=comment.proposal_id).update(
            comments_count=F("comments_count") + 1
        )


def _notify_hidden(content: Content) -> None:
    author = content.author
    if author is None:
        return
    item = content.item
    notify(
        recipients=[author],
        kind=Notification.Kind.MODERATION,
        title=_("The moderators hid %(what)s") % {"what": content.label()},
        body=_("Public reason: %(reason)s") % {"reason": item.hidden_reason},
    )


def _decide_reports(content: Content, decision: str, actor: User) -> int:
    closed: int = (
        content.reports()
        .filter(decision=Report.Decision.PENDING)
        .update(decision=decision, decided_at=timezone.now(), decided_by=actor)
    )
    return closed


def content_hide(
    *, content: Content, actor: User, reason: str, request: HttpRequest | None = None
) -> Content:
    """A moderator hides a proposal or a comment with a public reason (shown in its place);
    its pending reports are closed as "hidden" and its author is told."""
    organisation = _require_moderator(actor, content.organisation_id)
    reason = reason.strip()
    if not reason:
        raise _fail("reason", _("Give the public reason shown in place of the content."))
    if len(reason) > PUBLIC_REASON_MAX:
        raise _fail(
            "reason", _("Keep the reason under %(max)d characters.") % {"max": PUBLIC_REASON_MAX}
        )
    with transaction.atomic():
        locked = content.locked()
        was_hidden = locked.item.hidden_at is not None
        if was_hidden:
            # Already hidden (automatically, say): the moderator confirms with their reason.
            locked.item.hidden_reason = reason
            locked.item.save(update_fields=["hidden_reason"])
        else:
            _hide(locked, reason=reason)
        closed = _decide_reports(locked, Report.Decision.HIDDEN, actor)
        audit_record(
            action="participation.moderation.hide",
            organisation=organisation,
            actor=actor,
            target=locked.item,
            reason=reason,
            data={"reports_closed": closed, "was_hidden": was_hidden},
            request=request,
        )
        _notify_hidden(locked)
    return locked


def content_restore(
    *, content: Content, actor: User, request: HttpRequest | None = None
) -> Content:
    """A moderator puts a hidden content back; pending reports are closed as "kept"."""
    organisation = _require_moderator(actor, content.organisation_id)
    with transaction.atomic():
        locked = content.locked()
        if locked.item.hidden_at is None:
            raise _fail("", _("This content is not hidden."))
        previous = locked.item.hidden_reason
        _unhide(locked)
        closed = _decide_reports(locked, Report.Decision.KEPT, actor)
        audit_record(
            action="participation.moderation.restore",
            organisation=organisation,
            actor=actor,
            target=locked.item,
            data={"reports_closed": closed, "hidden_reason": previous},
            request=request,
        )
    return locked


def content_keep(*, content: Content, actor: User, request: HttpRequest | None = None) -> Content:
    """A moderator dismisses the pending reports: the content stays (or comes back, when the
    reports had hidden it automatically)."""
    organisation = _require_moderator(actor, content.organisation_id)
    with transaction.atomic():
        locked = content.locked()
        closed = _decide_reports(locked, Report.Decision.KEPT, actor)
        if not closed:
            raise _fail("", _("No report on this content awaits a decision."))
        restored = locked.item.hidden_at is not None
        if restored:
            _unhide(locked)
        audit_record(
            action="participation.moderation.keep",
            organisation=organisation,
            actor=actor,
            target=locked.item,
            data={"reports_closed": closed, "restored": restored},
            request=request,
        )
    return locked


def participant_block(
    *,
    participant: Participant,
    actor: User,
    reason: str,
    request: HttpRequest | None = None,
) -> Participant:
    """A moderator suspends a participant: ``access.decide`` then refuses every post of
    theirs (proposals, comments, supports…) until they are unblocked."""
    organisation = _require_moderator(actor, participant.organisation_id)
    reason = reason.strip()
    if not reason:
        raise _fail("reason", _("Say why this participant is blocked."))
    if len(reason) > BLOCK_REASON_MAX:
        raise _fail(
            "reason", _("Keep the reason under %(max)d characters.") % {"max": BLOCK_REASON_MAX}
        )
    if participant.user_id is not None and participant.user_id == actor.pk:
        raise _fail("", _("You cannot block yourself."))
    with transaction.atomic():
        locked = Participant.objects.select_for_update().get(pk=participant.pk)
        if locked.blocked_at is not None:
            raise _fail("", _("This participant is already blocked."))
        locked.blocked_at = timezone.now()
        locked.blocked_reason = reason
        locked.blocked_by = actor
        locked.save(update_fields=["blocked_at", "blocked_reason", "blocked_by"])
        audit_record(
            action="participation.moderation.block",
            organisation=organisation,
            actor=actor,
            target=locked,
            reason=reason,
            request=request,
        )
        notify(
            recipients=[locked],
            kind=Notification.Kind.MODERATION,
            title=_("Your participation has been suspended by the moderators."),
            body=_("Reason: %(reason)s") % {"reason": reason},
        )
    return locked


def participant_unblock(
    *, participant: Participant, actor: User, request: HttpRequest | None = None
) -> Participant:
    organisation = _require_moderator(actor, participant.organisation_id)
    with transaction.atomic():
        locked = Participant.objects.select_for_update().get(pk=participant.pk)
        if locked.blocked_at is None:
            raise _fail("", _("This participant is not blocked."))
        previous = locked.blocked_reason
        locked.blocked_at = None
        locked.blocked_reason = ""
        locked.blocked_by = None
        locked.save(update_fields=["blocked_at", "blocked_reason", "blocked_by"])
        audit_record(
            action="participation.moderation.unblock",
            organisation=organisation,
            actor=actor,
            target=locked,
            data={"blocked_reason": previous},
            request=request,
        )
    return locked


# ---------------------------------------------------------------------------------------------
# GDPR


def export_reports(user: User) -> list[dict[str, Any]]:
    """The reports a person made, in every organisation."""
    return [
        {
            "organisation": report.organisation.name,
            "proposal": report.proposal_id,
            "comment": report.comment_id,
            "reason": report.reason,
            "details": report.details,
            "created_at": report.created_at.isoformat(),
            "decision": report.decision,
        }
        for report in Report.objects.filter(reporter__user=user).select_related("organisation")
    ]
