"""Residents evaluate a delivered realisation; agents publish a final assessment.

- ``evaluation_open``: when a realisation is delivered (``realisation_status_set`` calls it)
  or later by an agent: a questionnaire of the participation core with three questions
  (satisfaction on a scale, how often the place or service is used, a free comment), open
  for ``EVALUATION_DAYS``; the people who voted for the project and the realisation's
  followers are invited (a notification, e-mailed to those who asked for e-mails at once);
- ``evaluation_dates``, ``evaluation_close``: agents change its last day, or close it now;
- ``evaluation_answer``: any resident whose identity is proven (an account, or an SMS code)
  answers while it is open, and may change the answers;
- ``assessment_publish``: the agents' final assessment, shown on the realisation's page and
  told to the followers and to the people who answered.

Reads (the state, the satisfaction summary) are at the end.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Avg, Count, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from beffroi.accounts.access import has_role
from beffroi.accounts.models import User
from beffroi.core.audit import audit_record
from beffroi.core.templatetags.core_formats import long_date
from beffroi.participation import access
from beffroi.participation.consultations import services as consultations
from beffroi.participation.consultations.answering import Data
from beffroi.participation.models import (
    Answer,
    Ballot,
    Evaluation,
    Notification,
    Participant,
    Question,
    Questionnaire,
    Realisation,
    RealisationFollow,
    Response,
)
from beffroi.participation.notifications.services import notify
from beffroi.participation.richtext import clean_html

EVALUATION_DAYS = 60
# The longest an evaluation may stay open.
EVALUATION_MAX_DAYS = 366
# Identity problems refuse an answer; the process's own rules (zones, age) do not: anyone
# who uses the place may say what they think of it.
IDENTITY_CODES = frozenset({"login", "blocked", "email_unverified"})


def _manager(agent: User, realisation: Realisation) -> None:
    if not has_role(agent, realisation.organisation, *access.MANAGER_ROLES):
        raise access.ActionRefused(access.Decision(False, "forbidden", _("Not allowed.")))


def _default_questions(questionnaire: Questionnaire) -> Question:
    """The three questions every evaluation starts with; the satisfaction scale."""
    satisfaction = consultations.question_create(
        questionnaire=questionnaire,
        kind=Question.Kind.SCALE,
        data=consultations.QuestionData(
            text=_("Overall, how satisfied are you with this realisation?"),
            required=True,
            scale_min=1,
            scale_max=5,
            scale_min_label=_("Not at all satisfied"),
            scale_max_label=_("Very satisfied"),
        ),
    )
    consultations.question_create(
        questionnaire=questionnaire,
        kind=Question.Kind.SINGLE,
        data=consultations.QuestionData(
            text=_("How often do you use it?"),
            choices=[
                _("Every day or almost"),
                _("Every week"),
                _("Every month"),
                _("Rarely"),
                _("Never"),
            ],
        ),
    )
    consultations.question_create(
        questionnaire=questionnaire,
        kind=Question.Kind.SINGLE,
        data=consultations.QuestionData(
            text=_("Does it meet the need the project set out to meet?"),
            choices=[_("Yes"), _("Partly"), _("No"), _("I do not know")],
        ),
    )
    consultations.question_create(
        questionnaire=questionnaire,
        kind=Question.Kind.TEXT,
        data=consultations.QuestionData(
            text=_("Your comment"),
            help_text=_("What works well, what could be better. The agents read every answer."),
        ),
    )
    return satisfaction


def invitees(realisation: Realisation) -> list[Participant]:
    """The people who voted for the realisation's project, and its followers."""
    voters = Ballot.objects.filter(
        budget_id=realisation.budget_id,
        choices__project_id=realisation.project_id,
        participant__isnull=False,
    ).values("participant_id")
    followers = RealisationFollow.objects.filter(realisation=realisation).values("participant_id")
    return list(
        Participant.objects.filter(Q(pk__in=voters) | Q(pk__in=followers))
        .filter(erased_at__isnull=True)
        .order_by("pk")
    )


def evaluation_open(
    *,
    realisation: Realisation,
    agent: User,
    days: int = EVALUATION_DAYS,
    now: datetime | None = None,
) -> Evaluation:
    """The realisation's evaluation, opened now for ``days`` days, its invitations sent.
    Refused unless the realisation is delivered; the existing one when it has one."""
    _manager(agent, realisation)
    if realisation.status != Realisation.Status.DELIVERED:
        raise ValidationError(_("A realisation is evaluated once it is delivered."))
    if not 1 <= days <= EVALUATION_MAX_DAYS:
        raise ValidationError(
            {"days": [_("Give a number of days from 1 to %(n)d.") % {"n": EVALUATION_MAX_DAYS}]}
        )
    now = now or timezone.now()
    # Open through the whole last day: until the midnight that ends it.
    last_day = timezone.localtime(now).date() + timedelta(days=days)
    closes_at = timezone.make_aware(datetime.combine(last_day + timedelta(days=1), time.min))
    existing = Evaluation.objects.filter(realisation=realisation).first()
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            questionnaire = consultations.questionnaire_create(
                process=realisation.budget.process,
                data=consultations.QuestionnaireData(
                    title=_("Evaluation: %(title)s") % {"title": realisation.title},
                    description=_(
                        "This realisation was delivered: tell the commune what you think of it."
                        " It takes two minutes."
                    ),
                    results_live=True,
                ),
            )
            satisfaction = _default_questions(questionnaire)
            evaluation = Evaluation.objects.create(
                realisation=realisation,
                questionnaire=questionnaire,
                satisfaction=satisfaction,
                opens_at=now,
                closes_at=closes_at,
            )
            invited = notify(
                recipients=invitees(realisation),
                kind=Notification.Kind.EVALUATION,
                title=_("“%(realisation)s” is delivered: what do you think of it?")
                % {"realisation": realisation.title},
                body=_("You may evaluate it until %(date)s.")
                % {"date": long_date(evaluation_last_day(evaluation))},
                url=reverse("participation_realisations:evaluate", args=[realisation.pk]),
            )
            evaluation.invited = invited
            evaluation.invited_at = now
            evaluation.save(update_fields=["invited", "invited_at"])
            audit_record(
                action="participation.evaluation_open",
                organisation=realisation.organisation,
                actor=agent,
                target=realisation,
                data={"evaluation": evaluation.pk, "days": days, "invited": invited},
            )
    except IntegrityError:
        # Another agent's click, or the delivery, opened it at the same moment.
        return Evaluation.objects.get(realisation=realisation)
    return evaluation


def _dates_record(evaluation: Evaluation, agent: User, closes_at: datetime) -> Evaluation:
    realisation = evaluation.realisation
    before = evaluation.closes_at
    evaluation.closes_at = closes_at
    evaluation.save(update_fields=["closes_at"])
    audit_record(
        action="participation.evaluation_dates",
        organisation=realisation.organisation,
        actor=agent,
        target=realisation,
        data={"before": before.isoformat(), "after": closes_at.isoformat()},
    )
    return evaluation


def evaluation_dates(
    *, evaluation: Evaluation, agent: User, last_day: date, now: datetime | None = None
) -> Evaluation:
    """Open the evaluation until the end of ``last_day`` (today or later: closing it now is
    ``evaluation_close``), at most ``EVALUATION_MAX_DAYS`` after its opening."""
    _manager(agent, evaluation.realisation)
    now = now or timezone.now()
    if last_day < timezone.localtime(now).date():
        raise ValidationError(
            {
                "closes_at": [
                    _(
                        "Choose today or a later day. To close the evaluation now, use "
                        "“Close the evaluation now”."
                    )
                ]
            }
        )
    closes_at = timezone.make_aware(datetime.combine(last_day + timedelta(days=1), time.min))
    if closes_at > evaluation.opens_at + timedelta(days=EVALUATION_MAX_DAYS + 1):
        raise ValidationError(
            {
                "closes_at": [
                    _("An evaluation stays open %(n)d days at most.") % {"n": EVALUATION_MAX_DAYS}
                ]
            }
        )
    return _dates_record(evaluation, agent, closes_at)


def evaluation_close(
    *, evaluation: Evaluation, agent: User, now: datetime | None = None
) -> Evaluation:
    """Close the evaluation now (nothing changes when it is closed already)."""
    _manager(agent, evaluation.realisation)
    now = now or timezone.now()
    if not evaluation_is_open(evaluation, now):
        return evaluation
    return _dates_record(
        evaluation, agent, max(now, evaluation.opens_at + timedelta(microseconds=1))
    )


def evaluation_last_day(evaluation: Evaluation) -> date:
    """The last day residents may answer (the evaluation closes at the end of it)."""
    return timezone.localtime(evaluation.closes_at - timedelta(microseconds=1)).date()


def evaluation_is_open(evaluation: Evaluation, now: datetime | None = None) -> bool:
    now = now or timezone.now()
    return evaluation.opens_at <= now < evaluation.closes_at


def answer_decide(
    evaluation: Evaluation, participant: Participant | None, now: datetime | None = None
) -> access.Decision:
    """May ``participant`` answer the evaluation now?"""
    if not evaluation_is_open(evaluation, now):
        return access.Decision(False, "closed", _("The evaluation of this realisation is closed."))
    if participant is None:
        return access.refused("login")
    decision = access.participant_eligible(participant, evaluation.realisation.budget.process)
    if not decision.allowed and decision.code in IDENTITY_CODES:
        return decision
    return access.ALLOWED


def evaluation_answer(
    *,
    evaluation: Evaluation,
    participant: Participant | None,
    data: Data,
    now: datetime | None = None,
) -> tuple[Response, bool]:
    """Store the participant's answers (True when new). Refused (``ActionRefused``) when
    closed or without a proven identity; ``AnswersInvalid`` for answers the form does not
    allow; nothing stored then."""
    decision = answer_decide(evaluation, participant, now)
    if not decision.allowed:
        raise access.ActionRefused(decision)
    assert participant is not None
    return consultations.response_store(
        questionnaire=evaluation.questionnaire, person=participant, data=data
    )


def assessment_publish(*, evaluation: Evaluation, agent: User, text: str) -> Evaluation:
    """The agents' final assessment (rich text), shown on the realisation's page; published
    again when changed. The first publication is told to the followers and the people who
    answered."""
    realisation = evaluation.realisation
    _manager(agent, realisation)
    cleaned = clean_html(text)
    if not cleaned.strip():
        raise ValidationError({"assessment": [_("Write the assessment before publishing it.")]})
    with transaction.atomic():
        locked = Evaluation.objects.select_for_update().get(pk=evaluation.pk)
        first = locked.assessment_published_at is None
        locked.assessment = cleaned
        locked.assessment_published_at = timezone.now()
        locked.assessment_by = agent
        locked.save(update_fields=["assessment", "assessment_published_at", "assessment_by"])
        notified = 0
        if first:
            respondents = Participant.objects.filter(
                responses__questionnaire_id=locked.questionnaire_id
            )
            followers = Participant.objects.filter(realisation_follows__realisation=realisation)
            notified = notify(
                recipients=[*respondents, *followers],
                kind=Notification.Kind.REALISATION,
                title=_("“%(realisation)s”: the commune's assessment")
                % {"realisation": realisation.title},
                url=reverse("participation_realisations:detail", args=[realisation.pk])
                + "#assessment",
            )
        audit_record(
            action="participation.evaluation_assessment",
            organisation=realisation.organisation,
            actor=agent,
            target=realisation,
            data={"first": first, "notified": notified},
        )
    return locked


# --- reads ---------------------------------------------------------------------------------


def evaluation_of(realisation: Realisation) -> Evaluation | None:
    return (
        Evaluation.objects.select_related("questionnaire", "satisfaction")
        .filter(realisation=realisation)
        .first()
    )


def results_public(evaluation: Evaluation, now: datetime | None = None) -> bool:
    """Residents see the charts while answers come in when the agents chose so (the
    default), and always once the evaluation is closed."""
    return evaluation.questionnaire.results_live or not evaluation_is_open(evaluation, now)


@dataclass(frozen=True)
class Satisfaction:
    respondents: int
    # The mean of the satisfaction scale (None without an answer), and its bounds.
    mean: float | None
    scale_min: int
    scale_max: int


def satisfaction_of(evaluation: Evaluation) -> Satisfaction:
    return satisfaction_by_realisation([evaluation.realisation_id])[evaluation.realisation_id]


def satisfaction_by_realisation(realisation_ids: list[int]) -> dict[int, Satisfaction]:
    """The satisfaction of many realisations in two queries (reports and lists)."""
    evaluations = list(
        Evaluation.objects.filter(realisation_id__in=realisation_ids).select_related("satisfaction")
    )
    respondents = dict(
        Response.objects.filter(questionnaire_id__in=[e.questionnaire_id for e in evaluations])
        .values("questionnaire_id")
        .annotate(n=Count("pk"))
        .values_list("questionnaire_id", "n")
    )
    means = dict(
        Answer.objects.filter(
            question_id__in=[e.satisfaction_id for e in evaluations if e.satisfaction_id],
            number__isnull=False,
        )
        .values("question_id")
        .annotate(m=Avg("number"))
        .values_list("question_id", "m")
    )
    result: dict[int, Satisfaction] = {}
    for evaluation in evaluations:
        question = evaluation.satisfaction
        mean = means.get(evaluation.satisfaction_id) if evaluation.satisfaction_id else None
        result[evaluation.realisation_id] = Satisfaction(
            respondents.get(evaluation.questionnaire_id, 0),
            float(mean) if mean is not None else None,
            question.scale_min if question is not None else 1,
            question.scale_max if question is not None else 5,
        )
    return result
