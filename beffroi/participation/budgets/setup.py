"""Participatory budgets' place in the back office: the agents' tool (budgets, projects,
census lists, paper ballots, results and the official outcome); and the ballot boxes kept
in the shared cache, read again when what they hold changes (``access.budget_forget``)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _


def _connect_ballot_boxes() -> None:
    """A saved or deleted budget, project of a budget, process or phase: the ballot boxes
    of the budgets concerned are read again once the transaction commits."""
    from django.db.models.signals import post_delete, post_save

    from beffroi.participation.budgets.access import budget_forget
    from beffroi.participation.models import Budget, BudgetProject, Phase, Process

    def budget_changed(sender: object, instance: Budget, **kwargs: object) -> None:
        budget_forget([instance.pk])

    def project_changed(sender: object, instance: BudgetProject, **kwargs: object) -> None:
        budget_forget([instance.budget_id])

    def process_changed(sender: object, instance: Process, **kwargs: object) -> None:
        budget_forget(Budget.objects.filter(process_id=instance.pk).values_list("pk", flat=True))

    def phase_changed(sender: object, instance: Phase, **kwargs: object) -> None:
        budget_forget(
            Budget.objects.filter(process_id=instance.process_id).values_list("pk", flat=True)
        )

    for sender, receiver in (
        (Budget, budget_changed),
        (BudgetProject, project_changed),
        (Process, process_changed),
        (Phase, phase_changed),
    ):
        name = sender.__name__.lower()
        post_save.connect(
            receiver, sender=sender, weak=False, dispatch_uid=f"budgets.box.{name}.save"
        )
        post_delete.connect(
            receiver, sender=sender, weak=False, dispatch_uid=f"budgets.box.{name}.delete"
        )


def register() -> None:
    from beffroi.core.backoffice import Tool, register_tool
    from beffroi.participation.access import MANAGER_ROLES, ON_BEHALF_ROLES

    register_tool(
        Tool(
            key="participation_budgets",
            title=_("Participatory budgets"),
            description=_(
                "Budgets and their projects, census lists, paper ballots typed in twice, "
                "results under greedy and the Method of Equal Shares, the official outcome "
                "and PaBuLib exports."
            ),
            url_name="participation_budgets_backoffice:list",
            # Front-desk agents type in paper ballots; everything else is for managers.
            roles=MANAGER_ROLES | ON_BEHALF_ROLES,
            order=450,
        )
    )
    _connect_ballot_boxes()
