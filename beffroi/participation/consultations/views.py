"""Consultation pages: municipal projects and opinions, questionnaires, their results; and the
agents' back office (projects, questionnaire builder, results, free-text answers and tags).

Views parse, load through ``access`` (404 for another organisation's objects), call one
service and render. Whether a resident may give an opinion or answer is decided by the
services (``access.check``); the pages only ask ``access.decide`` to show the reason beside
the form.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from beffroi.accounts.access import request_organisation, roles_required
from beffroi.accounts.models import User
from beffroi.participation import access
from beffroi.participation.consultations import selectors, services
from beffroi.participation.consultations.answering import answers_as_data, questions_of
from beffroi.participation.consultations.forms import (
    OpinionForm,
    ProjectForm,
    QuestionForm,
    QuestionnaireForm,
    TagForm,
    TextFilterForm,
)
from beffroi.participation.models import (
    Action,
    Evaluation,
    MunicipalProject,
    Opinion,
    Process,
    Question,
    Questionnaire,
)
from beffroi.territory.selectors import address_get, address_search

MANAGERS = access.MANAGER_ROLES


def _user(request: HttpRequest) -> User:
    assert isinstance(request.user, User)
    return request.user


def _add_errors(form: Any, error: services.ConsultationError) -> None:
    for name, errors in error.errors.items():
        for message in errors:
            form.add_error(name if name in form.fields else None, message)


def _posted(request: HttpRequest) -> Any:
    return request.POST if request.method == "POST" else None


def _data(request: HttpRequest) -> dict[str, list[str]]:
    return {key: request.POST.getlist(key) for key in request.POST}


# ---------------------------------------------------------------------------------------------
# Public pages


def process_index(request: HttpRequest, slug: str) -> HttpResponse:
    process = access.access_process(request, slug)
    projects, questionnaires = selectors.process_consultations(process)
    return render(
        request,
        "participation/consultations/process_index.html",
        {"process": process, "projects": projects, "questionnaires": questionnaires},
    )


def _project_context(
    request: HttpRequest, project: MunicipalProject, form: OpinionForm | None = None
) -> dict[str, Any]:
    participant = access.request_participant(request)
    decision = access.decide(participant, project.process, Action.OPINION)
    mine = (
        Opinion.objects.filter(project=project, participant=participant).first()
        if participant is not None
        else None
    )
    if form is None:
        form = OpinionForm(
            initial={"position": mine.position, "comment": mine.comment} if mine else None
        )
    point = {"lat": project.lat, "lon": project.lon} if project.lat is not None else None
    return {
        "process": project.process,
        "project": project,
        "documents": list(project.process.documents.all()),
        "tally": selectors.opinion_tally(project),
        "comments": selectors.opinion_comments(project),
        "questionnaires": list(project.questionnaires.all()),
        "decision": decision,
        "form": form,
        "mine": mine,
        "point": point,
    }


def project_detail(request: HttpRequest, project_id: int) -> HttpResponse:
    project = access.access_project(request, project_id)
    return render(
        request,
        "participation/consultations/project_detail.html",
        _project_context(request, project),
    )


@require_POST
def opinion_give(request: HttpRequest, project_id: int) -> HttpResponse:
    project = access.access_project(request, project_id)
    form = OpinionForm(request.POST)
    if form.is_valid():
        try:
            _opinion, created = services.opinion_give(
                project=project,
                participant=access.request_participant(request),
                position=form.cleaned_data["position"],
                comment=form.cleaned_data.get("comment", ""),
            )
        except access.ActionRefused as refused:
            messages.error(request, str(refused.decision.message))
            return redirect("participation_consultations:project_detail", project.pk)
        except services.ConsultationError as error:
            _add_errors(form, error)
        else:
            messages.success(
                request,
                _("Your opinion is recorded.") if created else _("Your opinion is changed."),
            )
            return redirect(
                reverse("participation_consultations:project_detail", args=[project.pk])
                + "#opinion-heading"
            )
    return render(
        request,
        "participation/consultations/project_detail.html",
        _project_context(request, project, form),
        status=400,
    )


def questionnaire_answer(request: HttpRequest, questionnaire_id: int) -> HttpResponse:
    questionnaire = access.access_questionnaire(request, questionnaire_id)
    participant = access.request_participant(request)
    questions = questions_of(questionnaire)
    decision = access.decide(participant, questionnaire.process, Action.ANSWER)
    response = selectors.response_of(
        questionnaire, participant.pk if participant is not None else None
    )
    errors: dict[int, str] = {}
    status = 200
    if request.method == "POST":
        data = _data(request)
        try:
            _response, created = services.response_submit(
                questionnaire=questionnaire, participant=participant, data=data
            )
        except access.ActionRefused as refused:
            messages.error(request, str(refused.decision.message))
            status = 403
        except services.AnswersInvalid as invalid:
            errors = invalid.errors
            status = 400
        else:
            messages.success(
                request,
                _("Thank you: your answers are recorded.")
                if created
                else _("Your answers are changed."),
            )
            return redirect("participation_consultations:questionnaire_answer", questionnaire.pk)
    elif request.method != "GET":
        return HttpResponse(status=405)
    else:
        data = answers_as_data(response.answers.all(), questions) if response else {}
    views = selectors.question_views(questions, data, errors)
    return render(
        request,
        "participation/consultations/questionnaire_answer.html",
        {
            "process": questionnaire.process,
            "questionnaire": questionnaire,
            "questions": views,
            "errors": [v for v in views if v.error],
            "decision": decision,
            "response": response,
            "results_public": selectors.results_public(questionnaire),
        },
        status=status,
    )


def questionnaire_results(request: HttpRequest, questionnaire_id: int) -> HttpResponse:
    questionnaire = access.access_questionnaire(request, questionnaire_id)
    public = selectors.results_public(questionnaire)
    return render(
        request,
        "participation/consultations/questionnaire_results.html",
        {
            "process": questionnaire.process,
            "questionnaire": questionnaire,
            "public": public,
            "results": selectors.questionnaire_results(questionnaire) if public else None,
            "backoffice": False,
        },
    )


# ---------------------------------------------------------------------------------------------
# Back office: projects


@roles_required(MANAGERS)
def backoffice_index(request: HttpRequest) -> HttpResponse:
    organisation = request_organisation(request)
    processes = (
        Process.objects.filter(organisation=organisation)
        .exclude(status=Process.Status.ARCHIVED)
        .prefetch_related("projects", "questionnaires")
        .order_by("-created_at")
    )
    return render(
        request,
        "participation/consultations/backoffice/index.html",
        {"processes": processes},
    )


@roles_required(MANAGERS)
def backoffice_process(request: HttpRequest, process_id: int) -> HttpResponse:
    process = access.access_process_for_manager(request, process_id)
    return render(
        request,
        "participation/consultations/backoffice/process.html",
        {
            "process": process,
            "projects": selectors.projects_with_counts(process),
            "questionnaires": selectors.questionnaires_with_counts(process),
        },
    )


def _address_choices(request: HttpRequest, query: str, *ids: int | None) -> list[tuple[int, str]]:
    organisation = request_organisation(request)
    choices: dict[int, str] = {}
    for address_id in ids:
        if address_id:
            address = address_get(organisation=organisation, address_id=address_id)
            if address is not None:
                choices[address.pk] = address.label
    if query.strip():
        for match in address_search(organisation=organisation, query=query, limit=8):
            choices.setdefault(match.address_id, match.label)
    return list(choices.items())


def _posted_address(request: HttpRequest) -> int | None:
    value = request.POST.get("address", "")
    return int(value) if value.isdigit() else None


def _project_form_page(
    request: HttpRequest, process: Process, project: MunicipalProject | None
) -> HttpResponse:
    has_image = bool(project and project.image)
    current_address = project.address_id if project else None
    if request.method == "POST":
        query = request.POST.get("address_query", "")
        form = ProjectForm(
            request.POST,
            request.FILES,
            address_choices=_address_choices(
                request, query, _posted_address(request), current_address
            ),
            has_image=has_image,
        )
        searching = request.POST.get("action") == "search"
        if form.is_valid() and not searching:
            if query.strip() and form.cleaned_data.get("address") is None:
                form.add_error(
                    "address", _("Choose the address in the list, or clear the address field.")
                )
            else:
                upload = form.cleaned_data.get("image")
                try:
                    if project is None:
                        project = services.project_create(
                            process=process, data=form.data_object(), image=upload
                        )
                        messages.success(request, _("The project is created."))
                    else:
                        services.project_update(
                            project=project,
                            data=form.data_object(),
                            image=upload,
                            remove_image=bool(form.cleaned_data.get("remove_image")),
                        )
                        messages.success(request, _("The project is saved."))
                    return redirect("participation_consultations_backoffice:process", process.pk)
                except services.ConsultationError as error:
                    _add_errors(form, error)
    else:
        form = ProjectForm(
            initial=ProjectForm.initial_of(project) if project else None,
            address_choices=_address_choices(request, "", current_address),
            has_image=has_image,
        )
    return render(
        request,
        "participation/consultations/backoffice/project_form.html",
        {
            "process": process,
            "project": project,
            "form": form,
            "documents": list(process.documents.all()),
            "searched": request.method == "POST" and request.POST.get("action") == "search",
        },
    )


@roles_required(MANAGERS)
@require_http_methods(["GET", "POST"])
def project_create(request: HttpRequest, process_id: int) -> HttpResponse:
    process = access.access_process_for_manager(request, process_id)
    return _project_form_page(request, process, None)


@roles_required(MANAGERS)
@require_http_methods(["GET", "POST"])
def project_edit(request: HttpRequest, project_id: int) -> HttpResponse:
    project = access.access_project_for_manager(request, project_id)
    return _project_form_page(request, project.process, project)


# ---------------------------------------------------------------------------------------------
# Back office: questionnaires and the builder


def _questionnaire_form_page(
    request: HttpRequest, process: Process, questionnaire: Questionnaire | None
) -> HttpResponse:
    form = QuestionnaireForm(
        _posted(request),
        initial=QuestionnaireForm.initial_of(questionnaire) if questionnaire else None,
        process=process,
    )
    if request.method == "POST" and form.is_valid():
        try:
            if questionnaire is None:
                questionnaire = services.questionnaire_create(
                    process=process, data=form.data_object()
                )
                messages.success(request, _("The questionnaire is created: add its questions."))
            else:
                services.questionnaire_update(questionnaire=questionnaire, data=form.data_object())
                messages.success(request, _("The questionnaire is saved."))
            return redirect(
                "participation_consultations_backoffice:questionnaire_builder", questionnaire.pk
            )
        except services.ConsultationError as error:
            _add_errors(form, error)
    return render(
        request,
        "participation/consultations/backoffice/questionnaire_form.html",
        {"process": process, "questionnaire": questionnaire, "form": form},
    )


@roles_required(MANAGERS)
@require_http_methods(["GET", "POST"])
def questionnaire_create(request: HttpRequest, process_id: int) -> HttpResponse:
    process = access.access_process_for_manager(request, process_id)
    return _questionnaire_form_page(request, process, None)


@roles_required(MANAGERS)
@require_http_methods(["GET", "POST"])
def questionnaire_edit(request: HttpRequest, questionnaire_id: int) -> HttpResponse:
    questionnaire = access.access_questionnaire_for_manager(request, questionnaire_id)
    return _questionnaire_form_page(request, questionnaire.process, questionnaire)


@roles_required(MANAGERS)
def questionnaire_builder(request: HttpRequest, questionnaire_id: int) -> HttpResponse:
    questionnaire = access.access_questionnaire_for_manager(request, questionnaire_id)
    questions = questions_of(questionnaire)
    numbers = selectors.question_numbers(questions)
    return render(
        request,
        "participation/consultations/backoffice/builder.html",
        {
            "process": questionnaire.process,
            "questionnaire": questionnaire,
            "questions": [
                (numbers[q.pk], q, numbers.get(q.condition_question_id or 0)) for q in questions
            ],
            "kinds": Question.Kind.choices,
            "responses": questionnaire.responses.count(),
            # A realisation's evaluation: its pages are the realisation's.
            "evaluation": Evaluation.objects.filter(questionnaire=questionnaire)
            .select_related("realisation")
            .first(),
        },
    )


def _question_form_page(
    request: HttpRequest,
    questionnaire: Questionnaire,
    kind: str,
    question: Question | None,
) -> HttpResponse:
    questions = questions_of(questionnaire)
    if question is not None:
        index = next(i for i, q in enumerate(questions) if q.pk == question.pk)
        earlier = questions[:index]
    else:
        earlier = questions
    form = QuestionForm(
        _posted(request),
        initial=QuestionForm.initial_of(question) if question else None,
        kind=kind,
        earlier=earlier,
    )
    if request.method == "POST" and form.is_valid():
        try:
            if question is None:
                services.question_create(
                    questionnaire=questionnaire, kind=kind, data=form.data_object()
                )
                messages.success(request, _("The question is added."))
            else:
                services.question_update(question=question, data=form.data_object())
                messages.success(request, _("The question is saved."))
            return redirect(
                "participation_consultations_backoffice:questionnaire_builder", questionnaire.pk
            )
        except services.ConsultationError as error:
            _add_errors(form, error)
    return render(
        request,
        "participation/consultations/backoffice/question_form.html",
        {
            "process": questionnaire.process,
            "questionnaire": questionnaire,
            "question": question,
            "kind_label": Question.Kind(kind).label,
            "kind": kind,
            "form": form,
        },
    )


@roles_required(MANAGERS)
@require_http_methods(["GET", "POST"])
def question_create(request: HttpRequest, questionnaire_id: int) -> HttpResponse:
    questionnaire = access.access_questionnaire_for_manager(request, questionnaire_id)
    kind = request.POST.get("kind") or request.GET.get("kind", "")
    if kind not in Question.Kind.values:
        messages.error(request, _("Choose a kind of question."))
        return redirect(
            "participation_consultations_backoffice:questionnaire_builder", questionnaire.pk
        )
    return _question_form_page(request, questionnaire, kind, None)


@roles_required(MANAGERS)
@require_http_methods(["GET", "POST"])
def question_edit(request: HttpRequest, question_id: int) -> HttpResponse:
    question = access.access_question_for_manager(request, question_id)
    return _question_form_page(request, question.questionnaire, question.kind, question)


@roles_required(MANAGERS)
@require_http_methods(["GET", "POST"])
def question_delete(request: HttpRequest, question_id: int) -> HttpResponse:
    question = access.access_question_for_manager(request, question_id)
    questionnaire = question.questionnaire
    protected = services.question_protected(question)
    if request.method == "POST":
        try:
            dependants = services.question_delete(question=question)
        except services.ConsultationError as refused:
            messages.error(request, str(refused))
            return redirect(
                "participation_consultations_backoffice:questionnaire_builder", questionnaire.pk
            )
        messages.success(request, _("The question is deleted."))
        for dependant in dependants:
            messages.warning(
                request,
                _("“%(question)s” is now always shown: its condition was the deleted question.")
                % {"question": dependant.text},
            )
        return redirect(
            "participation_consultations_backoffice:questionnaire_builder", questionnaire.pk
        )
    return render(
        request,
        "participation/consultations/backoffice/question_delete.html",
        {
            "process": questionnaire.process,
            "questionnaire": questionnaire,
            "question": question,
            "answers": question.answers.values("response_id").distinct().count(),
            "protected": protected,
        },
    )


@roles_required(MANAGERS)
@require_POST
def question_move(request: HttpRequest, question_id: int) -> HttpResponse:
    question = access.access_question_for_manager(request, question_id)
    offset = -1 if request.POST.get("direction") == "up" else 1
    try:
        if services.question_move(question=question, offset=offset):
            messages.success(
                request,
                _("“%(question)s” moved up.") % {"question": question.text}
                if offset < 0
                else _("“%(question)s” moved down.") % {"question": question.text},
            )
    except services.ConsultationError as error:
        messages.error(request, str(error))
    return redirect(
        reverse(
            "participation_consultations_backoffice:questionnaire_builder",
            args=[question.questionnaire_id],
        )
        + f"#question-{question.pk}"
    )


# ---------------------------------------------------------------------------------------------
# Back office: results, free-text answers, tags, export


@roles_required(MANAGERS)
def backoffice_results(request: HttpRequest, questionnaire_id: int) -> HttpResponse:
    questionnaire = access.access_questionnaire_for_manager(request, questionnaire_id)
    return render(
        request,
        "participation/consultations/questionnaire_results.html",
        {
            "process": questionnaire.process,
            "questionnaire": questionnaire,
            "public": True,
            "public_now": selectors.results_public(questionnaire),
            "results": selectors.questionnaire_results(questionnaire),
            "backoffice": True,
        },
    )


def _text_filters(request: HttpRequest, questionnaire: Questionnaire) -> TextFilterForm:
    return TextFilterForm(
        request.GET or None,
        questions=[(q.pk, q.text) for q in questionnaire.questions.filter(kind=Question.Kind.TEXT)],
        tags=[(t.pk, t.name) for t in questionnaire.tags.all()],
    )


def _filtered_answers(request: HttpRequest, questionnaire: Questionnaire) -> Any:
    filters = _text_filters(request, questionnaire)
    params = filters.cleaned_data if filters.is_valid() else {}
    answers = selectors.text_answers(
        questionnaire, question_id=params.get("question"), tag_id=params.get("tag")
    )
    return filters, answers


@roles_required(MANAGERS)
def text_answers(request: HttpRequest, questionnaire_id: int) -> HttpResponse:
    questionnaire = access.access_questionnaire_for_manager(request, questionnaire_id)
    filters, answers = _filtered_answers(request, questionnaire)
    page = Paginator(answers, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "participation/consultations/backoffice/text_answers.html",
        {
            "process": questionnaire.process,
            "questionnaire": questionnaire,
            "filters": filters,
            "page": page,
            "tags": selectors.questionnaire_tags(questionnaire),
            "tag_form": TagForm(),
            "query": request.GET.urlencode(),
            # The filters without the page: the pages' links keep them.
            "filter_query": "&".join(
                f"{name}={value}"
                for name, value in (
                    (
                        "question",
                        filters.cleaned_data.get("question") if filters.is_valid() else None,
                    ),
                    ("tag", filters.cleaned_data.get("tag") if filters.is_valid() else None),
                )
                if value is not None
            ),
        },
    )


@roles_required(MANAGERS)
def text_answers_csv(request: HttpRequest, questionnaire_id: int) -> HttpResponse:
    questionnaire = access.access_questionnaire_for_manager(request, questionnaire_id)
    _filters, answers = _filtered_answers(request, questionnaire)
    content = "".join(selectors.text_answers_csv(answers))
    response = HttpResponse(content.encode("utf-8"), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = (
        f'attachment; filename="questionnaire-{questionnaire.pk}-reponses-libres.csv"'
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response


def _back_to_answers(request: HttpRequest, questionnaire_id: int, answer_id: int) -> HttpResponse:
    url = reverse("participation_consultations_backoffice:text_answers", args=[questionnaire_id])
    query = request.POST.get("next_query", "")
    # Only our own filter parameters go back into the address.
    if query and all(
        part.split("=")[0] in ("question", "tag", "page") for part in query.split("&")
    ):
        url += "?" + query
    return redirect(f"{url}#answer-{answer_id}")


@roles_required(MANAGERS)
@require_POST
def answer_tag_add(request: HttpRequest, answer_id: int) -> HttpResponse:
    answer = access.access_answer_for_manager(request, answer_id)
    form = TagForm(request.POST)
    questionnaire_id = answer.question.questionnaire_id
    if not form.is_valid():
        messages.error(request, _("Write the tag (60 characters at most)."))
    else:
        try:
            tag = services.answer_tag_add(
                answer=answer, name=form.cleaned_data["name"], user=_user(request)
            )
            messages.success(request, _("Tag “%(tag)s” added.") % {"tag": tag.name})
        except services.ConsultationError as error:
            messages.error(request, str(error))
    return _back_to_answers(request, questionnaire_id, answer.pk)


@roles_required(MANAGERS)
@require_POST
def answer_tag_remove(request: HttpRequest, answer_id: int) -> HttpResponse:
    answer = access.access_answer_for_manager(request, answer_id)
    value = request.POST.get("tag", "")
    if value.isdigit() and services.answer_tag_remove(
        answer=answer, tag_id=int(value), user=_user(request)
    ):
        messages.success(request, _("Tag removed."))
    else:
        messages.error(request, _("This tag is not on this answer."))
    return _back_to_answers(request, answer.question.questionnaire_id, answer.pk)
