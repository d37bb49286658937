"""The only way views load realisations and their photos.

A realisation belongs to a budget of a process: it is public once its process is (a draft
process's only for its managers). Every loader answers 404 for another organisation's
realisation as for a missing one.
"""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import HttpRequest

from beffroi.accounts.access import found, request_organisation
from beffroi.participation import access
from beffroi.participation.models import MilestonePhoto, Process, Realisation
from beffroi.territory.models import Organisation


def realisations_public(organisation: Organisation) -> QuerySet[Realisation]:
    """Every realisation residents may see: those of published or archived processes."""
    return Realisation.objects.filter(organisation=organisation).exclude(
        budget__process__status=Process.Status.DRAFT
    )


def access_realisation(request: HttpRequest, realisation_id: int) -> Realisation:
    """A realisation of a visible process of the request's organisation (drafts for its
    managers)."""
    organisation = request_organisation(request)
    realisation = (
        Realisation.objects.select_related("budget__process", "project", "proposal", "organisation")
        .filter(organisation=organisation, pk=realisation_id)
        .first()
    )
    if (
        realisation is not None
        and realisation.budget.process.status == Process.Status.DRAFT
        and not access.is_manager(request)
    ):
        realisation = None
    return found(realisation, "realisation")


def access_realisation_for_manager(request: HttpRequest, realisation_id: int) -> Realisation:
    """Any realisation of the request's organisation, for its participation managers."""
    organisation = request_organisation(request)
    realisation = (
        Realisation.objects.select_related("budget__process", "project", "proposal", "organisation")
        .filter(organisation=organisation, pk=realisation_id)
        .first()
    )
    if realisation is not None and not access.is_manager(request):
        realisation = None
    return found(realisation, "realisation")


def access_milestone_photo(request: HttpRequest, photo_id: int) -> MilestonePhoto:
    """A photo of a milestone of a realisation the request may see."""
    organisation = request_organisation(request)
    photo = (
        MilestonePhoto.objects.select_related("milestone")
        .filter(milestone__realisation__organisation=organisation, pk=photo_id)
        .first()
    )
    if photo is None:
        return found(None, "photo")
    access_realisation(request, photo.milestone.realisation_id)
    return photo
