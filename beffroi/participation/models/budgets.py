"""Participatory budgets: budgets and their projects, ballots, census lists, paper ballots
typed in twice, computed results and the official outcome.

A participatory-budget process holds one or more budgets (the commune's, one per district).
Who may vote follows from the process's open phases like every other action (a ballot phase
allows ``Action.VOTE``), plus the budget's own rules: a minimum age, and either a verified
address in its zones or a name on a census list imported by the agents.

One ballot per eligible person per budget is a database rule (``ballot_one_per_voter`` on
``voter_key``), so that two tabs, a double click or a script racing itself still count once.
Imported PaBuLib files keep what Beffroi has no column for (META, the other project and vote
columns) so that an export gives back the same file.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class BallotType(models.TextChoices):
    APPROVAL = "approval", _("Approval (choose between a minimum and a maximum of projects)")
    KNAPSACK = "knapsack", _("Within the budget (the chosen projects fit in the amount)")
    CUMULATIVE = "cumulative", _("Cumulative points")
    RANKED = "ranked", _("Ranked")


class Eligibility(models.TextChoices):
    ZONES = "zones", _("A verified address in the budget's zones")
    CENSUS = "census", _("A census list imported by the agents")


class Rule(models.TextChoices):
    GREEDY = "greedy", _("Greedy (most votes first)")
    MES = "mes", _("Method of Equal Shares")
    MES_ADD1 = "mes-add1", _("Method of Equal Shares, add1 completion")


class Budget(models.Model):
    organisation = models.ForeignKey(
        "territory.Organisation", on_delete=models.CASCADE, related_name="budgets"
    )
    process = models.ForeignKey(
        "participation.Process", on_delete=models.CASCADE, related_name="budgets"
    )
    title = models.CharField(_("title"), max_length=200)
    amount = models.DecimalField(_("amount"), max_digits=14, decimal_places=2)
    currency = models.CharField(_("currency"), max_length=3, default="EUR")
    # Empty: the whole territory.
    zones = models.ManyToManyField(
        "territory.Zone", blank=True, related_name="budgets", verbose_name=_("zones")
    )
    ballot_type = models.CharField(
        _("ballot"), max_length=12, choices=BallotType.choices, default=BallotType.APPROVAL
    )
    min_projects = models.PositiveSmallIntegerField(_("minimum number of projects"), default=1)
    max_projects = models.PositiveSmallIntegerField(
        _("maximum number of projects"), null=True, blank=True
    )
    max_points = models.PositiveIntegerField(_("points to share"), null=True, blank=True)
    min_age = models.PositiveSmallIntegerField(_("minimum age"), default=16, null=True, blank=True)
    eligibility = models.CharField(
        _("who may vote"), max_length=10, choices=Eligibility.choices, default=Eligibility.ZONES
    )
    # The META of an imported .pb file, written back by the export (empty for budgets
    # created here).
    pabulib_meta: models.JSONField[Any] = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["process", "created_at"]
        verbose_name = _("participatory budget")
        verbose_name_plural = _("participatory budgets")
        constraints = [
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="budget_amount_positive"),
            models.CheckConstraint(
                condition=models.Q(max_projects__isnull=True)
                | models.Q(max_projects__gte=models.F("min_projects")),
                name="budget_max_projects_gte_min",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def imported(self) -> bool:
        return bool(self.pabulib_meta)


class BudgetProject(models.Model):
    budget = models.ForeignKey(Budget, on_delete=models.CASCADE, related_name="projects")
    # A proposal that passed the feasibility review; None for a project created by agents or
    # imported.
    proposal = models.ForeignKey(
        "participation.Proposal",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="budget_projects",
    )
    title = models.CharField(_("title"), max_length=300)
    description = models.TextField(_("description"), blank=True)
    cost = models.DecimalField(_("cost"), max_digits=14, decimal_places=2)
    # PaBuLib's project_id: the file's for an imported project, generated otherwise.
    pabulib_id = models.CharField(max_length=100)
    # The other PROJECTS columns of an imported file (votes, score, selected, category…),
    # as text, written back by the export.
    pabulib_fields: models.JSONField[Any] = models.JSONField(default=dict, blank=True)
    zones = models.ManyToManyField("territory.Zone", blank=True, related_name="budget_projects")
    position = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["budget", "position", "pk"]
        verbose_name = _("budget project")
        verbose_name_plural = _("budget projects")
        constraints = [
            models.UniqueConstraint(
                fields=["budget", "pabulib_id"], name="budget_project_pabulib_id_unique"
            ),
            models.CheckConstraint(condition=models.Q(cost__gt=0), name="budget_project_cost"),
            models.UniqueConstraint(
                fields=["budget", "proposal"],
                condition=models.Q(proposal__isnull=False),
                name="budget_project_one_per_proposal",
            ),
        ]

    def __str__(self) -> str:
        return self.title


class Ballot(models.Model):
    class Source(models.TextChoices):
        ONLINE = "online", _("Online")
        PAPER = "paper", _("Paper")
        IMPORTED = "imported", pgettext_lazy("ballot", "Imported")

    # No index of its own: the unique (budget, voter_key) serves every lookup by budget, and
    # each ballot cast would maintain one more index for nothing.
    budget = models.ForeignKey(
        Budget, on_delete=models.CASCADE, related_name="ballots", db_index=False
    )
    participant = models.ForeignKey(
        "participation.Participant",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="ballots",
    )
    # Who the ballot belongs to, whatever the way in: "p:<participant id>", "c:<census entry
    # id>", "s:<paper sheet number>" or "pb:<PaBuLib voter id>". Unique per budget.
    voter_key = models.CharField(max_length=120)
    # Shown to the voter to check later that the ballot counted; empty for imported ballots.
    receipt_code = models.CharField(max_length=20, blank=True)
    source = models.CharField(max_length=10, choices=Source.choices, default=Source.ONLINE)
    # The other VOTES columns of an imported file (age, sex, voting_method…), as text.
    pabulib_fields: models.JSONField[Any] = models.JSONField(default=dict, blank=True)
    cast_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        ordering = ["budget", "pk"]
        verbose_name = _("ballot")
        verbose_name_plural = _("ballots")
        constraints = [
            # Exactly one ballot per eligible person per budget, whatever the race.
            models.UniqueConstraint(fields=["budget", "voter_key"], name="ballot_one_per_voter"),
            models.UniqueConstraint(
                fields=["receipt_code"],
                condition=~models.Q(receipt_code=""),
                name="ballot_receipt_unique",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.budget_id}/{self.voter_key}"


class BallotChoice(models.Model):
    # Likewise served by the unique (ballot, project).
    ballot = models.ForeignKey(
        Ballot, on_delete=models.CASCADE, related_name="choices", db_index=False
    )
    project = models.ForeignKey(BudgetProject, on_delete=models.CASCADE, related_name="choices")
    # Order on the ballot (the ranking for ranked ballots, the file's order when imported).
    position = models.PositiveSmallIntegerField(default=0)
    points = models.IntegerField(null=True, blank=True)
    rank = models.PositiveSmallIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["ballot", "position"]
        constraints = [
            models.UniqueConstraint(fields=["ballot", "project"], name="ballot_choice_unique")
        ]

    def __str__(self) -> str:
        return f"{self.ballot_id}→{self.project_id}"


class CensusEntry(models.Model):
    """A person of a census list (e.g. the electoral roll of a district, a school's pupils):
    only they vote in a budget whose eligibility is the census."""

    budget = models.ForeignKey(Budget, on_delete=models.CASCADE, related_name="census")
    # What the list identifies a person by (a number on a voting card).
    key = models.CharField(_("identifier"), max_length=100)
    name = models.CharField(_("name"), max_length=200, blank=True)
    birth_year = models.PositiveSmallIntegerField(_("year of birth"), null=True, blank=True)
    address = models.CharField(_("address"), max_length=300, blank=True)
    # Set when a participant proves they are this person.
    participant = models.ForeignKey(
        "participation.Participant",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="census_entries",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["budget", "key"]
        verbose_name = _("census entry")
        verbose_name_plural = _("census entries")
        constraints = [
            models.UniqueConstraint(fields=["budget", "key"], name="census_key_unique"),
            models.UniqueConstraint(
                fields=["budget", "participant"],
                condition=models.Q(participant__isnull=False),
                name="census_one_entry_per_participant",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.budget_id}/{self.key}"


class PaperBallotEntry(models.Model):
    """One agent's typing of a paper ballot sheet. A sheet counts once two different agents
    typed identical choices."""

    budget = models.ForeignKey(Budget, on_delete=models.CASCADE, related_name="paper_entries")
    sheet_number = models.PositiveIntegerField(_("sheet number"))
    agent = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    # Canonical choices: [[project id, value], …] sorted by project id (value 1 for approval).
    choices: models.JSONField[Any] = models.JSONField(default=list)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["budget", "sheet_number", "created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["budget", "sheet_number", "agent"], name="paper_entry_once_per_agent"
            )
        ]

    def __str__(self) -> str:
        return f"{self.budget_id}/{self.sheet_number}/{self.agent_id}"


class BudgetResult(models.Model):
    """A rule's result computed from the ballots (one per budget and rule, replaced when
    computed again)."""

    class Status(models.TextChoices):
        RUNNING = "running", _("Being computed")
        DONE = "done", _("Computed")
        FAILED = "failed", _("Failed")

    budget = models.ForeignKey(Budget, on_delete=models.CASCADE, related_name="results")
    rule = models.CharField(max_length=10, choices=Rule.choices)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.RUNNING)
    started_at = models.DateTimeField()
    computed_at = models.DateTimeField(null=True, blank=True)
    ballots = models.PositiveIntegerField(default=0)
    # PaBuLib ids in the order the rule took them.
    selected: models.JSONField[Any] = models.JSONField(default=list)
    # Per PaBuLib id: status, reason, cost, votes, score, round, and the amounts as exact
    # fractions in text ("1000000/3").
    outcomes: models.JSONField[Any] = models.JSONField(default=dict)
    cost = models.DecimalField(max_digits=14, decimal_places=2, default=0)
    tie_breaking = models.CharField(max_length=200, blank=True)
    # MES with add1: the share of each voter in the run returned, as an exact fraction.
    voter_budget = models.CharField(max_length=100, blank=True)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["budget", "rule"]
        constraints = [
            models.UniqueConstraint(fields=["budget", "rule"], name="budget_result_one_per_rule")
        ]

    def __str__(self) -> str:
        return f"{self.budget_id}/{self.rule}"


class BudgetOutcome(models.Model):
    """The official outcome: published by an agent, or kept from an imported file's
    ``selected`` column. It may differ from every computed result (the commune added a
    project): the difference is shown, never hidden."""

    class Source(models.TextChoices):
        PUBLISHED = "published", _("Published by the commune")
        IMPORTED = "imported", _("Recorded in the imported file")

    budget = models.OneToOneField(Budget, on_delete=models.CASCADE, related_name="outcome")
    source = models.CharField(max_length=10, choices=Source.choices)
    # PaBuLib ids of the funded projects.
    selected: models.JSONField[Any] = models.JSONField(default=list)
    note = models.TextField(_("note"), blank=True)
    published_at = models.DateTimeField()
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    def __str__(self) -> str:
        return f"{self.budget_id}: {len(self.selected)}"
