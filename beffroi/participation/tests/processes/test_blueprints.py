"""Blueprints create a ready process: its phases in order, one after the other, and its
categories."""

from __future__ import annotations

from datetime import datetime, timedelta
from itertools import pairwise

import pytest
from django.utils import timezone

from beffroi.participation.models import Blueprint, Category, Phase, PhaseType, Process
from beffroi.participation.processes.services import ProcessError, process_from_blueprint
from beffroi.testing import Cast

EXPECTED = {
    Blueprint.CONSULTATION: [PhaseType.INFORMATION, PhaseType.CONSULTATION, PhaseType.ANALYSIS],
    Blueprint.IDEAS: [PhaseType.PROPOSALS, PhaseType.DELIBERATION, PhaseType.ANALYSIS],
    Blueprint.BUDGET: [
        PhaseType.PROPOSALS,
        PhaseType.ANALYSIS,
        PhaseType.VOTE,
        PhaseType.FOLLOW_UP,
    ],
    Blueprint.PLAN: [
        PhaseType.INFORMATION,
        PhaseType.WORKSHOPS,
        PhaseType.PROPOSALS,
        PhaseType.DELIBERATION,
        PhaseType.ANALYSIS,
        PhaseType.EVALUATION,
    ],
}


@pytest.mark.parametrize("blueprint", list(EXPECTED))
def test_it_creates_the_phases_of_each_blueprint_one_after_the_other(
    cast: Cast, blueprint: str
) -> None:
    start = timezone.make_aware(datetime(2026, 3, 2, 0, 0))
    process = process_from_blueprint(
        organisation=cast.org,
        blueprint=blueprint,
        title="Sobriété énergétique : le plan de Valmont",
        starts_at=start,
        actor=cast.participation_manager,
    )
    assert process.status == Process.Status.DRAFT
    assert process.blueprint == blueprint
    assert process.slug == "sobriete-energetique-le-plan-de-valmont"
    assert process.summary
    phases = list(Phase.objects.filter(process=process).order_by("position"))
    assert [phase.type for phase in phases] == EXPECTED[blueprint]
    assert phases[0].starts_at == start
    for before, after in pairwise(phases):
        assert after.starts_at == before.ends_at
    assert all(phase.ends_at - phase.starts_at >= timedelta(weeks=2) for phase in phases)
    assert all(phase.title and phase.description for phase in phases)
    assert [phase.position for phase in phases] == list(range(len(phases)))


def test_it_gives_ideas_and_plans_default_categories(cast: Cast) -> None:
    start = timezone.now()
    ideas = process_from_blueprint(
        organisation=cast.org, blueprint=Blueprint.IDEAS, title="Idées", starts_at=start, actor=None
    )
    plan = process_from_blueprint(
        organisation=cast.org, blueprint=Blueprint.PLAN, title="Plan", starts_at=start, actor=None
    )
    assert "Mobility" in Category.objects.filter(process=ideas).values_list("name", flat=True)
    assert "Street lighting" in Category.objects.filter(process=plan).values_list("name", flat=True)


def test_it_refuses_an_unknown_blueprint_or_no_title_and_creates_nothing(cast: Cast) -> None:
    with pytest.raises(ProcessError):
        process_from_blueprint(
            organisation=cast.org,
            blueprint="referendum",
            title="Un titre",
            starts_at=timezone.now(),
            actor=None,
        )
    with pytest.raises(ProcessError) as refused:
        process_from_blueprint(
            organisation=cast.org,
            blueprint=Blueprint.IDEAS,
            title="  ",
            starts_at=timezone.now(),
            actor=None,
        )
    assert "title" in refused.value.errors
    assert not Process.objects.exists()
    assert not Phase.objects.exists()
