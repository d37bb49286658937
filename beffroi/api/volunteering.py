"""Volunteering API (mounted at /volunteering/): the associations' public directory, volunteer
missions with their slots and places left, needs (equipment, premises, transport) and the
offers residents make for them, and applications to missions' slots.

The rules are the pages' own: associations are the public directory
(``volunteering.access.associations_public``); missions, needs and applications are loaded
through their areas' ``access`` modules (another organisation's object, or a draft for anyone
but its organisers, answers 404 like a missing one), and every write calls the service the
page calls. A service's refusal is ``{"detail": <why, translated>}``: 400 for what the person
sent, 409 for what the object's state forbids (a mission already cancelled, a full slot's
waiting list, an application already answered); bad input is 422 with one message list per
field.

Who is asking: reads need no authentication. Writes take the person signed in on the site
(the session cookie, with the CSRF token in ``X-CSRFToken`` like the site's own forms) or an
agent's token (``Authorization: Bearer bf_…``). A mission's organisers are the active
managers of its association and the commune's community-life agents
(``volunteering.access.AGENT_ROLES``); a commune's own mission (no association) is its agents'
alone. A volunteer's personal data go only to the organisers of the mission they applied to,
and then only what they need: the name, the state of the application and its slot.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Annotated, Any, Literal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db.models import Prefetch
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Path, Query, Router, Schema
from ninja.errors import HttpError
from ninja.params import functions as param_functions
from ninja.responses import Status
from ninja.security import APIKeyCookie
from ninja.utils import check_csrf
from pydantic import field_validator
from pydantic_core import PydanticCustomError

from beffroi.accounts.access import (
    found,
    has_role,
    is_verified,
    request_organisation,
    requires_two_factor,
)
from beffroi.accounts.models import User
from beffroi.api.auth import agent_token
from beffroi.api.participation import MAX_ID, PER_PAGE, ErrorOut, ValidationErrorOut, _identify
from beffroi.territory.models import Organisation
from beffroi.territory.selectors import organisation_url
from beffroi.territory.text import fold
from beffroi.volunteering.access import AGENT_ROLES, associations_public
from beffroi.volunteering.applications import access as application_access
from beffroi.volunteering.applications import selectors as application_selectors
from beffroi.volunteering.applications import services as application_services
from beffroi.volunteering.applications.services import ApplicationRefused
from beffroi.volunteering.associations import selectors as association_selectors
from beffroi.volunteering.associations.selectors import DirectoryFilters
from beffroi.volunteering.missions import access as mission_access
from beffroi.volunteering.missions import selectors as mission_selectors
from beffroi.volunteering.missions import services as mission_services
from beffroi.volunteering.missions.selectors import MissionFilters
from beffroi.volunteering.missions.services import MissionInput, MissionRefused
from beffroi.volunteering.models import (
    Activity,
    Application,
    Association,
    AssociationActivity,
    Certification,
    Mission,
    Need,
    NeedOffer,
    Skill,
    Slot,
)
from beffroi.volunteering.needs import access as need_access
from beffroi.volunteering.needs import selectors as need_selectors
from beffroi.volunteering.needs import services as need_services
from beffroi.volunteering.needs.selectors import NeedFilters
from beffroi.volunteering.needs.services import NeedRefused
from beffroi.volunteering.rules import FIRST_DAY, FIRST_YEAR, LAST_DAY, LAST_YEAR, plausible_day

router = Router(tags=["volunteering"])

# No control characters but tabs and line breaks: they have no place in a text a person
# writes, and PostgreSQL refuses NUL.
_TEXT = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]*$"

AssociationId = Annotated[int, Path(ge=1, le=MAX_ID, description="The association's number.")]
MissionId = Annotated[int, Path(ge=1, le=MAX_ID, description="The mission's number.")]
NeedId = Annotated[int, Path(ge=1, le=MAX_ID, description="The need's number.")]
SlotId = Annotated[int, Path(ge=1, le=MAX_ID, description="The slot's number.")]
ApplicationId = Annotated[int, Path(ge=1, le=MAX_ID, description="The application's number.")]

# Enumerated for the OpenAPI schema (and so that a fuzzed value is a 422, never a 500); a
# test checks they are the models' choices.
ActivityCode = Literal[
    "solidarity", "health", "environment", "culture", "sport", "education", "civil_protection",
    "heritage", "leisure", "youth", "elderly", "disability", "citizenship", "animals", "economy",
    "international",
]  # fmt: skip
SkillCode = Literal[
    "first_aid", "driving", "manual", "cooking", "digital", "care", "teaching", "logistics",
    "communication", "administration", "childcare", "gardening", "translation", "radio",
]  # fmt: skip
CertificationCode = Literal[
    "psc1", "pse1", "pse2", "sst", "driving_b", "driving_c", "bafa", "bnssa", "food_hygiene",
]  # fmt: skip
UrgencyCode = Literal["normal", "urgent"]
MissionStatusCode = Literal["draft", "published", "full", "closed", "cancelled"]
NeedKindCode = Literal["equipment", "premises", "transport", "other"]
NeedStatusCode = Literal["draft", "published", "fulfilled", "closed", "cancelled"]
OfferStateCode = Literal["proposed", "accepted", "declined", "withdrawn"]
ApplicationStateCode = Literal["pending", "accepted", "waitlisted", "declined", "cancelled"]

# The missions taking volunteers (a full one has its waiting list open).
OPEN_STATUSES = (Mission.Status.PUBLISHED, Mission.Status.FULL)


# --- Who is asking -------------------------------------------------------------------------


class SignedInSession(APIKeyCookie):
    """The person signed in on the site (the session cookie).

    Like the site's forms, a write sent with the session cookie must carry the CSRF token
    (``X-CSRFToken`` header, the ``csrftoken`` cookie's value): another site cannot make a
    volunteer's browser apply or cancel in their name. A request without the session cookie
    has no ambient authority to abuse, so it goes straight to 401."""

    param_name: str = settings.SESSION_COOKIE_NAME
    openapi_description: str = (
        "A person signed in on the site: the session cookie, with the CSRF token of the "
        "`csrftoken` cookie in the `X-CSRFToken` header on writes."
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

    def authenticate(self, request: HttpRequest, key: str | None) -> User | None:
        user = getattr(request, "user", None)
        if not key or not isinstance(user, User) or not user.is_authenticated:
            return None
        setattr(request, _BY_SESSION, True)
        return user


_BY_SESSION = "_beffroi_volunteering_session"
signed_in_session = SignedInSession()
PERSON_AUTH = [agent_token, signed_in_session]


def _token_proven(request: HttpRequest) -> None:
    """An agent's token is created on a page that asks for the account's second factor
    (``roles_required``): whoever sends one has proven it, as a verified session has, for
    the areas' access rules that ask (an administrator deciding on applications)."""
    user = getattr(request, "auth", None)
    if isinstance(user, User) and not getattr(request, _BY_SESSION, False):
        user.is_verified = lambda: True  # type: ignore[attr-defined]


def _check_second_factor(request: HttpRequest) -> None:
    """Agents organise the commune's missions in the back office, behind their second
    factor when their role asks for one: a session that has not proven it does not do
    through the API what the back office would refuse."""
    _token_proven(request)
    user = _caller(request)
    if requires_two_factor(user, request_organisation(request)) and not is_verified(user):
        raise HttpError(
            403,
            _(
                "Prove your second factor on the site first (or use an API token) to act "
                "as an agent."
            ),
        )


def _caller(request: HttpRequest) -> User:
    user = request.auth  # type: ignore[attr-defined]
    assert isinstance(user, User)
    return user


# --- Schemas -------------------------------------------------------------------------------


class LabelledOut(Schema):
    code: str
    label: str


class AssociationRefOut(Schema):
    id: int
    name: str = Field(description="Plain text, as typed: escape it when showing it.")
    url: str = Field(description="The association's public page.")


class AssociationSummaryOut(Schema):
    id: int
    name: str = Field(description="Plain text, as typed: escape it when showing it.")
    short_name: str
    activities: list[LabelledOut]
    postcode: str
    city: str
    lat: float | None
    lon: float | None
    status: Literal["imported", "validated", "pending"] = Field(
        description="imported: registry data (RNA); validated: a profile its managers keep; "
        "pending: an imported profile whose claim is being examined."
    )
    logo_url: str = Field(description="Empty when it has no logo.")
    url: str = Field(description="The association's public page.")


class AssociationOut(AssociationSummaryOut):
    purpose: str = Field(description="Plain text with its line breaks.")
    street_address: str
    address_complement: str
    contact_name: str
    email: str
    phone: str
    website: str
    opening_hours: str
    public_served: str
    wheelchair_accessible: bool
    accessibility: str
    rna: str
    siren: str
    created_on: date | None = Field(description="Declared on (RNA).")
    open_missions: int = Field(description="Its missions taking volunteers (published or full).")


class AssociationPageOut(Schema):
    count: int
    page: int
    pages: int
    per_page: int
    results: list[AssociationSummaryOut] = Field(
        description="In the order of a French index, as in the directory."
    )


class AssociationFilter(Schema):
    q: str = Field(
        "",
        max_length=200,
        pattern=_TEXT,
        description="Words of the name, short name, purpose, town or RNA number (accents "
        "and case ignored).",
    )
    activity: ActivityCode | None = None
    zone: int | None = Field(
        None,
        ge=1,
        le=MAX_ID,
        description="A hamlet's or district's id (``/territory/zones``): the associations "
        "placed in it. Other zones are refused (422), as the directory offers only these.",
    )
    page: int = Field(1, ge=1, le=100_000)
    per_page: int = Field(PER_PAGE, ge=1, le=100)


class SlotOut(Schema):
    id: int
    starts_at: datetime
    ends_at: datetime
    volunteers_needed: int
    places_left: int = Field(
        description="0 when full (applying then joins the waiting list), cancelled, or when "
        "the mission takes no more volunteers."
    )
    cancelled: bool
    started: bool = Field(description="It has started: no more applications.")


class MissionSummaryOut(Schema):
    id: int
    title: str = Field(description="Plain text, as typed: escape it when showing it.")
    association: AssociationRefOut | None = Field(description="None: the commune's mission.")
    activities: list[LabelledOut]
    skills: list[LabelledOut] = Field(description="What the mission asks volunteers to know.")
    urgency: UrgencyCode
    status: MissionStatusCode = Field(
        description="published, full or closed for everyone; organisers also see their "
        "drafts and cancelled missions."
    )
    status_label: str
    remote: bool
    street_address: str
    lat: float | None
    lon: float | None
    min_age: int | None
    certifications: list[LabelledOut] = Field(description="Required, checked when applying.")
    reserve_only: bool = Field(
        description="Only reservists of the civil-protection reserve may apply."
    )
    next_slot: datetime | None = Field(description="The next slot's start, if any.")
    places_left: int = Field(description="Across its coming slots (0 when not taking any).")
    published_at: datetime | None
    url: str = Field(description="The mission's public page.")


class MissionContactOut(Schema):
    name: str
    email: str
    phone: str


class MissionOut(MissionSummaryOut):
    description: str = Field(description="Plain text with its line breaks.")
    slots: list[SlotOut] = Field(description="Every slot, oldest first.")
    organiser: bool = Field(description="Whether the caller organises it.")
    contact: MissionContactOut = Field(
        description="Whom volunteers ask about the mission (empty fields: not given)."
    )


class MissionPageOut(Schema):
    count: int
    page: int
    pages: int
    per_page: int
    results: list[MissionSummaryOut] = Field(
        description="As on the missions' page: urgent first, then by next slot; closed "
        "missions and those without a coming slot last."
    )


class MissionFilter(Schema):
    q: str = Field("", max_length=200, pattern=_TEXT, description="Words of the title or text.")
    activity: ActivityCode | None = None
    skill: SkillCode | None = None
    urgency: UrgencyCode | None = None
    association: int | None = Field(
        None,
        ge=1,
        le=MAX_ID,
        description="An association's id: its missions (an association of another commune "
        "is refused: 422).",
    )
    commune: bool = Field(False, description="Only the commune's own missions.")
    remote: bool | None = Field(None, description="Only remote missions (true) or none (false).")
    date_from: date | None = Field(
        None,
        alias="from",
        ge=FIRST_DAY,
        le=LAST_DAY,
        description="Missions with a slot (not cancelled) on this day or later.",
    )
    date_to: date | None = Field(
        None,
        alias="to",
        ge=FIRST_DAY,
        le=LAST_DAY,
        description="Missions with a slot (not cancelled) on this day or earlier.",
    )
    page: int = Field(1, ge=1, le=100_000)
    per_page: int = Field(PER_PAGE, ge=1, le=100)


class MissionIn(Schema):
    title: str = Field(max_length=200, pattern=_TEXT)
    description: str = Field(max_length=20_000, pattern=_TEXT, description="Plain text.")
    activities: list[ActivityCode] = Field(default_factory=list, max_length=20)
    skills: list[SkillCode] = Field(default_factory=list, max_length=20)
    remote: bool = Field(False, description="Remote: no address, no point.")
    street_address: str = Field(
        "",
        max_length=250,
        pattern=_TEXT,
        description="Placed on the map when found among the commune's addresses.",
    )
    lat: float | None = Field(None, ge=-90, le=90, allow_inf_nan=False)
    lon: float | None = Field(None, ge=-180, le=180, allow_inf_nan=False)
    min_age: int | None = Field(None, ge=1, le=99)
    certifications: list[CertificationCode] = Field(default_factory=list, max_length=20)
    urgency: UrgencyCode = "normal"
    contact_name: str = Field("", max_length=200, pattern=_TEXT)
    contact_email: str = Field("", max_length=254, pattern=_TEXT)
    contact_phone: str = Field("", max_length=40, pattern=_TEXT)


class MissionCreateIn(MissionIn):
    association: int | None = Field(
        None,
        ge=1,
        le=MAX_ID,
        description="The association it is for, one the caller manages; none: the "
        "commune's own mission (its community-life agents only).",
    )


def _moment(value: datetime) -> datetime:
    """A moment of a slot: without an offset, the commune's local time; within the years a
    mission may be planned in (and far from the calendar's ends, where converting to UTC
    overflows)."""
    if not plausible_day(value.date()):
        raise PydanticCustomError(
            "date_range",
            _("Enter a date between %(first)s and %(last)s.")
            % {"first": FIRST_YEAR, "last": LAST_YEAR},
        )
    return timezone.make_aware(value) if timezone.is_naive(value) else value


class SlotIn(Schema):
    starts_at: datetime = Field(description="Without an offset: the commune's local time.")
    ends_at: datetime
    volunteers_needed: int = Field(1, ge=1, le=mission_services.MAX_NEEDED)

    check_moments = field_validator("starts_at", "ends_at")(_moment)


def _said(value: str) -> str:
    """A text that must say something: blank is a missing field, in the person's language."""
    if not value.strip():
        raise PydanticCustomError("blank", _("This field is required."))
    return value


class ReasonIn(Schema):
    reason: str = Field(
        max_length=2000, pattern=_TEXT, description="Told to the volunteers concerned."
    )

    check_reason = field_validator("reason")(_said)


class SlotRemovedOut(Schema):
    slot: int
    deleted: bool = Field(description="True: nobody had applied, the slot is gone; false: "
                          "it is kept as cancelled.")  # fmt: skip
    told: int = Field(description="Volunteers told of the cancellation.")


class NeedSummaryOut(Schema):
    id: int
    kind: NeedKindCode
    kind_label: str
    title: str = Field(description="Plain text, as typed: escape it when showing it.")
    association: AssociationRefOut | None = Field(description="None: the commune's need.")
    quantity: str
    street_address: str
    lat: float | None
    lon: float | None
    needed_from: date | None
    needed_until: date | None
    urgency: UrgencyCode
    status: NeedStatusCode = Field(
        description="published (taking offers), fulfilled or closed; organisers also see "
        "their drafts and cancelled needs."
    )
    status_label: str
    published_at: datetime | None


class NeedOut(NeedSummaryOut):
    description: str = Field(description="Plain text with its line breaks.")


class NeedPageOut(Schema):
    count: int
    page: int
    pages: int
    per_page: int
    results: list[NeedSummaryOut] = Field(description="Urgent first, then the newest.")


class NeedFilter(Schema):
    kind: NeedKindCode | None = None
    urgency: UrgencyCode | None = None
    association: int | None = Field(
        None,
        ge=1,
        le=MAX_ID,
        description="An association's id (one of another commune is refused: 422).",
    )
    page: int = Field(1, ge=1, le=100_000)
    per_page: int = Field(PER_PAGE, ge=1, le=100)


class OfferIn(Schema):
    message: str = Field(
        max_length=5000, pattern=_TEXT, description="What you offer, and when or how."
    )
    contact: str = Field(
        "", max_length=200, pattern=_TEXT, description="How the organisers reach you."
    )
    association: int | None = Field(
        None,
        ge=1,
        le=MAX_ID,
        description="Offer on behalf of an association you manage (none: as yourself).",
    )

    check_message = field_validator("message")(_said)


class OfferOut(Schema):
    id: int
    need: int
    state: OfferStateCode
    state_label: str
    association: AssociationRefOut | None = Field(description="Offered on its behalf.")
    message: str
    contact: str
    answer: str = Field(description="The organisers' answer, once they decided.")
    created_at: datetime


class SlotRefOut(Schema):
    id: int
    starts_at: datetime
    ends_at: datetime


class MissionRefOut(Schema):
    id: int
    title: str
    association: AssociationRefOut | None
    url: str


class ApplicationOut(Schema):
    """One of the caller's own applications."""

    id: int
    mission: MissionRefOut
    slot: SlotRefOut
    state: ApplicationStateCode = Field(
        description="pending: a place is held, awaiting the organiser's answer; accepted; "
        "waitlisted: the slot is full, you get the next place that frees up; declined; "
        "cancelled."
    )
    state_label: str
    message: str = Field(description="What you wrote to the organiser.")
    decline_reason: str = Field(description="The organiser's reason, when declined.")
    cancelled_by: Literal["", "volunteer", "organiser"]
    cancel_reason: str
    created_at: datetime


class ApplicationPageOut(Schema):
    count: int
    page: int
    pages: int
    per_page: int
    results: list[ApplicationOut] = Field(description="The coming slots first.")


class ApplicationFilter(Schema):
    state: ApplicationStateCode | None = None
    page: int = Field(1, ge=1, le=100_000)
    per_page: int = Field(PER_PAGE, ge=1, le=100)


class ApplyIn(Schema):
    message: str = Field(
        "", max_length=2000, pattern=_TEXT, description="A word to the organiser (optional)."
    )


class CancelIn(Schema):
    reason: str = Field("", max_length=2000, pattern=_TEXT, description="Told to the organiser.")


class ApplicantOut(Schema):
    """An application as its mission's organisers see it: no more than they need."""

    id: int
    volunteer_name: str
    state: ApplicationStateCode
    state_label: str
    slot: SlotRefOut


class ApplicantPageOut(Schema):
    count: int
    page: int
    pages: int
    per_page: int
    results: list[ApplicantOut] = Field(
        description="As on the mission's page: per slot, those holding a place, the waiting "
        "list in its order, then those declined or cancelled."
    )


class ApplicantFilter(Schema):
    slot: int | None = Field(None, ge=1, le=MAX_ID, description="One slot's applications.")
    state: ApplicationStateCode | None = None
    page: int = Field(1, ge=1, le=100_000)
    per_page: int = Field(50, ge=1, le=200)


READ = {404: ErrorOut, 422: ValidationErrorOut, 429: ErrorOut}
ORGANISERS_READ = {
    401: ErrorOut,
    403: ErrorOut,
    404: ErrorOut,
    422: ValidationErrorOut,
    429: ErrorOut,
}
WRITE = {
    400: ErrorOut,
    401: ErrorOut,
    403: ErrorOut,
    404: ErrorOut,
    409: ErrorOut,
    422: ValidationErrorOut,
    429: ErrorOut,
}


# --- Helpers -------------------------------------------------------------------------------


class _Links:
    """Absolute links to the organisation's pages (one host lookup per request)."""

    def __init__(self, request: HttpRequest) -> None:
        self.base = organisation_url(request_organisation(request))

    def __call__(self, name: str, *args: Any) -> str:
        return self.base + reverse(name, args=args)


def _invalid(field: str, message: str) -> ValidationError:
    """A 422 naming the field, as the API renders pydantic's."""
    return ValidationError({field: [message]})


def _refused(status: int, error: Exception) -> HttpError:
    return HttpError(status, str(error))


def _page[T](rows: list[T], page: int, per_page: int) -> tuple[list[T], dict[str, int]]:
    start = (page - 1) * per_page
    count = len(rows)
    return rows[start : start + per_page], {
        "count": count,
        "page": page,
        "pages": max(1, -(-count // per_page)),
        "per_page": per_page,
    }


def _labelled(codes: list[str], choices: dict[str, Any]) -> list[dict[str, str]]:
    return [{"code": c, "label": str(choices[c])} for c in codes if c in choices]


_ACTIVITIES = dict(Activity.choices)
_SKILLS = dict(Skill.choices)
_CERTIFICATIONS = dict(Certification.choices)


def _unique(values: list[str]) -> list[str]:
    return list(dict.fromkeys(values))


def _association_ref(association: Association | None, links: _Links) -> dict[str, Any] | None:
    if association is None:
        return None
    return {
        "id": association.pk,
        "name": association.name,
        "url": links("volunteering_associations:detail", association.pk),
    }


def _association_summary(association: Association, links: _Links) -> dict[str, Any]:
    codes = sorted(a.activity for a in association.activities.all())
    return {
        "id": association.pk,
        "name": association.name,
        "short_name": association.short_name,
        "activities": _labelled(codes, _ACTIVITIES),
        "postcode": association.postcode,
        "city": association.city,
        "lat": association.lat,
        "lon": association.lon,
        "status": association.status,
        "logo_url": (
            links("volunteering_associations:logo", association.pk) if association.logo else ""
        ),
        "url": links("volunteering_associations:detail", association.pk),
    }


# --- Associations --------------------------------------------------------------------------


@router.get(
    "/associations",
    response={200: AssociationPageOut, 422: ValidationErrorOut, 429: ErrorOut},
    summary="The associations' directory: search, activity, hamlet or district, pages",
    description="The public directory only: profiles imported from the RNA and validated "
    "ones; never a profile awaiting validation, a refused or a dissolved one.",
)
def association_list(request: HttpRequest, filters: Query[AssociationFilter]) -> dict[str, Any]:
    organisation = request_organisation(request)
    zones = {z.pk for z in association_selectors.filter_zones(organisation=organisation)}
    if filters.zone is not None and filters.zone not in zones:
        raise _invalid("query.zone", _("Choose a hamlet or a district of the commune."))
    chosen = DirectoryFilters(
        query=filters.q.strip(), activity=filters.activity or "", zone_id=filters.zone
    )
    # The directory's order (a French index: "École" among the E's) read on the names
    # alone, then one page of profiles.
    names = association_selectors.directory_filtered(
        organisation=organisation, filters=chosen
    ).values_list("pk", "name")
    ordered = [pk for pk, _name in sorted(names, key=lambda row: (fold(row[1]), row[0]))]
    page_ids, paging = _page(ordered, filters.page, filters.per_page)
    rows = Association.objects.prefetch_related(
        Prefetch("activities", queryset=AssociationActivity.objects.all())
    ).in_bulk(page_ids)
    links = _Links(request)
    return {**paging, "results": [_association_summary(rows[pk], links) for pk in page_ids]}


@router.get(
    "/associations/{association_id}",
    response={200: AssociationOut, **READ},
    summary="An association of the directory",
)
def association_detail(request: HttpRequest, association_id: AssociationId) -> dict[str, Any]:
    organisation = request_organisation(request)
    association = found(
        associations_public(organisation).filter(pk=association_id).first(), "association"
    )
    links = _Links(request)
    return {
        **_association_summary(association, links),
        "purpose": association.purpose,
        "street_address": association.street_address,
        "address_complement": association.address_complement,
        "contact_name": association.contact_name,
        "email": association.email,
        "phone": association.phone,
        "website": association.website,
        "opening_hours": association.opening_hours,
        "public_served": association.public_served,
        "wheelchair_accessible": association.wheelchair_accessible,
        "accessibility": association.accessibility,
        "rna": association.rna,
        "siren": association.siren,
        "created_on": association.created_on,
        "open_missions": mission_access.missions_public(organisation)
        .filter(association=association, status__in=OPEN_STATUSES)
        .count(),
    }


# --- Missions ------------------------------------------------------------------------------


def _mission_summary(mission: Mission, links: _Links, coming: list[Slot]) -> dict[str, Any]:
    taking = mission.status in OPEN_STATUSES
    return {
        "id": mission.pk,
        "title": mission.title,
        "association": _association_ref(mission.association, links),
        "activities": _labelled(list(mission.activities or []), _ACTIVITIES),
        "skills": _labelled(list(mission.skills or []), _SKILLS),
        "urgency": mission.urgency,
        "status": mission.status,
        "status_label": mission.get_status_display(),
        "remote": mission.remote,
        "street_address": mission.street_address,
        "lat": mission.lat,
        "lon": mission.lon,
        "min_age": mission.min_age,
        "certifications": _labelled(list(mission.certifications or []), _CERTIFICATIONS),
        "reserve_only": mission.reserve_only,
        "next_slot": coming[0].starts_at if coming else None,
        "places_left": sum(s.places_left for s in coming) if taking else 0,
        "published_at": mission.published_at,
        "url": links("volunteering_missions:detail", mission.pk),
    }


def _slot_out(slot: Slot, now: datetime, taking: bool) -> dict[str, Any]:
    return {
        "id": slot.pk,
        "starts_at": slot.starts_at,
        "ends_at": slot.ends_at,
        "volunteers_needed": slot.volunteers_needed,
        "places_left": slot.places_left if taking and not slot.cancelled else 0,
        "cancelled": slot.cancelled,
        "started": slot.starts_at <= now,
    }


def _mission_out(request: HttpRequest, mission: Mission) -> dict[str, Any]:
    now = timezone.now()
    links = _Links(request)
    slots = mission_selectors.slots_of(mission)
    coming = [s for s in slots if not s.cancelled and s.starts_at > now]
    taking = mission.status in OPEN_STATUSES
    return {
        **_mission_summary(mission, links, coming),
        "description": mission.description,
        "slots": [_slot_out(s, now, taking) for s in slots],
        "organiser": mission_access.can_edit(request.user, mission),
        # Published for volunteers to ask before applying, as on the mission's page.
        "contact": {
            "name": mission.contact_name,
            "email": mission.contact_email,
            "phone": mission.contact_phone,
        },
    }


def _organised_mission(request: HttpRequest, mission_id: int) -> Mission:
    """A mission the caller organises. One they may read but not organise is a 403 (its
    page is public); one they may not read is a 404, like a missing one."""
    mission = mission_access.access_mission(request, mission_id)
    if mission_access.can_manage_here(request.user, mission):
        return mission
    if not mission_access.is_mission_agent(request.user, mission.organisation):
        raise HttpError(403, _("Only the mission's organisers may do this."))
    _check_second_factor(request)
    return mission


def _mission_input(payload: MissionIn, *, reserve_only: bool = False) -> MissionInput:
    """The service's input; whether only reservists may apply is the reserve's business,
    never changed here (as on the pages)."""
    if payload.contact_email:
        try:
            validate_email(payload.contact_email)
        except ValidationError:
            raise _invalid(
                "body.payload.contact_email", _("Enter a valid e-mail address.")
            ) from None
    return MissionInput(
        title=payload.title,
        description=payload.description,
        activities=_unique(list(payload.activities)),
        skills=_unique(list(payload.skills)),
        remote=payload.remote,
        street_address=payload.street_address,
        lat=payload.lat,
        lon=payload.lon,
        min_age=payload.min_age,
        certifications=_unique(list(payload.certifications)),
        urgency=payload.urgency,
        contact_name=payload.contact_name.strip(),
        contact_email=payload.contact_email.strip(),
        contact_phone=payload.contact_phone.strip(),
        reserve_only=reserve_only,
    )


def _check_association_filter(organisation: Organisation, association_id: int | None) -> None:
    """A list's ``association`` filter names an association of the commune, or is absent."""
    if (
        association_id is not None
        and not Association.objects.filter(organisation=organisation, pk=association_id).exists()
    ):
        raise _invalid("query.association", _("Choose an association of the commune."))


@router.get(
    "/missions",
    response={200: MissionPageOut, 422: ValidationErrorOut, 429: ErrorOut},
    summary="Volunteer missions: search, filters, pages",
    description="The public missions, as on the missions' page: published, full (their "
    "waiting lists are open) and closed ones.",
)
def mission_list(request: HttpRequest, filters: Query[MissionFilter]) -> dict[str, Any]:
    organisation = request_organisation(request)
    _check_association_filter(organisation, filters.association)
    if filters.date_from and filters.date_to and filters.date_to < filters.date_from:
        raise _invalid("query.to", _("The end date must be on or after the start date."))
    chosen = MissionFilters(
        query=filters.q.strip(),
        activity=filters.activity or "",
        skill=filters.skill or "",
        urgency=filters.urgency or "",
        date_from=filters.date_from,
        date_to=filters.date_to,
        remote="" if filters.remote is None else ("yes" if filters.remote else "no"),
        association_id=filters.association,
        commune_only=filters.commune,
    )
    ordered = list(
        mission_selectors.missions_filtered(organisation=organisation, filters=chosen).values_list(
            "pk", flat=True
        )
    )
    page_ids, paging = _page(ordered, filters.page, filters.per_page)
    now = timezone.now()
    missions = (
        Mission.objects.select_related("association").prefetch_related(
            Prefetch(
                "slots",
                queryset=Slot.objects.filter(cancelled=False, starts_at__gt=now).order_by(
                    "starts_at", "pk"
                ),
                to_attr="coming_slots",
            )
        )
    ).in_bulk(page_ids)
    links = _Links(request)
    return {
        **paging,
        "results": [
            _mission_summary(missions[pk], links, getattr(missions[pk], "coming_slots", []))
            for pk in page_ids
        ],
    }


@router.get(
    "/missions/{mission_id}",
    response={200: MissionOut, **READ},
    summary="A mission: its slots and the places left on each",
    description="A draft is its organisers' only; a cancelled mission is shown to its "
    "organisers and to the volunteers who had applied (404 for anyone else).",
)
def mission_detail(request: HttpRequest, mission_id: MissionId) -> dict[str, Any]:
    _identify(request)
    return _mission_out(request, mission_access.access_mission(request, mission_id))


@router.post(
    "/missions",
    auth=PERSON_AUTH,
    response={201: MissionOut, **WRITE},
    summary="Create a mission, as a draft (organisers)",
    description="For an association: its active managers. Without an association: the "
    "commune's own mission, for its community-life agents. Add slots, then publish it. "
    "Once created, a mission is organised by its association's managers and by the "
    "commune's agents.",
)
def mission_create(request: HttpRequest, payload: MissionCreateIn) -> Status[dict[str, Any]]:
    user = _caller(request)
    organisation = request_organisation(request)
    association = None
    if payload.association is not None:
        # As on the pages: an association's missions are created by its managers (on the
        # public site), the commune's own by its agents (in the back office).
        association = found(
            Association.objects.filter(
                organisation=organisation,
                pk=payload.association,
                status=Association.Status.VALIDATED,
            ).first(),
            "association",
        )
        if association not in mission_access.managed_associations(user, organisation):
            raise HttpError(403, _("Only the association's managers create its missions."))
    elif not has_role(user, organisation, *AGENT_ROLES):
        raise HttpError(403, _("Only the commune's agents create the commune's own missions."))
    else:
        _check_second_factor(request)
    data = _mission_input(payload)
    try:
        mission = mission_services.mission_create(
            organisation=organisation, association=association, actor=user, data=data
        )
    except MissionRefused as refused:
        raise _refused(400, refused) from refused
    mission = Mission.objects.select_related("association", "organisation").get(pk=mission.pk)
    return Status(201, _mission_out(request, mission))


@router.put(
    "/missions/{mission_id}",
    auth=PERSON_AUTH,
    response={200: MissionOut, **WRITE},
    summary="Change a mission (organisers)",
    description="Every field is sent (what is left out takes its default). A cancelled "
    "mission cannot be changed (409).",
)
def mission_update(
    request: HttpRequest, mission_id: MissionId, payload: MissionIn
) -> dict[str, Any]:
    mission = _organised_mission(request, mission_id)
    data = _mission_input(payload, reserve_only=mission.reserve_only)
    try:
        mission_services.mission_update(mission=mission, actor=_caller(request), data=data)
    except MissionRefused as refused:
        status = 409 if mission.status == Mission.Status.CANCELLED else 400
        raise _refused(status, refused) from refused
    return _mission_out(request, mission_access.access_mission(request, mission_id))


def _transition(
    request: HttpRequest, mission_id: int, change: Callable[..., Mission], **extra: Any
) -> dict[str, Any]:
    mission = _organised_mission(request, mission_id)
    try:
        change(mission=mission, actor=_caller(request), **extra)
    except MissionRefused as refused:
        raise _refused(409, refused) from refused
    return _mission_out(request, mission_access.access_mission(request, mission_id))


@router.post(
    "/missions/{mission_id}/publish",
    auth=PERSON_AUTH,
    response={200: MissionOut, **WRITE},
    summary="Publish a draft, or reopen a closed mission (organisers)",
    description="It needs a coming slot; it is full at once when its slots have no place left.",
)
def mission_publish(request: HttpRequest, mission_id: MissionId) -> dict[str, Any]:
    return _transition(request, mission_id, mission_services.mission_publish)


@router.post(
    "/missions/{mission_id}/close",
    auth=PERSON_AUTH,
    response={200: MissionOut, **WRITE},
    summary="Take no more applications (organisers)",
    description="The slots and the volunteers already there stay.",
)
def mission_close(request: HttpRequest, mission_id: MissionId) -> dict[str, Any]:
    return _transition(request, mission_id, mission_services.mission_close)


@router.post(
    "/missions/{mission_id}/cancel",
    auth=PERSON_AUTH,
    response={200: MissionOut, **WRITE},
    summary="Cancel a mission (organisers)",
    description="Its coming slots are cancelled with their applications, and each "
    "volunteer is told the reason by e-mail or SMS.",
)
def mission_cancel(
    request: HttpRequest, mission_id: MissionId, payload: ReasonIn
) -> dict[str, Any]:
    return _transition(request, mission_id, mission_services.mission_cancel, reason=payload.reason)


@router.post(
    "/missions/{mission_id}/slots",
    auth=PERSON_AUTH,
    response={201: SlotOut, **WRITE},
    summary="Add a slot to a mission (organisers)",
    description="A coming slot of two days at most; a full mission is published again "
    "when the slot brings places.",
)
def slot_create(
    request: HttpRequest, mission_id: MissionId, payload: SlotIn
) -> Status[dict[str, Any]]:
    mission = _organised_mission(request, mission_id)
    try:
        slot = mission_services.slot_add(
            mission=mission,
            actor=_caller(request),
            starts_at=payload.starts_at,
            ends_at=payload.ends_at,
            needed=payload.volunteers_needed,
        )
    except MissionRefused as refused:
        status = 409 if mission.status == Mission.Status.CANCELLED else 400
        raise _refused(status, refused) from refused
    mission.refresh_from_db(fields=["status"])
    return Status(201, _slot_out(slot, timezone.now(), mission.status in OPEN_STATUSES))


@router.put(
    "/missions/{mission_id}/slots/{slot_id}",
    auth=PERSON_AUTH,
    response={200: SlotOut, **WRITE},
    summary="Move a coming slot or change its places (organisers)",
    description="Never fewer places than those already held (400).",
)
def slot_change(
    request: HttpRequest, mission_id: MissionId, slot_id: SlotId, payload: SlotIn
) -> dict[str, Any]:
    mission = _organised_mission(request, mission_id)
    slot = mission_access.access_slot(mission, slot_id)
    try:
        slot = mission_services.slot_update(
            slot=slot,
            actor=_caller(request),
            starts_at=payload.starts_at,
            ends_at=payload.ends_at,
            needed=payload.volunteers_needed,
        )
    except MissionRefused as refused:
        # The slot's or the mission's state (cancelled, started) is a conflict; the rest
        # is what was sent.
        blocked = (
            slot.cancelled
            or slot.starts_at <= timezone.now()
            or mission.status == Mission.Status.CANCELLED
        )
        raise _refused(409 if blocked else 400, refused) from refused
    mission.refresh_from_db(fields=["status"])
    return _slot_out(slot, timezone.now(), mission.status in OPEN_STATUSES)


@router.delete(
    "/missions/{mission_id}/slots/{slot_id}",
    auth=PERSON_AUTH,
    response={200: SlotRemovedOut, **WRITE},
    summary="Take a coming slot off (organisers)",
    description="Deleted when nobody applied; otherwise cancelled with its applications, "
    "and each volunteer told: the ``reason`` query parameter is then required.",
)
def slot_delete(
    request: HttpRequest,
    mission_id: MissionId,
    slot_id: SlotId,
    reason: str = param_functions.Query("", max_length=2000, pattern=_TEXT),
) -> dict[str, Any]:
    mission = _organised_mission(request, mission_id)
    slot = mission_access.access_slot(mission, slot_id)
    try:
        told = mission_services.slot_remove(slot=slot, actor=_caller(request), reason=reason)
    except MissionRefused as refused:
        needs_reason = not reason.strip() and not slot.cancelled and slot.starts_at > timezone.now()
        raise _refused(400 if needs_reason else 409, refused) from refused
    return {"slot": slot_id, "deleted": not Slot.objects.filter(pk=slot_id).exists(), "told": told}


# --- Needs ---------------------------------------------------------------------------------


def _need_summary(need: Need, links: _Links) -> dict[str, Any]:
    return {
        "id": need.pk,
        "kind": need.kind,
        "kind_label": need.get_kind_display(),
        "title": need.title,
        "association": _association_ref(need.association, links),
        "quantity": need.quantity,
        "street_address": need.street_address,
        "lat": need.lat,
        "lon": need.lon,
        "needed_from": need.needed_from,
        "needed_until": need.needed_until,
        "urgency": need.urgency,
        "status": need.status,
        "status_label": need.get_status_display(),
        "published_at": need.published_at,
    }


@router.get(
    "/needs",
    response={200: NeedPageOut, 422: ValidationErrorOut, 429: ErrorOut},
    summary="Needs other than people: equipment, premises, transport",
    description="The needs taking offers, as on the needs' page: urgent first, then the "
    "latest published. A fulfilled or closed need is still read by its number.",
)
def need_list(request: HttpRequest, filters: Query[NeedFilter]) -> dict[str, Any]:
    organisation = request_organisation(request)
    _check_association_filter(organisation, filters.association)
    rows = need_selectors.needs_published(
        organisation=organisation,
        filters=NeedFilters(
            kind=filters.kind or "",
            urgency=filters.urgency or "",
            association_id=filters.association,
        ),
    )
    count = rows.count()
    start = (filters.page - 1) * filters.per_page
    needs = list(rows[start : start + filters.per_page])
    links = _Links(request)
    return {
        "count": count,
        "page": filters.page,
        "pages": max(1, -(-count // filters.per_page)),
        "per_page": filters.per_page,
        "results": [_need_summary(need, links) for need in needs],
    }


@router.get(
    "/needs/{need_id}",
    response={200: NeedOut, **READ},
    summary="A need",
    description="A draft or a cancelled need is its organisers' only (404 for anyone else).",
)
def need_detail(request: HttpRequest, need_id: NeedId) -> dict[str, Any]:
    _identify(request)
    need = need_access.access_need(request, need_id)
    return {**_need_summary(need, _Links(request)), "description": need.description}


def _offer_out(offer: NeedOffer, links: _Links) -> dict[str, Any]:
    return {
        "id": offer.pk,
        "need": offer.need_id,
        "state": offer.state,
        "state_label": offer.get_state_display(),
        "association": _association_ref(offer.association, links),
        "message": offer.message,
        "contact": offer.contact,
        "answer": offer.answer,
        "created_at": offer.created_at,
    }


@router.post(
    "/needs/{need_id}/offers",
    auth=PERSON_AUTH,
    response={201: OfferOut, **WRITE},
    summary="Offer what a need asks (a signed-in resident)",
    description="As yourself, or on behalf of an association you manage. One open offer "
    "per person and need (409 for a second); the organisers are told by e-mail.",
)
def need_offer(request: HttpRequest, need_id: NeedId, payload: OfferIn) -> Status[dict[str, Any]]:
    need = need_access.access_need(request, need_id)
    association = None
    if payload.association is not None:
        association = Association.objects.filter(
            organisation=request_organisation(request), pk=payload.association
        ).first()
        if association is None:
            raise _invalid("body.payload.association", _("Choose an association you manage."))
    try:
        offer = need_services.need_offer_make(
            need=need,
            user=_caller(request),
            association=association,
            message=payload.message,
            contact=payload.contact,
        )
    except NeedRefused as refused:
        raise _refused(409, refused) from refused
    offer = NeedOffer.objects.select_related("association").get(pk=offer.pk)
    return Status(201, _offer_out(offer, _Links(request)))


# --- Applications --------------------------------------------------------------------------


def _slot_ref(slot: Slot) -> dict[str, Any]:
    return {"id": slot.pk, "starts_at": slot.starts_at, "ends_at": slot.ends_at}


def _application_out(application: Application, links: _Links) -> dict[str, Any]:
    mission = application.slot.mission
    return {
        "id": application.pk,
        "mission": {
            "id": mission.pk,
            "title": mission.title,
            "association": _association_ref(mission.association, links),
            "url": links("volunteering_missions:detail", mission.pk),
        },
        "slot": _slot_ref(application.slot),
        "state": application.state,
        "state_label": application.get_state_display(),
        "message": application.message,
        "decline_reason": application.decline_reason,
        "cancelled_by": application.cancelled_by,
        "cancel_reason": application.cancel_reason,
        "created_at": application.created_at,
    }


def _applicant_out(application: Application) -> dict[str, Any]:
    return {
        "id": application.pk,
        "volunteer_name": application.profile.full_name,
        "state": application.state,
        "state_label": application.get_state_display(),
        "slot": _slot_ref(application.slot),
    }


def _reloaded(application: Application) -> Application:
    return Application.objects.select_related("slot__mission__association", "profile").get(
        pk=application.pk
    )


@router.post(
    "/missions/{mission_id}/slots/{slot_id}/applications",
    auth=PERSON_AUTH,
    response={200: ApplicationOut, 201: ApplicationOut, **WRITE},
    summary="Apply to a slot (a signed-in volunteer)",
    description="A place while the slot has room (awaiting the organiser's answer), else "
    "the waiting list. 201 for a new application; 200 with the application already held "
    "when you applied before. Refusals (409) say why: the mission takes no more "
    "volunteers, the slot has started, a certificate or the age the mission asks is "
    "missing, the organiser declined you before, no volunteer profile yet… Send ``{}`` "
    "when you have no word for the organiser.",
)
def application_create(
    request: HttpRequest, mission_id: MissionId, slot_id: SlotId, payload: ApplyIn
) -> Status[dict[str, Any]]:
    mission = mission_access.access_mission(request, mission_id)
    slot = mission_access.access_slot(mission, slot_id)
    profile = application_access.profile_of(request)
    if profile is None:
        raise HttpError(
            409, _("Create your volunteer profile on the site before applying to a mission.")
        )
    held = Application.objects.filter(
        slot=slot, profile=profile, state__in=application_services.CANCELLABLE
    ).exists()
    try:
        application = application_services.application_apply(
            slot=slot,
            profile=profile,
            source=Application.Source.WEB,
            message=payload.message,
        )
    except ApplicationRefused as refused:
        raise _refused(409, refused) from refused
    return Status(200 if held else 201, _application_out(_reloaded(application), _Links(request)))


@router.get(
    "/applications/mine",
    auth=PERSON_AUTH,
    response={200: ApplicationPageOut, 401: ErrorOut, 422: ValidationErrorOut, 429: ErrorOut},
    summary="My applications",
    description="Empty for a person without a volunteer profile.",
)
def application_mine(request: HttpRequest, filters: Query[ApplicationFilter]) -> dict[str, Any]:
    profile = application_access.profile_of(request)
    rows: list[Application] = []
    if profile is not None:
        rows = application_selectors.applications_of_profile(profile=profile)
    if filters.state:
        rows = [a for a in rows if a.state == filters.state]
    now = timezone.now()
    # The coming slots first, the soonest first; then the past ones, the latest first.
    coming = sorted((a for a in rows if a.slot.starts_at > now), key=lambda a: a.slot.starts_at)
    rows = coming + [a for a in rows if a.slot.starts_at <= now]
    page, paging = _page(rows, filters.page, filters.per_page)
    links = _Links(request)
    return {**paging, "results": [_application_out(a, links) for a in page]}


@router.post(
    "/applications/{application_id}/cancel",
    auth=PERSON_AUTH,
    response={200: ApplicationOut, **WRITE},
    summary="Cancel my application (until the slot starts)",
    description="The organiser is told, with the reason when given (send ``{}`` without "
    "one); the place goes to the first on the waiting list.",
)
def application_cancel(
    request: HttpRequest, application_id: ApplicationId, payload: CancelIn
) -> dict[str, Any]:
    application = application_access.access_application_for_volunteer(request, application_id)
    try:
        application_services.application_cancel(
            application=application,
            by=Application.CancelledBy.VOLUNTEER,
            actor=_caller(request),
            reason=payload.reason,
        )
    except ApplicationRefused as refused:
        raise _refused(409, refused) from refused
    return _application_out(_reloaded(application), _Links(request))


@router.get(
    "/missions/{mission_id}/applications",
    auth=PERSON_AUTH,
    response={200: ApplicantPageOut, **ORGANISERS_READ},
    summary="A mission's applications (organisers)",
    description="Only what organising needs: each volunteer's name, the state of the "
    "application and its slot. 404 for anyone but the mission's organisers.",
)
def mission_applications(
    request: HttpRequest, mission_id: MissionId, filters: Query[ApplicantFilter]
) -> dict[str, Any]:
    _token_proven(request)
    # The applications' own loader, as their organiser page: another mission's caller
    # learns nothing of its volunteers, not even that it has some (404).
    mission = application_access.access_mission_for_organiser(request, mission_id)
    if (
        filters.slot is not None
        and not Slot.objects.filter(mission=mission, pk=filters.slot).exists()
    ):
        raise _invalid("query.slot", _("Choose a slot of this mission."))
    # The page's order: per slot, those holding a place, the waiting list in its order,
    # then those declined or cancelled.
    rows = [
        application
        for group in application_selectors.mission_applications(mission=mission)
        if filters.slot is None or group.slot.pk == filters.slot
        for application in (*group.holding, *group.waiting, *group.closed)
        if not filters.state or application.state == filters.state
    ]
    page, paging = _page(rows, filters.page, filters.per_page)
    return {**paging, "results": [_applicant_out(a) for a in page]}


@router.post(
    "/applications/{application_id}/accept",
    auth=PERSON_AUTH,
    response={200: ApplicantOut, **WRITE},
    summary="Accept an application (organisers)",
    description="One awaiting an answer, or on the waiting list when a place is free. The "
    "volunteer is told, with the slot for their diary.",
)
def application_accept(request: HttpRequest, application_id: ApplicationId) -> dict[str, Any]:
    _token_proven(request)
    application = application_access.access_application_for_organiser(request, application_id)
    try:
        application_services.application_accept(application=application, actor=_caller(request))
    except ApplicationRefused as refused:
        raise _refused(409, refused) from refused
    return _applicant_out(_reloaded(application))


@router.post(
    "/applications/{application_id}/decline",
    auth=PERSON_AUTH,
    response={200: ApplicantOut, **WRITE},
    summary="Decline an application, with the reason the volunteer reads (organisers)",
    description="A place it held goes to the first on the waiting list.",
)
def application_decline(
    request: HttpRequest, application_id: ApplicationId, payload: ReasonIn
) -> dict[str, Any]:
    _token_proven(request)
    application = application_access.access_application_for_organiser(request, application_id)
    try:
        application_services.application_decline(
            application=application, actor=_caller(request), reason=payload.reason
        )
    except ApplicationRefused as refused:
        raise _refused(409, refused) from refused
    return _applicant_out(_reloaded(application))
