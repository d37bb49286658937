"""Who may do what in participation, in one place.

What residents may do follows from the process's active phases: each phase type declares its
actions (``models.processes.PHASE_ACTIONS``), and ``decide`` adds who the person is (a verified
account, or a person registered for alerts proven by an SMS code), whether they are blocked,
and the process's own rules (minimum age, residence in its zones). Views, API endpoints and
services all ask ``decide`` / ``check``; none re-checks a rule by hand, so that a support sent
after the phase closed, or a comment in a phase without comments, is refused whatever the
client sends.

Agents: participation managers and administrators run processes; moderators (and managers)
moderate; front-desk agents and managers type in contributions made on paper, at a workshop
or on the phone.

Every ``access_*`` loader answers 404 for another organisation's object as for a missing one,
and for a hidden proposal to anyone but moderators.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.http import HttpRequest
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from beffroi.accounts.access import found, has_role, request_organisation
from beffroi.accounts.models import Role, User
from beffroi.participation.models import (
    Action,
    Answer,
    Category,
    Comment,
    Meeting,
    MunicipalProject,
    Participant,
    Phase,
    Process,
    ProcessDocument,
    Proposal,
    ProposalFile,
    Question,
    Questionnaire,
)
from beffroi.territory.models import ZoneMembership

MANAGER_ROLES: frozenset[str] = frozenset({Role.PARTICIPATION_MANAGER, Role.ADMINISTRATOR})
MODERATION_ROLES: frozenset[str] = frozenset(
    {Role.MODERATOR, Role.PARTICIPATION_MANAGER, Role.ADMINISTRATOR}
)
# Typing in a proposal or a registration made on paper, at a workshop or on the phone.
ON_BEHALF_ROLES: frozenset[str] = frozenset(
    {Role.PARTICIPATION_MANAGER, Role.FRONT_DESK, Role.ADMINISTRATOR}
)
STATISTICS_ROLES: frozenset[str] = MANAGER_ROLES | {Role.MODERATOR}

# What a person known only by an SMS code (no account) may do.
SMS_CODE_ACTIONS: frozenset[str] = frozenset(
    {
        Action.SUPPORT,
        Action.COMMENT,
        Action.ANSWER,
        Action.OPINION,
        Action.REGISTER_MEETING,
        Action.VOTE,
        Action.EVALUATE,
    }
)

# Session key holding the participant id proven by an SMS code.
SMS_PARTICIPANT_SESSION_KEY = "participation_sms_participant"


@dataclass(frozen=True)
class Decision:
    allowed: bool
    # Translated reason shown to the person when refused; ``code`` for tests and the API.
    code: str = ""
    message: str | Promise = ""

    def __bool__(self) -> bool:
        return self.allowed


class ActionRefused(Exception):
    """Raised by services when ``decide`` refuses: ``decision`` says why."""

    def __init__(self, decision: Decision) -> None:
        super().__init__(str(decision.message))
        self.decision = decision


ALLOWED = Decision(True)
_REASONS: dict[str, Promise] = {
    "not_published": _("This process is not open to the public."),
    "phase_closed": _("This is not possible in the current phase of the process."),
    "login": _("Sign in, or confirm your mobile number with an SMS code, to take part."),
    "account_needed": _("Sign in with an account to do this."),
    "email_unverified": _("Confirm your e-mail address first: we sent you a link."),
    "blocked": _("Your participation has been suspended by the moderators."),
    "birth_year": _("This process is open from a minimum age: tell us your year of birth."),
    "too_young": _("This process is open from %(age)s years of age."),
    "not_resident": _("This process is reserved to the residents of its area."),
}


def refused(code: str, **params: object) -> Decision:
    message = _REASONS[code]
    if params:
        return Decision(False, code, str(message) % params)
    return Decision(False, code, message)


def open_phases(process: Process, now: datetime | None = None) -> list[Phase]:
    now = now or timezone.now()
    return [phase for phase in process.phases.all() if phase.is_open(now)]


def open_actions(process: Process, now: datetime | None = None) -> frozenset[str]:
    """Every action some open phase of ``process`` allows (prefetch ``phases`` for lists)."""
    actions: frozenset[str] = frozenset()
    for phase in open_phases(process, now):
        actions |= phase.actions
    return actions


def _is_resident(participant: Participant, process: Process) -> bool:
    addresses: set[int] = set()
    if participant.address_id:
        addresses.add(participant.address_id)
    if participant.subscriber_id:
        addresses.update(
            participant.subscriber.places.values_list("address_id", flat=True)  # type: ignore[union-attr]
        )
    if not addresses:
        return False
    if process.whole_territory:
        from beffroi.territory.models import Address

        return Address.objects.filter(
            pk__in=addresses, organisation_id=process.organisation_id
        ).exists()
    return ZoneMembership.objects.filter(
        address_id__in=addresses, zone__in=process.zones.all()
    ).exists()


def participant_eligible(participant: Participant, process: Process) -> Decision:
    """The person's side of the rules: identity proven, not blocked, the process's rules."""
    if participant.organisation_id != process.organisation_id:
        return refused("login")
    if participant.blocked_at is not None:
        return refused("blocked")
    if participant.user_id is not None:
        user = participant.user
        assert user is not None
        if not user.is_active or user.erased_at is not None:
            return refused("login")
        if user.email_verified_at is None:
            return refused("email_unverified")
    elif participant.subscriber_id is not None:
        subscriber = participant.subscriber
        assert subscriber is not None
        if subscriber.sms_verified_at is None or subscriber.unsubscribed_at is not None:
            return refused("login")
    else:
        return refused("login")
    if process.min_age:
        if participant.birth_year is None:
            return refused("birth_year")
        if timezone.localdate().year - participant.birth_year < process.min_age:
            return refused("too_young", age=process.min_age)
    if process.residents_only and not _is_resident(participant, process):
        return refused("not_resident")
    return ALLOWED


def decide(
    participant: Participant | None,
    process: Process,
    action: str,
    *,
    now: datetime | None = None,
) -> Decision:
    """May ``participant`` (None: nobody identified) do ``action`` in ``process`` now?"""
    if process.status != Process.Status.PUBLISHED:
        return refused("not_published")
    if action not in open_actions(process, now):
        return refused("phase_closed")
    if participant is None:
        return refused("account_needed" if action not in SMS_CODE_ACTIONS else "login")
    if participant.user_id is None and action not in SMS_CODE_ACTIONS:
        return refused("account_needed")
    return participant_eligible(participant, process)


def check(
    participant: Participant | None,
    process: Process,
    action: str,
    *,
    now: datetime | None = None,
) -> Participant:
    """``decide``, for services: the participant, or ``ActionRefused``."""
    decision = decide(participant, process, action, now=now)
    if not decision.allowed:
        raise ActionRefused(decision)
    assert participant is not None
    return participant


# --- Who is asking -------------------------------------------------------------------------


def request_participant(request: HttpRequest) -> Participant | None:
    """The participant behind ``request``: the signed-in user's (created on first use), or
    the one an SMS code proved in this session. None for anyone else."""
    from beffroi.participation.participants.services import participant_for_user

    organisation = request_organisation(request)
    if hasattr(request, "_participation_participant"):
        cached: Participant | None = request._participation_participant
        return cached
    participant: Participant | None = None
    user = request.user
    if user.is_authenticated:
        assert isinstance(user, User)
        participant = participant_for_user(user=user, organisation=organisation)
    else:
        participant_id = request.session.get(SMS_PARTICIPANT_SESSION_KEY)
        if participant_id is not None:
            participant = (
                Participant.objects.select_related("subscriber")
                .filter(
                    pk=participant_id,
                    organisation=organisation,
                    user__isnull=True,
                    subscriber__isnull=False,
                )
                .first()
            )
    request._participation_participant = participant  # type: ignore[attr-defined]
    return participant


def is_manager(request: HttpRequest) -> bool:
    return has_role(request.user, request_organisation(request), *MANAGER_ROLES)


def is_moderator(request: HttpRequest) -> bool:
    return has_role(request.user, request_organisation(request), *MODERATION_ROLES)


# --- Loaders -------------------------------------------------------------------------------


def access_process(request: HttpRequest, slug: str) -> Process:
    """A process of the request's organisation: published, or any for its managers."""
    organisation = request_organisation(request)
    process = (
        Process.objects.filter(organisation=organisation, slug=slug)
        .prefetch_related("phases")
        .first()
    )
    if process is not None and process.status == Process.Status.DRAFT and not is_manager(request):
        process = None
    return found(process, "process")


def access_process_for_manager(request: HttpRequest, process_id: int) -> Process:
    """Any process of the request's organisation, for its managers (back office)."""
    organisation = request_organisation(request)
    process = Process.objects.filter(organisation=organisation, pk=process_id).first()
    if process is not None and not is_manager(request):
        process = None
    return found(process, "process")


def access_proposal(
    request: HttpRequest,
    proposal_id: int,
    *,
    related: tuple[str, ...] = ("process", "author", "category"),
) -> Proposal:
    """A proposal of a visible process of the request's organisation; a hidden one only for
    moderators and managers (404 for anyone else, as if it did not exist). ``related``: what
    the caller reads with it (an action such as a support needs only the process)."""
    organisation = request_organisation(request)
    proposal = (
        Proposal.objects.select_related(*{"process", *related})
        .filter(organisation=organisation, pk=proposal_id)
        .first()
    )
    # Roles are read only when the answer depends on them (most proposals are neither
    # hidden nor in a draft process).
    if proposal is not None and (
        (proposal.hidden_at is not None and not is_moderator(request))
        or (proposal.process.status == Process.Status.DRAFT and not is_manager(request))
    ):
        proposal = None
    return found(proposal, "proposal")


# --- consultations -------------------------------------------------------------------------
# Municipal projects and questionnaires are reached through their process: another
# organisation's, or a draft process's for anyone but its managers, answers 404.


def _public_process_visible(request: HttpRequest, process: Process) -> bool:
    return process.status != Process.Status.DRAFT or is_manager(request)


def access_project(request: HttpRequest, project_id: int) -> MunicipalProject:
    """A municipal project of a visible process of the request's organisation."""
    organisation = request_organisation(request)
    project = (
        MunicipalProject.objects.select_related("process", "address")
        .filter(process__organisation=organisation, pk=project_id)
        .first()
    )
    if project is not None and not _public_process_visible(request, project.process):
        project = None
    return found(project, "project")


def access_project_for_manager(request: HttpRequest, project_id: int) -> MunicipalProject:
    organisation = request_organisation(request)
    project = (
        MunicipalProject.objects.select_related("process", "address")
        .filter(process__organisation=organisation, pk=project_id)
        .first()
    )
    if project is not None and not is_manager(request):
        project = None
    return found(project, "project")


def access_questionnaire(request: HttpRequest, questionnaire_id: int) -> Questionnaire:
    """A questionnaire of a visible process of the request's organisation. A realisation's
    evaluation is answered on the realisation's pages, under its own rules: not here."""
    organisation = request_organisation(request)
    questionnaire = (
        Questionnaire.objects.select_related("process", "project")
        .filter(process__organisation=organisation, pk=questionnaire_id, evaluation__isnull=True)
        .first()
    )
    if questionnaire is not None and not _public_process_visible(request, questionnaire.process):
        questionnaire = None
    return found(questionnaire, "questionnaire")


def access_questionnaire_for_manager(request: HttpRequest, questionnaire_id: int) -> Questionnaire:
    organisation = request_organisation(request)
    questionnaire = (
        Questionnaire.objects.select_related("process", "project")
        .filter(process__organisation=organisation, pk=questionnaire_id)
        .first()
    )
    if questionnaire is not None and not is_manager(request):
        questionnaire = None
    return found(questionnaire, "questionnaire")


def access_question_for_manager(request: HttpRequest, question_id: int) -> Question:
    organisation = request_organisation(request)
    question = (
        Question.objects.select_related("questionnaire__process")
        .filter(questionnaire__process__organisation=organisation, pk=question_id)
        .first()
    )
    if question is not None and not is_manager(request):
        question = None
    return found(question, "question")


def access_answer_for_manager(request: HttpRequest, answer_id: int) -> Answer:
    organisation = request_organisation(request)
    answer = (
        Answer.objects.select_related("question__questionnaire__process")
        .filter(question__questionnaire__process__organisation=organisation, pk=answer_id)
        .first()
    )
    if answer is not None and not is_manager(request):
        answer = None
    return found(answer, "answer")


# --- comments ------------------------------------------------------------------------------
# A comment is reached through its subject: another organisation's, a draft process's (for
# anyone but its managers), a hidden proposal's or a hidden comment (for anyone but the
# moderators) answers 404.


def access_comment(request: HttpRequest, comment_id: int) -> Comment:
    """A comment of the request's organisation whose subject the person may see."""
    organisation = request_organisation(request)
    comment = (
        Comment.objects.select_related("process", "proposal", "project", "author", "parent")
        .filter(organisation=organisation, pk=comment_id)
        .first()
    )
    if comment is not None:
        moderator = is_moderator(request)
        hidden = comment.hidden_at is not None or (
            comment.proposal is not None and comment.proposal.hidden_at is not None
        )
        if (hidden and not moderator) or (
            comment.process.status == Process.Status.DRAFT and not is_manager(request)
        ):
            comment = None
    return found(comment, "comment")


# --- moderation ----------------------------------------------------------------------------
# Moderators reach any proposal, comment or participant of their organisation, hidden or
# not; everyone else gets 404.


def access_moderated_proposal(request: HttpRequest, proposal_id: int) -> Proposal:
    organisation = request_organisation(request)
    proposal = (
        Proposal.objects.select_related("process", "author")
        .filter(organisation=organisation, pk=proposal_id)
        .first()
    )
    if proposal is not None and not is_moderator(request):
        proposal = None
    return found(proposal, "proposal")


def access_moderated_comment(request: HttpRequest, comment_id: int) -> Comment:
    organisation = request_organisation(request)
    comment = (
        Comment.objects.select_related("process", "proposal", "project", "author")
        .filter(organisation=organisation, pk=comment_id)
        .first()
    )
    if comment is not None and not is_moderator(request):
        comment = None
    return found(comment, "comment")


def access_moderated_participant(request: HttpRequest, participant_id: int) -> Participant:
    organisation = request_organisation(request)
    participant = (
        Participant.objects.select_related("user", "blocked_by")
        .filter(organisation=organisation, pk=participant_id)
        .first()
    )
    if participant is not None and not is_moderator(request):
        participant = None
    return found(participant, "participant")


# --- meetings ------------------------------------------------------------------------------


def access_meeting(request: HttpRequest, slug: str, meeting_id: int) -> Meeting:
    """A meeting of a process the request may see (``access_process``); 404 otherwise."""
    process = access_process(request, slug)
    meeting = (
        Meeting.objects.select_related("process", "organisation")
        .filter(process=process, pk=meeting_id)
        .first()
    )
    if meeting is not None:
        meeting.process = process
    return found(meeting, "meeting")


def access_meeting_for_agents(request: HttpRequest, meeting_id: int) -> Meeting:
    """Any meeting of the request's organisation, for agents who run meetings or register
    residents on their behalf (the view's role guard says which); 404 elsewhere."""
    organisation = request_organisation(request)
    meeting = (
        Meeting.objects.select_related("process", "organisation")
        .filter(organisation=organisation, pk=meeting_id)
        .first()
    )
    if meeting is not None and not has_role(
        request.user, organisation, *(MANAGER_ROLES | ON_BEHALF_ROLES)
    ):
        meeting = None
    return found(meeting, "meeting")


# --- proposals -----------------------------------------------------------------------------


def access_proposal_for_manager(request: HttpRequest, proposal_id: int) -> Proposal:
    """Any proposal of the request's organisation (hidden ones too), for its managers."""
    organisation = request_organisation(request)
    proposal = (
        Proposal.objects.select_related("process", "author", "category", "entered_by")
        .filter(organisation=organisation, pk=proposal_id)
        .first()
    )
    if proposal is not None and not is_manager(request):
        proposal = None
    return found(proposal, "proposal")


def access_process_on_behalf(request: HttpRequest, process_id: int) -> Process:
    """A published process of the request's organisation, for agents who type in proposals
    made on paper, at a workshop or on the phone."""
    organisation = request_organisation(request)
    process = (
        Process.objects.filter(organisation=organisation, pk=process_id)
        .prefetch_related("phases")
        .first()
    )
    if process is not None and not has_role(request.user, organisation, *ON_BEHALF_ROLES):
        process = None
    return found(process, "process")


def access_proposal_file(request: HttpRequest, file_id: int) -> ProposalFile:
    """A file of a proposal the request may see (``access_proposal``'s rules)."""
    organisation = request_organisation(request)
    stored = (
        ProposalFile.objects.select_related("proposal")
        .filter(proposal__organisation=organisation, pk=file_id)
        .first()
    )
    if stored is None:
        return found(None, "file")
    access_proposal(request, stored.proposal_id)
    return stored


# --- statistics ----------------------------------------------------------------------------


def can_see_statistics(request: HttpRequest) -> bool:
    return has_role(request.user, request_organisation(request), *STATISTICS_ROLES)


def access_process_for_statistics(request: HttpRequest, process_id: int) -> Process:
    """Any process of the request's organisation (drafts and archives too), with its phases,
    for the agents who read statistics; 404 for another organisation's as for a missing one."""
    organisation = request_organisation(request)
    process = (
        Process.objects.filter(organisation=organisation, pk=process_id)
        .prefetch_related("phases")
        .first()
    )
    if process is not None and not can_see_statistics(request):
        process = None
    return found(process, "process")


# --- processes -----------------------------------------------------------------------------


def access_phase_for_manager(request: HttpRequest, process_id: int, phase_id: int) -> Phase:
    """A phase of a process of the request's organisation, for its managers (back office)."""
    process = access_process_for_manager(request, process_id)
    phase = Phase.objects.select_related("process").filter(process=process, pk=phase_id).first()
    return found(phase, "phase")


def access_category_for_manager(
    request: HttpRequest, process_id: int, category_id: int
) -> Category:
    """A category of a process of the request's organisation, for its managers."""
    process = access_process_for_manager(request, process_id)
    category = (
        Category.objects.select_related("process").filter(process=process, pk=category_id).first()
    )
    return found(category, "category")


def access_document_for_manager(
    request: HttpRequest, process_id: int, document_id: int
) -> ProcessDocument:
    """A document of a process of the request's organisation, for its managers."""
    process = access_process_for_manager(request, process_id)
    document = (
        ProcessDocument.objects.select_related("process", "process__organisation")
        .filter(process=process, pk=document_id)
        .first()
    )
    return found(document, "document")


def access_process_document(request: HttpRequest, slug: str, document_id: int) -> ProcessDocument:
    """A document of a process the request may see (published or archived; drafts for its
    managers)."""
    process = access_process(request, slug)
    document = ProcessDocument.objects.filter(process=process, pk=document_id).first()
    return found(document, "document")
