"""Moderation pages: residents report a proposal or a comment (under /participer/
signalements/); moderators work through the queue, hide, restore, keep, block and unblock
(under /backoffice/participation/signalements/); managers set the thresholds."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from beffroi.accounts.access import request_organisation, roles_required
from beffroi.accounts.models import User
from beffroi.participation import access
from beffroi.participation.comments.services import Subject, subject_url
from beffroi.participation.comments.views import comments_context
from beffroi.participation.moderation.forms import (
    BlockForm,
    HideForm,
    ModerationSettingsForm,
    ReportForm,
)
from beffroi.participation.moderation.selectors import (
    blocked_participants,
    content_reports,
    moderation_queue,
    participant_activity,
    recent_decisions,
)
from beffroi.participation.moderation.services import (
    Content,
    ModerationError,
    content_hide,
    content_keep,
    content_restore,
    moderation_settings,
    moderation_settings_update,
    participant_block,
    participant_unblock,
    report_create,
)
from beffroi.participation.richtext import clean_html


def _user(request: HttpRequest) -> User:
    assert isinstance(request.user, User)
    return request.user


def _add_errors(form: Any, error: ModerationError) -> None:
    for name, errors in error.errors.items():
        for message in errors:
            form.add_error(name if name in form.fields else None, message)


def _content_url(content: Content) -> str:
    if content.proposal is not None:
        return reverse("participation_moderation_backoffice:proposal", args=[content.proposal.pk])
    assert content.comment is not None
    return reverse("participation_moderation_backoffice:comment", args=[content.comment.pk])


# ---------------------------------------------------------------------------------------------
# Residents: reports


@require_http_methods(["GET", "POST"])
def report_proposal(request: HttpRequest, proposal_id: int) -> HttpResponse:
    proposal = access.access_proposal(request, proposal_id)
    return _report(request, Content(proposal=proposal), subject_url(Subject(proposal=proposal)))


@require_http_methods(["GET", "POST"])
def report_comment(request: HttpRequest, comment_id: int) -> HttpResponse:
    comment = access.access_comment(request, comment_id)
    back = f"{subject_url(Subject.of(comment))}#comment-{comment.pk}"
    return _report(request, Content(comment=comment), back)


def _report(request: HttpRequest, content: Content, back: str) -> HttpResponse:
    participant = access.request_participant(request)
    form = ReportForm(request.POST if request.method == "POST" else None)
    refusal = ""
    if request.method == "POST" and participant is not None and form.is_valid():
        try:
            report_create(
                reporter=participant,
                content=content,
                reason=form.cleaned_data["reason"],
                details=form.cleaned_data["details"],
                request=request,
            )
        except access.ActionRefused as refused:
            refusal = str(refused.decision.message)
        except ModerationError as error:
            _add_errors(form, error)
        else:
            messages.success(request, _("Thank you: the moderators will review your report."))
            return redirect(back)
    # Said before the form is filled in, rather than after: one's own contribution, or one
    # already reported (the service refuses both whatever is sent).
    unavailable = ""
    if participant is not None:
        if content.author is not None and content.author.pk == participant.pk:
            unavailable = _("You cannot report your own contribution.")
        elif content.reports().filter(reporter=participant).exists():
            unavailable = _(
                "You have already reported this content: the moderators will review it."
            )
    status = 200
    if request.method == "POST":
        status = 403 if refusal or participant is None else 400
    return render(
        request,
        "participation/moderation/report.html",
        {
            "form": form,
            "content": content.item,
            "kind": content.kind,
            "back": back,
            "participant": participant,
            "refusal": refusal,
            "unavailable": unavailable,
        },
        status=status,
    )


# ---------------------------------------------------------------------------------------------
# Moderators: the queue and one content


@require_GET
@roles_required(access.MODERATION_ROLES)
def queue(request: HttpRequest) -> HttpResponse:
    organisation = request_organisation(request)
    page, items = moderation_queue(organisation=organisation, page_number=request.GET.get("page"))
    return render(
        request,
        "participation/moderation/queue.html",
        {
            "page": page,
            "items": items,
            "decisions": recent_decisions(organisation),
            "blocked_count": blocked_participants(organisation).count(),
            "can_configure": access.is_manager(request),
        },
    )


def _content_page(request: HttpRequest, content: Content, **forms: Any) -> HttpResponse:
    item = content.item
    context: dict[str, Any] = {
        "content": item,
        "kind": content.kind,
        "reports": content_reports(proposal=content.proposal, comment=content.comment),
        "hide_form": forms.get("hide_form") or HideForm(),
        "block_form": forms.get("block_form") or BlockForm(),
        "author": item.author,
        "has_pending": content.reports().filter(decision="").exists(),
        "decide_url": _content_url(content),
    }
    if content.proposal is not None:
        proposal = content.proposal
        # Sanitised when written; cleaned again here, as the moderators read hostile text.
        context["proposal_body"] = mark_safe(clean_html(proposal.body))  # noqa: S308
        context["public_url"] = subject_url(Subject(proposal=proposal))
        context.update(comments_context(request, proposal=proposal))
    else:
        assert content.comment is not None
        context["public_url"] = (
            f"{subject_url(Subject.of(content.comment))}#comment-{content.comment.pk}"
        )
    status = 400 if any(form.errors for form in forms.values()) else 200
    return render(request, "participation/moderation/content.html", context, status=status)


@require_GET
@roles_required(access.MODERATION_ROLES)
def proposal_detail(request: HttpRequest, proposal_id: int) -> HttpResponse:
    proposal = access.access_moderated_proposal(request, proposal_id)
    return _content_page(request, Content(proposal=proposal))


@require_GET
@roles_required(access.MODERATION_ROLES)
def comment_detail(request: HttpRequest, comment_id: int) -> HttpResponse:
    comment = access.access_moderated_comment(request, comment_id)
    return _content_page(request, Content(comment=comment))


@require_POST
@roles_required(access.MODERATION_ROLES)
def proposal_decide(request: HttpRequest, proposal_id: int, action: str) -> HttpResponse:
    proposal = access.access_moderated_proposal(request, proposal_id)
    return _decide(request, Content(proposal=proposal), action)


@require_POST
@roles_required(access.MODERATION_ROLES)
def comment_decide(request: HttpRequest, comment_id: int, action: str) -> HttpResponse:
    comment = access.access_moderated_comment(request, comment_id)
    return _decide(request, Content(comment=comment), action)


# URL words of the decisions.
DECISIONS = {"masquer": "hide", "retablir": "restore", "conserver": "keep"}


def _decide(request: HttpRequest, content: Content, word: str) -> HttpResponse:
    action = DECISIONS.get(word, "")
    actor = _user(request)
    hide_form = HideForm(request.POST if action == "hide" else None)
    try:
        if action == "hide":
            if not hide_form.is_valid():
                return _content_page(request, content, hide_form=hide_form)
            content_hide(
                content=content,
                actor=actor,
                reason=hide_form.cleaned_data["reason"],
                request=request,
            )
            messages.success(request, _("The content is hidden; its author was told."))
        elif action == "restore":
            content_restore(content=content, actor=actor, request=request)
            messages.success(request, _("The content is visible again."))
        elif action == "keep":
            content_keep(content=content, actor=actor, request=request)
            messages.success(request, _("The reports were dismissed; the content stays online."))
        else:
            raise Http404("No such decision.")
    except ModerationError as error:
        if action == "hide":
            _add_errors(hide_form, error)
            return _content_page(request, content, hide_form=hide_form)
        for message in (m for ms in error.errors.values() for m in ms):
            messages.error(request, message)
    if request.POST.get("back") == "queue":
        return redirect("participation_moderation_backoffice:queue")
    return redirect(_content_url(content))


# ---------------------------------------------------------------------------------------------
# Moderators: participants


@require_GET
@roles_required(access.MODERATION_ROLES)
def blocked_list(request: HttpRequest) -> HttpResponse:
    organisation = request_organisation(request)
    return render(
        request,
        "participation/moderation/blocked.html",
        {"participants": blocked_participants(organisation)[:200]},
    )


@require_GET
@roles_required(access.MODERATION_ROLES)
def participant_detail(request: HttpRequest, participant_id: int) -> HttpResponse:
    participant = access.access_moderated_participant(request, participant_id)
    return _participant_page(request, participant, BlockForm())


def _participant_page(
    request: HttpRequest, participant: Any, form: BlockForm, status: int = 200
) -> HttpResponse:
    return render(
        request,
        "participation/moderation/participant.html",
        {"participant": participant, "form": form, **participant_activity(participant)},
        status=status,
    )


@require_POST
@roles_required(access.MODERATION_ROLES)
def participant_block_view(request: HttpRequest, participant_id: int) -> HttpResponse:
    participant = access.access_moderated_participant(request, participant_id)
    form = BlockForm(request.POST)
    if form.is_valid():
        try:
            participant_block(
                participant=participant,
                actor=_user(request),
                reason=form.cleaned_data["reason"],
                request=request,
            )
        except ModerationError as error:
            _add_errors(form, error)
        else:
            messages.success(request, _("The participant is blocked: they can no longer post."))
            return redirect("participation_moderation_backoffice:participant", participant.pk)
    return _participant_page(request, participant, form, status=400)


@require_POST
@roles_required(access.MODERATION_ROLES)
def participant_unblock_view(request: HttpRequest, participant_id: int) -> HttpResponse:
    participant = access.access_moderated_participant(request, participant_id)
    try:
        participant_unblock(participant=participant, actor=_user(request), request=request)
    except ModerationError as error:
        for message in (m for ms in error.errors.values() for m in ms):
            messages.error(request, message)
    else:
        messages.success(request, _("The participant can take part again."))
    return redirect("participation_moderation_backoffice:participant", participant.pk)


# ---------------------------------------------------------------------------------------------
# Settings


@require_http_methods(["GET", "POST"])
@roles_required(access.MANAGER_ROLES)
def settings_view(request: HttpRequest) -> HttpResponse:
    organisation = request_organisation(request)
    form = ModerationSettingsForm(
        request.POST if request.method == "POST" else None,
        initial=moderation_settings(organisation),
    )
    if request.method == "POST" and form.is_valid():
        try:
            moderation_settings_update(
                organisation=organisation,
                actor=_user(request),
                request=request,
                **form.cleaned_data,
            )
        except ModerationError as error:
            _add_errors(form, error)
        else:
            messages.success(request, _("The moderation settings were saved."))
            return redirect("participation_moderation_backoffice:settings")
    return render(
        request,
        "participation/moderation/settings.html",
        {"form": form},
        status=400 if form.errors else 200,
    )
