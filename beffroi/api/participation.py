"""Participation API (mounted at /participation/): processes and their phases, proposals and
supports, comments, meetings and questionnaires.

The rules are the pages' own: every object is loaded through ``participation.access`` (another
organisation's object, a draft process for anyone but its managers, a hidden proposal or
comment for anyone but the moderators answer 404 alike) and every write calls the service the
page calls, which asks ``access.check``. A refusal is ``403 {"detail": <why>, "code": <code>}``
with the code of ``access.Decision`` (``phase_closed``, ``login``, ``account_needed``,
``email_unverified``, ``blocked``, ``too_young``, ``not_resident``, ``rate_limited``…); bad input
is ``422`` with one message list per field.

Who is asking: reads need no authentication. Writes take the resident signed in on the site
(the session cookie, with the CSRF token in ``X-CSRFToken`` like the site's own forms), or the
person proven by an SMS code in that session, or an agent's token (``Authorization: Bearer
bf_…``) acting as that agent's own participant. Reads use the session (or a token, if sent) to
say what the caller did (``supported``, a meeting's registration).
"""

from __future__ import annotations

import functools
import secrets
from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from django.conf import settings
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Path, Query, Router, Schema
from ninja.errors import HttpError
from ninja.responses import Status
from ninja.security import APIKeyCookie
from ninja.utils import check_csrf

from beffroi.accounts.access import request_organisation
from beffroi.api.auth import agent_token, token_user
from beffroi.participation import access
from beffroi.participation.access import ActionRefused, Decision
from beffroi.participation.comments import selectors as comment_selectors
from beffroi.participation.comments.services import CommentError, Subject, comment_create
from beffroi.participation.consultations import selectors as consultation_selectors
from beffroi.participation.consultations.answering import questions_of
from beffroi.participation.consultations.services import AnswersInvalid, response_submit
from beffroi.participation.meetings import selectors as meeting_selectors
from beffroi.participation.meetings import services as meeting_services
from beffroi.participation.meetings.services import MeetingError
from beffroi.participation.models import (
    Action,
    Comment,
    Meeting,
    Participant,
    PhaseType,
    Process,
    Proposal,
    ProposalFile,
    Question,
    Questionnaire,
    Registration,
)
from beffroi.participation.processes import selectors as process_selectors
from beffroi.participation.proposals import selectors as proposal_selectors
from beffroi.participation.proposals import services as proposal_services
from beffroi.territory.selectors import organisation_url

router = Router(tags=["participation"])

MAX_ID = 2**31 - 1
# No control characters but tabs and line breaks: they have no place in a text a person
# writes, and PostgreSQL refuses NUL.
_TEXT = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]*$"
PER_PAGE = 20

ProposalId = Annotated[int, Path(ge=1, le=MAX_ID, description="The proposal's number.")]
MeetingId = Annotated[int, Path(ge=1, le=MAX_ID, description="The meeting's number.")]
QuestionnaireId = Annotated[int, Path(ge=1, le=MAX_ID, description="The questionnaire's number.")]
ProcessSlug = Annotated[
    str,
    Path(
        min_length=1,
        max_length=80,
        pattern=r"^[-a-zA-Z0-9_]+$",
        description="The process's slug, as in its page's address.",
    ),
]
ActionName = Literal[
    "propose", "comment", "support", "opinion", "answer", "register_meeting", "vote", "evaluate"
]  # fmt: skip


# --- Who is asking -------------------------------------------------------------------------


class ResidentSession(APIKeyCookie):
    """The session of a resident signed in on the site (or proven by an SMS code).

    Like the site's forms, a write sent with the session cookie must carry the CSRF token
    (``X-CSRFToken`` header, the ``csrftoken`` cookie's value): another site cannot make a
    resident's browser support or comment in their name. A request without the session
    cookie has no ambient authority to abuse, so it goes straight to 401."""

    param_name: str = settings.SESSION_COOKIE_NAME
    openapi_description: str = (
        "A resident signed in on the site: the session cookie, with the CSRF token of the "
        "`csrftoken` cookie in the `X-CSRFToken` header on writes. A person without an "
        "account who confirmed their mobile number with an SMS code on the site is "
        "authenticated the same way."
    )

    def _get_key(self, request: HttpRequest) -> str | None:
        key = request.COOKIES.get(self.param_name)
        checked = key and self.csrf and not getattr(request, "_ninja_csrf_exempt", False)
        if checked and check_csrf(request) is not None:
            raise HttpError(
                403,
                _(
                    "CSRF check failed: send the value of the csrftoken cookie in the "
                    "X-CSRFToken header."
                ),
            )
        return key

    def authenticate(self, request: HttpRequest, key: str | None) -> Participant | None:
        if not key:
            return None
        return access.request_participant(request)


resident_session = ResidentSession()
PARTICIPANT_AUTH = [agent_token, resident_session]


def _identify(request: HttpRequest) -> None:
    """Reads: an agent's token, when one is sent, says who is reading (the session cookie
    already does, through the middleware)."""
    header = request.headers.get("Authorization", "")
    scheme, _sep, token = header.partition(" ")
    if scheme.lower() == "bearer" and token:
        user = token_user(request, token)
        if user is not None:
            request.user = user


def _participant(request: HttpRequest) -> Participant | None:
    return access.request_participant(request)


# --- Schemas -------------------------------------------------------------------------------


class ErrorOut(Schema):
    detail: str


class RefusalOut(Schema):
    detail: str = Field(description="Why, in the resident's language.")
    code: str = Field(
        "",
        description="The rule that refused: phase_closed, not_published, login, "
        "account_needed, email_unverified, blocked, birth_year, too_young, not_resident, "
        "rate_limited, not_supportable, meeting_cancelled, meeting_started, "
        "registration_closed…",
    )


class ValidationErrorOut(Schema):
    detail: str
    errors: dict[str, list[str]]


class DecisionOut(Schema):
    allowed: bool
    code: str = Field(description="Empty when allowed; else as in a 403's code.")
    message: str


class ZoneOut(Schema):
    id: int
    name: str
    kind: str


class CategoryOut(Schema):
    id: int
    name: str


class DocumentOut(Schema):
    id: int
    title: str
    url: str
    content_type: str
    size: int


class PhaseOut(Schema):
    id: int
    type: str
    type_label: str
    title: str
    description: str = Field(description="Sanitised HTML.")
    starts_at: datetime
    ends_at: datetime
    mode: Literal["dates", "open", "closed"] = Field(
        description="dates: opens and closes on its dates; open/closed: set by hand."
    )
    state: Literal["open", "upcoming", "past"]
    actions: list[ActionName] = Field(description="What residents may do while it is open.")


class ProcessSummaryOut(Schema):
    slug: str
    title: str
    summary: str
    blueprint: str
    status: Literal["published", "archived", "draft"]
    state: Literal["open", "upcoming", "past"]
    open_actions: list[ActionName]
    url: str


class ProcessOut(ProcessSummaryOut):
    description: str = Field(description="Sanitised HTML.")
    illustration_url: str
    illustration_alt: str
    whole_territory: bool
    zones: list[ZoneOut]
    min_age: int | None
    residents_only: bool
    support_threshold: int | None
    phases: list[PhaseOut]
    categories: list[CategoryOut]
    documents: list[DocumentOut]
    proposals_url: str
    feed_url: str = Field(description="Atom feed of the process's proposals.")


class FileOut(Schema):
    id: int
    kind: Literal["image", "attachment"]
    name: str = Field(description="The name the resident gave the file (plain text).")
    content_type: str
    size: int
    alt_text: str
    url: str


class ProposalSummaryOut(Schema):
    id: int
    process: str = Field(description="The process's slug.")
    title: str = Field(description="Plain text, as typed: escape it when showing it.")
    category: CategoryOut | None
    zones: list[ZoneOut]
    lat: float | None
    lon: float | None
    estimated_cost: str | None = Field(description="Euros, a decimal number as text.")
    state: Literal["published", "withdrawn"]
    withdrawn: bool
    answer: Literal["", "under_study", "accepted", "rejected"]
    feasibility: Literal["", "feasible", "not_feasible"]
    origin: Literal["online", "workshop", "paper", "phone"]
    author_name: str = Field(description='The public name, or "a resident".')
    supports_count: int
    comments_count: int
    created_at: datetime
    url: str
    supported: bool = Field(description="Whether the caller supports it.")


class ProposalOut(ProposalSummaryOut):
    body: str = Field(description="Sanitised HTML.")
    address: str
    withdrawn_at: datetime | None
    answer_label: str
    answer_text: str = Field(description="Sanitised HTML: the commune's explanation.")
    answered_at: datetime | None
    feasibility_label: str
    services_cost: str | None
    feasibility_note: str = Field(description="Sanitised HTML.")
    threshold_reached: bool
    updated_at: datetime
    files: list[FileOut]
    can_support: DecisionOut = Field(description="Whether the caller may support now.")


class ProposalPageOut(Schema):
    count: int
    page: int
    pages: int
    per_page: int
    sort: Literal["supported", "newest", "commented", "random"]
    seed: int = Field(description="The random order's seed: send it back for the next pages.")
    results: list[ProposalSummaryOut]


class ProposalFilter(Schema):
    q: str = Field("", max_length=200, pattern=_TEXT, description="Words of the title or text.")
    category: int | None = Field(None, ge=1, le=MAX_ID, description="A category's id.")
    zone: int | None = Field(None, ge=1, le=MAX_ID, description="A zone's id.")
    status: (
        Literal[
            "open",
            "under_study",
            "accepted",
            "rejected",
            "feasible",
            "not_feasible",
            "withdrawn",
        ]
        | None
    ) = Field(
        None,
        description="open: awaiting an answer. Without status, withdrawn proposals are "
        "left out; status=withdrawn lists them.",
    )
    sort: Literal["supported", "newest", "commented", "random"] = "supported"
    seed: int | None = Field(
        None,
        ge=0,
        le=proposal_selectors.SEED_MAX,
        description="Random order: the same seed gives the same order on every page.",
    )
    page: int = Field(1, ge=1, le=100_000)
    per_page: int = Field(PER_PAGE, ge=1, le=100)


class ProposalIn(Schema):
    title: str = Field(max_length=150, pattern=_TEXT)
    body: str = Field(
        max_length=20_000,
        pattern=_TEXT,
        description="Plain text (blank lines between paragraphs) or HTML, sanitised by "
        "an allow-list.",
    )
    category: int | None = Field(None, ge=1, le=MAX_ID)
    address_id: int | None = Field(
        None, ge=1, le=MAX_ID, description="An address from /territory/addresses/search."
    )
    lat: float | None = Field(None, ge=-90, le=90, allow_inf_nan=False)
    lon: float | None = Field(None, ge=-180, le=180, allow_inf_nan=False)
    estimated_cost: Decimal | None = Field(
        None, ge=0, max_digits=12, decimal_places=2, allow_inf_nan=False
    )


class SupportOut(Schema):
    supported: bool
    changed: bool = Field(
        description="False when nothing changed (already supported / no support to withdraw)."
    )
    supports_count: int


class CommentOut(Schema):
    id: int
    parent: int | None
    depth: int
    author_name: str
    stance: Literal["for", "against", "neutral"]
    body: str = Field(description="Plain text, as typed (empty when hidden).")
    hidden: bool
    notice: str = Field(description="The moderators' public notice of a hidden comment.")
    votes_up: int
    votes_down: int
    my_vote: int = Field(description="The caller's vote on it: 1, -1 or 0.")
    created_at: datetime
    edited_at: datetime | None
    replies: list[CommentOut]


class CommentSummaryOut(Schema):
    total: int = Field(
        description="Every visible comment, replies included (``count`` above counts the "
        "threads that are paged)."
    )
    for_: int = Field(alias="for", description="Comments for the proposal, replies included.")
    against: int = Field(description="Comments against the proposal, replies included.")
    neutral: int = Field(description="Neutral comments, replies included.")


class CommentPageOut(Schema):
    count: int = Field(
        description="Threads: top-level comments, each with its replies; ``pages`` pages them."
    )
    page: int
    pages: int
    summary: CommentSummaryOut
    can_comment: DecisionOut
    comments: list[CommentOut]


class CommentFilter(Schema):
    sort: Literal["oldest", "newest", "best"] = "oldest"
    page: int = Field(1, ge=1, le=100_000)


class CommentIn(Schema):
    body: str = Field(max_length=20_000, pattern=_TEXT)
    stance: Literal["for", "against", "neutral"] = "neutral"
    parent: int | None = Field(None, ge=1, le=MAX_ID, description="The comment answered.")


class RegistrationOut(Schema):
    meeting: int
    status: Literal["confirmed", "waiting", "cancelled"]
    waiting_position: int | None = Field(description="1 for the first on the waiting list.")


class MeetingProposalOut(Schema):
    id: int
    title: str
    url: str


class MeetingOut(Schema):
    id: int
    process: str
    title: str
    description: str = Field(description="Plain text.")
    kind: Literal["in_person", "online", "hybrid"]
    kind_label: str
    starts_at: datetime
    ends_at: datetime
    place_name: str
    address_text: str
    lat: float | None
    lon: float | None
    online_url: str = Field(
        description="The link to join online: only for a caller registered (confirmed) for "
        "this meeting, in its detail; empty otherwise."
    )
    agenda: list[str]
    accessibility: str
    capacity: int | None
    seats_left: int | None = Field(description="None: no limit.")
    seats: str = Field(description="The seats in words, as the page says them.")
    registration_open: bool
    cancelled: bool
    started: bool
    over: bool
    url: str
    ical_url: str


class MeetingDetailOut(MeetingOut):
    minutes: str = Field(description="Sanitised HTML, once published.")
    attendance: int | None
    proposals: list[MeetingProposalOut] = Field(description="Proposals born there.")
    registration: RegistrationOut | None = Field(description="The caller's registration.")
    can_register: DecisionOut


class OptionOut(Schema):
    id: int
    label: str


class ConditionOut(Schema):
    question: int
    choices: list[int] = Field(description="Shown when the answer includes one of these.")


class QuestionOut(Schema):
    id: int
    number: int
    kind: Literal["single", "multiple", "scale", "text", "ranking", "matrix"]
    text: str
    help_text: str
    required: bool
    max_choices: int | None
    scale_min: int
    scale_max: int
    scale_min_label: str
    scale_max_label: str
    choices: list[OptionOut] = Field(description="Options; a matrix's columns.")
    rows: list[OptionOut] = Field(description="A matrix's rows.")
    condition: ConditionOut | None


class QuestionnaireSummaryOut(Schema):
    id: int
    process: str
    title: str
    project: OptionOut | None = Field(description="The municipal project it is about.")
    url: str


class QuestionnaireOut(QuestionnaireSummaryOut):
    description: str = Field(description="Sanitised HTML.")
    results_public: bool
    results_url: str
    answered: bool = Field(description="Whether the caller already answered (answering again "
                           "replaces the answers).")  # fmt: skip
    can_answer: DecisionOut
    questions: list[QuestionOut]


class AnswerIn(Schema):
    question: int = Field(ge=1, le=MAX_ID)
    choice: int | None = Field(None, ge=1, le=MAX_ID, description="Single choice.")
    choices: list[Annotated[int, Field(ge=1, le=MAX_ID)]] = Field(
        default_factory=list, max_length=100, description="Multiple choice."
    )
    value: int | None = Field(None, ge=-1000, le=1000, description="Scale.")
    text: str | None = Field(None, max_length=20_000, pattern=_TEXT, description="Free text.")
    ranks: dict[str, Annotated[int, Field(ge=-1000, le=1000)]] = Field(
        default_factory=dict,
        max_length=100,
        description='Ranking: each option\'s id → its rank, 1 first ({"12": 1, "13": 2}).',
    )
    rows: dict[str, Annotated[int, Field(ge=1, le=MAX_ID)]] = Field(
        default_factory=dict,
        max_length=100,
        description="Matrix: each row's id → the id of the column chosen.",
    )


class ResponseIn(Schema):
    answers: list[AnswerIn] = Field(max_length=500)


class ResponseOut(Schema):
    questionnaire: int
    created: bool = Field(description="False when it replaced an earlier response.")
    submitted_at: datetime
    updated_at: datetime


# --- Helpers -------------------------------------------------------------------------------


def _invalid(errors: dict[str, list[str]]) -> Status[dict[str, Any]]:
    return Status(422, {"detail": _("The request is invalid."), "errors": errors})


def _refused(decision: Decision) -> Status[dict[str, Any]]:
    return Status(403, {"detail": str(decision.message), "code": decision.code})


def answers_refusals[F: Callable[..., Any]](view: F) -> F:
    """The services' refusals and input errors as the API's JSON answers: ``ActionRefused``
    → 403 with its code; the comments', meetings' and questionnaires' own input errors → 422
    per field (Django's ``ValidationError`` is the API's own 422 already)."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        try:
            return view(request, *args, **kwargs)
        except ActionRefused as refused:
            return _refused(refused.decision)
        except (CommentError, MeetingError) as error:
            return _invalid({(k or "__all__"): list(v) for k, v in error.errors.items()})
        except AnswersInvalid as invalid:
            return _invalid({f"answers.{qid}": [m] for qid, m in invalid.errors.items()})

    return wrapper  # type: ignore[return-value]


def _decision_out(decision: Decision) -> dict[str, Any]:
    return {
        "allowed": decision.allowed,
        "code": decision.code,
        "message": str(decision.message),
    }


class _Links:
    """Absolute links to the organisation's pages (one host lookup per request)."""

    def __init__(self, request: HttpRequest) -> None:
        self.base = organisation_url(request_organisation(request))

    def __call__(self, name: str, *args: Any) -> str:
        return self.base + reverse(name, args=args)


def _zone_out(zone: Any) -> dict[str, Any]:
    return {"id": zone.pk, "name": zone.name, "kind": zone.kind}


def _phase_out(step: process_selectors.TimelineStep) -> dict[str, Any]:
    phase = step.phase
    return {
        "id": phase.pk,
        "type": phase.type,
        "type_label": str(PhaseType(phase.type).label) if phase.type in PhaseType.values else "",
        "title": phase.title,
        "description": phase.description,
        "starts_at": phase.starts_at,
        "ends_at": phase.ends_at,
        "mode": phase.mode,
        "state": step.state,
        "actions": sorted(phase.actions),
    }


def _process_summary(process: Process, links: _Links, now: datetime) -> dict[str, Any]:
    return {
        "slug": process.slug,
        "title": process.title,
        "summary": process.summary,
        "blueprint": process.blueprint,
        "status": process.status,
        "state": process_selectors.process_state(process, now),
        "open_actions": sorted(access.open_actions(process, now)),
        "url": links("participation_processes:detail", process.slug),
    }


def _process(request: HttpRequest, slug: str) -> Process:
    _identify(request)
    return access.access_process(request, slug)


def _money(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def _author_name(participant: Participant | None) -> str:
    return participant.public_name if participant is not None else str(_("a resident"))


def _proposal_summary(
    proposal: Proposal, links: _Links, zones: list[Any], supported: set[int]
) -> dict[str, Any]:
    category = proposal.category
    return {
        "id": proposal.pk,
        "process": proposal.process.slug,
        "title": proposal.title,
        "category": {"id": category.pk, "name": category.name} if category else None,
        "zones": [_zone_out(z) for z in zones],
        "lat": proposal.lat,
        "lon": proposal.lon,
        "estimated_cost": _money(proposal.estimated_cost),
        "state": proposal.state,
        "withdrawn": proposal.state == Proposal.State.WITHDRAWN,
        "answer": proposal.answer,
        "feasibility": proposal.feasibility,
        "origin": proposal.origin,
        "author_name": _author_name(proposal.author),
        "supports_count": proposal.supports_count,
        "comments_count": proposal.comments_count,
        "created_at": proposal.created_at,
        "url": links("participation_proposals:detail", proposal.pk),
        "supported": proposal.pk in supported,
    }


def _proposal_detail(request: HttpRequest, proposal: Proposal) -> dict[str, Any]:
    links = _Links(request)
    process = Process.objects.prefetch_related("phases").get(pk=proposal.process_id)
    proposal.process = process
    participant = _participant(request)
    supported = proposal_selectors.supported_ids(
        participant=participant, proposal_ids=[proposal.pk]
    )
    files: list[ProposalFile] = list(proposal.files.all())
    address = proposal.address
    return {
        **_proposal_summary(proposal, links, list(proposal.zones.all()), supported),
        "body": proposal.body,
        "address": address.label if address is not None else "",
        "withdrawn_at": proposal.withdrawn_at,
        "answer_label": proposal.get_answer_display() if proposal.answer else "",
        "answer_text": proposal.answer_text,
        "answered_at": proposal.answered_at,
        "feasibility_label": proposal.get_feasibility_display() if proposal.feasibility else "",
        "services_cost": _money(proposal.services_cost),
        "feasibility_note": proposal.feasibility_note,
        "threshold_reached": proposal.threshold_reached_at is not None,
        "updated_at": proposal.updated_at,
        "files": [
            {
                "id": f.pk,
                "kind": f.kind,
                "name": f.original_name,
                "content_type": f.content_type,
                "size": f.size,
                "alt_text": f.alt_text,
                "url": links("participation_proposals:file", f.pk),
            }
            for f in files
        ],
        "can_support": _decision_out(
            access.decide(participant, process, Action.SUPPORT)
            if proposal.state == Proposal.State.PUBLISHED
            else Decision(False, "not_supportable", _("This proposal can no longer be supported."))
        ),
    }


def _proposal(request: HttpRequest, proposal_id: int) -> Proposal:
    proposal = access.access_proposal(request, proposal_id)
    proposal.process = Process.objects.prefetch_related("phases").get(pk=proposal.process_id)
    return proposal


def _pages(count: int, per_page: int) -> int:
    return max(1, -(-count // per_page))


# --- Processes -----------------------------------------------------------------------------

READ = {404: ErrorOut, 422: ValidationErrorOut, 429: ErrorOut}
WRITE = {
    401: ErrorOut,
    403: RefusalOut,
    404: ErrorOut,
    422: ValidationErrorOut,
    429: ErrorOut,
}


@router.get(
    "/processes",
    response={200: list[ProcessSummaryOut], 422: ValidationErrorOut, 429: ErrorOut},
    summary="The organisation's public processes",
    description="Published processes (and archived ones, as past), open ones first.",
)
def process_list(
    request: HttpRequest,
    state: Literal["open", "upcoming", "past"] | None = None,
) -> list[dict[str, Any]]:
    _identify(request)
    now = timezone.now()
    sections = process_selectors.public_processes(
        organisation=request_organisation(request), now=now
    )
    links = _Links(request)
    chosen = [state] if state else ["open", "upcoming", "past"]
    return [
        _process_summary(process, links, now)
        for name in chosen
        for process in getattr(sections, name)
    ]


@router.get(
    "/processes/{slug}",
    response={200: ProcessOut, **READ},
    summary="A process: its phases, what residents may do now, categories and documents",
)
def process_detail(request: HttpRequest, slug: ProcessSlug) -> dict[str, Any]:
    process = _process(request, slug)
    links = _Links(request)
    now = timezone.now()
    return {
        **_process_summary(process, links, now),
        "description": process.description,
        "illustration_url": (
            links("participation_processes:illustration", process.slug)
            if process.illustration
            else ""
        ),
        "illustration_alt": process.illustration_alt,
        "whole_territory": process.whole_territory,
        "zones": [_zone_out(z) for z in process.zones.order_by("kind", "name")],
        "min_age": process.min_age,
        "residents_only": process.residents_only,
        "support_threshold": process.support_threshold,
        "phases": [_phase_out(step) for step in process_selectors.timeline(process, now)],
        "categories": [{"id": c.pk, "name": c.name} for c in process.categories.all()],
        "documents": [
            {
                "id": d.pk,
                "title": d.title,
                "url": links("participation_processes:document", process.slug, d.pk),
                "content_type": d.content_type,
                "size": d.size,
            }
            for d in process.documents.all()
        ],
        "proposals_url": links("participation_proposals:list", process.slug),
        "feed_url": links("participation_proposals:feed", process.slug),
    }


@router.get(
    "/processes/{slug}/phases",
    response={200: list[PhaseOut], **READ},
    summary="The calendar of a process's phases",
)
def process_phases(request: HttpRequest, slug: ProcessSlug) -> list[dict[str, Any]]:
    process = _process(request, slug)
    return [_phase_out(step) for step in process_selectors.timeline(process)]


# --- Proposals -----------------------------------------------------------------------------


@router.get(
    "/processes/{slug}/proposals",
    response={200: ProposalPageOut, **READ},
    summary="A process's proposals: search, filters, sorts, pages",
    description="Proposals hidden by the moderators never appear. Random order: the answer "
    "gives the seed it used; send it back for the following pages.",
)
def proposal_list(
    request: HttpRequest, slug: ProcessSlug, filters: Query[ProposalFilter]
) -> dict[str, Any]:
    process = _process(request, slug)
    seed = filters.seed
    if filters.sort == "random" and seed is None:
        seed = secrets.randbelow(proposal_selectors.SEED_MAX) + 1
    chosen = proposal_selectors.ProposalFilters(
        query=filters.q.strip(),
        category_id=filters.category,
        zone_id=filters.zone,
        status=filters.status or "",
        sort=filters.sort,
        seed=seed or 0,
    )
    proposals = proposal_selectors.proposals_filtered(process=process, filters=chosen)
    count = proposals.count()
    start = (filters.page - 1) * filters.per_page
    rows = list(proposals.prefetch_related("zones")[start : start + filters.per_page])
    for row in rows:
        row.process = process
    supported = proposal_selectors.supported_ids(
        participant=_participant(request), proposal_ids=[p.pk for p in rows]
    )
    links = _Links(request)
    return {
        "count": count,
        "page": filters.page,
        "pages": _pages(count, filters.per_page),
        "per_page": filters.per_page,
        "sort": filters.sort,
        "seed": seed or 0,
        "results": [_proposal_summary(p, links, list(p.zones.all()), supported) for p in rows],
    }


@router.post(
    "/processes/{slug}/proposals",
    auth=PARTICIPANT_AUTH,
    response={201: ProposalOut, **WRITE},
    summary="Publish a proposal (a resident signed in, during a proposals phase)",
    description="Images and attachments are added on the site's form. A refusal is 403 "
    "with its code (phase_closed, account_needed, email_unverified, blocked, rate_limited…).",
)
@answers_refusals
def proposal_create(
    request: HttpRequest, slug: ProcessSlug, payload: ProposalIn
) -> Status[dict[str, Any]]:
    process = access.access_process(request, slug)
    place = None
    if payload.address_id is not None or payload.lat is not None or payload.lon is not None:
        place = proposal_services.Place(
            address_id=payload.address_id,
            lat=payload.lat if payload.address_id is None else None,
            lon=payload.lon if payload.address_id is None else None,
        )
    proposal = proposal_services.proposal_create(
        process=process,
        participant=_participant(request),
        data=proposal_services.ProposalInput(
            title=payload.title,
            body=payload.body,
            category_id=payload.category,
            place=place,
            estimated_cost=payload.estimated_cost,
        ),
    )
    created = Proposal.objects.select_related("author", "category", "address").get(pk=proposal.pk)
    return Status(201, _proposal_detail(request, created))


@router.get(
    "/proposals/{proposal_id}",
    response={200: ProposalOut, **READ},
    summary="A proposal, its official answer and feasibility review",
)
def proposal_detail(request: HttpRequest, proposal_id: ProposalId) -> dict[str, Any]:
    _identify(request)
    return _proposal_detail(request, _proposal(request, proposal_id))


def _support_out(proposal: Proposal, supported: bool, changed: bool) -> dict[str, Any]:
    count = Proposal.objects.filter(pk=proposal.pk).values_list("supports_count", flat=True)
    return {"supported": supported, "changed": changed, "supports_count": count.first() or 0}


@router.post(
    "/proposals/{proposal_id}/support",
    auth=PARTICIPANT_AUTH,
    response={200: SupportOut, **WRITE},
    summary="Support a proposal (once per person, while a support phase is open)",
)
@answers_refusals
def support_add(request: HttpRequest, proposal_id: ProposalId) -> dict[str, Any]:
    proposal = _proposal(request, proposal_id)
    counted = proposal_services.support_add(proposal=proposal, participant=_participant(request))
    return _support_out(proposal, True, counted)


@router.delete(
    "/proposals/{proposal_id}/support",
    auth=PARTICIPANT_AUTH,
    response={200: SupportOut, **WRITE},
    summary="Withdraw my support (while the support phase is open)",
)
@answers_refusals
def support_withdraw(request: HttpRequest, proposal_id: ProposalId) -> dict[str, Any]:
    proposal = _proposal(request, proposal_id)
    withdrawn = proposal_services.support_withdraw(
        proposal=proposal, participant=_participant(request)
    )
    return _support_out(proposal, False, withdrawn)


# --- Comments ------------------------------------------------------------------------------


def _comment_out(node: comment_selectors.ThreadNode) -> dict[str, Any]:
    comment = node.comment
    # The API never gives a hidden comment's text, not even to moderators (they read it in
    # the back office): a client caching answers must not keep what the moderators hid.
    hidden = comment.hidden_at is not None
    return {
        "id": comment.pk,
        "parent": comment.parent_id,
        "depth": comment.depth,
        "author_name": _author_name(comment.author),
        "stance": comment.stance,
        "body": "" if hidden else comment.body,
        "hidden": hidden,
        "notice": (
            _("Comment hidden by moderation: %(reason)s") % {"reason": comment.hidden_reason}
            if hidden
            else ""
        ),
        "votes_up": comment.votes_up,
        "votes_down": comment.votes_down,
        "my_vote": node.my_vote,
        "created_at": comment.created_at,
        "edited_at": comment.edited_at,
        "replies": [_comment_out(reply) for reply in node.replies],
    }


@router.get(
    "/proposals/{proposal_id}/comments",
    response={200: CommentPageOut, **READ},
    by_alias=True,
    summary="The discussion of a proposal: top-level comments with their replies",
    description="A hidden comment stays in place (its replies keep their context) with the "
    "moderators' notice instead of its text.",
)
def comment_list(
    request: HttpRequest, proposal_id: ProposalId, filters: Query[CommentFilter]
) -> dict[str, Any]:
    _identify(request)
    proposal = _proposal(request, proposal_id)
    subject = Subject(proposal=proposal)
    viewer = _participant(request)
    page, nodes = comment_selectors.comment_thread(
        subject=subject, viewer=viewer, moderator=False, sort=filters.sort,
        page_number=filters.page,
    )  # fmt: skip
    summary = comment_selectors.comment_summary(subject)
    return {
        "count": page.paginator.count,
        "page": page.number,
        "pages": page.paginator.num_pages,
        "summary": {
            "total": summary.get("total", 0),
            "for": summary.get("for", 0),
            "against": summary.get("against", 0),
            "neutral": summary.get("neutral", 0),
        },
        "can_comment": _decision_out(access.decide(viewer, proposal.process, Action.COMMENT)),
        "comments": [_comment_out(node) for node in nodes],
    }


@router.post(
    "/proposals/{proposal_id}/comments",
    auth=PARTICIPANT_AUTH,
    response={201: CommentOut, **WRITE},
    summary="Comment on a proposal, or reply to a comment (parent)",
)
@answers_refusals
def comment_add(
    request: HttpRequest, proposal_id: ProposalId, payload: CommentIn
) -> Status[dict[str, Any]]:
    proposal = _proposal(request, proposal_id)
    subject = Subject(proposal=proposal)
    parent: Comment | None = None
    if payload.parent is not None:
        parent = (
            Comment.objects.filter(proposal=proposal, pk=payload.parent)
            .select_related("parent")
            .first()
        )
        if parent is None:
            return _invalid({"parent": [_("The comment you answer no longer exists.")]})
    comment = comment_create(
        participant=_participant(request),
        subject=subject,
        body=payload.body,
        stance=payload.stance,
        parent=parent,
        request=request,
    )
    comment = Comment.objects.select_related("author").get(pk=comment.pk)
    return Status(201, _comment_out(comment_selectors.ThreadNode(comment=comment)))


# --- Meetings ------------------------------------------------------------------------------


def _meeting_out(meeting: Meeting, links: _Links, confirmed: int, now: datetime) -> dict[str, Any]:
    slug = meeting.process.slug
    return {
        "id": meeting.pk,
        "process": slug,
        "title": meeting.title,
        "description": meeting.description,
        "kind": meeting.kind,
        "kind_label": meeting.get_kind_display(),
        "starts_at": meeting.starts_at,
        "ends_at": meeting.ends_at,
        "place_name": meeting.place_name,
        "address_text": meeting.address_text,
        "lat": meeting.lat,
        "lon": meeting.lon,
        # Only for registered participants: see meeting_detail.
        "online_url": "",
        "agenda": [line.strip() for line in meeting.agenda.splitlines() if line.strip()],
        "accessibility": meeting.accessibility,
        "capacity": meeting.capacity,
        "seats_left": meeting_selectors.seats_left(meeting, confirmed),
        "seats": meeting_selectors.seats_in_words(meeting, confirmed),
        "registration_open": meeting.registration_open,
        "cancelled": meeting.cancelled_at is not None,
        "started": meeting.starts_at <= now,
        "over": meeting.ends_at <= now,
        "url": links("participation_meetings:detail", slug, meeting.pk),
        "ical_url": links("participation_meetings:ical", slug, meeting.pk),
    }


def _registration_out(registration: Registration | None) -> dict[str, Any] | None:
    if registration is None or registration.status == Registration.Status.CANCELLED:
        return None
    return {
        "meeting": registration.meeting_id,
        "status": registration.status,
        "waiting_position": (
            meeting_selectors.waiting_position(registration)
            if registration.status == Registration.Status.WAITING
            else None
        ),
    }


@router.get(
    "/processes/{slug}/meetings",
    response={200: list[MeetingOut], **READ},
    summary="A process's workshops and meetings: those to come, then past ones",
)
def meeting_list(request: HttpRequest, slug: ProcessSlug) -> list[dict[str, Any]]:
    process = _process(request, slug)
    now = timezone.now()
    lists = meeting_selectors.meetings_of_process(process=process, now=now)
    links = _Links(request)
    result = []
    for meeting in [*lists["upcoming"], *lists["past"]]:
        meeting.process = process
        confirmed = getattr(meeting, "confirmed_count", None)
        if confirmed is None:
            confirmed = meeting_selectors.confirmed_count(meeting)
        result.append(_meeting_out(meeting, links, confirmed, now))
    return result


def _meeting_detail(request: HttpRequest, meeting: Meeting) -> dict[str, Any]:
    now = timezone.now()
    links = _Links(request)
    participant = _participant(request)
    confirmed = meeting_selectors.confirmed_count(meeting)
    published = meeting.minutes_published_at is not None
    registration = meeting_selectors.registration_of(meeting=meeting, participant=participant)
    registered = registration is not None and registration.status == Registration.Status.CONFIRMED
    return {
        **_meeting_out(meeting, links, confirmed, now),
        "online_url": meeting.online_url if registered else "",
        "minutes": meeting.minutes if published else "",
        "attendance": meeting.attendance if published else None,
        "proposals": [
            {
                "id": p.pk,
                "title": p.title,
                "url": links("participation_proposals:detail", p.pk),
            }
            for p in meeting_selectors.proposals_of_meeting(meeting=meeting)
        ],
        "registration": _registration_out(registration),
        "can_register": _decision_out(
            access.decide(participant, meeting.process, Action.REGISTER_MEETING, now=now)
        ),
    }


@router.get(
    "/processes/{slug}/meetings/{meeting_id}",
    response={200: MeetingDetailOut, **READ},
    summary="A meeting: place, agenda, seats left, minutes, my registration",
)
def meeting_detail(
    request: HttpRequest, slug: ProcessSlug, meeting_id: MeetingId
) -> dict[str, Any]:
    _identify(request)
    return _meeting_detail(request, access.access_meeting(request, slug, meeting_id))


@router.post(
    "/processes/{slug}/meetings/{meeting_id}/registration",
    auth=PARTICIPANT_AUTH,
    response={200: RegistrationOut, **WRITE},
    summary="Register for a meeting (the waiting list when it is full)",
    description="Registering twice returns the registration already held.",
)
@answers_refusals
def meeting_register(
    request: HttpRequest, slug: ProcessSlug, meeting_id: MeetingId
) -> dict[str, Any] | None:
    meeting = access.access_meeting(request, slug, meeting_id)
    registration = meeting_services.registration_create(
        meeting=meeting, participant=_participant(request)
    )
    return _registration_out(registration)


@router.delete(
    "/processes/{slug}/meetings/{meeting_id}/registration",
    auth=PARTICIPANT_AUTH,
    response={200: RegistrationOut, **WRITE},
    summary="Cancel my registration (the seat goes to the first on the waiting list)",
)
@answers_refusals
def meeting_unregister(
    request: HttpRequest, slug: ProcessSlug, meeting_id: MeetingId
) -> dict[str, Any] | Status[dict[str, Any]]:
    meeting = access.access_meeting(request, slug, meeting_id)
    registration = meeting_selectors.registration_of(
        meeting=meeting, participant=_participant(request)
    )
    if registration is None or registration.status == Registration.Status.CANCELLED:
        return Status(404, {"detail": _("You are not registered for this meeting.")})
    meeting_services.registration_cancel(registration=registration)
    return {
        "meeting": meeting.pk,
        "status": Registration.Status.CANCELLED,
        "waiting_position": None,
    }


# --- Questionnaires ------------------------------------------------------------------------


def _questionnaire_summary(questionnaire: Questionnaire, links: _Links) -> dict[str, Any]:
    project = questionnaire.project
    return {
        "id": questionnaire.pk,
        "process": questionnaire.process.slug,
        "title": questionnaire.title,
        "project": {"id": project.pk, "label": project.title} if project else None,
        "url": links("participation_consultations:questionnaire_answer", questionnaire.pk),
    }


def _question_out(question: Question, number: int) -> dict[str, Any]:
    condition = None
    if question.condition_question_id is not None:
        condition = {
            "question": question.condition_question_id,
            "choices": [c.pk for c in question.condition_choices.all()],
        }
    return {
        "id": question.pk,
        "number": number,
        "kind": question.kind,
        "text": question.text,
        "help_text": question.help_text,
        "required": question.required,
        "max_choices": question.max_choices,
        "scale_min": question.scale_min,
        "scale_max": question.scale_max,
        "scale_min_label": question.scale_min_label,
        "scale_max_label": question.scale_max_label,
        "choices": [{"id": c.pk, "label": c.label} for c in question.choices.all()],
        "rows": [{"id": r.pk, "label": r.label} for r in question.rows.all()],
        "condition": condition,
    }


@router.get(
    "/processes/{slug}/questionnaires",
    response={200: list[QuestionnaireSummaryOut], **READ},
    summary="A process's questionnaires",
)
def questionnaire_list(request: HttpRequest, slug: ProcessSlug) -> list[dict[str, Any]]:
    process = _process(request, slug)
    _projects, questionnaires = consultation_selectors.process_consultations(process)
    links = _Links(request)
    for questionnaire in questionnaires:
        questionnaire.process = process
    return [_questionnaire_summary(q, links) for q in questionnaires]


def _questionnaire(request: HttpRequest, questionnaire_id: int) -> Questionnaire:
    questionnaire = access.access_questionnaire(request, questionnaire_id)
    questionnaire.process = Process.objects.prefetch_related("phases").get(
        pk=questionnaire.process_id
    )
    return questionnaire


@router.get(
    "/questionnaires/{questionnaire_id}",
    response={200: QuestionnaireOut, **READ},
    summary="A questionnaire: its questions, choices and conditions",
    description="A question with a condition is asked only when the answer to the "
    "condition's question includes one of its choices; answers to questions not asked are "
    "ignored.",
)
def questionnaire_detail(request: HttpRequest, questionnaire_id: QuestionnaireId) -> dict[str, Any]:
    _identify(request)
    questionnaire = _questionnaire(request, questionnaire_id)
    participant = _participant(request)
    links = _Links(request)
    questions = questions_of(questionnaire)
    answered = consultation_selectors.response_of(
        questionnaire, participant.pk if participant is not None else None
    )
    return {
        **_questionnaire_summary(questionnaire, links),
        "description": questionnaire.description,
        "results_public": consultation_selectors.results_public(questionnaire),
        "results_url": links("participation_consultations:questionnaire_results", questionnaire.pk),
        "answered": answered is not None,
        "can_answer": _decision_out(
            access.decide(participant, questionnaire.process, Action.ANSWER)
        ),
        "questions": [_question_out(q, i) for i, q in enumerate(questions, start=1)],
    }


def _form_data(payload: ResponseIn) -> dict[str, list[str]]:
    """The answers in the site form's own fields, which the service reads (``q<id>``,
    ``q<id>_c<option>`` for a rank, ``q<id>_r<row>`` for a matrix row)."""
    data: dict[str, list[str]] = {}
    for answer in payload.answers:
        name = f"q{answer.question}"
        values = data.setdefault(name, [])
        if answer.choice is not None:
            values.append(str(answer.choice))
        values.extend(str(c) for c in answer.choices)
        if answer.value is not None:
            values.append(str(answer.value))
        if answer.text is not None:
            values.append(answer.text)
        for option, rank in answer.ranks.items():
            data.setdefault(f"{name}_c{option.strip()}", []).append(str(rank))
        for row, column in answer.rows.items():
            data.setdefault(f"{name}_r{row.strip()}", []).append(str(column))
    return data


@router.post(
    "/questionnaires/{questionnaire_id}/responses",
    auth=PARTICIPANT_AUTH,
    response={200: ResponseOut, **WRITE},
    summary="Answer a questionnaire (answering again replaces my answers)",
    description="Each answer names its question and gives, by kind: `choice` (single), "
    "`choices` (multiple), `value` (scale), `text` (free text), `ranks` (ranking: option id "
    "→ rank) or `rows` (matrix: row id → column id). The server checks every answer as the "
    "site's form does; errors come per question as `answers.<question id>`.",
)
@answers_refusals
def response_create(
    request: HttpRequest, questionnaire_id: QuestionnaireId, payload: ResponseIn
) -> dict[str, Any] | Status[dict[str, Any]]:
    questionnaire = _questionnaire(request, questionnaire_id)
    known = set(questionnaire.questions.values_list("pk", flat=True))
    unknown = {a.question for a in payload.answers} - known
    if unknown:
        return _invalid(
            {
                f"answers.{qid}": [_("This question is not part of this questionnaire.")]
                for qid in sorted(unknown)
            }
        )
    response, created = response_submit(
        questionnaire=questionnaire, participant=_participant(request), data=_form_data(payload)
    )
    return {
        "questionnaire": questionnaire.pk,
        "created": created,
        "submitted_at": response.submitted_at,
        "updated_at": response.updated_at,
    }


# Recursive schema (a comment's replies).
CommentOut.model_rebuild()
