"""Realisations: every write. Pages (and later the API and commands) call these.

- ``realisations_from_outcome``: one realisation per project of a budget's official outcome,
  idempotent (the database holds one per project); the followers of each project's original
  proposal follow its realisation;
- ``realisation_create``: by hand, for a project of a budget (one the commune funds besides);
- ``realisation_update``, ``realisation_status_set``: what agents keep up to date, audited;
- ``milestone_add``: a dated step with photos (re-encoded), notified to the followers;
- delivering a realisation opens its evaluation by residents (``realisations.evaluations``);
- ``realisation_follow`` / ``realisation_unfollow``: residents.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from beffroi.accounts.access import has_role
from beffroi.accounts.models import User
from beffroi.core.audit import audit_record
from beffroi.participation import access
from beffroi.participation.files import FileRefused, image_checked
from beffroi.participation.models import (
    Budget,
    BudgetOutcome,
    BudgetProject,
    Follow,
    Milestone,
    MilestonePhoto,
    Notification,
    Participant,
    Realisation,
    RealisationFollow,
)
from beffroi.participation.notifications.services import notify
from beffroi.territory.models import Organisation, Zone
from beffroi.territory.selectors import InvalidPoint, zones_at_point

AMOUNT_MAX = Decimal("1000000000000")
MAX_PHOTOS = 3
# The zones residents filter realisations by: where people live, not flood or risk areas.
PLACE_ZONE_KINDS = (Zone.Kind.HAMLET, Zone.Kind.DISTRICT)


def _refuse(code: str, message: str) -> access.ActionRefused:
    return access.ActionRefused(access.Decision(False, code, message))


def _manager(agent: User, organisation: Organisation) -> None:
    if not has_role(agent, organisation, *access.MANAGER_ROLES):
        raise _refuse("forbidden", _("Not allowed."))


def budget_year(budget: Budget) -> int:
    """The year a budget's projects belong to: the PaBuLib instance, else a year in its
    title or its process's, else the year its outcome was published."""
    texts = [str(budget.pabulib_meta.get("instance", "")), budget.title, budget.process.title]
    for text in texts:
        match = re.search(r"\b(?:19|20)\d{2}\b", text)
        if match:
            return int(match.group(0))
    outcome = BudgetOutcome.objects.filter(budget=budget).first()
    moment = outcome.published_at if outcome is not None else timezone.now()
    return timezone.localtime(moment).year


def _place_zones(organisation: Organisation, lat: float | None, lon: float | None) -> list[Zone]:
    if lat is None or lon is None:
        return []
    try:
        zones = zones_at_point(organisation=organisation, lon=lon, lat=lat)
    except InvalidPoint:
        return []
    return [z for z in zones if z.kind in PLACE_ZONE_KINDS]


def _insert(project: BudgetProject, budget: Budget, year: int) -> Realisation:
    """The realisation of ``project`` with what the project and its proposal know; its
    proposal's followers follow it. Inside the caller's atomic block."""
    proposal = project.proposal
    lat = proposal.lat if proposal is not None else None
    lon = proposal.lon if proposal is not None else None
    realisation = Realisation.objects.create(
        organisation_id=budget.organisation_id,
        budget=budget,
        project=project,
        proposal=proposal,
        title=project.title,
        description=project.description,
        budget_planned=project.cost,
        lat=lat,
        lon=lon,
        year=year,
    )
    zones = _place_zones(budget.organisation, lat, lon)
    if not zones:
        zones = list(project.zones.filter(kind__in=PLACE_ZONE_KINDS))
    if not zones and proposal is not None:
        zones = list(proposal.zones.filter(kind__in=PLACE_ZONE_KINDS))
    if not zones:
        zones = list(budget.zones.filter(kind__in=PLACE_ZONE_KINDS))
    realisation.zones.set(zones)
    if proposal is not None:
        followers = Follow.objects.filter(proposal=proposal).values_list(
            "participant_id", flat=True
        )
        RealisationFollow.objects.bulk_create(
            [RealisationFollow(realisation=realisation, participant_id=pk) for pk in followers],
            ignore_conflicts=True,
        )
    return realisation


def realisations_from_outcome(*, budget: Budget, agent: User) -> list[Realisation]:
    """A realisation for each project of the budget's official outcome that has none yet;
    the ones created (none when run again). Refused when no outcome is published."""
    _manager(agent, budget.organisation)
    outcome = BudgetOutcome.objects.filter(budget=budget).first()
    if outcome is None:
        raise ValidationError(_("This budget has no official outcome yet."))
    with transaction.atomic():
        # Two agents clicking at once wait for each other: the second creates nothing.
        Budget.objects.select_for_update().filter(pk=budget.pk).first()
        projects = list(
            BudgetProject.objects.select_related("proposal")
            .filter(budget=budget, pabulib_id__in=list(outcome.selected))
            .exclude(realisations__isnull=False)
            .order_by("position", "pk")
        )
        year = budget_year(budget)
        created = [_insert(project, budget, year) for project in projects]
        if created:
            audit_record(
                action="participation.realisations_from_outcome",
                organisation=budget.organisation,
                actor=agent,
                target=budget,
                data={"realisations": [r.pk for r in created]},
            )
    return created


def realisation_create(*, project: BudgetProject, agent: User) -> Realisation:
    """A realisation for one project, by hand (the commune funds it besides the outcome)."""
    budget = project.budget
    _manager(agent, budget.organisation)
    try:
        with transaction.atomic():
            realisation = _insert(project, budget, budget_year(budget))
            audit_record(
                action="participation.realisation_create",
                organisation=budget.organisation,
                actor=agent,
                target=realisation,
                data={"project": project.pk},
            )
    except IntegrityError as exc:
        raise ValidationError(
            {"project": [_("This project already has its realisation.")]}
        ) from exc
    return realisation


@dataclass(frozen=True)
class RealisationInput:
    title: str
    description: str = ""
    service: str = ""
    budget_planned: Decimal = Decimal(0)
    budget_spent: Decimal = Decimal(0)
    year: int = 0
    lat: float | None = None
    lon: float | None = None
    # None: the zones of the place (hamlets and districts containing the point).
    zone_ids: Sequence[int] | None = None


def _amount_ok(value: Decimal) -> bool:
    return value.is_finite() and Decimal(0) <= value < AMOUNT_MAX


def realisation_update(
    *, realisation: Realisation, agent: User, data: RealisationInput
) -> Realisation:
    """What the agents keep up to date: title, description, service, amounts, year, place
    and zones. The audit trail keeps what changed."""
    organisation = realisation.organisation
    _manager(agent, organisation)
    errors: dict[str, list[str]] = {}
    if not data.title.strip():
        errors["title"] = [_("Give the realisation a title.")]
    if not _amount_ok(data.budget_planned):
        errors["budget_planned"] = [_("Give an amount of zero or more.")]
    if not _amount_ok(data.budget_spent):
        errors["budget_spent"] = [_("Give an amount of zero or more.")]
    if not 1900 <= data.year <= 2200:
        errors["year"] = [_("Give a year such as 2026.")]
    if (data.lat is None) != (data.lon is None):
        errors["lat"] = [_("Give both the latitude and the longitude, or neither.")]
    elif (
        data.lat is not None
        and data.lon is not None
        and not (-90 <= data.lat <= 90 and -180 <= data.lon <= 180)
    ):
        errors["lat"] = [_("This point is not a valid position.")]
    zones: list[Zone] | None = None
    if data.zone_ids is not None:
        zones = list(Zone.objects.filter(organisation=organisation, pk__in=data.zone_ids))
        if len(zones) != len(set(data.zone_ids)):
            errors["zone_ids"] = [_("Choose zones of the commune.")]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        locked = Realisation.objects.select_for_update().get(pk=realisation.pk)
        fields = ("title", "service", "budget_planned", "budget_spent", "year", "lat", "lon")
        before = {name: str(getattr(locked, name)) for name in fields}
        locked.title = data.title.strip()
        locked.description = data.description.strip()
        locked.service = data.service.strip()
        locked.budget_planned = data.budget_planned
        locked.budget_spent = data.budget_spent
        locked.year = data.year
        locked.lat = data.lat
        locked.lon = data.lon
        locked.save(update_fields=[*fields, "description", "updated_at"])
        if zones is None or (not zones and data.lat is not None):
            zones = _place_zones(organisation, data.lat, data.lon)
        locked.zones.set(zones)
        after = {name: str(getattr(locked, name)) for name in fields}
        audit_record(
            action="participation.realisation_update",
            organisation=organisation,
            actor=agent,
            target=locked,
            data={
                "before": {k: v for k, v in before.items() if after[k] != v},
                "after": {k: v for k, v in after.items() if before[k] != v},
                "zones": [z.pk for z in zones],
            },
        )
    return locked


def realisation_status_set(
    *,
    realisation: Realisation,
    agent: User,
    status: str,
    progress: int,
    reason: str = "",
    today: date | None = None,
) -> Realisation:
    """Where the realisation stands. The progress is a percentage (0 to 100); abandoning
    needs a reason told to residents; delivering dates the delivery (today unless it was
    dated already) and completes the progress."""
    _manager(agent, realisation.organisation)
    errors: dict[str, list[str]] = {}
    if status not in Realisation.Status.values:
        errors["status"] = [_("Choose a status.")]
    if not 0 <= progress <= 100:
        errors["progress"] = [_("Give a progress between 0 and 100 %.")]
    reason = reason.strip()
    if status == Realisation.Status.ABANDONED and not reason:
        errors["reason"] = [_("Say why the realisation is abandoned: residents read it.")]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        locked = Realisation.objects.select_for_update().get(pk=realisation.pk)
        before = {"status": locked.status, "progress": locked.progress}
        locked.status = status
        locked.progress = 100 if status == Realisation.Status.DELIVERED else progress
        locked.abandon_reason = reason if status == Realisation.Status.ABANDONED else ""
        if status == Realisation.Status.DELIVERED:
            locked.delivered_at = locked.delivered_at or today or timezone.localdate()
        else:
            locked.delivered_at = None
        locked.save(
            update_fields=["status", "progress", "abandon_reason", "delivered_at", "updated_at"]
        )
        audit_record(
            action="participation.realisation_status",
            organisation=locked.organisation,
            actor=agent,
            target=locked,
            reason=locked.abandon_reason,
            data={"before": before, "after": {"status": status, "progress": locked.progress}},
        )
        if status == Realisation.Status.DELIVERED and before["status"] != status:
            # Delivered: residents are invited to evaluate it (once: a second delivery
            # keeps the first evaluation).
            from beffroi.participation.realisations.evaluations import evaluation_open

            evaluation_open(realisation=locked, agent=agent)
    return locked


@dataclass(frozen=True)
class PhotoInput:
    upload: UploadedFile[bytes]
    alt_text: str


def milestone_add(
    *,
    realisation: Realisation,
    agent: User,
    on: date,
    title: str,
    text: str = "",
    photos: Sequence[PhotoInput] = (),
) -> Milestone:
    """A dated step, with up to ``MAX_PHOTOS`` photos (each re-encoded, without its
    metadata, and described for those who cannot see it); its followers are notified."""
    _manager(agent, realisation.organisation)
    errors: dict[str, list[str]] = {}
    if not title.strip():
        errors["title"] = [_("Give the milestone a title.")]
    if len(photos) > MAX_PHOTOS:
        errors["photos"] = [_("%(n)d photos at most.") % {"n": MAX_PHOTOS}]
    checked = []
    # Each photo's errors under "photo_<n>" (forms show them by the photo's own field).
    for index, photo in enumerate(photos[:MAX_PHOTOS], start=1):
        if not photo.alt_text.strip():
            errors.setdefault(f"alt_{index}", []).append(
                _("Describe the photo for people who cannot see it.")
            )
        try:
            checked.append((image_checked(photo.upload, stem="photo"), photo.alt_text.strip()))
        except FileRefused as refused:
            errors.setdefault(f"photo_{index}", []).append(str(refused))
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        milestone = Milestone.objects.create(
            realisation=realisation,
            date=on,
            title=title.strip()[:200],
            text=text.strip(),
            created_by=agent,
        )
        for file, alt in checked:
            photo_row = MilestonePhoto(
                milestone=milestone,
                content_type=file.content_type,
                size=file.size,
                alt_text=alt[:200],
            )
            photo_row.file.save(file.name, file.content, save=False)
            photo_row.save()
        followers = Participant.objects.filter(
            realisation_follows__realisation=realisation
        ).order_by("pk")
        notified = notify(
            recipients=followers,
            kind=Notification.Kind.REALISATION,
            title=_("“%(realisation)s”: %(milestone)s")
            % {"realisation": realisation.title, "milestone": milestone.title},
            body=milestone.text,
            url=reverse("participation_realisations:detail", args=[realisation.pk]),
        )
        audit_record(
            action="participation.realisation_milestone",
            organisation=realisation.organisation,
            actor=agent,
            target=realisation,
            data={
                "milestone": milestone.pk,
                "photos": len(checked),
                "notified": notified,
            },
        )
    return milestone


def realisation_follow(*, realisation: Realisation, participant: Participant | None) -> bool:
    """Follow a realisation (a notification for each milestone). True if new."""
    if participant is None:
        raise access.ActionRefused(access.refused("login"))
    decision = access.participant_eligible(participant, realisation.budget.process)
    if not decision.allowed and decision.code in {"login", "blocked", "email_unverified"}:
        raise access.ActionRefused(decision)
    try:
        with transaction.atomic():
            RealisationFollow.objects.create(realisation=realisation, participant=participant)
    except IntegrityError:
        return False
    return True


def realisation_unfollow(*, realisation: Realisation, participant: Participant | None) -> bool:
    if participant is None:
        raise access.ActionRefused(access.refused("login"))
    deleted, _rows = RealisationFollow.objects.filter(
        realisation=realisation, participant=participant
    ).delete()
    return bool(deleted)
