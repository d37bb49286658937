"""Realisations API (mounted at /participation/, beside the participation and budgets
routers): the winning projects of a participatory budget followed until delivery. The list
with the public page's filters (year, district or hamlet, status) and a budget, paged; a
realisation with its dated milestones and their photos; following and unfollowing it.

The rules are the pages' own (``participation/realisations/``): the list is the public
page's selector (``realisations_filtered``: a draft process's realisations are left out for
everyone, as on the page), a realisation is loaded through ``access_realisation`` (another
organisation's, or a draft process's for anyone but its managers, answers 404 like a missing
one), and following goes through ``services.realisation_follow`` / ``realisation_unfollow``.

Who is asking: as for proposals' supports, the resident signed in on the site (session
cookie, with the CSRF token in ``X-CSRFToken`` on writes), the person proven by an SMS code
in that session, or an agent's token acting as the agent's own participant. Reads use it
(when sent) to say whether the caller follows.
"""

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Path, Query, Router, Schema
from ninja.responses import Status

from beffroi.accounts.access import request_organisation
from beffroi.api.budgets import ProposalRefOut
from beffroi.api.participation import (
    MAX_ID,
    PARTICIPANT_AUTH,
    PER_PAGE,
    READ,
    WRITE,
    ErrorOut,
    ValidationErrorOut,
    ZoneOut,
    _identify,
    _invalid,
    _Links,
    _pages,
    _participant,
    _zone_out,
    answers_refusals,
)
from beffroi.participation.models import Milestone, Realisation
from beffroi.participation.realisations import evaluations, selectors, services
from beffroi.participation.realisations.access import access_realisation
from beffroi.participation.realisations.selectors import RealisationFilters

router = Router(tags=["realisations"])

RealisationId = Annotated[
    int, Path(ge=1, le=MAX_ID, description="The realisation's number, as in its page's address.")
]
StatusCode = Literal["planned", "study", "works", "delivered", "abandoned"]


# --- Schemas -------------------------------------------------------------------------------


class RealisationFilter(Schema):
    year: int | None = Field(None, ge=1900, le=2200, description="The realisations of a year.")
    zone: int | None = Field(
        None,
        ge=1,
        le=MAX_ID,
        description="A hamlet's or district's id (``/territory/zones``): the realisations "
        "placed in it. Other zones are refused (422), as the page offers only these.",
    )
    status: StatusCode | None = Field(
        None,
        description="planned, study (in study), works (works in progress), delivered, "
        "abandoned (with the reason told to residents).",
    )
    budget: int | None = Field(
        None,
        ge=1,
        le=MAX_ID,
        description="A budget's id (``/participation/processes/{slug}/budgets``): the "
        "realisations of its projects. A budget residents cannot see is refused (422).",
    )
    page: int = Field(1, ge=1, le=100_000)
    per_page: int = Field(PER_PAGE, ge=1, le=100)


class PointOut(Schema):
    lat: float
    lon: float


class RealisationBudgetOut(Schema):
    id: int
    title: str
    process: str = Field(description="The process's slug.")
    url: str = Field(description="The page of the process's budgets.")


class RealisationProjectOut(Schema):
    id: int = Field(description="The budget project's id, as in the budget's ``projects``.")
    number: str = Field(description="The project's PaBuLib id, used by the results.")
    title: str
    cost: str = Field(description="A decimal number as text, in the budget's currency.")


class MilestonePhotoOut(Schema):
    id: int
    url: str = Field(description="Absolute address of the image (re-encoded, no metadata).")
    alt_text: str = Field(description="Its text alternative, given by the agent.")
    content_type: str


class MilestoneOut(Schema):
    id: int
    date: date
    title: str = Field(description="Plain text, as typed: escape it when showing it.")
    text: str = Field(description="Plain text with its line breaks.")
    photos: list[MilestonePhotoOut]


class RealisationSummaryOut(Schema):
    id: int
    title: str = Field(description="Plain text, as typed: escape it when showing it.")
    status: StatusCode
    status_label: str
    progress: int = Field(description="Percent, 0 to 100 (100 once delivered).")
    year: int
    service: str = Field(description="The municipal service in charge (empty: not given yet).")
    budget_planned: str = Field(description="A decimal number as text, in ``currency``.")
    budget_spent: str = Field(description="A decimal number as text, in ``currency``.")
    currency: str
    delivered_at: date | None
    zones: list[ZoneOut] = Field(description="The hamlets and districts where it is.")
    point: PointOut | None = Field(description="Its place, when it has one.")
    budget: RealisationBudgetOut = Field(description="The budget it was funded by.")
    milestones_count: int
    url: str = Field(description="The realisation's public page.")
    following: bool = Field(description="Whether the caller follows it.")


class RealisationPageOut(Schema):
    count: int
    page: int
    pages: int
    per_page: int
    results: list[RealisationSummaryOut] = Field(
        description="Newest year first, then by title, as on the page."
    )


class EvaluationOut(Schema):
    open: bool = Field(description="Whether residents may answer now.")
    opens_at: datetime
    closes_at: datetime
    answer_url: str = Field(description="The page where residents answer (open only).")
    results_public: bool = Field(
        description="Whether the results are public (while open if the agents chose so, "
        "always once closed)."
    )
    results_url: str = Field(description="The results as charts (when public).")
    respondents: int | None = Field(description="People who answered (results public only).")
    satisfaction: float | None = Field(
        description="Mean of the satisfaction scale (results public and answered only)."
    )
    scale_min: int
    scale_max: int
    assessment: str = Field(
        description="The commune's final assessment, sanitised HTML (empty: not published)."
    )
    assessment_published_at: datetime | None


class RealisationOut(RealisationSummaryOut):
    description: str = Field(description="Plain text with its line breaks.")
    abandon_reason: str = Field(description="Why it was abandoned (status abandoned).")
    project: RealisationProjectOut = Field(description="The budget's project it realises.")
    proposal: ProposalRefOut | None = Field(
        description="The residents' proposal the project came from (never a hidden one)."
    )
    followers_count: int
    milestones: list[MilestoneOut] = Field(description="Oldest first.")
    evaluation: EvaluationOut | None = Field(
        description="Residents' evaluation, opened when the realisation is delivered."
    )
    created_at: datetime
    updated_at: datetime


class RealisationFollowOut(Schema):
    following: bool
    changed: bool = Field(
        description="False when nothing changed (already followed / not followed)."
    )
    followers_count: int


# --- Helpers -------------------------------------------------------------------------------


def _money(value: Decimal) -> str:
    return str(value)


def _summary(realisation: Realisation, links: _Links, *, following: bool) -> dict[str, Any]:
    budget = realisation.budget
    placed = realisation.lat is not None and realisation.lon is not None
    return {
        "id": realisation.pk,
        "title": realisation.title,
        "status": realisation.status,
        "status_label": str(Realisation.Status(realisation.status).label),
        "progress": realisation.progress,
        "year": realisation.year,
        "service": realisation.service,
        "budget_planned": _money(realisation.budget_planned),
        "budget_spent": _money(realisation.budget_spent),
        "currency": budget.currency,
        "delivered_at": realisation.delivered_at,
        "zones": [_zone_out(z) for z in sorted(realisation.zones.all(), key=lambda z: z.name)],
        "point": {"lat": realisation.lat, "lon": realisation.lon} if placed else None,
        "budget": {
            "id": budget.pk,
            "title": budget.title,
            "process": budget.process.slug,
            "url": links("participation_budgets:process", budget.process.slug),
        },
        "milestones_count": getattr(realisation, "milestone_count", 0),
        "url": links("participation_realisations:detail", realisation.pk),
        "following": following,
    }


def _evaluation_out(realisation: Realisation, links: _Links) -> dict[str, Any] | None:
    evaluation = evaluations.evaluation_of(realisation)
    if evaluation is None:
        return None
    public = evaluations.results_public(evaluation)
    summary = evaluations.satisfaction_of(evaluation)
    published = evaluation.assessment_published_at is not None
    return {
        "open": evaluations.evaluation_is_open(evaluation),
        "opens_at": evaluation.opens_at,
        "closes_at": evaluation.closes_at,
        "answer_url": links("participation_realisations:evaluate", realisation.pk),
        "results_public": public,
        "results_url": links("participation_realisations:evaluation_results", realisation.pk),
        "respondents": summary.respondents if public else None,
        "satisfaction": summary.mean if public else None,
        "scale_min": summary.scale_min,
        "scale_max": summary.scale_max,
        "assessment": evaluation.assessment if published else "",
        "assessment_published_at": evaluation.assessment_published_at,
    }


def _proposal_ref(realisation: Realisation, links: _Links) -> dict[str, Any] | None:
    """The proposal a realisation comes from: never a hidden one, nor another
    organisation's (its page would answer 404)."""
    proposal = realisation.proposal
    if (
        proposal is None
        or proposal.hidden_at is not None
        or proposal.organisation_id != realisation.organisation_id
    ):
        return None
    return {
        "id": proposal.pk,
        "title": proposal.title,
        "url": links("participation_proposals:detail", proposal.pk),
    }


def _milestone_out(milestone: Milestone, links: _Links) -> dict[str, Any]:
    return {
        "id": milestone.pk,
        "date": milestone.date,
        "title": milestone.title,
        "text": milestone.text,
        "photos": [
            {
                "id": photo.pk,
                "url": links("participation_realisations:photo", photo.pk),
                "alt_text": photo.alt_text,
                "content_type": photo.content_type,
            }
            for photo in milestone.photos.all()
        ],
    }


def _follow_out(realisation: Realisation, *, following: bool, changed: bool) -> dict[str, Any]:
    return {
        "following": following,
        "changed": changed,
        "followers_count": selectors.follower_count(realisation),
    }


# --- Realisations --------------------------------------------------------------------------


@router.get(
    "/realisations",
    response={200: RealisationPageOut, 422: ValidationErrorOut, 429: ErrorOut},
    summary="The organisation's realisations: filters by year, district, status and budget",
    description="The realisations of the public page (a draft process's are never listed), "
    "with the same filters; the CSV and GeoJSON exports of the page take the same year, "
    "zone and status.",
)
def realisation_list(
    request: HttpRequest, filters: Query[RealisationFilter]
) -> dict[str, Any] | Status[dict[str, Any]]:
    _identify(request)
    organisation = request_organisation(request)
    errors: dict[str, list[str]] = {}
    if filters.zone is not None and filters.zone not in {
        z.pk for z in selectors.filter_zones(organisation=organisation)
    }:
        errors["query.zone"] = [_("Select a valid choice.")]
    if filters.budget is not None and not selectors.realisation_budget_shown(
        organisation=organisation, budget_id=filters.budget
    ):
        errors["query.budget"] = [_("Select a valid choice.")]
    if errors:
        return _invalid(errors)
    rows = selectors.realisations_to_page(
        organisation=organisation,
        filters=RealisationFilters(
            year=filters.year, zone_id=filters.zone, status=filters.status or ""
        ),
        budget_id=filters.budget,
    )
    count = rows.count()
    start = (filters.page - 1) * filters.per_page
    page = list(rows[start : start + filters.per_page])
    followed = selectors.followed_ids(
        participant=_participant(request), realisation_ids=[r.pk for r in page]
    )
    links = _Links(request)
    return {
        "count": count,
        "page": filters.page,
        "pages": _pages(count, filters.per_page),
        "per_page": filters.per_page,
        "results": [_summary(r, links, following=r.pk in followed) for r in page],
    }


@router.get(
    "/realisations/{realisation_id}",
    response={200: RealisationOut, **READ},
    summary="A realisation: status, progress, money, place, its milestones with their photos",
    description="``following`` says whether the caller (signed-in resident, person proven "
    "by SMS, or agent's token) follows it.",
)
def realisation_detail(request: HttpRequest, realisation_id: RealisationId) -> dict[str, Any]:
    _identify(request)
    realisation = access_realisation(request, realisation_id)
    participant = _participant(request)
    links = _Links(request)
    milestones = selectors.milestones_of(realisation)
    project = realisation.project
    return {
        **_summary(
            realisation,
            links,
            following=selectors.is_following(participant=participant, realisation=realisation),
        ),
        "milestones_count": len(milestones),
        "description": realisation.description,
        "abandon_reason": realisation.abandon_reason,
        "project": {
            "id": project.pk,
            "number": project.pabulib_id,
            "title": project.title,
            "cost": _money(project.cost),
        },
        "proposal": _proposal_ref(realisation, links),
        "followers_count": selectors.follower_count(realisation),
        "milestones": [_milestone_out(m, links) for m in milestones],
        "evaluation": _evaluation_out(realisation, links),
        "created_at": realisation.created_at,
        "updated_at": realisation.updated_at,
    }


@router.post(
    "/realisations/{realisation_id}/follow",
    auth=PARTICIPANT_AUTH,
    response={200: RealisationFollowOut, **WRITE},
    summary="Follow a realisation (a notification for each new milestone)",
    description="Following twice changes nothing (``changed`` false). A refusal is 403 "
    "with its code (login, email_unverified, blocked).",
)
@answers_refusals
def realisation_follow(request: HttpRequest, realisation_id: RealisationId) -> dict[str, Any]:
    realisation = access_realisation(request, realisation_id)
    added = services.realisation_follow(realisation=realisation, participant=_participant(request))
    return _follow_out(realisation, following=True, changed=added)


@router.delete(
    "/realisations/{realisation_id}/follow",
    auth=PARTICIPANT_AUTH,
    response={200: RealisationFollowOut, **WRITE},
    summary="Stop following a realisation",
    description="Unfollowing a realisation not followed changes nothing (``changed`` false).",
)
@answers_refusals
def realisation_unfollow(request: HttpRequest, realisation_id: RealisationId) -> dict[str, Any]:
    realisation = access_realisation(request, realisation_id)
    removed = services.realisation_unfollow(
        realisation=realisation, participant=_participant(request)
    )
    return _follow_out(realisation, following=False, changed=removed)
