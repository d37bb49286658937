"""Free-text answers in the back office: listed, tagged by agents, filtered by tag, exported
as CSV with spreadsheet formulas neutralised and XSS payloads kept as inert text."""

from __future__ import annotations

import csv
import io

import pytest
from django.urls import reverse

from beffroi.participation.consultations import selectors, services
from beffroi.participation.models import Answer, AnswerTag
from beffroi.participation.tests.consultations.helpers import (
    Survey,
    consultation_process,
    full_answers,
    logged_in,
    make_survey,
)
from beffroi.participation.tests.factories import participant, verified
from beffroi.testing import Cast, make_user

BO = "participation_consultations_backoffice"
PAYLOADS = [
    '=HYPERLINK("http://evil.example","clic")',
    "+1+1",
    "-2+3",
    "@SUM(A1:A2)",
    "\tTAB",
    "\rCR",
    '<script>alert("x")</script>',
    '"><img src=x onerror=alert(1)>',
]


@pytest.fixture
def survey(cast: Cast) -> Survey:
    survey = make_survey(consultation_process(cast.org))
    for i, text in enumerate(PAYLOADS):
        user = verified(make_user(f"r{i}@example.org", organisation=cast.org))
        services.response_submit(
            questionnaire=survey.questionnaire,
            participant=participant(user, cast.org),
            data=full_answers(survey, **{f"q{survey.text.pk}": [text]}),
        )
    return survey


def test_it_neutralises_formulas_in_the_csv_export(cast: Cast, survey: Survey) -> None:
    answer = Answer.objects.get(text="+1+1")
    services.answer_tag_add(
        answer=answer, name="=cmd|' /C calc'!A0", user=cast.participation_manager
    )
    response = logged_in(cast.participation_manager).get(
        reverse(f"{BO}:text_answers_csv", args=[survey.questionnaire.pk])
    )
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    # A spreadsheet in French: ";" between columns, a byte-order mark for the accents.
    assert response.content.startswith("\ufeff".encode())
    text = response.content.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=";"))
    assert rows[0] == ["Question", "Answer", "Tags", "Answered on"]
    texts = {row[1] for row in rows[1:]}
    for stored in Answer.objects.filter(question=survey.text).values_list("text", flat=True):
        if stored.startswith(("=", "+", "-", "@")):
            assert "'" + stored in texts
        else:
            assert stored in texts  # the XSS payloads are plain text in a CSV
    assert '<script>alert("x")</script>' in texts
    assert '\'=HYPERLINK("http://evil.example","clic")' in texts
    for row in rows[1:]:
        for cell in row:
            assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), cell
    tagged = next(row for row in rows if row[1] == "'+1+1")
    assert tagged[2] == "'=cmd|' /C calc'!A0"


def test_it_neutralises_every_formula_start() -> None:
    for start in ("=", "+", "-", "@", "\t", "\r"):
        assert selectors.csv_cell(start + "1") == "'" + start + "1"
    assert selectors.csv_cell("1-2") == "1-2"
    assert selectors.csv_cell(None) == ""


def test_it_lists_answers_inert_and_tags_them(cast: Cast, survey: Survey) -> None:
    client = logged_in(cast.participation_manager)
    url = reverse(f"{BO}:text_answers", args=[survey.questionnaire.pk])
    page = client.get(url).content.decode()
    assert "<script>alert" not in page and "<img src=x" not in page
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in page
    answer = Answer.objects.get(text='<script>alert("x")</script>')
    response = client.post(
        reverse(f"{BO}:answer_tag_add", args=[answer.pk]),
        {"name": "  <b>sécurité</b>  ", "next_query": "tag=1&evil=x"},
    )
    assert response.status_code == 302
    assert response["Location"] == f"{url}#answer-{answer.pk}"
    tag = AnswerTag.objects.get()
    assert tag.name == "<b>sécurité</b>"
    assert list(answer.tags.all()) == [tag]
    answer.refresh_from_db()
    assert answer.tagged_by == cast.participation_manager
    # The same name (any case) reuses the tag.
    other = Answer.objects.get(text="+1+1")
    client.post(reverse(f"{BO}:answer_tag_add", args=[other.pk]), {"name": "<B>SÉCURITÉ</B>"})
    assert AnswerTag.objects.count() == 1
    # Filter by tag: the two tagged answers only.
    page = client.get(url, {"tag": tag.pk}).content.decode()
    assert "2 answers" in page
    assert "&lt;b&gt;sécurité&lt;/b&gt;" in page and "<b>sécurité</b>" not in page
    # Remove it from one answer.
    client.post(reverse(f"{BO}:answer_tag_remove", args=[other.pk]), {"tag": str(tag.pk)})
    assert not other.tags.exists()
    assert client.get(url, {"tag": tag.pk}).content.decode().count('id="answer-') == 1


def test_it_refuses_an_empty_tag_and_tags_only_free_text(cast: Cast, survey: Survey) -> None:
    client = logged_in(cast.participation_manager)
    answer = Answer.objects.filter(question=survey.text).first()
    assert answer is not None
    response = client.post(
        reverse(f"{BO}:answer_tag_add", args=[answer.pk]), {"name": "   "}, follow=True
    )
    assert "Write the tag" in response.content.decode()
    choice_answer = Answer.objects.filter(question=survey.single).first()
    assert choice_answer is not None
    response = client.post(
        reverse(f"{BO}:answer_tag_add", args=[choice_answer.pk]), {"name": "x"}, follow=True
    )
    assert "Only free-text answers are tagged." in response.content.decode()
    assert not AnswerTag.objects.exists()


def test_it_answers_404_for_another_communes_answer(cast: Cast, survey: Survey) -> None:
    elsewhere = make_survey(consultation_process(cast.other_org, slug="ailleurs"))
    user = verified(make_user("x@autreville.example", organisation=cast.other_org))
    services.response_submit(
        questionnaire=elsewhere.questionnaire,
        participant=participant(user, cast.other_org),
        data=full_answers(elsewhere),
    )
    answer = Answer.objects.get(question=elsewhere.text)
    client = logged_in(cast.participation_manager)
    assert (
        client.post(reverse(f"{BO}:answer_tag_add", args=[answer.pk]), {"name": "x"}).status_code
        == 404
    )
    assert (
        client.get(reverse(f"{BO}:text_answers", args=[elsewhere.questionnaire.pk])).status_code
        == 404
    )
    assert not AnswerTag.objects.exists()


def test_it_keeps_the_filters_across_pages(cast: Cast, survey: Survey) -> None:
    tag = services.answer_tag_add(
        answer=Answer.objects.filter(question=survey.text).first(),  # type: ignore[arg-type]
        name="x",
        user=cast.participation_manager,
    )
    for answer in Answer.objects.filter(question=survey.text):
        answer.tags.add(tag)
    for i in range(50):
        user = verified(make_user(f"more{i}@example.org", organisation=cast.org))
        response, _ = services.response_submit(
            questionnaire=survey.questionnaire,
            participant=participant(user, cast.org),
            data=full_answers(survey, **{f"q{survey.text.pk}": [f"idée {i}"]}),
        )
        response.answers.get(question=survey.text).tags.add(tag)
    page = (
        logged_in(cast.participation_manager)
        .get(reverse(f"{BO}:text_answers", args=[survey.questionnaire.pk]), {"tag": tag.pk})
        .content.decode()
    )
    assert f"?tag={tag.pk}&amp;page=2" in page
