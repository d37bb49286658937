"""Residents' pages of the comments, under /participer/commentaires/.

The thread (``participation/comments/_thread.html``) is included by the pages of what is
commented (a proposal, a municipal project) with the context of ``comments_context``; it
posts here. With htmx the answer is the thread alone, swapped in place; without JavaScript a
success goes back to the page it came from and an error shows this area's discussion page
with the form and its errors.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from beffroi.participation import access
from beffroi.participation.comments.forms import CommentEditForm, CommentForm
from beffroi.participation.comments.selectors import (
    DEFAULT_SORT,
    SORTS,
    comment_for_permalink,
    comment_summary,
    comment_thread,
)
from beffroi.participation.comments.services import (
    BODY_MAX_LENGTH,
    EDIT_WINDOW,
    CommentError,
    Subject,
    comment_can_edit,
    comment_create,
    comment_edit,
    comment_vote,
    subject_url,
)
from beffroi.participation.models import Action, Comment, MunicipalProject, Proposal

THREAD_TEMPLATE = "participation/comments/_thread.html"
PAGE_TEMPLATE = "participation/comments/thread_page.html"
# Ids of the main form's fields: unlike "id_body", they cannot clash with a field of the
# page that includes the thread.
MAIN_FORM_ID = "id_comment_%s"


def _is_htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


def _safe_next(request: HttpRequest, fallback: str) -> str:
    wanted = request.POST.get("next") or request.GET.get("next") or ""
    if wanted and url_has_allowed_host_and_scheme(
        wanted, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return wanted.split("#")[0]
    return fallback


def _sort(request: HttpRequest) -> str:
    sort = request.GET.get("comments_sort") or request.POST.get("comments_sort") or DEFAULT_SORT
    return sort if sort in SORTS else DEFAULT_SORT


def _add_errors(form: Any, error: CommentError) -> None:
    for name, errors in error.errors.items():
        for message in errors:
            form.add_error(name if name in form.fields else None, message)


def comments_context(
    request: HttpRequest,
    *,
    proposal: Proposal | None = None,
    project: MunicipalProject | None = None,
    form: CommentForm | None = None,
    reply_to: int | None = None,
    refusal: str = "",
    posted: Comment | None = None,
) -> dict[str, Any]:
    """Everything ``participation/comments/_thread.html`` needs, for the page of a proposal
    or of a municipal project: ``context.update(comments_context(request, proposal=p))``
    then ``{% include "participation/comments/_thread.html" %}``.

    ``form``/``reply_to`` (the comment answered), ``refusal`` and ``posted`` are for this
    area's views: a form re-displayed with its errors, a refusal, a comment just posted."""
    subject = Subject(proposal=proposal, project=project)
    viewer = access.request_participant(request)
    moderator = access.is_moderator(request)
    sort = _sort(request)
    page, nodes = comment_thread(
        subject=subject,
        viewer=viewer,
        moderator=moderator,
        sort=sort,
        page_number=request.GET.get("comments_page") or 1,
    )
    decision = access.decide(viewer, subject.process, Action.COMMENT)
    kind = "proposal" if proposal is not None else "project"
    if decision.allowed:
        for root in nodes:
            for node in root.walk():
                bound = reply_to == node.comment.pk and form is not None
                node.reply_form = (
                    form
                    if bound
                    else CommentForm(
                        auto_id=f"id_reply{node.comment.pk}_%s",
                        initial={"parent": node.comment.pk},
                    )
                )
    main_form = form if form is not None and reply_to is None else CommentForm(auto_id=MAIN_FORM_ID)
    post_url = reverse(f"participation_comments:{kind}_thread", args=[subject.item.pk])
    return {
        "comment_subject": subject.item,
        "comment_subject_kind": kind,
        "comment_thread_id": f"comments-{kind}-{subject.item.pk}",
        "comment_thread": nodes,
        "comment_page": page,
        "comment_summary": comment_summary(subject),
        "comment_sort": sort,
        "comment_sorts": list(SORTS.items()),
        "comment_decision": decision,
        "comment_participant": viewer,
        "comment_is_moderator": moderator,
        "comment_form": main_form,
        "comment_reply_to": reply_to,
        "comment_post_url": post_url,
        "comment_next": _safe_next(request, request.get_full_path())
        if request.method == "POST"
        else request.get_full_path(),
        "comment_max_length": BODY_MAX_LENGTH,
        "comment_edit_minutes": int(EDIT_WINDOW.total_seconds() // 60),
        "comment_refusal": refusal,
        "comment_posted": posted,
    }


def _subject_from(request: HttpRequest, kind: str, pk: int) -> Subject:
    if kind == "proposal":
        return Subject(proposal=access.access_proposal(request, pk))
    return Subject(project=access.access_project(request, pk))


def _context(request: HttpRequest, subject: Subject, **extra: Any) -> dict[str, Any]:
    return comments_context(request, proposal=subject.proposal, project=subject.project, **extra)


def _thread_response(
    request: HttpRequest, subject: Subject, *, status: int = 200, **extra: Any
) -> HttpResponse:
    """The thread alone (htmx) or the whole discussion page."""
    context = _context(request, subject, **extra)
    if _is_htmx(request):
        # htmx swaps only 2xx answers: errors and refusals come back as 200, in the thread.
        return render(request, THREAD_TEMPLATE, context)
    context["subject_url"] = subject_url(subject)
    return render(request, PAGE_TEMPLATE, context, status=status)


@require_http_methods(["GET", "POST"])
def proposal_thread(request: HttpRequest, proposal_id: int) -> HttpResponse:
    return _thread(request, _subject_from(request, "proposal", proposal_id))


@require_http_methods(["GET", "POST"])
def project_thread(request: HttpRequest, project_id: int) -> HttpResponse:
    return _thread(request, _subject_from(request, "project", project_id))


def _thread(request: HttpRequest, subject: Subject) -> HttpResponse:
    """GET: the discussion page. POST: a new comment or a reply (``parent``)."""
    if request.method != "POST":
        return _thread_response(request, subject)
    raw_parent = request.POST.get("parent") or ""
    reply_to = int(raw_parent) if raw_parent.isdigit() else None
    form = CommentForm(
        request.POST,
        auto_id=f"id_reply{reply_to}_%s" if reply_to is not None else MAIN_FORM_ID,
    )
    if not form.is_valid():
        return _thread_response(request, subject, status=400, form=form, reply_to=reply_to)
    parent = None
    if reply_to is not None:
        parent = subject.comments().filter(pk=reply_to).select_related("parent").first()  # type: ignore[attr-defined]
        if parent is None:
            form.add_error(None, _("The comment you answer no longer exists."))
            return _thread_response(request, subject, status=400, form=form, reply_to=reply_to)
    try:
        comment = comment_create(
            participant=access.request_participant(request),
            subject=subject,
            body=form.cleaned_data["body"],
            stance=form.cleaned_data["stance"],
            parent=parent,
            request=request,
        )
    except access.ActionRefused as refused:
        return _thread_response(
            request,
            subject,
            status=403,
            form=form,
            reply_to=reply_to,
            refusal=str(refused.decision.message),
        )
    except CommentError as error:
        _add_errors(form, error)
        return _thread_response(request, subject, status=400, form=form, reply_to=reply_to)
    if _is_htmx(request):
        return _thread_response(request, subject, posted=comment)
    messages.success(request, _("Your comment was published."))
    return redirect(f"{_safe_next(request, subject_url(subject))}#comment-{comment.pk}")


def goto(request: HttpRequest, comment_id: int) -> HttpResponse:
    """A comment's permanent link (notifications): its place on the subject's page."""
    comment = access.access_comment(request, comment_id)
    subject = Subject.of(comment)
    page = comment_for_permalink(comment)
    query = f"?comments_page={page}" if page > 1 else ""
    return redirect(f"{subject_url(subject)}{query}#comment-{comment.pk}")


@require_http_methods(["GET", "POST"])
def edit(request: HttpRequest, comment_id: int) -> HttpResponse:
    comment = access.access_comment(request, comment_id)
    subject = Subject.of(comment)
    participant = access.request_participant(request)
    back = f"{subject_url(subject)}#comment-{comment.pk}"
    if not comment_can_edit(comment, participant):
        messages.error(
            request,
            _(
                "This comment can no longer be edited: only its author can, in the %(minutes)d "
                "minutes after posting it."
            )
            % {"minutes": int(EDIT_WINDOW.total_seconds() // 60)},
        )
        return redirect(back)
    form = CommentEditForm(
        request.POST if request.method == "POST" else None,
        initial={"body": comment.body, "stance": comment.stance},
    )
    refusal = ""
    if request.method == "POST" and form.is_valid():
        try:
            comment_edit(
                comment=comment,
                participant=participant,
                body=form.cleaned_data["body"],
                stance=form.cleaned_data["stance"],
            )
        except access.ActionRefused as refused:
            refusal = str(refused.decision.message)
        except CommentError as error:
            _add_errors(form, error)
        else:
            messages.success(request, _("Your comment was updated."))
            return redirect(back)
    return render(
        request,
        "participation/comments/edit.html",
        {
            "form": form,
            "comment": comment,
            "subject": subject.item,
            "back": back,
            "refusal": refusal,
        },
        status=400 if form.errors else 403 if refusal else 200,
    )


@require_POST
def vote(request: HttpRequest, comment_id: int) -> HttpResponse:
    comment = access.access_comment(request, comment_id)
    subject = Subject.of(comment)
    raw = request.POST.get("value", "")
    refusal = ""
    try:
        value = int(raw)
    except ValueError:
        value = 2  # refused by the service with its message
    try:
        comment_vote(comment=comment, participant=access.request_participant(request), value=value)
    except access.ActionRefused as refused:
        refusal = str(refused.decision.message)
    except CommentError as error:
        refusal = " ".join(m for ms in error.errors.values() for m in ms)
    if _is_htmx(request):
        return _thread_response(request, subject, refusal=refusal)
    if refusal:
        messages.error(request, refusal)
    return redirect(f"{_safe_next(request, subject_url(subject))}#comment-{comment.pk}")
