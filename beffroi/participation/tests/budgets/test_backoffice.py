"""The back office of participatory budgets: budgets and projects, census import, paper
ballots typed in twice, results computed by a task, the official outcome, exports."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from beffroi.participation.budgets import pabulib, services
from beffroi.participation.models import (
    Ballot,
    BallotChoice,
    Blueprint,
    Budget,
    BudgetOutcome,
    BudgetProject,
    BudgetResult,
    CensusEntry,
    PaperBallotEntry,
    PhaseType,
    Proposal,
    Rule,
)
from beffroi.participation.tests.budgets.helpers import make_budget, project_ids
from beffroi.participation.tests.factories import make_process, make_proposal, participant
from beffroi.testing import Cast, login_verified

BO = "participation_budgets_backoffice"


def _client(user: Any, host: str = "testserver") -> Client:
    client = Client(HTTP_HOST=host)
    login_verified(client, user)
    return client


def _ballots(budget: Budget, choices: Sequence[Sequence[int]]) -> None:
    """Ballots as the rules read them (the casting itself is tested in test_ballots)."""
    now = timezone.now()
    for number, chosen in enumerate(choices):
        ballot = Ballot.objects.create(
            budget=budget, voter_key=f"t:{number}", cast_at=now, updated_at=now
        )
        BallotChoice.objects.bulk_create(
            BallotChoice(ballot=ballot, project_id=pk, position=i) for i, pk in enumerate(chosen)
        )


def _budget_with_ballots(cast: Cast) -> Budget:
    """100,000 € for projects of 30,000, 50,000, 20,000 and 40,000 € and 15 ballots; the
    ballot phase is still to come (no voting on the site)."""
    budget = make_budget(cast, open_phase=None)
    a, b, c, d = project_ids(budget)
    _ballots(budget, [[a, b]] * 6 + [[b, d]] * 4 + [[c]] * 3 + [[d]] * 2)
    return budget


@pytest.fixture
def immediate_tasks(settings: Any) -> None:
    settings.TASKS = {
        "default": {
            "BACKEND": "django.tasks.backends.immediate.ImmediateBackend",
            "QUEUES": django_settings.TASK_QUEUES,
        }
    }


def _budget_urls(budget: Budget) -> list[str]:
    return [
        reverse(f"{BO}:detail", args=[budget.pk]),
        reverse(f"{BO}:project_create", args=[budget.pk]),
        reverse(f"{BO}:census", args=[budget.pk]),
        reverse(f"{BO}:paper", args=[budget.pk]),
        reverse(f"{BO}:results", args=[budget.pk]),
        reverse(f"{BO}:publish", args=[budget.pk]),
        reverse(f"{BO}:export_pb", args=[budget.pk]),
        reverse(f"{BO}:export_csv", args=[budget.pk]),
    ]


def test_every_page_renders_for_a_manager_and_is_refused_to_others(cast: Cast) -> None:
    budget = _budget_with_ballots(cast)
    for rule in Rule.values:
        services.results_compute(budget=budget, rule=rule)
    manager = _client(cast.participation_manager)
    urls = [
        reverse(f"{BO}:list"),
        reverse(f"{BO}:create", args=[budget.process_id]),
        *_budget_urls(budget),
    ]
    for url in urls:
        assert manager.get(url).status_code == 200, url
    resident = _client(cast.resident)
    for url in urls:
        assert resident.get(url).status_code == 403, url
    # Another organisation's agent, on their own site: our budgets do not exist there.
    other = _client(cast.other_admin, host="autreville.localhost")
    assert other.get(reverse(f"{BO}:list")).status_code == 200
    assert budget.title.encode() not in other.get(reverse(f"{BO}:list")).content
    for url in urls[1:]:
        assert other.get(url).status_code == 404, url
    assert (
        other.post(reverse(f"{BO}:compute", args=[budget.pk]), {"rule": "greedy"}).status_code
        == 404
    )
    # Front-desk agents type in paper ballots, and nothing else.
    desk = _client(cast.front_desk)
    assert desk.get(reverse(f"{BO}:paper", args=[budget.pk])).status_code == 200
    assert desk.get(reverse(f"{BO}:detail", args=[budget.pk])).status_code == 403
    assert desk.get(reverse(f"{BO}:results", args=[budget.pk])).status_code == 403


def _budget_process(cast: Cast) -> Any:
    """A participatory-budget process in its feasibility study: projects may still change."""
    return make_process(
        cast.org,
        slug="bp-2027",
        title="Budget participatif 2027",
        blueprint=Blueprint.BUDGET,
        phases=(PhaseType.PROPOSALS, PhaseType.ANALYSIS, PhaseType.VOTE),
        open_phase=1,
    )


def test_it_creates_a_budget_and_puts_feasible_proposals_to_the_vote(cast: Cast) -> None:
    process = _budget_process(cast)
    manager = _client(cast.participation_manager)
    response = manager.post(
        reverse(f"{BO}:create", args=[process.pk]),
        {
            "title": "Budget de la commune",
            "amount": "40000",
            "currency": "eur",
            "ballot_type": "knapsack",
            "min_projects": "1",
            "max_projects": "",
            "max_points": "",
            "min_age": "11",
            "eligibility": "zones",
        },
    )
    budget = Budget.objects.get(process=process)
    assert response.status_code == 302
    assert response["Location"] == reverse(f"{BO}:detail", args=[budget.pk])
    assert (budget.amount, budget.currency, budget.ballot_type, budget.min_age) == (
        Decimal("40000"),
        "EUR",
        "knapsack",
        11,
    )
    # Its rules can change until voting starts.
    edit = reverse(f"{BO}:update", args=[budget.pk])
    assert 'value="Budget de la commune"' in manager.get(edit).content.decode()
    changed = {
        "title": "Budget de la commune 2027",
        "amount": "45000",
        "currency": "EUR",
        "ballot_type": "knapsack",
        "min_projects": "1",
        "min_age": "11",
        "eligibility": "zones",
    }
    assert manager.post(edit, changed).status_code == 302
    budget.refresh_from_db()
    assert (budget.title, budget.amount) == ("Budget de la commune 2027", Decimal("45000"))
    from beffroi.core.models import AuditEvent

    assert AuditEvent.objects.filter(action="participation.budget_update").count() == 1
    author = participant(cast.resident, cast.org)
    feasible = make_proposal(
        process,
        author,
        title="Un composteur au square",
        feasibility=Proposal.Feasibility.FEASIBLE,
        services_cost=Decimal("3500"),
    )
    unfeasible = make_proposal(
        process,
        author,
        title="Une piscine olympique",
        feasibility=Proposal.Feasibility.NOT_FEASIBLE,
        services_cost=Decimal("3000000"),
    )
    detail_url = reverse(f"{BO}:detail", args=[budget.pk])
    page = manager.get(detail_url).content.decode()
    assert "Un composteur au square" in page and "Une piscine olympique" not in page
    add_url = reverse(f"{BO}:project_from_proposal", args=[budget.pk])
    response = manager.post(add_url, {"proposal": feasible.pk}, follow=True)
    project = BudgetProject.objects.get(budget=budget)
    assert (project.proposal_id, project.cost) == (feasible.pk, Decimal("3500"))
    assert "is now a project of the budget" in response.content.decode()
    response = manager.post(add_url, {"proposal": unfeasible.pk}, follow=True)
    assert "Only a proposal the services found feasible" in response.content.decode()
    assert BudgetProject.objects.filter(budget=budget).count() == 1
    # By hand, with the services' checks shown on the form.
    new_url = reverse(f"{BO}:project_create", args=[budget.pk])
    refused = manager.post(new_url, {"title": "Trop cher", "cost": "90000"})
    assert refused.status_code == 400
    assert "The cost is more than the whole budget" in refused.content.decode()
    manager.post(new_url, {"title": "Bancs au lavoir", "cost": "2400", "description": ""})
    assert list(budget.projects.values_list("title", "cost")) == [
        ("Un composteur au square", Decimal("3500")),
        ("Bancs au lavoir", Decimal("2400")),
    ]


def test_projects_cannot_change_once_voting_started(cast: Cast) -> None:
    budget = make_budget(cast)  # its ballot phase is open
    manager = _client(cast.participation_manager)
    response = manager.post(
        reverse(f"{BO}:project_create", args=[budget.pk]), {"title": "Tard", "cost": "100"}
    )
    assert response.status_code == 400
    assert "Projects cannot change once voting has started." in response.content.decode()
    assert budget.projects.count() == 4
    # Nor the budget's rules.
    response = manager.post(
        reverse(f"{BO}:update", args=[budget.pk]),
        {
            "title": "Autre",
            "amount": "1",
            "currency": "EUR",
            "ballot_type": "approval",
            "min_projects": "1",
            "eligibility": "zones",
        },
    )
    assert response.status_code == 400
    assert "The budget cannot change once voting has started." in response.content.decode()
    budget.refresh_from_db()
    assert budget.title != "Autre"


def test_census_import_previews_then_imports_and_a_refused_file_changes_nothing(
    cast: Cast,
) -> None:
    budget = make_budget(cast, open_phase=None, eligibility="census")
    manager = _client(cast.participation_manager)
    url = reverse(f"{BO}:census", args=[budget.pk])
    good = io.BytesIO(b"numero;nom;annee de naissance\n1;Ada;1980\n2;Bob;1975\n")
    good.name = "liste.csv"
    preview = manager.post(url, {"file": good})
    text = preview.content.decode()
    assert preview.status_code == 200 and "would be added" in text
    assert not CensusEntry.objects.exists()
    fingerprint = text.split('name="fingerprint" value="', 1)[1].split('"', 1)[0]
    done = manager.post(url, {"action": "commit", "fingerprint": fingerprint})
    assert done.status_code == 200 and "Import done" in done.content.decode()
    assert sorted(CensusEntry.objects.values_list("key", "birth_year")) == [
        ("1", 1980),
        ("2", 1975),
    ]
    bad = io.BytesIO(b"numero;nom;annee de naissance\n3;Cy;1990\n;Dee;1970\n4;Eve;demain\n")
    bad.name = "liste.csv"
    refused = manager.post(url, {"file": bad})
    text = refused.content.decode()
    assert refused.status_code == 400 and "File refused" in text
    assert "the identifier is empty" in text and "demain is not a year of birth" in text
    assert CensusEntry.objects.count() == 2
    # A stale confirmation imports nothing.
    stale = manager.post(url, {"action": "commit", "fingerprint": fingerprint})
    assert stale.status_code == 302 and CensusEntry.objects.count() == 2


def test_paper_sheets_count_when_two_agents_agree_and_show_differences(cast: Cast) -> None:
    budget = make_budget(cast)
    a, b, c, _d = project_ids(budget)
    url = reverse(f"{BO}:paper", args=[budget.pk])
    desk, manager = _client(cast.front_desk), _client(cast.participation_manager)
    desk.post(url, {"sheet_number": "1", "projects": [str(a), str(b)]})
    page = manager.get(url).content.decode()
    assert "Waiting for the second typing" in page
    agreed = manager.post(url, {"sheet_number": "1", "projects": [str(b), str(a)]}, follow=True)
    assert "it counts" in agreed.content.decode()
    assert Ballot.objects.get(budget=budget).voter_key == "s:1"
    desk.post(url, {"sheet_number": "2", "projects": [str(a)]})
    differ = manager.post(url, {"sheet_number": "2", "projects": [str(c)]}, follow=True)
    text = differ.content.decode()
    assert "Typings differ: not counted" in text
    assert "“Projet 1” — Fabien Accueil: ticked; Paul Participation: not ticked" in text
    assert "“Projet 3” — Fabien Accueil: not ticked; Paul Participation: ticked" in text
    assert Ballot.objects.filter(budget=budget).count() == 1
    # The same agent twice is refused with the service's words.
    again = desk.post(url, {"sheet_number": "2", "projects": [str(a)]})
    assert again.status_code == 400 and "You already typed in sheet 2" in again.content.decode()
    # A ballot breaking the rules (at most 3 projects) is refused.
    too_many = desk.post(
        url, {"sheet_number": "3", "projects": [str(p) for p in project_ids(budget)]}
    )
    assert too_many.status_code == 400 and "Choose at most 3 projects." in too_many.content.decode()
    assert PaperBallotEntry.objects.filter(sheet_number=3).count() == 0
    # A number no column holds is a form error, not a server error.
    huge = desk.post(url, {"sheet_number": "99999999999999999999", "projects": [str(a)]})
    assert huge.status_code == 400 and "sheet_number" in huge.content.decode()


def test_results_are_computed_by_the_task_and_shown_side_by_side(
    cast: Cast, immediate_tasks: None, django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    budget = _budget_with_ballots(cast)
    manager = _client(cast.participation_manager)
    url = reverse(f"{BO}:results", args=[budget.pk])
    assert "Not computed yet." in manager.get(url).content.decode()
    for rule in (Rule.GREEDY, Rule.MES):
        with django_capture_on_commit_callbacks(execute=True):
            response = manager.post(reverse(f"{BO}:compute", args=[budget.pk]), {"rule": rule})
        assert response.status_code == 302
    results = {r.rule: r for r in BudgetResult.objects.filter(budget=budget)}
    assert set(results) == {Rule.GREEDY, Rule.MES}
    assert all(r.status == BudgetResult.Status.DONE and r.ballots == 15 for r in results.values())
    page = manager.get(url).content.decode()
    assert "The rules side by side" in page
    assert "Computed on" in page and "from 15 ballots" in page
    # Greedy: project 2 (10 votes), 1 then 4 (6 each: ties by id as text): 4 does not fit
    # in the 20,000 € left, 3 does.
    assert results[Rule.GREEDY].selected == ["2", "1", "3"]
    assert "did not fit in the remaining" in page
    assert "its supporters" in page or "selected in round" in page
    assert "compared as text" in page
    assert page.count('<th scope="row">Projet') >= 4


def test_the_state_is_polled_while_computing_and_the_page_reloads_when_done(cast: Cast) -> None:
    budget = _budget_with_ballots(cast)
    manager = _client(cast.participation_manager)
    url = reverse(f"{BO}:results", args=[budget.pk])
    result = BudgetResult.objects.create(
        budget=budget, rule=Rule.MES, status=BudgetResult.Status.RUNNING, started_at=timezone.now()
    )
    page = manager.get(url).content.decode()
    assert 'hx-trigger="every 2s"' in page and "Being computed" in page
    poll = manager.get(url, headers={"HX-Request": "true"})
    assert poll.status_code == 200 and "<html" not in poll.content.decode()
    assert "15 ballots, started" in poll.content.decode()
    result.delete()
    services.results_compute(budget=budget, rule=Rule.MES)
    done = manager.get(url, headers={"HX-Request": "true"})
    assert done.headers.get("HX-Refresh") == "true"
    assert 'hx-trigger="every 2s"' not in manager.get(url).content.decode()


def test_it_publishes_an_official_outcome_and_shows_its_difference(cast: Cast) -> None:
    budget = _budget_with_ballots(cast)
    for rule in Rule.values:
        services.results_compute(budget=budget, rule=rule)
    a, b, c, d = project_ids(budget)
    manager = _client(cast.participation_manager)
    url = reverse(f"{BO}:publish", args=[budget.pk])
    form = manager.get(url + "?regle=greedy").content.decode()
    # Pre-filled from greedy's winners (projects 2, 1 and 3).
    assert form.count(" checked") == 3 and f'value="{d}" id="id_selected_3" checked' not in form
    # Greedy funds 2, 1 and 3; the council adds project 4 from its own funds.
    posted = {"selected": [str(a), str(b), str(c), str(d)], "note": "Le conseil ajoute le 4."}
    preview = manager.post(url, {**posted, "action": "preview"})
    text = preview.content.decode()
    assert "funded although the rule did not select them: Projet 4" in text
    assert "these projects cost more than the budget" in text  # 140,000 € of 100,000 €
    assert not BudgetOutcome.objects.exists()
    done = manager.post(url, {**posted, "action": "confirm"}, follow=True)
    outcome = BudgetOutcome.objects.get(budget=budget)
    assert (
        outcome.selected == ["1", "2", "3", "4"]
        and outcome.published_by == cast.participation_manager
    )
    text = done.content.decode()
    assert "The official outcome is published." in text
    assert "Le conseil ajoute le 4." in text
    assert "funded although the rule did not select them: Projet 4" in text
    from beffroi.core.models import AuditEvent

    assert AuditEvent.objects.filter(action="participation.budget_outcome_publish").exists()


def test_the_pb_export_parses_back_and_the_csv_neutralises_formulas(cast: Cast) -> None:
    budget = _budget_with_ballots(cast)
    BudgetProject.objects.filter(budget=budget, pabulib_id="1").update(
        title='=HYPERLINK("http://evil.example","clic")'
    )
    services.results_compute(budget=budget, rule=Rule.GREEDY)
    manager = _client(cast.participation_manager)
    pb = manager.get(reverse(f"{BO}:export_pb", args=[budget.pk]))
    assert pb["Content-Type"].startswith("text/plain")
    assert pb["Content-Disposition"] == f'attachment; filename="budget-{budget.pk}.pb"'
    election = pabulib.parse(pb.content)
    assert len(election.projects) == 4 and len(election.votes) == 15
    assert election.meta["budget"] == "100000"
    response = manager.get(reverse(f"{BO}:export_csv", args=[budget.pk]))
    assert response["Content-Type"].startswith("text/csv")
    raw = response.content.decode("utf-8")
    assert raw.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(raw[1:]), delimiter=";"))
    assert rows[0][:4] == ["PaBuLib id", "Project", "Cost", "Votes"]
    first = next(row for row in rows if row[0] == "1")
    assert first[1] == '\'=HYPERLINK("http://evil.example","clic")'
    assert first[3] == "6" and first[4] == "yes"
    assert not any(cell.startswith(("=", "+", "@")) for row in rows for cell in row)


def test_titles_are_inert_in_every_page(cast: Cast) -> None:
    budget = _budget_with_ballots(cast)
    payload = '<script>alert("x")</script><img src=x onerror=alert(1)>'
    Budget.objects.filter(pk=budget.pk).update(title=payload)
    BudgetProject.objects.filter(budget=budget).update(title=payload)
    services.results_compute(budget=budget, rule=Rule.GREEDY)
    manager = _client(cast.participation_manager)
    for url in [reverse(f"{BO}:list"), *_budget_urls(budget)[:6]]:
        text = manager.get(url).content.decode()
        assert "<script>alert" not in text and "<img src=x" not in text, url
    assert (
        "&lt;script&gt;alert"
        in manager.get(reverse(f"{BO}:results", args=[budget.pk])).content.decode()
    )


@pytest.mark.django_db
def test_the_demo_builds_an_open_vote_and_a_past_one_where_greedy_and_mes_differ(
    tmp_path: Any,
) -> None:
    from beffroi.demo import constants as c
    from beffroi.demo.loader import demo_load
    from beffroi.participation.budgets.access import vote_decide
    from beffroi.participation.models import Participant

    demo_load(directory=tmp_path)
    past = Budget.objects.get(process__slug="budget-participatif-2026")
    results = {r.rule: r for r in past.results.all()}
    assert set(results) == set(Rule.values)
    assert all(r.status == BudgetResult.Status.DONE for r in results.values())
    assert 200 <= past.ballots.count() <= 500
    assert results[Rule.GREEDY].selected != results[Rule.MES].selected
    official = past.outcome.selected
    assert set(official) != set(results[Rule.MES_ADD1].selected)
    assert set(results[Rule.MES_ADD1].selected) < set(official)
    current = Budget.objects.get(process__slug="budget-participatif-2027")
    assert 10 <= current.projects.count() <= 14
    assert current.projects.filter(proposal__isnull=False).exists()
    assert current.projects.filter(proposal__isnull=True).exists()
    assert current.ballots.exists() and current.ballot_type == "knapsack"
    resident = Participant.objects.get(user__email=f"habitant@{c.EMAIL_DOMAIN}")
    assert not current.ballots.filter(participant=resident).exists()
    assert vote_decide(resident, current).allowed
    # The back office shows the difference between the official outcome and the rules.
    from beffroi.accounts.models import User

    manager = _client(User.objects.get(email=f"participation@{c.EMAIL_DOMAIN}"), host="localhost")
    page = manager.get(reverse(f"{BO}:results", args=[past.pk])).content.decode()
    assert "funded although the rule did not select them" in page
    assert "selected by the rule but not funded" in page
    # Two realisations delivered and evaluated: one evaluation open with answers, the other
    # closed with the commune's assessment; the yearly report shows their satisfaction.
    from beffroi.participation.models import Evaluation, Response
    from beffroi.participation.realisations.evaluations import evaluation_is_open

    evaluations = list(Evaluation.objects.filter(realisation__budget=past))
    assert len(evaluations) == 2
    opened = [e for e in evaluations if evaluation_is_open(e)]
    assert len(opened) == 1 and not opened[0].assessment_published_at
    closed = next(e for e in evaluations if not evaluation_is_open(e))
    assert closed.assessment_published_at is not None
    assert all(
        Response.objects.filter(questionnaire=e.questionnaire).count() >= 10 for e in evaluations
    )
    report = Client(HTTP_HOST="localhost").get(
        reverse("participation_budgets:report", args=[past.pk])
    )
    assert report.status_code == 200 and report.context["report"].satisfaction is not None
    assert len(report.context["report"].by_age) >= 3
