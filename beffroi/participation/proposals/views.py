"""Proposals pages: list and map, detail, write and edit, supports and follows (public);
review, official answer, feasibility and typing in on behalf of a resident (back office).

Views parse, load through ``access``, call one service and render: no rule is checked here.
"""

from __future__ import annotations

import json
import secrets
from typing import Any

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template import TemplateDoesNotExist
from django.template.loader import select_template
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from beffroi.accounts.access import request_organisation, roles_required
from beffroi.accounts.models import User
from beffroi.core.phone import phone_display
from beffroi.participation import access
from beffroi.participation.access import ActionRefused
from beffroi.participation.models import Action, Process, Proposal, ProposalFile
from beffroi.participation.proposals import mapcache, selectors, services
from beffroi.participation.proposals.forms import (
    AnswerForm,
    FeasibilityForm,
    FilterForm,
    OnBehalfForm,
    ProposalForm,
)
from beffroi.participation.richtext import editable_text
from beffroi.territory.models import Address, Zone
from beffroi.territory.selectors import address_search

PER_PAGE = 20
REVIEW_PER_PAGE = 50
SUGGESTIONS = 8
COMMENTS_TEMPLATE = "participation/comments/_thread.html"


def _agent(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)
    return user


def _zones_for(process: Process) -> list[Zone]:
    """The areas residents filter by: the process's zones, else the territory's hamlets and
    districts (flood or risk zones say nothing about where a bench should go)."""
    if not process.whole_territory:
        # Names only: a zone's geometry can weigh hundreds of kilobytes.
        zones = list(process.zones.only("pk", "name", "kind").order_by("kind", "name"))
        if zones:
            return zones
    return list(
        Zone.objects.filter(
            organisation_id=process.organisation_id,
            kind__in=[Zone.Kind.HAMLET, Zone.Kind.DISTRICT],
        )
        .only("pk", "name", "kind")
        .order_by("kind", "name")
    )


def _filters(
    request: HttpRequest, process: Process
) -> tuple[FilterForm, selectors.ProposalFilters]:
    form = FilterForm(request.GET or None, process=process, zones=_zones_for(process))
    return form, form.filters(default_seed=0)


def _needs_seed(request: HttpRequest) -> HttpResponse | None:
    """Random order without a seed: the same address with a new seed, so that every page
    and every reload of this list shows the same order."""
    if request.GET.get("sort") == "random" and not request.GET.get("seed", "").isdigit():
        params = request.GET.copy()
        params["seed"] = str(secrets.randbelow(selectors.SEED_MAX) + 1)
        params.pop("page", None)
        return redirect(f"{request.path}?{params.urlencode()}")
    return None


@require_GET
def proposal_list(request: HttpRequest, slug: str) -> HttpResponse:
    process = access.access_process(request, slug)
    reseed = _needs_seed(request)
    if reseed is not None:
        return reseed
    form, filters = _filters(request, process)
    page, rows = selectors.proposals_page(
        process=process, filters=filters, page_number=request.GET.get("page"), per_page=PER_PAGE
    )
    participant = access.request_participant(request)
    propose_decision = access.decide(participant, process, Action.PROPOSE)
    context = {
        "process": process,
        "form": form,
        "filters": filters,
        "page": page,
        "proposals": rows,
        "supported": selectors.supported_ids(
            participant=participant, proposal_ids=[p.pk for p in rows]
        ),
        "propose_decision": propose_decision,
        # Anyone not identified yet is shown the button: it leads to the sign-in.
        "can_propose": propose_decision.allowed
        or (participant is None and propose_decision.code == "account_needed"),
        "map_query": _map_query(request),
    }
    return render(request, "participation/proposals/list.html", context)


def _map_query(request: HttpRequest) -> str:
    params = request.GET.copy()
    params.pop("page", None)
    return params.urlencode()


@require_GET
def proposal_map(request: HttpRequest, slug: str) -> HttpResponse:
    process = access.access_process(request, slug)
    form, filters = _filters(request, process)
    query = _map_query(request)
    context = {
        "process": process,
        "form": form,
        "filters": filters,
        "geojson_url": reverse("participation_proposals:geojson", args=[process.slug])
        + (f"?{query}" if query else ""),
        "list_url": reverse("participation_proposals:list", args=[process.slug])
        + (f"?{query}" if query else ""),
        "without_place": selectors.proposals_filtered(process=process, filters=filters)
        .filter(lat__isnull=True)
        .count(),
    }
    return render(request, "participation/proposals/map.html", context)


@require_GET
def proposal_geojson(request: HttpRequest, slug: str) -> HttpResponse:
    process = access.access_process(request, slug)
    _form, filters = _filters(request, process)

    def build() -> bytes:
        return json.dumps(
            selectors.proposals_geojson(process=process, filters=filters),
            ensure_ascii=False,
            separators=(",", ":"),
        ).encode()

    document = mapcache.map_document(process.pk, filters, get_language() or "fr", build)
    return mapcache.map_response(request, document)


# --- Writing -------------------------------------------------------------------------------


def _place_context(
    request: HttpRequest, form: ProposalForm, proposal: Proposal | None = None
) -> dict[str, Any]:
    """The address part of the form: suggestions for the typed text (no-JS "Search"), or
    the address already chosen."""
    organisation = request_organisation(request)
    query = (request.POST.get("q") or "").strip()[:200] if request.method == "POST" else ""
    matches = []
    if query and request.POST.get("action") == "search":
        matches = address_search(organisation=organisation, query=query, limit=SUGGESTIONS)
    chosen: Address | None = None
    raw = request.POST.get("address", "") if request.method == "POST" else ""
    if raw.isdigit():
        chosen = (
            Address.objects.filter(organisation=organisation, pk=int(raw))
            .select_related("street", "commune")
            .first()
        )
    elif request.method != "POST" and proposal is not None and proposal.address_id:
        chosen = proposal.address
    return {
        "matches": matches,
        "query": query,
        "chosen_address": chosen,
        "preselected": matches[0].address_id if len(matches) == 1 else None,
        "searched": bool(matches) or (query and request.POST.get("action") == "search"),
    }


def _refused_page(
    request: HttpRequest, process: Process, error: ActionRefused, *, title: str
) -> HttpResponse:
    return render(
        request,
        "participation/proposals/refused.html",
        {
            "process": process,
            "reason": error.decision.message,
            "code": error.decision.code,
            "title": title,
        },
        status=403,
    )


@require_http_methods(["GET", "POST"])
def proposal_create(request: HttpRequest, slug: str) -> HttpResponse:
    process = access.access_process(request, slug)
    participant = access.request_participant(request)
    if request.htmx and request.GET.get("suggest"):  # type: ignore[attr-defined]
        return _address_suggestions(request)
    try:
        access.check(participant, process, Action.PROPOSE)
    except ActionRefused as refused:
        if participant is None and refused.decision.code == "account_needed":
            # Someone not signed in yet: the sign-in, then back to this form.
            return redirect_to_login(request.get_full_path())
        return _refused_page(request, process, refused, title=_("Make a proposal"))
    form = ProposalForm(request.POST or None, request.FILES or None, process=process)
    if request.method == "POST" and request.POST.get("action") != "search" and form.is_valid():
        try:
            proposal = services.proposal_create(
                process=process, participant=participant, data=form.proposal_input()
            )
        except ActionRefused as refused:
            return _refused_page(request, process, refused, title=_("Make a proposal"))
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            messages.success(request, _("Your proposal is published. Thank you!"))
            return redirect("participation_proposals:detail", proposal.pk)
    context = {"process": process, "form": form, **_place_context(request, form)}
    return render(request, "participation/proposals/form.html", context)


def _address_suggestions(request: HttpRequest) -> HttpResponse:
    query = (request.GET.get("q") or "").strip()[:200]
    matches = (
        address_search(organisation=request_organisation(request), query=query, limit=SUGGESTIONS)
        if query
        else []
    )
    return render(
        request,
        "participation/proposals/_address_suggestions.html",
        {"matches": matches, "query": query, "preselected": None},
    )


@require_http_methods(["GET", "POST"])
def proposal_similar(request: HttpRequest, slug: str) -> HttpResponse:
    """While a resident writes: the proposals most like the draft (an htmx fragment)."""
    process = access.access_process(request, slug)
    data = request.POST if request.method == "POST" else request.GET
    exclude = data.get("proposal", "")
    similar = selectors.similar_proposals(
        process=process,
        title=(data.get("title") or "")[:150],
        body=(data.get("body") or "")[:5000],
        exclude_id=int(exclude) if exclude.isdigit() else None,
    )
    return render(
        request, "participation/proposals/_similar.html", {"similar": similar, "process": process}
    )


@require_http_methods(["GET", "POST"])
def proposal_update(request: HttpRequest, proposal_id: int) -> HttpResponse:
    proposal = access.access_proposal(request, proposal_id)
    process = Process.objects.prefetch_related("phases").get(pk=proposal.process_id)
    proposal.process = process
    participant = access.request_participant(request)
    if request.htmx and request.GET.get("suggest"):  # type: ignore[attr-defined]
        return _address_suggestions(request)
    if not services.can_edit(proposal, participant):
        mine = participant is not None and proposal.author_id == participant.pk
        if not mine:
            code, reason = "not_author", _("Only the author of a proposal can edit it.")
        elif proposal.state == Proposal.State.WITHDRAWN:
            code, reason = (
                "withdrawn",
                _("This proposal was withdrawn: it can no longer be edited."),
            )
        else:
            code = "edit_window"
            reason = _("This proposal can no longer be edited: the edit window is over.")
        error = ActionRefused(access.Decision(False, code, reason))
        return _refused_page(request, process, error, title=_("Edit the proposal"))
    initial = {
        "title": proposal.title,
        "body": editable_text(proposal.body),
        "category": proposal.category_id,
        "estimated_cost": proposal.estimated_cost,
        "lat": proposal.lat if proposal.address_id is None else None,
        "lon": proposal.lon if proposal.address_id is None else None,
    }
    form = ProposalForm(request.POST or None, initial=initial, process=process, with_files=False)
    if request.method == "POST" and request.POST.get("action") != "search" and form.is_valid():
        try:
            services.proposal_update(
                proposal=proposal, participant=participant, data=form.proposal_input()
            )
        except ActionRefused as refused:
            return _refused_page(request, process, refused, title=_("Edit the proposal"))
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            messages.success(
                request, _("Your proposal is updated. The previous version stays in its history.")
            )
            return redirect("participation_proposals:detail", proposal.pk)
    context = {
        "process": process,
        "form": form,
        "proposal": proposal,
        "deadline": services.edit_deadline(proposal),
        **_place_context(request, form, proposal),
    }
    return render(request, "participation/proposals/form.html", context)


@require_GET
def proposal_versions(request: HttpRequest, proposal_id: int) -> HttpResponse:
    proposal = access.access_proposal(request, proposal_id)
    return render(
        request,
        "participation/proposals/versions.html",
        {
            "proposal": proposal,
            "process": proposal.process,
            "versions": selectors.proposal_versions(proposal=proposal),
        },
    )


@require_http_methods(["GET", "POST"])
def proposal_withdraw(request: HttpRequest, proposal_id: int) -> HttpResponse:
    proposal = access.access_proposal(request, proposal_id)
    participant = access.request_participant(request)
    if participant is None or proposal.author_id != participant.pk:
        raise PermissionDenied
    if request.method == "POST":
        services.proposal_withdraw(proposal=proposal, participant=participant)
        messages.success(request, _("Your proposal is withdrawn."))
        return redirect("participation_proposals:detail", proposal.pk)
    return render(
        request,
        "participation/proposals/withdraw.html",
        {"proposal": proposal, "process": proposal.process},
    )


# --- Reading one -----------------------------------------------------------------------------


def comments_available() -> bool:
    """Whether the comments area ships its thread template (built by another area)."""
    try:
        select_template([COMMENTS_TEMPLATE])
    except TemplateDoesNotExist:
        return False
    return True


def _detail_context(request: HttpRequest, proposal: Proposal) -> dict[str, Any]:
    process = Process.objects.prefetch_related("phases").get(pk=proposal.process_id)
    proposal.process = process
    participant = access.request_participant(request)
    files = list(proposal.files.all())
    zones = list(proposal.zones.all())
    supported = bool(selectors.supported_ids(participant=participant, proposal_ids=[proposal.pk]))
    support = access.decide(participant, process, Action.SUPPORT)
    context: dict[str, Any] = {
        "process": process,
        "proposal": proposal,
        "participant": participant,
        "images": [f for f in files if f.kind == ProposalFile.Kind.IMAGE],
        "attachments": [f for f in files if f.kind == ProposalFile.Kind.ATTACHMENT],
        "zones": zones,
        "supported": supported,
        "support_decision": support,
        "supportable": proposal.state == Proposal.State.PUBLISHED and proposal.hidden_at is None,
        "following": selectors.is_following(participant=participant, proposal=proposal),
        "can_edit": services.can_edit(proposal, participant),
        "edit_deadline": services.edit_deadline(proposal),
        "is_author": participant is not None and proposal.author_id == participant.pk,
        "version_count": proposal.versions.count(),
        "point": {"lat": proposal.lat, "lon": proposal.lon} if proposal.lat is not None else None,
        "comments_template": "",
        "is_manager": access.is_manager(request),
    }
    if comments_available():
        # The comments area serves the thread and says what it needs to render it.
        from beffroi.participation.comments.views import comments_context

        context.update(comments_context(request, proposal=proposal))
        context["comments_template"] = COMMENTS_TEMPLATE
    return context


@require_GET
def proposal_detail(request: HttpRequest, proposal_id: int) -> HttpResponse:
    try:
        proposal = access.access_proposal(request, proposal_id)
    except Http404:
        hidden = selectors.hidden_proposal(
            organisation=request_organisation(request), proposal_id=proposal_id
        )
        if hidden is None:
            raise
        # The public reason in place of the content (410: it is gone on purpose).
        return render(
            request,
            "participation/proposals/hidden.html",
            {"process": hidden.process, "reason": hidden.hidden_reason},
            status=410,
        )
    return render(
        request, "participation/proposals/detail.html", _detail_context(request, proposal)
    )


@require_GET
def proposal_file(request: HttpRequest, file_id: int) -> FileResponse:
    stored = access.access_proposal_file(request, file_id)
    try:
        handle = stored.file.open("rb")
    except FileNotFoundError as exc:
        raise Http404("No such file.") from exc
    response = FileResponse(
        handle,
        content_type=stored.content_type,
        as_attachment=stored.kind == ProposalFile.Kind.ATTACHMENT,
        filename=stored.original_name,
    )
    response["X-Content-Type-Options"] = "nosniff"
    # An attachment opened in the browser runs nothing: no script, no plugin.
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


# --- Supports and follows ------------------------------------------------------------------


def _after_action(request: HttpRequest, proposal: Proposal) -> HttpResponse:
    if request.htmx:  # type: ignore[attr-defined]
        return render(
            request,
            "participation/proposals/_actions.html",
            _detail_context(request, Proposal.objects.select_related("author").get(pk=proposal.pk)),
        )
    return redirect("participation_proposals:detail", proposal.pk)


def _refused_action(
    request: HttpRequest, proposal: Proposal, refused: ActionRefused
) -> HttpResponse:
    messages.error(request, str(refused.decision.message))
    response = _after_action(request, proposal)
    if request.htmx:  # type: ignore[attr-defined]
        response.status_code = 200
    return response


@require_POST
def support_add(request: HttpRequest, proposal_id: int) -> HttpResponse:
    proposal = access.access_proposal(request, proposal_id, related=("process",))
    participant = access.request_participant(request)
    try:
        counted = services.support_add(proposal=proposal, participant=participant)
    except ActionRefused as refused:
        return _refused_action(request, proposal, refused)
    if counted:
        messages.success(request, _("Your support is counted."))
    else:
        messages.info(request, _("You already support this proposal."))
    return _after_action(request, proposal)


@require_POST
def support_withdraw(request: HttpRequest, proposal_id: int) -> HttpResponse:
    proposal = access.access_proposal(request, proposal_id, related=("process",))
    participant = access.request_participant(request)
    try:
        services.support_withdraw(proposal=proposal, participant=participant)
    except ActionRefused as refused:
        return _refused_action(request, proposal, refused)
    messages.success(request, _("Your support is withdrawn."))
    return _after_action(request, proposal)


@require_POST
def follow(request: HttpRequest, proposal_id: int) -> HttpResponse:
    proposal = access.access_proposal(request, proposal_id)
    try:
        services.follow_add(proposal=proposal, participant=access.request_participant(request))
    except ActionRefused as refused:
        return _refused_action(request, proposal, refused)
    messages.success(request, _("You follow this proposal: you will be told of its news."))
    return _after_action(request, proposal)


@require_POST
def unfollow(request: HttpRequest, proposal_id: int) -> HttpResponse:
    proposal = access.access_proposal(request, proposal_id)
    try:
        services.follow_remove(proposal=proposal, participant=access.request_participant(request))
    except ActionRefused as refused:
        return _refused_action(request, proposal, refused)
    messages.success(request, _("You no longer follow this proposal."))
    return _after_action(request, proposal)


# --- Back office ---------------------------------------------------------------------------

BACKOFFICE_ROLES = access.MANAGER_ROLES | access.ON_BEHALF_ROLES


@roles_required(BACKOFFICE_ROLES)
def review_index(request: HttpRequest) -> HttpResponse:
    processes = selectors.processes_with_proposals(organisation=request_organisation(request))
    return render(
        request,
        "participation/proposals/backoffice/index.html",
        {"processes": processes, "is_manager": access.is_manager(request)},
    )


@roles_required(access.MANAGER_ROLES)
def review_list(request: HttpRequest, process_id: int) -> HttpResponse:
    process = access.access_process_for_manager(request, process_id)
    form = FilterForm(request.GET or None, process=process, zones=[])
    form.fields["status"].choices = [  # type: ignore[attr-defined]
        *form.fields["status"].choices,  # type: ignore[attr-defined]
        ("threshold", _("Support threshold reached")),
    ]
    filters = form.filters(default_seed=0)
    page = Paginator(
        selectors.proposals_for_review(process=process, filters=filters), REVIEW_PER_PAGE
    ).get_page(request.GET.get("page"))
    return render(
        request,
        "participation/proposals/backoffice/list.html",
        {"process": process, "form": form, "page": page},
    )


@roles_required(access.MANAGER_ROLES)
def review_detail(request: HttpRequest, proposal_id: int) -> HttpResponse:
    proposal = access.access_proposal_for_manager(request, proposal_id)
    answer_form = AnswerForm(
        request.POST if request.POST.get("form") == "answer" else None,
        initial={"answer": proposal.answer or None, "text": editable_text(proposal.answer_text)},
        prefix="answer",
    )
    feasibility_form = FeasibilityForm(
        request.POST if request.POST.get("form") == "feasibility" else None,
        initial={
            "feasibility": proposal.feasibility or None,
            "services_cost": proposal.services_cost,
            "note": editable_text(proposal.feasibility_note),
        },
        prefix="feasibility",
    )
    if request.method == "POST":
        agent = _agent(request)
        try:
            if request.POST.get("form") == "answer" and answer_form.is_valid():
                services.proposal_answer(
                    proposal=proposal,
                    agent=agent,
                    answer=answer_form.cleaned_data["answer"],
                    text=answer_form.cleaned_data["text"],
                    request=request,
                )
                messages.success(request, _answered_message(proposal))
                return redirect("participation_proposals_backoffice:review", proposal.pk)
            if request.POST.get("form") == "feasibility" and feasibility_form.is_valid():
                services.proposal_review_feasibility(
                    proposal=proposal,
                    agent=agent,
                    feasibility=feasibility_form.cleaned_data["feasibility"],
                    services_cost=feasibility_form.cleaned_data["services_cost"],
                    note=feasibility_form.cleaned_data["note"],
                    request=request,
                )
                messages.success(request, _("The feasibility review is saved."))
                return redirect("participation_proposals_backoffice:review", proposal.pk)
        except ValidationError as error:
            target = answer_form if request.POST.get("form") == "answer" else feasibility_form
            for name, errors in error.message_dict.items():
                for message in errors:
                    target.add_error(name if name in target.fields else None, message)
        except ActionRefused as refused:
            raise PermissionDenied(str(refused.decision.message)) from refused
    return render(
        request,
        "participation/proposals/backoffice/review.html",
        {
            "proposal": proposal,
            "process": proposal.process,
            "answer_form": answer_form,
            "feasibility_form": feasibility_form,
            "files": list(proposal.files.all()),
        },
    )


def _answered_message(proposal: Proposal) -> str:
    """Who was told of an official answer, as the agent needs to know it."""
    if proposal.contact and "@" not in proposal.contact:
        return _(
            "The answer is published and followers are told. The author has no account and "
            "left a phone number: call them at %(phone)s to tell them."
        ) % {"phone": phone_display(proposal.contact)}
    if proposal.contact:
        return _("The answer is published; the author is told by e-mail, followers too.")
    author = proposal.author
    if proposal.origin != Proposal.Origin.ONLINE and (
        author is None or (author.user_id is None and author.subscriber_id is None)
    ):
        return _(
            "The answer is published and followers are told. The author has no account and "
            "left no contact: they will find it on the proposal's page."
        )
    return _("The answer is published; the author and followers are told.")


@roles_required(access.ON_BEHALF_ROLES)
def on_behalf_create(request: HttpRequest, process_id: int) -> HttpResponse:
    process = access.access_process_on_behalf(request, process_id)
    if request.htmx and request.GET.get("suggest"):  # type: ignore[attr-defined]
        return _address_suggestions(request)
    form = OnBehalfForm(request.POST or None, request.FILES or None, process=process)
    if request.method == "POST" and request.POST.get("action") != "search" and form.is_valid():
        meeting = form.cleaned_data.get("meeting")
        try:
            proposal = services.proposal_create_on_behalf(
                process=process,
                agent=_agent(request),
                data=form.proposal_input(),
                origin=form.cleaned_data["origin"],
                resident_name=form.cleaned_data.get("resident_name") or "",
                contact=form.cleaned_data.get("resident_contact") or "",
                meeting_id=meeting.pk if meeting else None,
                request=request,
            )
        except ActionRefused as refused:
            form.add_error(None, str(refused.decision.message))
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            messages.success(
                request, _("The proposal is published, marked as typed in on behalf of a resident.")
            )
            return redirect("participation_proposals:detail", proposal.pk)
    context = {"process": process, "form": form, "on_behalf": True, **_place_context(request, form)}
    return render(request, "participation/proposals/form.html", context)
