"""Phase notices: followers and proposal authors are told once when a phase opens or
closes, whether on its dates or by hand."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO

from django.core.management import call_command
from django.utils import timezone

from beffroi.participation.models import Follow, Notification, Phase, PhaseType, Process
from beffroi.participation.processes import services
from beffroi.participation.processes.services import phases_notify_transitions
from beffroi.participation.tests.factories import make_process, make_proposal, participant
from beffroi.testing import Cast


def _setup(cast: Cast) -> tuple[Process, list[int]]:
    process = make_process(cast.org, phases=(PhaseType.PROPOSALS, PhaseType.VOTE))
    alice = participant(cast.resident, cast.org)
    bruno = participant(cast.resident2, cast.org)
    Follow.objects.create(participant=alice, process=process)
    make_proposal(process, bruno)
    # Following and authoring: told once.
    Follow.objects.create(participant=bruno, process=process)
    return process, sorted([alice.pk, bruno.pk])


def test_it_tells_followers_and_authors_once_when_a_phase_opens(cast: Cast) -> None:
    process, recipients = _setup(cast)
    counts = phases_notify_transitions()
    assert (counts.opened, counts.closed, counts.notifications) == (1, 0, 2)
    notices = Notification.objects.order_by("recipient_id")
    assert [n.recipient_id for n in notices] == recipients
    assert all(n.kind == "phase" for n in notices)
    assert "Proposals" in notices[0].title and process.title in notices[0].title
    assert notices[0].url == f"/participer/{process.slug}/"
    # Idempotent: nothing new however often it runs.
    assert phases_notify_transitions().notifications == 0
    assert Notification.objects.count() == 2


def test_it_tells_them_when_the_phase_closes_and_the_next_opens(cast: Cast) -> None:
    process, _recipients = _setup(cast)
    phases_notify_transitions()
    proposals, vote = process.phases.order_by("position")
    later = vote.starts_at + timedelta(hours=1)
    counts = phases_notify_transitions(now=later)
    assert (counts.opened, counts.closed) == (1, 1)
    titles = set(Notification.objects.values_list("title", flat=True))
    assert any("has closed" in title for title in titles)
    assert any(title.startswith("“Vote” is open") for title in titles)
    proposals.refresh_from_db()
    assert proposals.closed_notified_at is not None
    assert phases_notify_transitions(now=later).notifications == 0


def test_it_announces_a_phase_opened_or_closed_by_hand(cast: Cast) -> None:
    process, _recipients = _setup(cast)
    phases_notify_transitions()
    proposals, vote = process.phases.order_by("position")
    services.phase_close(phase=proposals, actor=cast.participation_manager)
    services.phase_open(phase=vote, actor=cast.participation_manager)
    counts = phases_notify_transitions()
    assert (counts.opened, counts.closed) == (1, 1)
    # Opened again by hand: announced again.
    services.phase_open(phase=proposals, actor=cast.participation_manager)
    assert phases_notify_transitions().opened == 1
    assert phases_notify_transitions().notifications == 0


def test_it_marks_phases_over_before_any_notice_without_telling_anyone(cast: Cast) -> None:
    process = make_process(cast.org, phases=(PhaseType.PROPOSALS,), open_phase=None)
    Follow.objects.create(participant=participant(cast.resident, cast.org), process=process)
    phase = process.phases.get()
    past = timezone.now() - timedelta(days=60)
    Phase.objects.filter(pk=phase.pk).update(starts_at=past, ends_at=past + timedelta(days=7))
    counts = phases_notify_transitions()
    assert (counts.opened, counts.closed, counts.skipped) == (0, 0, 1)
    assert not Notification.objects.exists()
    phase.refresh_from_db()
    assert phase.opened_notified_at is not None and phase.closed_notified_at is not None


def test_it_leaves_drafts_and_future_phases_alone(cast: Cast) -> None:
    draft = make_process(cast.org, slug="brouillon", status=Process.Status.DRAFT)
    future = make_process(cast.org, slug="futur", open_phase=None)
    for process in (draft, future):
        Follow.objects.create(participant=participant(cast.resident, cast.org), process=process)
    assert phases_notify_transitions().notifications == 0
    assert not Phase.objects.filter(opened_notified_at__isnull=False).exists()


def test_it_runs_from_the_command_and_the_task(cast: Cast) -> None:
    _setup(cast)
    out = StringIO()
    call_command("participation_phases", stdout=out)
    assert "Phases opened: 1" in out.getvalue()
    assert "notifications created: 2" in out.getvalue()
    result = services.phases_transitions_notify.call()
    assert result == {"opened": 0, "closed": 0, "skipped": 0, "notifications": 0}
