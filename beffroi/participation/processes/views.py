"""Pages of processes: the public list and each process's home and map (under /participer/),
and the agents' pages (under /backoffice/participation/).

Views parse, load through ``participation.access``, call one service and render.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from beffroi.accounts.access import found, request_organisation, roles_required
from beffroi.accounts.models import User
from beffroi.participation import access
from beffroi.participation.models import Phase, Process
from beffroi.participation.processes import selectors, services
from beffroi.participation.processes.forms import (
    BlueprintForm,
    CategoryForm,
    DocumentForm,
    PhaseForm,
    ProcessForm,
    add_errors,
)
from beffroi.participation.richtext import editable_text

_DATETIME_FORMAT = "%Y-%m-%dT%H:%M"


def _user(request: HttpRequest) -> User:
    assert isinstance(request.user, User)
    return request.user


def _posted(request: HttpRequest) -> Any:
    return request.POST if request.method == "POST" else None


# ---------------------------------------------------------------------------------------------
# Public pages


@require_GET
def process_list(request: HttpRequest) -> HttpResponse:
    organisation = request_organisation(request)
    sections = selectors.public_processes(organisation=organisation)
    now = timezone.now()

    def items(processes: list[Process]) -> list[dict[str, Any]]:
        rows = []
        for process in processes:
            phases = list(process.phases.all())
            rows.append(
                {
                    "process": process,
                    "current": selectors.current_phases(process, now),
                    "first": phases[0] if phases else None,
                    "last": phases[-1] if phases else None,
                }
            )
        return rows

    return render(
        request,
        "participation/processes/list.html",
        {
            "sections": [
                ("open", _("Open processes"), items(sections.open), _("No process is open now.")),
                (
                    "upcoming",
                    _("Upcoming processes"),
                    items(sections.upcoming),
                    _("No process is announced."),
                ),
                ("past", _("Past processes"), items(sections.past), _("No past process.")),
            ],
        },
    )


@require_GET
def process_detail(request: HttpRequest, slug: str) -> HttpResponse:
    process = access.access_process(request, slug)
    participant = access.request_participant(request)
    now = timezone.now()
    actions = selectors.actions_now(process, now)
    # Someone identified who may not take part (blocked, too young…) is told why at once.
    eligibility = (
        access.participant_eligible(participant, process)
        if participant is not None and actions and process.status == Process.Status.PUBLISHED
        else None
    )
    return render(
        request,
        "participation/processes/detail.html",
        {
            "process": process,
            "state": selectors.process_state(process, now),
            # Begun: a phase already started (then closed by hand, or between two phases).
            "begun": any(phase.starts_at <= now for phase in process.phases.all()),
            "steps": selectors.timeline(process, now),
            "actions": actions,
            "eligibility": eligibility,
            "links": selectors.process_links(process),
            "documents": list(process.documents.all()),
            "categories": list(process.categories.all()),
            "zones": list(process.zones.order_by("kind", "name")),
            "following": selectors.is_following(participant, process),
            "can_follow": participant is not None and process.status != Process.Status.DRAFT,
            "is_manager": access.is_manager(request),
        },
    )


@require_GET
def process_map(request: HttpRequest, slug: str) -> HttpResponse:
    process = access.access_process(request, slug)
    zones = selectors.zones_geojson(process)
    proposals = selectors.proposals_geojson(process)
    page = Paginator(proposals["features"], 50).get_page(request.GET.get("page"))
    return render(
        request,
        "participation/processes/map.html",
        {
            "process": process,
            "zones_geojson": zones,
            "proposals_geojson": proposals,
            "zones": list(process.zones.order_by("kind", "name")),
            "page": page,
            "link_pattern": selectors.proposal_link_pattern(),
            "proposals_url": selectors.process_links(process)["proposals"],
        },
    )


@require_POST
def process_follow(request: HttpRequest, slug: str) -> HttpResponse:
    process = access.access_process(request, slug)
    detail = reverse("participation_processes:detail", kwargs={"slug": process.slug})
    participant = access.request_participant(request)
    if participant is None:
        return redirect(f"{reverse('accounts:login')}?next={detail}")
    if request.POST.get("action") == "unfollow":
        services.process_unfollow(participant=participant, process=process)
        messages.success(request, _("You no longer follow this process."))
        return redirect(detail)
    try:
        services.process_follow(participant=participant, process=process)
    except services.ProcessError as error:
        for message in error.messages:
            messages.error(request, message)
        return redirect(detail)
    messages.success(
        request, _("You follow this process: you will be told when its phases open and close.")
    )
    return redirect(detail)


@require_GET
def document_download(request: HttpRequest, slug: str, document_id: int) -> FileResponse:
    document = access.access_process_document(request, slug, document_id)
    stored = document.file.name or ""
    extension = stored.rsplit(".", 1)[-1] if "." in stored else ""
    filename = f"{slugify(document.title) or 'document'}.{extension}".rstrip(".")
    response = FileResponse(
        document.file.open("rb"),
        content_type=document.content_type,
        # PDFs open in the browser; office files are saved.
        as_attachment=document.content_type != "application/pdf",
        filename=filename,
    )
    return response


@require_GET
def illustration(request: HttpRequest, slug: str) -> FileResponse:
    process = access.access_process(request, slug)
    stored = found(process.illustration.name or None, "illustration")
    extension = stored.rsplit(".", 1)[-1].lower()
    content_type = {"jpg": "image/jpeg", "png": "image/png", "webp": "image/webp"}.get(
        extension, "application/octet-stream"
    )
    return FileResponse(process.illustration.open("rb"), content_type=content_type)


# ---------------------------------------------------------------------------------------------
# Back office


def _backoffice_url(name: str, process: Process, **kwargs: int) -> str:
    return reverse(
        f"participation_processes_backoffice:{name}",
        kwargs={"process_id": process.pk, **kwargs},
    )


@roles_required(access.MANAGER_ROLES)
@require_GET
def backoffice_list(request: HttpRequest) -> HttpResponse:
    organisation = request_organisation(request)
    processes = list(selectors.processes_for_managers(organisation=organisation))
    now = timezone.now()
    rows = [
        {
            "process": process,
            "state": selectors.process_state(process, now),
            "current": selectors.current_phases(process, now),
        }
        for process in processes
    ]
    return render(request, "participation/processes/backoffice/list.html", {"rows": rows})


@roles_required(access.MANAGER_ROLES)
@require_http_methods(["GET", "POST"])
def backoffice_create(request: HttpRequest) -> HttpResponse:
    organisation = request_organisation(request)
    form = BlueprintForm(_posted(request))
    if request.method == "POST" and form.is_valid():
        try:
            process = services.process_from_blueprint(
                organisation=organisation,
                blueprint=form.cleaned_data["blueprint"],
                title=form.cleaned_data["title"],
                starts_at=form.starts_at(),
                actor=_user(request),
            )
        except services.ProcessError as error:
            add_errors(form, error)
        else:
            messages.success(
                request,
                _("The process is created as a draft, with its phases: check their dates."),
            )
            return redirect(_backoffice_url("detail", process))
    return render(request, "participation/processes/backoffice/create.html", {"form": form})


@roles_required(access.MANAGER_ROLES)
@require_GET
def backoffice_detail(request: HttpRequest, process_id: int) -> HttpResponse:
    process = access.access_process_for_manager(request, process_id)
    now = timezone.now()
    return render(
        request,
        "participation/processes/backoffice/detail.html",
        {
            "process": process,
            "state": selectors.process_state(process, now),
            "steps": selectors.timeline(process, now),
            "actions": selectors.actions_now(process, now),
            "categories": list(process.categories.all()),
            "documents": list(process.documents.all()),
            "zones": list(process.zones.order_by("kind", "name")),
            "follower_count": process.follows.count(),
        },
    )


@roles_required(access.MANAGER_ROLES)
@require_http_methods(["GET", "POST"])
def backoffice_edit(request: HttpRequest, process_id: int) -> HttpResponse:
    organisation = request_organisation(request)
    process = access.access_process_for_manager(request, process_id)
    form = ProcessForm(
        _posted(request),
        request.FILES if request.method == "POST" else None,
        organisation=organisation,
        process=process,
    )
    if request.method == "POST" and form.is_valid():
        try:
            process = services.process_update(
                process=process,
                data=form.data_for_service(),
                actor=_user(request),
                illustration=form.cleaned_data.get("illustration"),
                remove_illustration=bool(form.cleaned_data.get("remove_illustration")),
            )
        except services.ProcessError as error:
            add_errors(form, error)
        else:
            messages.success(request, _("The process is saved."))
            return redirect(_backoffice_url("detail", process))
    return render(
        request,
        "participation/processes/backoffice/edit.html",
        {"process": process, "form": form},
    )


@roles_required(access.MANAGER_ROLES)
@require_POST
def backoffice_status(request: HttpRequest, process_id: int) -> HttpResponse:
    process = access.access_process_for_manager(request, process_id)
    action = request.POST.get("action")
    try:
        if action == "publish":
            services.process_publish(process=process, actor=_user(request), request=request)
            messages.success(request, _("The process is published: residents can see it."))
        elif action == "archive":
            services.process_archive(process=process, actor=_user(request), request=request)
            messages.success(request, _("The process is archived."))
        else:
            messages.error(request, _("Unknown action."))
    except services.ProcessError as error:
        for message in error.messages:
            messages.error(request, message)
    return redirect(_backoffice_url("detail", process))


def _phase_initial(phase: Phase) -> dict[str, Any]:
    return {
        "type": phase.type,
        "title": phase.title,
        "description": editable_text(phase.description),
        "starts_at": timezone.localtime(phase.starts_at).strftime(_DATETIME_FORMAT),
        "ends_at": timezone.localtime(phase.ends_at).strftime(_DATETIME_FORMAT),
    }


@roles_required(access.MANAGER_ROLES)
@require_http_methods(["GET", "POST"])
def backoffice_phases(request: HttpRequest, process_id: int) -> HttpResponse:
    process = access.access_process_for_manager(request, process_id)
    form = PhaseForm(_posted(request))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.phase_create(
                process=process,
                type=data["type"],
                title=data["title"],
                starts_at=data["starts_at"],
                ends_at=data["ends_at"],
                description=data["description"] or "",
                actor=_user(request),
            )
        except services.ProcessError as error:
            add_errors(form, error)
        else:
            messages.success(request, _("The phase is added."))
            return redirect(_backoffice_url("phases", process))
    now = timezone.now()
    return render(
        request,
        "participation/processes/backoffice/phases.html",
        {
            "process": process,
            "steps": selectors.timeline(process, now),
            "form": form,
            "modes": Phase.Mode,
        },
    )


@roles_required(access.MANAGER_ROLES)
@require_http_methods(["GET", "POST"])
def backoffice_phase_edit(request: HttpRequest, process_id: int, phase_id: int) -> HttpResponse:
    phase = access.access_phase_for_manager(request, process_id, phase_id)
    process = phase.process
    form = PhaseForm(_posted(request), initial=_phase_initial(phase))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.phase_update(
                phase=phase,
                type=data["type"],
                title=data["title"],
                starts_at=data["starts_at"],
                ends_at=data["ends_at"],
                description=data["description"] or "",
                actor=_user(request),
            )
        except services.ProcessError as error:
            add_errors(form, error)
        else:
            messages.success(request, _("The phase is saved."))
            return redirect(_backoffice_url("phases", process))
    return render(
        request,
        "participation/processes/backoffice/phase_edit.html",
        {"process": process, "phase": phase, "form": form},
    )


@roles_required(access.MANAGER_ROLES)
@require_http_methods(["GET", "POST"])
def backoffice_phase_delete(request: HttpRequest, process_id: int, phase_id: int) -> HttpResponse:
    phase = access.access_phase_for_manager(request, process_id, phase_id)
    process = phase.process
    errors: list[str] = []
    if request.method == "POST":
        try:
            services.phase_delete(phase=phase, actor=_user(request))
        except services.ProcessError as error:
            errors = error.messages
        else:
            messages.success(request, _("The phase is deleted."))
            return redirect(_backoffice_url("phases", process))
    return render(
        request,
        "participation/processes/backoffice/phase_delete.html",
        {"process": process, "phase": phase, "errors": errors},
        status=400 if errors else 200,
    )


@roles_required(access.MANAGER_ROLES)
@require_POST
def backoffice_phase_mode(request: HttpRequest, process_id: int, phase_id: int) -> HttpResponse:
    phase = access.access_phase_for_manager(request, process_id, phase_id)
    mode = request.POST.get("mode")
    changes = {
        Phase.Mode.OPEN: (services.phase_open, _("The phase “%(title)s” is open.")),
        Phase.Mode.CLOSED: (services.phase_close, _("The phase “%(title)s” is closed.")),
        Phase.Mode.DATES: (
            services.phase_follow_dates,
            _("The phase “%(title)s” follows its dates again."),
        ),
    }
    if mode not in changes:
        messages.error(request, _("Unknown action."))
    else:
        change, done = changes[Phase.Mode(mode)]
        try:
            changed = change(phase=phase, actor=_user(request), request=request)
        except services.ProcessError as error:
            for message in error.messages:
                messages.error(request, message)
        else:
            messages.success(request, done % {"title": phase.title})
            for closed in getattr(changed, "closed_by_opening", []):
                messages.info(
                    request,
                    _("The phase “%(title)s”, open until now, is closed: one phase at a time.")
                    % {"title": closed.title},
                )
    return redirect(_backoffice_url("phases", phase.process))


@roles_required(access.MANAGER_ROLES)
@require_http_methods(["GET", "POST"])
def backoffice_categories(request: HttpRequest, process_id: int) -> HttpResponse:
    process = access.access_process_for_manager(request, process_id)
    form = CategoryForm(_posted(request))
    if request.method == "POST" and form.is_valid():
        try:
            services.category_create(
                process=process, name=form.cleaned_data["name"], actor=_user(request)
            )
        except services.ProcessError as error:
            add_errors(form, error)
        else:
            messages.success(request, _("The category is added."))
            return redirect(_backoffice_url("categories", process))
    return render(
        request,
        "participation/processes/backoffice/categories.html",
        {"process": process, "categories": list(process.categories.all()), "form": form},
    )


@roles_required(access.MANAGER_ROLES)
@require_http_methods(["GET", "POST"])
def backoffice_category_edit(
    request: HttpRequest, process_id: int, category_id: int
) -> HttpResponse:
    category = access.access_category_for_manager(request, process_id, category_id)
    process = category.process
    form = CategoryForm(_posted(request), initial={"name": category.name})
    if request.method == "POST" and form.is_valid():
        try:
            services.category_update(
                category=category, name=form.cleaned_data["name"], actor=_user(request)
            )
        except services.ProcessError as error:
            add_errors(form, error)
        else:
            messages.success(request, _("The category is renamed."))
            return redirect(_backoffice_url("categories", process))
    return render(
        request,
        "participation/processes/backoffice/category_edit.html",
        {"process": process, "category": category, "form": form},
    )


@roles_required(access.MANAGER_ROLES)
@require_POST
def backoffice_category_delete(
    request: HttpRequest, process_id: int, category_id: int
) -> HttpResponse:
    category = access.access_category_for_manager(request, process_id, category_id)
    process = category.process
    try:
        services.category_delete(category=category, actor=_user(request))
    except services.ProcessError as error:
        for message in error.messages:
            messages.error(request, message)
    else:
        messages.success(request, _("The category is deleted."))
    return redirect(_backoffice_url("categories", process))


@roles_required(access.MANAGER_ROLES)
@require_http_methods(["GET", "POST"])
def backoffice_documents(request: HttpRequest, process_id: int) -> HttpResponse:
    process = access.access_process_for_manager(request, process_id)
    form = DocumentForm(_posted(request), request.FILES if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            services.document_add(
                process=process,
                title=form.cleaned_data["title"],
                upload=form.cleaned_data["file"],
                actor=_user(request),
            )
        except services.ProcessError as error:
            add_errors(form, error)
        else:
            messages.success(request, _("The document is added."))
            return redirect(_backoffice_url("documents", process))
    return render(
        request,
        "participation/processes/backoffice/documents.html",
        {"process": process, "documents": list(process.documents.all()), "form": form},
    )


@roles_required(access.MANAGER_ROLES)
@require_POST
def backoffice_document_delete(
    request: HttpRequest, process_id: int, document_id: int
) -> HttpResponse:
    document = access.access_document_for_manager(request, process_id, document_id)
    process = document.process
    services.document_delete(document=document, actor=_user(request))
    messages.success(request, _("The document is deleted."))
    return redirect(_backoffice_url("documents", process))
