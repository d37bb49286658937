"""Blueprints: the kinds of process a commune runs, each with its sequence of phases, their
usual lengths and default categories, so that an agent starts from a ready calendar instead of
an empty page (adhocracy4's idea). Every phase and category can be changed afterwards.

Lengths are those French communes commonly announce: a month or so to propose, three weeks
to debate or vote, two months for the services' analysis, a year of follow-up for a budget's
winning projects. The vote and follow-up phases of a participatory budget are the slots the
budget domain fills.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from beffroi.participation.models import Blueprint, PhaseType


@dataclass(frozen=True)
class PhaseSpec:
    type: str
    title: str | Promise
    description: str | Promise
    duration: timedelta


@dataclass(frozen=True)
class BlueprintSpec:
    key: str
    summary: str | Promise
    phases: tuple[PhaseSpec, ...]
    categories: tuple[str | Promise, ...]


_INFORMATION = PhaseSpec(
    PhaseType.INFORMATION,
    _("Information"),
    _("The project is presented: documents, public meetings, questions and answers."),
    timedelta(weeks=2),
)
_ANALYSIS = PhaseSpec(
    PhaseType.ANALYSIS,
    _("Analysis by the services"),
    _(
        "The commune's services study the contributions, check feasibility and costs, and "
        "publish an answer to each."
    ),
    timedelta(weeks=8),
)
_PROPOSALS = PhaseSpec(
    PhaseType.PROPOSALS,
    _("Proposals"),
    _("Residents put forward their ideas, comment on and support those of others."),
    timedelta(weeks=6),
)
_DELIBERATION = PhaseSpec(
    PhaseType.DELIBERATION,
    _("Debate and supports"),
    _("The proposals are debated: comment on them and support those you find most useful."),
    timedelta(weeks=3),
)

_LIVING = (
    _("Living environment"),
    _("Mobility"),
    _("Environment and nature"),
    _("Solidarity"),
    _("Culture and sport"),
    _("Education and youth"),
)

BLUEPRINTS: dict[str, BlueprintSpec] = {
    Blueprint.CONSULTATION: BlueprintSpec(
        key=Blueprint.CONSULTATION,
        summary=_(
            "Residents give their opinion on a project of the commune and answer its "
            "questionnaire; the services analyse the results."
        ),
        phases=(
            _INFORMATION,
            PhaseSpec(
                PhaseType.CONSULTATION,
                _("Consultation"),
                _("Give your opinion on the project and answer the questionnaire."),
                timedelta(weeks=4),
            ),
            PhaseSpec(
                PhaseType.ANALYSIS,
                _("Analysis of the results"),
                _("The results are analysed and the commune says what it takes from them."),
                timedelta(weeks=4),
            ),
        ),
        categories=(),
    ),
    Blueprint.IDEAS: BlueprintSpec(
        key=Blueprint.IDEAS,
        summary=_(
            "Residents propose ideas, debate and support them; the services answer each one."
        ),
        phases=(_PROPOSALS, _DELIBERATION, _ANALYSIS),
        categories=_LIVING,
    ),
    Blueprint.BUDGET: BlueprintSpec(
        key=Blueprint.BUDGET,
        summary=_(
            "Residents propose projects, the services check them, residents vote, and the "
            "winning projects are carried out and followed up."
        ),
        phases=(
            PhaseSpec(
                PhaseType.PROPOSALS,
                _("Project proposals"),
                _("Put forward projects of general interest for the budget."),
                timedelta(weeks=6),
            ),
            PhaseSpec(
                PhaseType.ANALYSIS,
                _("Feasibility study"),
                _("The services check each project's feasibility and estimate its cost."),
                timedelta(weeks=8),
            ),
            PhaseSpec(
                PhaseType.VOTE,
                _("Vote"),
                _("Residents choose the projects to carry out within the budget."),
                timedelta(weeks=3),
            ),
            PhaseSpec(
                PhaseType.FOLLOW_UP,
                _("Implementation follow-up"),
                _("The winning projects are carried out; follow their progress."),
                timedelta(weeks=52),
            ),
        ),
        categories=_LIVING,
    ),
    Blueprint.PLAN: BlueprintSpec(
        key=Blueprint.PLAN,
        summary=_(
            "A plan (for example energy sobriety) built with residents: information, "
            "workshops, proposals, debate, analysis, then evaluation of its effects."
        ),
        phases=(
            _INFORMATION,
            PhaseSpec(
                PhaseType.WORKSHOPS,
                _("Workshops"),
                _("Workshops and meetings to share the diagnosis and work out avenues."),
                timedelta(weeks=4),
            ),
            PhaseSpec(
                PhaseType.PROPOSALS,
                _("Proposals"),
                _("Put forward actions for the plan, comment on and support others'."),
                timedelta(weeks=4),
            ),
            _DELIBERATION,
            PhaseSpec(
                PhaseType.ANALYSIS,
                _("Analysis and drafting of the plan"),
                _("The services study the actions proposed and draft the plan."),
                timedelta(weeks=6),
            ),
            PhaseSpec(
                PhaseType.EVALUATION,
                _("Evaluation"),
                _("Residents evaluate the actions carried out and their effects."),
                timedelta(weeks=12),
            ),
        ),
        categories=(
            _("Public buildings"),
            _("Street lighting"),
            _("Mobility"),
            _("Housing"),
            _("Food"),
            _("Awareness and sharing"),
        ),
    ),
}
