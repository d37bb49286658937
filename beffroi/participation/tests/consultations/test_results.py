"""Results of a questionnaire: counts and shares per choice, scale distribution and mean,
ranking average rank and Borda score, matrix as a table; public once answering is over or
at once when chosen, always in the back office."""

from __future__ import annotations

from django.urls import reverse

from beffroi.participation.consultations import selectors, services
from beffroi.participation.models import Phase, Process
from beffroi.participation.tests.consultations.helpers import (
    Survey,
    consultation_process,
    full_answers,
    logged_in,
    make_survey,
)
from beffroi.participation.tests.factories import participant, verified
from beffroi.testing import Cast, make_user


def _answer(survey: Survey, cast: Cast, email: str, **overrides: list[str]) -> None:
    user = verified(make_user(email, organisation=cast.org, full_name="X Y"))
    services.response_submit(
        questionnaire=survey.questionnaire,
        participant=participant(user, cast.org),
        data=full_answers(survey, **overrides),
    )


def _three_responses(survey: Survey, cast: Cast) -> None:
    s = survey
    non = str(s.choice(s.single, "Non"))
    rank = {x: f"q{s.ranking.pk}_c{s.choice(s.ranking, x)}" for x in ("Toit", "Éclairage", "Bancs")}
    # 1: Oui, Légumes+Fromage, 4, Toit>Bancs>Éclairage (full_answers).
    _answer(s, cast, "a@example.org")
    # 2: Oui, Fromage only, 5, Bancs>Toit>Éclairage.
    _answer(
        s,
        cast,
        "b@example.org",
        **{
            f"q{s.multiple.pk}": [str(s.choice(s.multiple, "Fromage"))],
            f"q{s.scale.pk}": ["5"],
            rank["Bancs"]: ["1"],
            rank["Toit"]: ["2"],
            rank["Éclairage"]: ["3"],
        },
    )
    # 3: Non (multiple hidden), 1, no ranking, no text, Parfois on Saturday only.
    _answer(
        s,
        cast,
        "c@example.org",
        **{
            f"q{s.single.pk}": [non],
            f"q{s.scale.pk}": ["1"],
            f"q{s.text.pk}": [""],
            rank["Toit"]: [],
            rank["Bancs"]: [],
            rank["Éclairage"]: [],
            f"q{s.matrix.pk}_r{s.row(s.matrix, 'le samedi')}": [str(s.choice(s.matrix, "Parfois"))],
            f"q{s.matrix.pk}_r{s.row(s.matrix, 'le mercredi')}": [],
        },
    )


def test_it_aggregates_every_kind_of_question(cast: Cast) -> None:
    survey = make_survey(consultation_process(cast.org))
    _three_responses(survey, cast)
    results = selectors.questionnaire_results(survey.questionnaire)
    assert results.respondents == 3
    by_id = {r.question.pk: r for r in results.questions}
    single = by_id[survey.single.pk]
    assert single.answered == 3
    assert [(b.label, b.count, b.percent) for b in single.bars] == [
        ("Oui", 2, 66.7),
        ("Non", 1, 33.3),
    ]
    multiple = by_id[survey.multiple.pk]
    # Shares of the 2 people shown the question; several answers each.
    assert multiple.answered == 2
    assert [(b.label, b.count, b.percent) for b in multiple.bars] == [
        ("Légumes", 1, 50.0),
        ("Fromage", 2, 100.0),
        ("Rencontrer", 0, 0.0),
    ]
    scale = by_id[survey.scale.pk]
    assert [(b.label, b.count) for b in scale.bars] == [
        ("1", 1),
        ("2", 0),
        ("3", 0),
        ("4", 1),
        ("5", 1),
    ]
    assert scale.mean == round((1 + 4 + 5) / 3, 2)
    ranking = by_id[survey.ranking.pk]
    assert ranking.answered == 2
    # Borda with 3 options: rank 1 → 2 points, rank 2 → 1, rank 3 → 0.
    # Toit: 1st + 2nd = 3; Bancs: 2nd + 1st = 3; Éclairage: 0. Ties by label.
    assert [(b.label, b.borda, b.average_rank, b.count) for b in ranking.bars] == [
        ("Bancs", 3, 1.5, 1),
        ("Toit", 3, 1.5, 1),
        ("Éclairage", 0, 3.0, 0),
    ]
    matrix = by_id[survey.matrix.pk]
    assert matrix.columns == ["Jamais", "Parfois", "Souvent"]
    assert matrix.matrix == [
        ("le samedi", 3, [(0, 0.0), (1, 33.3), (2, 66.7)]),
        ("le mercredi", 2, [(2, 100.0), (0, 0.0), (0, 0.0)]),
    ]
    assert by_id[survey.text.pk].answered == 2


def test_it_publishes_results_after_the_phase_or_at_once_if_chosen(cast: Cast) -> None:
    survey = make_survey(consultation_process(cast.org))
    _three_responses(survey, cast)
    url = reverse(
        "participation_consultations:questionnaire_results", args=[survey.questionnaire.pk]
    )
    client = logged_in(verified(cast.resident))
    page = client.get(url).content.decode()
    assert "The results will be published here when the phase of answers is over." in page
    assert "Oui" not in page
    # The agents always see them.
    backoffice = (
        logged_in(cast.participation_manager)
        .get(
            reverse(
                "participation_consultations_backoffice:results", args=[survey.questionnaire.pk]
            )
        )
        .content.decode()
    )
    assert "3 people answered." in backoffice
    assert "Residents do not see these results yet" in backoffice
    # Shown at once when the agents chose so.
    survey.questionnaire.results_live = True
    survey.questionnaire.save()
    page = client.get(url).content.decode()
    assert "3 people answered." in page and "2 answers (66.7 %)" in page
    assert "Mean: 3.33 (scale from 1 to 5)" in page
    assert "Borda score 3, average rank 1.50" in page
    # Otherwise once the phase of answers is closed.
    survey.questionnaire.results_live = False
    survey.questionnaire.save()
    Phase.objects.filter(process=survey.questionnaire.process, type="consultation").update(
        mode=Phase.Mode.CLOSED
    )
    page = client.get(url).content.decode()
    assert "3 people answered." in page


def test_it_keeps_results_private_before_the_phase_opens(cast: Cast) -> None:
    survey = make_survey(consultation_process(cast.org, open_phase=None))
    assert not selectors.results_public(survey.questionnaire)
    process = Process.objects.get(pk=survey.questionnaire.process_id)
    process.status = Process.Status.ARCHIVED
    process.save()
    survey.questionnaire.refresh_from_db()
    assert selectors.results_public(survey.questionnaire)


def test_it_counts_results_in_a_constant_number_of_queries(
    cast: Cast, django_assert_max_num_queries: object
) -> None:
    survey = make_survey(consultation_process(cast.org))
    _three_responses(survey, cast)
    for i in range(5):
        _answer(survey, cast, f"more{i}@example.org")
    with django_assert_max_num_queries(8):  # type: ignore[operator]
        results = selectors.questionnaire_results(survey.questionnaire)
        for result in results.questions:
            list(result.bars)
