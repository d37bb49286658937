"""The demo commune's participatory budgets, written through the budgets services.

- "Budget participatif 2027" (the process ``demo.participation`` sets up, every phase to
  come): its calendar is moved so that the residents' proposals were made, the services
  studied them, and the vote is open today. Its budget (within the budget, 40,000 €) holds
  projects from the feasible proposals and the commune's own; some residents have voted, the
  demo's resident has not (they vote in ``make run``).
- "Budget participatif 2026": last year's, counted and imported from its PaBuLib file (a few
  hundred ballots drawn with a fixed seed). A majority of voters backed the big projects of
  the stadium and the school, a minority the small ones of the hamlets: greedy funds only the
  majority's projects, the Method of Equal Shares gives the minority its share. Results are
  computed under the three rules; the official outcome is MES with add1 plus a project the
  municipal council added from its own funds, so the page shows a difference.

Services date what they write "now": history is dated afterwards, as in
``demo.participation`` (calendars moved back as a whole with ``queryset.update``).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from django.db.models import F
from django.utils import timezone, translation

from beffroi.accounts.models import Role, User
from beffroi.demo import constants as c
from beffroi.demo import geography
from beffroi.participation.budgets import pabulib
from beffroi.participation.budgets.services import (
    BudgetInput,
    ballot_cast,
    budget_create,
    budget_project_create,
    budget_project_from_proposal,
    outcome_publish,
    pb_import,
    results_compute,
)
from beffroi.participation.models import (
    Ballot,
    BallotType,
    Blueprint,
    Budget,
    BudgetOutcome,
    BudgetResult,
    Category,
    Participant,
    Phase,
    PhaseType,
    Process,
    Proposal,
    Rule,
)
from beffroi.participation.processes.services import (
    ProcessData,
    process_from_blueprint,
    process_publish,
    process_update,
)
from beffroi.participation.proposals.services import (
    ProposalInput,
    proposal_create,
    proposal_review_feasibility,
)
from beffroi.territory.models import Organisation

SLUG_2027 = "budget-participatif-2027"
SLUG_2026 = "budget-participatif-2026"


@dataclass(frozen=True)
class BudgetsReport:
    budgets: int
    projects: int
    ballots: int


@dataclass(frozen=True)
class _Idea:
    title: str
    body: str
    category: int  # index into the blueprint's default categories
    cost: int  # the services' estimate; 0: not feasible


# Categories: 0 cadre de vie, 1 mobilité, 2 environnement et nature, 3 solidarité,
# 4 culture et sport, 5 éducation et jeunesse.
IDEAS_2027: tuple[_Idea, ...] = (
    _Idea(
        "Un abri à vélos couvert près de la gare",
        "Les vélos restent sous la pluie toute la journée : un abri fermé à clé, pour une "
        "vingtaine de vélos, encouragerait à venir à la gare sans voiture.",
        1,
        9500,
    ),
    _Idea(
        "Un verger partagé au Pré-Loup",
        "Planter une trentaine d'arbres fruitiers de variétés anciennes sur le terrain "
        "communal du Pré-Loup, avec l'école et le club des aînés.",
        2,
        6800,
    ),
    _Idea(
        "Des jeux pour les petits au square de la Mairie",
        "Le square n'a qu'un toboggan abîmé : une structure pour les 2 à 6 ans et un sol "
        "souple rendraient le lieu aux familles.",
        5,
        14500,
    ),
    _Idea(
        "Une boîte à livres au lavoir",
        "Une boîte à livres abritée au lavoir, fabriquée par les élèves du collège.",
        4,
        900,
    ),
    _Idea(
        "Un défibrillateur à la salle des fêtes",
        "Aucun défibrillateur accessible le soir et le week-end : un appareil en boîtier "
        "extérieur, et une formation pour les associations.",
        3,
        2600,
    ),
    _Idea(
        "Des nichoirs et un hôtel à insectes le long de l'Aulne",
        "Vingt nichoirs et un hôtel à insectes posés avec la LPO, et un panneau pour les "
        "reconnaître.",
        2,
        1800,
    ),
    _Idea(
        "Un terrain multisport à la Croix-Blanche",
        "Les jeunes du hameau jouent sur le parking : un petit terrain clôturé, foot et "
        "basket, près de l'abribus.",
        4,
        24000,
    ),
    _Idea(
        "Une passerelle sur l'Aulne au moulin",
        "Une passerelle piétonne relierait le moulin au chemin de halage sans passer par la "
        "route départementale.",
        1,
        0,
    ),
)

# The commune's own projects, put to the vote beside the residents'.
COMMUNE_PROJECTS_2027: tuple[tuple[str, str, int], ...] = (
    (
        "Des bancs le long du chemin de halage",
        "Six bancs en chêne local entre le pont et le moulin.",
        4800,
    ),
    (
        "Des toilettes publiques sèches au city-stade",
        "Un bloc de toilettes sèches accessible aux personnes en fauteuil.",
        11000,
    ),
    (
        "Des panneaux d'information dans les hameaux",
        "Un panneau d'affichage abrité dans chacun des quatre hameaux.",
        3200,
    ),
    (
        "Des récupérateurs d'eau de pluie aux jardins familiaux",
        "Dix cuves de 1 000 litres raccordées aux abris des jardins.",
        4200,
    ),
    (
        "Une fresque sur le mur de l'école avec les enfants",
        "Un artiste de la région peint avec les classes le mur de la cour.",
        5500,
    ),
)

# Last year's projects: (title, cost, which group of voters backs it).
PROJECTS_2026: tuple[tuple[str, int, str], ...] = (
    ("Éclairage du terrain de football", 15000, "bourg"),
    ("Tribune couverte au stade", 12000, "bourg"),
    ("Préau pour la cour de l'école", 9000, "bourg"),
    ("Jardin partagé du Pré-Loup", 5000, "hameaux"),
    ("Boîte à livres de la Croix-Blanche", 1500, "hameaux"),
    ("Bancs et tables de pique-nique au lavoir", 3000, "hameaux"),
    ("Nichoirs dans les haies des hameaux", 2000, "hameaux"),
    ("Fontaine à eau potable sur la place", 6000, "tous"),
)
AMOUNT_2026 = 30000
VOTERS_2026 = 320


def _shift(process: Process, delta: timedelta) -> None:
    Phase.objects.filter(process=process).update(
        starts_at=F("starts_at") - delta, ends_at=F("ends_at") - delta
    )


def _phase(process: Process, phase_type: str) -> Phase:
    return Phase.objects.filter(process=process, type=phase_type).order_by("position").get()


def _fresh(process: Process) -> Process:
    return (
        Process.objects.prefetch_related("phases").select_related("organisation").get(pk=process.pk)
    )


def _open_now(process: Process, phase_type: str, now: datetime, since: timedelta) -> Process:
    """Move the calendar so that ``phase_type`` opened ``since`` before ``now``."""
    _shift(process, _phase(process, phase_type).starts_at - (now - since))
    return _fresh(process)


def _voters(organisation: Organisation) -> list[Participant]:
    """Residents with an account, an address and a year of birth, in a fixed order; the
    demo's own resident is left out (they vote themselves)."""
    resident_email = next(login.email for login in c.demo_logins() if login.role == Role.RESIDENT)
    people = list(
        Participant.objects.filter(
            organisation=organisation,
            user__isnull=False,
            address__isnull=False,
            birth_year__isnull=False,
        )
        .exclude(user__email=resident_email)
        .select_related("user")
        .order_by("pk")
    )
    return people


def _budget_2027(
    organisation: Organisation, manager: User, now: datetime, rng: random.Random
) -> Budget:
    process = Process.objects.get(organisation=organisation, slug=SLUG_2027)
    people = _voters(organisation)
    # The proposals phase, six weeks before the study: residents proposed.
    process = _open_now(process, PhaseType.PROPOSALS, now, timedelta(hours=1))
    categories = list(Category.objects.filter(process=process).order_by("position"))
    authors = rng.sample(people, len(IDEAS_2027))
    proposals = []
    for idea, author in zip(IDEAS_2027, authors, strict=True):
        proposal = proposal_create(
            process=process,
            participant=author,
            data=ProposalInput(
                title=idea.title,
                body=f"<p>{idea.body}</p>",
                category_id=categories[idea.category].pk,
            ),
        )
        proposals.append(proposal)
    # The feasibility study: the services' estimates, the budget and its projects.
    process = _open_now(process, PhaseType.ANALYSIS, now, timedelta(hours=1))
    for proposal, idea in zip(proposals, IDEAS_2027, strict=True):
        proposal_review_feasibility(
            proposal=proposal,
            agent=manager,
            feasibility=(
                Proposal.Feasibility.FEASIBLE if idea.cost else Proposal.Feasibility.NOT_FEASIBLE
            ),
            services_cost=Decimal(idea.cost) if idea.cost else None,
            note=(
                "<p>Faisable : estimation des services techniques.</p>"
                if idea.cost
                else "<p>Une passerelle sur l'Aulne demande une étude hydraulique et dépasse "
                "l'enveloppe du budget participatif.</p>"
            ),
        )
    budget = budget_create(
        process=process,
        agent=manager,
        data=BudgetInput(
            title="Budget participatif 2027 — toute la commune",
            amount=Decimal("40000"),
            ballot_type=BallotType.KNAPSACK,
            min_projects=1,
            min_age=11,
        ),
    )
    for proposal in Proposal.objects.filter(
        process=process, feasibility=Proposal.Feasibility.FEASIBLE
    ).order_by("pk"):
        budget_project_from_proposal(budget=budget, agent=manager, proposal=proposal)
    for title, description, cost in COMMUNE_PROJECTS_2027:
        budget_project_create(
            budget=budget, agent=manager, title=title, description=description, cost=Decimal(cost)
        )
    # The vote opened six days ago: some residents have voted.
    process = _open_now(process, PhaseType.VOTE, now, timedelta(days=6))
    budget = Budget.objects.select_related("process", "organisation").get(pk=budget.pk)
    projects = list(budget.projects.order_by("position").values_list("pk", "cost"))
    weights = [rng.uniform(0.5, 3) for _project in projects]
    for person in rng.sample(people, min(46, len(people))):
        chosen: list[int] = []
        spent = Decimal(0)
        order = sorted(range(len(projects)), key=lambda i: -weights[i] * rng.random())
        for index in order[: rng.randint(2, 6)]:
            project_pk, project_cost = projects[index]
            if spent + project_cost <= budget.amount:
                chosen.append(project_pk)
                spent += project_cost
        ballot_cast(budget=budget, participant=person, choices=chosen)
    # History: proposals during their phase, reviews during the study, ballots this week.
    proposals_phase = _phase(process, PhaseType.PROPOSALS)
    analysis = _phase(process, PhaseType.ANALYSIS)
    for proposal in proposals:
        created = proposals_phase.starts_at + timedelta(hours=rng.uniform(10, 900))
        Proposal.objects.filter(pk=proposal.pk).update(
            created_at=created,
            updated_at=created,
            reviewed_at=analysis.starts_at + timedelta(hours=rng.uniform(24, 1000)),
        )
    for ballot in Ballot.objects.filter(budget=budget).order_by("pk"):
        moment = now - timedelta(hours=rng.uniform(1, 6 * 24 - 1))
        Ballot.objects.filter(pk=ballot.pk).update(cast_at=moment, updated_at=moment)
    return budget


def _voter_fields(voter: int, group: str) -> dict[str, str]:
    """The file's voter columns: the way of voting, the age and the neighbourhood (drawn
    from the voter's own seed, so that the ballots stay those of the main draw)."""
    own = random.Random(c.SEED * 1000 + voter)
    places = [p for p in geography.PLACES if (p.kind == "district") == (group == "bourg")]
    age = own.choices([own.randint(16, 24), own.randint(25, 49), own.randint(50, 90)], [2, 4, 4])
    return {
        "voting_method": "paper" if voter % 4 == 0 else "internet",
        "age": str(age[0]),
        "neighborhood": own.choice(places).name,
    }


def _election_2026(rng: random.Random) -> str:
    """Last year's count as a PaBuLib file: the "bourg" majority approves the big projects,
    the "hameaux" minority the small ones, each ballot with some noise."""
    projects = [
        pabulib.Project(project_id=str(i), cost=cost, name=title)
        for i, (title, cost, _group) in enumerate(PROJECTS_2026, start=1)
    ]
    ballots = []
    for voter in range(1, VOTERS_2026 + 1):
        group = "bourg" if rng.random() < 0.58 else "hameaux"
        chosen = []
        for i, (_title, _cost, backers) in enumerate(PROJECTS_2026, start=1):
            likes = backers == group or (backers == "tous" and rng.random() < 0.3)
            if (likes and rng.random() < 0.9) or (not likes and rng.random() < 0.05):
                chosen.append(str(i))
        if not chosen:
            chosen.append(str(rng.randint(1, len(PROJECTS_2026))))
        ballots.append(
            pabulib.Ballot(
                voter_id=str(voter),
                project_ids=chosen,
                fields=_voter_fields(voter, group),
            )
        )
    meta = {
        "description": "Budget participatif 2026 — toute la commune",
        "country": "France",
        "unit": c.COMMUNE_NAME,
        "instance": "2026",
        "budget": str(AMOUNT_2026),
        "vote_type": "approval",
        "min_length": "1",
        "currency": "EUR",
        "language": "french",
        "num_projects": str(len(projects)),
        "num_votes": str(len(ballots)),
    }
    return pabulib.write(pabulib.make_election(meta=meta, projects=projects, ballots=ballots))


def _budget_2026(
    organisation: Organisation, manager: User, now: datetime, rng: random.Random
) -> Budget:
    # Its vote closed about ten months ago: the follow-up of the projects is open.
    start = now - timedelta(days=420)
    process = process_from_blueprint(
        organisation=organisation,
        blueprint=Blueprint.BUDGET,
        title="Budget participatif 2026",
        starts_at=now + timedelta(days=1),
        actor=manager,
    )
    process = process_update(
        process=process,
        data=ProcessData(
            title=process.title,
            blueprint=Blueprint.BUDGET,
            slug=SLUG_2026,
            summary="30 000 € pour les projets des habitants : les résultats du vote.",
            description=(
                "<p>Le premier budget participatif de la commune : 320 habitants ont voté, en "
                "ligne et sur papier. Les résultats sont calculés selon la méthode des parts "
                "égales, qui donne à chaque groupe d'habitants sa juste part du budget.</p>"
            ),
            min_age=11,
        ),
        actor=manager,
    )
    process_publish(process=process, actor=manager)
    budget = pb_import(
        data=_election_2026(rng).encode("utf-8"), organisation=organisation, process=process
    )
    _shift(process, (now + timedelta(days=1)) - start)
    for rule in (Rule.GREEDY, Rule.MES, Rule.MES_ADD1):
        results_compute(budget=budget, rule=rule)
    add1 = BudgetResult.objects.get(budget=budget, rule=Rule.MES_ADD1)
    ids = dict(budget.projects.values_list("pabulib_id", "pk"))
    # The municipal council funds besides, from its own money, the first project (in the
    # file's order) that MES with add1 left out: greedy had selected it.
    added = next(pid for pid in ids if pid not in add1.selected)
    title = budget.projects.get(pabulib_id=added).title
    outcome_publish(
        budget=budget,
        agent=manager,
        selected=[ids[pid] for pid in [*add1.selected, added]],
        note=(
            "Résultat de la méthode des parts égales (complétion add1). Le conseil municipal "
            f"a décidé de financer en plus « {title} » sur ses fonds propres."
        ),
    )
    vote_end = _phase(process, PhaseType.VOTE).ends_at
    Ballot.objects.filter(budget=budget).update(cast_at=vote_end - timedelta(days=3))
    BudgetResult.objects.filter(budget=budget).update(
        started_at=vote_end + timedelta(hours=2), computed_at=vote_end + timedelta(hours=2)
    )
    BudgetOutcome.objects.filter(budget=budget).update(published_at=vote_end + timedelta(days=9))
    return budget


def demo_budgets(
    *, organisation: Organisation, manager: User, now: datetime | None = None
) -> BudgetsReport:
    """Write the demo's participatory budgets (after ``demo_participation``, which creates
    the 2027 process). Expects an atomic block (``demo_load``'s)."""
    moment = (now or timezone.now()).replace(microsecond=0)
    with translation.override("fr"):
        _budget_2026(organisation, manager, moment, random.Random(c.SEED + 26))
        _budget_2027(organisation, manager, moment, random.Random(c.SEED + 27))
    budgets = Budget.objects.filter(organisation=organisation)
    return BudgetsReport(
        budgets=budgets.count(),
        projects=sum(b.projects.count() for b in budgets),
        ballots=Ballot.objects.filter(budget__organisation=organisation).count(),
    )
