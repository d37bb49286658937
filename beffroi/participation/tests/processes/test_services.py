"""Processes, phases, categories and documents: the services and their refusals."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone, translation
from PIL import Image

from beffroi.core.models import AuditEvent
from beffroi.participation.access import decide
from beffroi.participation.models import (
    Action,
    Blueprint,
    Category,
    Follow,
    Phase,
    PhaseType,
    Process,
    ProcessDocument,
)
from beffroi.participation.processes import services
from beffroi.participation.processes.services import ProcessData, ProcessError
from beffroi.participation.tests.factories import make_process, make_proposal, participant
from beffroi.testing import Cast

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _png(**info: object) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 10, 10)).save(out, format="PNG", **info)  # type: ignore[arg-type]
    return out.getvalue()


def _data(**fields: object) -> ProcessData:
    values: dict[str, object] = {"title": "Budget participatif 2026", "blueprint": Blueprint.BUDGET}
    values.update(fields)
    return ProcessData(**values)  # type: ignore[arg-type]


def test_it_creates_a_draft_with_a_free_slug_and_a_sanitised_description(cast: Cast) -> None:
    make_process(cast.org, slug="budget-participatif-2026")
    process = services.process_create(
        organisation=cast.org,
        data=_data(description='<p onclick="x()">Bonjour<script>alert(1)</script></p>'),
        actor=cast.participation_manager,
    )
    assert process.status == Process.Status.DRAFT
    assert process.slug == "budget-participatif-2026-2"
    assert process.description == "<p>Bonjour</p>"
    assert AuditEvent.objects.filter(action="participation.process.create").count() == 1


def test_it_refuses_a_taken_a_reserved_or_a_malformed_slug_and_changes_nothing(
    cast: Cast,
) -> None:
    make_process(cast.org, slug="idees")
    for slug, words in (
        ("idees", "already uses"),
        ("propositions", "used by the site"),
        ("Pas Bien!", "lower-case"),
    ):
        with pytest.raises(ProcessError) as refused:
            services.process_create(
                organisation=cast.org, data=_data(slug=slug), actor=cast.participation_manager
            )
        assert words in refused.value.errors["slug"][0]
    assert Process.objects.count() == 1
    # The same slug in another organisation is free.
    other = services.process_create(
        organisation=cast.other_org, data=_data(slug="idees"), actor=None
    )
    assert other.slug == "idees"


def test_it_refuses_zones_of_another_organisation_and_an_empty_scope(cast: Cast) -> None:
    from beffroi.alerts.tests.factories import make_zone

    foreign = make_zone(cast.other_org, "Hameau d'ailleurs")
    with pytest.raises(ProcessError) as refused:
        services.process_create(
            organisation=cast.org,
            data=_data(whole_territory=False, zones=[foreign]),
            actor=None,
        )
    assert "zones" in refused.value.errors
    with pytest.raises(ProcessError) as refused:
        services.process_create(
            organisation=cast.org, data=_data(whole_territory=False), actor=None
        )
    assert "zones" in refused.value.errors
    assert not Process.objects.exists()


def test_it_reencodes_the_illustration_and_requires_its_text_alternative(cast: Cast) -> None:
    upload = SimpleUploadedFile("photo.png", _png(), content_type="image/png")
    with pytest.raises(ProcessError) as refused:
        services.process_create(
            organisation=cast.org, data=_data(), actor=None, illustration=upload
        )
    assert "illustration_alt" in refused.value.errors
    assert not Process.objects.exists()
    upload = SimpleUploadedFile("photo.png", _png(), content_type="image/png")
    process = services.process_create(
        organisation=cast.org,
        data=_data(illustration_alt="Le square Jean-Moulin"),
        actor=None,
        illustration=upload,
    )
    assert process.illustration.name.endswith(".png")
    fake = SimpleUploadedFile("photo.png", b"<svg onload=alert(1)>", content_type="image/png")
    with pytest.raises(ProcessError) as refused:
        services.process_update(
            process=process,
            data=_data(illustration_alt="x"),
            actor=None,
            illustration=fake,
        )
    assert "illustration" in refused.value.errors


def test_it_publishes_only_with_phases_and_archives_with_an_audit(cast: Cast) -> None:
    process = services.process_create(organisation=cast.org, data=_data(), actor=None)
    with pytest.raises(ProcessError):
        services.process_publish(process=process, actor=cast.participation_manager)
    process.refresh_from_db()
    assert process.status == Process.Status.DRAFT
    now = timezone.now()
    services.phase_create(
        process=process,
        type=PhaseType.PROPOSALS,
        title="Propositions",
        starts_at=now - timedelta(days=1),
        ends_at=now + timedelta(days=10),
        actor=None,
    )
    services.process_publish(process=process, actor=cast.participation_manager)
    process.refresh_from_db()
    assert process.status == Process.Status.PUBLISHED
    with pytest.raises(ProcessError):
        services.process_publish(process=process, actor=cast.participation_manager)
    services.process_archive(process=process, actor=cast.participation_manager)
    process = Process.objects.prefetch_related("phases").get(pk=process.pk)
    assert process.status == Process.Status.ARCHIVED
    alice = participant(cast.resident, cast.org)
    assert decide(alice, process, Action.PROPOSE).code == "not_published"
    events = AuditEvent.objects.filter(target_id=str(process.pk)).values_list("action", flat=True)
    assert {"participation.process.publish", "participation.process.archive"} <= set(events)
    assert AuditEvent.objects.get(action="participation.process.publish").actor_id == (
        cast.participation_manager.pk
    )


def test_it_refuses_a_phase_closing_before_it_opens(cast: Cast) -> None:
    process = make_process(cast.org)
    now = timezone.now()
    with pytest.raises(ProcessError) as refused:
        services.phase_create(
            process=process,
            type=PhaseType.VOTE,
            title="Vote",
            starts_at=now,
            ends_at=now - timedelta(hours=1),
            actor=None,
        )
    assert refused.value.errors["ends_at"] == ["The phase must close after it opens."]
    with pytest.raises(ProcessError) as refused:
        services.phase_create(
            process=process, type="party", title="", starts_at=None, ends_at=None, actor=None
        )
    assert set(refused.value.errors) == {"type", "title", "starts_at", "ends_at"}
    assert process.phases.count() == 1


@pytest.mark.french
def test_it_says_its_refusals_in_french(cast: Cast) -> None:
    process = make_process(cast.org)
    now = timezone.now()
    with translation.override("fr"), pytest.raises(ProcessError) as refused:
        services.phase_create(
            process=process,
            type=PhaseType.VOTE,
            title="Vote",
            starts_at=now,
            ends_at=now,
            actor=None,
        )
    assert refused.value.errors["ends_at"] == ["La phase doit se fermer après son ouverture."]


def test_it_keeps_phases_in_calendar_order(cast: Cast) -> None:
    process = make_process(cast.org, phases=(PhaseType.PROPOSALS,))
    first = process.phases.get()
    earlier = services.phase_create(
        process=process,
        type=PhaseType.INFORMATION,
        title="Information",
        starts_at=first.starts_at - timedelta(days=20),
        ends_at=first.starts_at,
        actor=None,
    )
    assert list(process.phases.values_list("pk", flat=True)) == [earlier.pk, first.pk]
    assert list(process.phases.values_list("position", flat=True)) == [0, 1]


def test_it_opens_and_closes_a_phase_by_hand_then_follows_dates_again(cast: Cast) -> None:
    process = make_process(cast.org, phases=(PhaseType.PROPOSALS, PhaseType.VOTE))
    alice = participant(cast.resident, cast.org)
    proposals, vote = process.phases.order_by("position")
    services.phase_close(phase=proposals, actor=cast.participation_manager)
    services.phase_open(phase=vote, actor=cast.participation_manager)
    process = Process.objects.prefetch_related("phases").get(pk=process.pk)
    assert decide(alice, process, Action.PROPOSE).code == "phase_closed"
    assert decide(alice, process, Action.VOTE)
    with pytest.raises(ProcessError):
        services.phase_open(phase=vote, actor=cast.participation_manager)
    services.phase_follow_dates(phase=proposals, actor=cast.participation_manager)
    services.phase_follow_dates(phase=vote, actor=cast.participation_manager)
    process = Process.objects.prefetch_related("phases").get(pk=process.pk)
    assert decide(alice, process, Action.PROPOSE)
    assert decide(alice, process, Action.VOTE).code == "phase_closed"
    actions = list(
        AuditEvent.objects.filter(action__startswith="participation.phase.")
        .order_by("pk")
        .values_list("action", flat=True)
    )
    assert actions == [
        "participation.phase.close",
        "participation.phase.open",
        "participation.phase.dates",
        "participation.phase.dates",
    ]


def test_it_refuses_to_delete_an_open_phase_or_the_last_one(cast: Cast) -> None:
    process = make_process(cast.org, phases=(PhaseType.PROPOSALS, PhaseType.VOTE))
    proposals, vote = process.phases.order_by("position")
    with pytest.raises(ProcessError) as refused:
        services.phase_delete(phase=proposals, actor=None)
    assert "close it" in refused.value.messages[0]
    services.phase_delete(phase=vote, actor=None)
    services.phase_close(phase=proposals, actor=None)
    with pytest.raises(ProcessError) as refused:
        services.phase_delete(phase=proposals, actor=None)
    assert "at least one phase" in refused.value.messages[0]
    assert Phase.objects.filter(process=process).count() == 1


def test_it_refuses_changes_to_an_archived_process(cast: Cast) -> None:
    process = make_process(cast.org, status=Process.Status.ARCHIVED)
    phase = process.phases.get()
    with pytest.raises(ProcessError):
        services.phase_open(phase=phase, actor=None)
    with pytest.raises(ProcessError):
        services.phase_update(
            phase=phase,
            type=PhaseType.VOTE,
            title="Vote",
            starts_at=phase.starts_at,
            ends_at=phase.ends_at,
            actor=None,
        )
    phase.refresh_from_db()
    assert (phase.mode, phase.type) == (Phase.Mode.DATES, PhaseType.PROPOSALS)


def test_it_keeps_category_names_unique_and_used_categories(cast: Cast) -> None:
    process = make_process(cast.org)
    mobility = services.category_create(process=process, name="Mobilité", actor=None)
    with pytest.raises(ProcessError):
        services.category_create(process=process, name=" mobilité ", actor=None)
    nature = services.category_create(process=process, name="Nature", actor=None)
    with pytest.raises(ProcessError):
        services.category_update(category=nature, name="MOBILITÉ", actor=None)
    make_proposal(process, participant(cast.resident, cast.org), category=mobility)
    with pytest.raises(ProcessError) as refused:
        services.category_delete(category=mobility, actor=None)
    assert "rename it" in refused.value.messages[0]
    services.category_delete(category=nature, actor=None)
    assert list(Category.objects.values_list("name", flat=True)) == ["Mobilité"]


def test_it_accepts_a_pdf_document_and_refuses_a_disguised_file(cast: Cast) -> None:
    process = make_process(cast.org)
    document = services.document_add(
        process=process,
        title="Délibération du conseil",
        upload=SimpleUploadedFile("deliberation.pdf", PDF),
        actor=cast.participation_manager,
    )
    assert document.content_type == "application/pdf"
    assert document.size == len(PDF)
    assert document.file.name.endswith(".pdf")
    with pytest.raises(ProcessError) as refused:
        services.document_add(
            process=process,
            title="Programme",
            upload=SimpleUploadedFile("programme.pdf", b"MZ\x90\x00 not a pdf"),
            actor=None,
        )
    assert "file" in refused.value.errors
    with pytest.raises(ProcessError) as refused:
        services.document_add(process=process, title="", upload=None, actor=None)
    assert set(refused.value.errors) == {"title", "file"}
    assert ProcessDocument.objects.count() == 1
    services.document_delete(document=document, actor=None)
    assert not ProcessDocument.objects.exists()


def test_it_lets_a_resident_follow_a_published_process_once(cast: Cast) -> None:
    process = make_process(cast.org)
    alice = participant(cast.resident, cast.org)
    services.process_follow(participant=alice, process=process)
    services.process_follow(participant=alice, process=process)
    assert Follow.objects.filter(participant=alice, process=process).count() == 1
    assert services.process_unfollow(participant=alice, process=process)
    assert not Follow.objects.exists()
    draft = make_process(cast.org, slug="brouillon", status=Process.Status.DRAFT)
    with pytest.raises(ProcessError):
        services.process_follow(participant=alice, process=draft)
    assert not Follow.objects.exists()


def test_opening_a_phase_by_hand_closes_the_one_open_until_then(cast: Cast) -> None:
    process = make_process(cast.org, phases=(PhaseType.PROPOSALS, PhaseType.VOTE))
    alice = participant(cast.resident, cast.org)
    proposals, vote = process.phases.order_by("position")
    opened = services.phase_open(phase=vote, actor=cast.participation_manager)
    assert [p.pk for p in opened.closed_by_opening] == [proposals.pk]  # type: ignore[attr-defined]
    process = Process.objects.prefetch_related("phases").get(pk=process.pk)
    assert decide(alice, process, Action.VOTE)
    assert decide(alice, process, Action.PROPOSE).code == "phase_closed"
    assert list(
        AuditEvent.objects.filter(action__startswith="participation.phase.")
        .order_by("pk")
        .values_list("action", "target_id")
    ) == [
        ("participation.phase.open", str(vote.pk)),
        ("participation.phase.close", str(proposals.pk)),
    ]
