"""Realisations' services: creation from the official outcome (idempotent, followers carried
over), by hand, status and progress rules, milestones notified, photos re-encoded."""

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, transaction
from PIL import Image

from beffroi.core.models import AuditEvent
from beffroi.participation.access import ActionRefused
from beffroi.participation.models import (
    BudgetProject,
    Follow,
    Milestone,
    MilestonePhoto,
    Notification,
    Realisation,
    RealisationFollow,
)
from beffroi.participation.realisations import services
from beffroi.participation.realisations.services import PhotoInput
from beffroi.participation.tests.factories import make_process, make_proposal, participant
from beffroi.participation.tests.proposals.helpers import jpeg_with_gps
from beffroi.participation.tests.realisations.helpers import budget_with_outcome, realisations_of
from beffroi.testing import Cast


def test_it_creates_the_realisations_of_the_outcome_once_with_the_proposals_followers(
    cast: Cast,
) -> None:
    budget = budget_with_outcome(cast, winners=(0, 2))
    ideas = make_process(cast.org)
    author = participant(cast.resident, cast.org)
    follower = participant(cast.resident2, cast.org)
    proposal = make_proposal(ideas, author, lat=45.001, lon=4.002)
    Follow.objects.create(participant=follower, proposal=proposal)
    Follow.objects.create(participant=author, proposal=proposal)
    first = BudgetProject.objects.get(budget=budget, pabulib_id="1")
    first.proposal = proposal
    first.save(update_fields=["proposal"])

    created = realisations_of(cast, budget)

    assert [r.title for r in created] == ["Projet 1", "Projet 3"]
    with_proposal = created[0]
    assert with_proposal.proposal == proposal
    assert (with_proposal.lat, with_proposal.lon) == (45.001, 4.002)
    assert with_proposal.budget_planned == Decimal("30000")
    assert with_proposal.year == 2026  # from the budget's title
    assert with_proposal.status == Realisation.Status.PLANNED
    assert set(
        RealisationFollow.objects.filter(realisation=with_proposal).values_list(
            "participant_id", flat=True
        )
    ) == {follower.pk, author.pk}
    assert not RealisationFollow.objects.filter(realisation=created[1]).exists()
    assert AuditEvent.objects.filter(action="participation.realisations_from_outcome").count() == 1

    # Run again: nothing new, nothing doubled.
    assert realisations_of(cast, budget) == []
    assert Realisation.objects.filter(budget=budget).count() == 2
    assert RealisationFollow.objects.count() == 2


def test_it_refuses_a_budget_without_outcome_and_a_resident(cast: Cast) -> None:
    from beffroi.participation.budgets.services import outcome_publish
    from beffroi.participation.tests.budgets.helpers import make_budget, project_ids

    budget = make_budget(cast, open_phase=None)
    with pytest.raises(ValidationError):
        services.realisations_from_outcome(budget=budget, agent=cast.participation_manager)
    outcome_publish(
        budget=budget, agent=cast.participation_manager, selected=project_ids(budget)[:1]
    )
    with pytest.raises(ActionRefused):
        services.realisations_from_outcome(budget=budget, agent=cast.resident)
    assert not Realisation.objects.exists()


def test_it_creates_one_by_hand_and_only_one_per_project(cast: Cast) -> None:
    budget = budget_with_outcome(cast, winners=(0,))
    extra = BudgetProject.objects.get(budget=budget, pabulib_id="4")
    realisation = services.realisation_create(project=extra, agent=cast.participation_manager)
    assert realisation.title == "Projet 4" and realisation.budget == budget
    with pytest.raises(ValidationError) as error:
        services.realisation_create(project=extra, agent=cast.participation_manager)
    assert "already has its realisation" in str(error.value)
    # The outcome's creation still makes the outcome's own project, not project 4 again.
    assert [r.title for r in realisations_of(cast, budget)] == ["Projet 1"]
    assert Realisation.objects.count() == 2


def _realisation(cast: Cast) -> Realisation:
    return realisations_of(cast, budget_with_outcome(cast, winners=(0,)))[0]


def test_it_validates_the_status_and_the_progress(cast: Cast) -> None:
    realisation = _realisation(cast)
    manager = cast.participation_manager
    for progress in (-1, 101):
        with pytest.raises(ValidationError) as error:
            services.realisation_status_set(
                realisation=realisation, agent=manager, status="works", progress=progress
            )
        assert "progress" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        services.realisation_status_set(
            realisation=realisation, agent=manager, status="abandoned", progress=10, reason="  "
        )
    assert "reason" in error.value.message_dict
    with pytest.raises(ValidationError):
        services.realisation_status_set(
            realisation=realisation, agent=manager, status="unknown", progress=10
        )
    realisation.refresh_from_db()
    assert (realisation.status, realisation.progress) == ("planned", 0)

    done = services.realisation_status_set(
        realisation=realisation,
        agent=manager,
        status="delivered",
        progress=80,
        today=date(2026, 9, 1),
    )
    assert done.delivered_at == date(2026, 9, 1) and done.progress == 100
    dropped = services.realisation_status_set(
        realisation=realisation, agent=manager, status="abandoned", progress=40, reason="Coût"
    )
    assert dropped.delivered_at is None and dropped.abandon_reason == "Coût"
    assert dropped.progress == 40
    back = services.realisation_status_set(
        realisation=realisation, agent=manager, status="works", progress=50, reason="ignored"
    )
    assert back.abandon_reason == "" and back.progress == 50
    assert AuditEvent.objects.filter(action="participation.realisation_status").count() == 3
    # The database holds the rules too, whatever writes to it.
    for values in ({"progress": 150}, {"status": "abandoned", "abandon_reason": ""}):
        with pytest.raises(IntegrityError), transaction.atomic():
            Realisation.objects.filter(pk=realisation.pk).update(**values)


def test_it_notifies_the_followers_of_each_milestone(cast: Cast, settings: Any) -> None:
    realisation = _realisation(cast)
    follower = participant(cast.resident, cast.org)
    bystander = participant(cast.resident2, cast.org)
    assert services.realisation_follow(realisation=realisation, participant=follower)
    assert not services.realisation_follow(realisation=realisation, participant=follower)

    milestone = services.milestone_add(
        realisation=realisation,
        agent=cast.participation_manager,
        on=date(2026, 5, 4),
        title="Début des travaux",
        text="L'entreprise commence lundi.",
    )

    notes = list(Notification.objects.all())
    assert [n.recipient_id for n in notes] == [follower.pk]
    assert "Début des travaux" in notes[0].title and "Projet 1" in notes[0].title
    assert notes[0].url == f"/participer/realisations/{realisation.pk}/"
    assert not Notification.objects.filter(recipient=bystander).exists()
    assert milestone.date == date(2026, 5, 4)

    services.realisation_unfollow(realisation=realisation, participant=follower)
    services.milestone_add(
        realisation=realisation, agent=cast.participation_manager, on=date(2026, 6, 1), title="X"
    )
    assert Notification.objects.count() == 1


def test_it_reencodes_photos_without_their_metadata(
    cast: Cast, settings: Any, tmp_path: Any
) -> None:
    settings.MEDIA_ROOT = str(tmp_path)
    realisation = _realisation(cast)
    upload = jpeg_with_gps()
    assert b"PhoneMaker" in upload.read() and upload.seek(0) == 0
    services.milestone_add(
        realisation=realisation,
        agent=cast.participation_manager,
        on=date(2026, 5, 4),
        title="Charpente posée",
        photos=[PhotoInput(upload=upload, alt_text="La charpente vue de la rue")],
    )
    photo = MilestonePhoto.objects.get()
    stored = photo.file.read()
    assert b"PhoneMaker" not in stored and b"Exif" not in stored
    with Image.open(io.BytesIO(stored)) as reopened:
        assert reopened.format == "JPEG" and not reopened.getexif()
    assert photo.alt_text == "La charpente vue de la rue" and photo.content_type == "image/jpeg"


def test_it_refuses_a_fake_image_and_a_photo_without_description(
    cast: Cast, settings: Any, tmp_path: Any
) -> None:
    settings.MEDIA_ROOT = str(tmp_path)
    realisation = _realisation(cast)
    fake = SimpleUploadedFile(
        "photo.jpg", b"<html><script>alert(1)</script></html>", content_type="image/jpeg"
    )
    with pytest.raises(ValidationError) as error:
        services.milestone_add(
            realisation=realisation,
            agent=cast.participation_manager,
            on=date(2026, 5, 4),
            title="Charpente",
            photos=[PhotoInput(upload=fake, alt_text="Une photo")],
        )
    assert "not a readable image" in str(error.value)
    with pytest.raises(ValidationError) as error:
        services.milestone_add(
            realisation=realisation,
            agent=cast.participation_manager,
            on=date(2026, 5, 4),
            title="Charpente",
            photos=[PhotoInput(upload=jpeg_with_gps(), alt_text=" ")],
        )
    assert error.value.message_dict == {
        "alt_1": ["Describe the photo for people who cannot see it."]
    }
    assert not Milestone.objects.exists() and not MilestonePhoto.objects.exists()
    assert not list(tmp_path.rglob("*.*"))


def test_photos_leave_the_disk_with_their_rows_once_committed(
    cast: Cast, settings: Any, tmp_path: Any, django_capture_on_commit_callbacks: Any
) -> None:
    settings.MEDIA_ROOT = str(tmp_path)
    realisation = _realisation(cast)
    services.milestone_add(
        realisation=realisation,
        agent=cast.participation_manager,
        on=date(2026, 5, 4),
        title="Charpente posée",
        photos=[PhotoInput(upload=jpeg_with_gps(), alt_text="La charpente")],
    )
    path = tmp_path / MilestonePhoto.objects.get().file.name
    assert path.exists()
    # Deleted with its budget's process (a cascade): the file goes when the deletion commits.
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        realisation.budget.process.delete()
    assert path.exists() and callbacks  # nothing removed before the commit
    for callback in callbacks:  # the file's deletion, and caches told of the change
        callback()
    assert not path.exists()
