"""Factories of the participation tests: processes with open phases, participants, proposals."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

from django.utils import timezone

from beffroi.accounts.models import User
from beffroi.participation.models import (
    Blueprint,
    Meeting,
    Participant,
    Phase,
    PhaseType,
    Process,
    Proposal,
)
from beffroi.participation.participants.services import participant_for_user
from beffroi.participation.richtext import clean_html
from beffroi.territory.models import Organisation


def verified(user: User) -> User:
    """``user`` with a verified e-mail address (required to take part with an account)."""
    if user.email_verified_at is None:
        user.email_verified_at = timezone.now()
        user.save(update_fields=["email_verified_at"])
    return user


def participant(user: User, organisation: Organisation) -> Participant:
    return participant_for_user(user=verified(user), organisation=organisation)


def make_process(
    organisation: Organisation,
    *,
    slug: str = "idees",
    title: str = "Des idées pour Valmont",
    blueprint: str = Blueprint.IDEAS,
    phases: tuple[str, ...] = (PhaseType.PROPOSALS,),
    open_phase: int | None = 0,
    status: str = Process.Status.PUBLISHED,
    **fields: Any,
) -> Process:
    """A process whose phases follow one another by weeks; ``open_phase`` is the index of
    the one open now (None: all in the future)."""
    process = Process.objects.create(
        organisation=organisation,
        slug=slug,
        title=title,
        blueprint=blueprint,
        status=status,
        description=clean_html("Une démarche pour construire ensemble."),
        **fields,
    )
    now = timezone.now()
    start_index = open_phase if open_phase is not None else -1
    for index, phase_type in enumerate(phases):
        starts = now + timedelta(weeks=index - start_index) - timedelta(days=1)
        Phase.objects.create(
            process=process,
            type=phase_type,
            title=str(PhaseType(phase_type).label),
            starts_at=starts,
            ends_at=starts + timedelta(weeks=1),
            position=index,
        )
    return process


def make_proposal(
    process: Process,
    author: Participant | None,
    *,
    title: str = "Un composteur partagé square Jean-Moulin",
    body: str = "Pour réduire les déchets du quartier.",
    cost: str | None = "1200",
    **fields: Any,
) -> Proposal:
    return Proposal.objects.create(
        organisation=process.organisation,
        process=process,
        author=author,
        title=title,
        body=clean_html(body),
        estimated_cost=Decimal(cost) if cost is not None else None,
        **fields,
    )


# --- meetings ------------------------------------------------------------------------------


def make_meeting(
    process: Process,
    *,
    title: str = "Atelier : le square Jean-Moulin",
    in_days: float = 7,
    hours: float = 2,
    capacity: int | None = None,
    **fields: Any,
) -> Meeting:
    """A meeting in person of ``process`` starting ``in_days`` from now (negative: past)."""
    starts = timezone.now() + timedelta(days=in_days)
    fields.setdefault("place_name", "Salle des fêtes")
    fields.setdefault("address_text", "1 place de la Mairie, Valmont")
    return Meeting.objects.create(
        organisation=process.organisation,
        process=process,
        title=title,
        starts_at=starts,
        ends_at=starts + timedelta(hours=hours),
        capacity=capacity,
        **fields,
    )
