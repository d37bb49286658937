"""Participation: processes and their phases, proposals, comments and supports, the commune's
own projects put to residents (opinions, questionnaires), workshops and meetings, moderation
and notifications. Participatory budgets, follow-up and evaluation build on these."""

from beffroi.participation.models.budgets import (
    Ballot,
    BallotChoice,
    BallotType,
    Budget,
    BudgetOutcome,
    BudgetProject,
    BudgetResult,
    CensusEntry,
    Eligibility,
    PaperBallotEntry,
    Rule,
)
from beffroi.participation.models.comments import Comment, CommentVote
from beffroi.participation.models.consultations import (
    Answer,
    AnswerTag,
    Choice,
    MatrixRow,
    MunicipalProject,
    Opinion,
    Question,
    Questionnaire,
    Response,
)
from beffroi.participation.models.meetings import Meeting, Registration
from beffroi.participation.models.moderation import Report
from beffroi.participation.models.notifications import Notification, NotificationSettings
from beffroi.participation.models.participants import Participant
from beffroi.participation.models.processes import (
    PHASE_ACTIONS,
    Action,
    Blueprint,
    Category,
    Phase,
    PhaseType,
    Process,
    ProcessDocument,
)
from beffroi.participation.models.proposals import (
    Follow,
    Proposal,
    ProposalFile,
    ProposalVersion,
    Support,
)
from beffroi.participation.models.realisations import (
    Evaluation,
    Milestone,
    MilestonePhoto,
    Realisation,
    RealisationFollow,
)

__all__ = [
    "PHASE_ACTIONS",
    "Action",
    "Answer",
    "AnswerTag",
    "Ballot",
    "BallotChoice",
    "BallotType",
    "Blueprint",
    "Budget",
    "BudgetOutcome",
    "BudgetProject",
    "BudgetResult",
    "Category",
    "CensusEntry",
    "Choice",
    "Comment",
    "CommentVote",
    "Eligibility",
    "Evaluation",
    "Follow",
    "MatrixRow",
    "Meeting",
    "Milestone",
    "MilestonePhoto",
    "MunicipalProject",
    "Notification",
    "NotificationSettings",
    "Opinion",
    "PaperBallotEntry",
    "Participant",
    "Phase",
    "PhaseType",
    "Process",
    "ProcessDocument",
    "Proposal",
    "ProposalFile",
    "ProposalVersion",
    "Question",
    "Questionnaire",
    "Realisation",
    "RealisationFollow",
    "Registration",
    "Report",
    "Response",
    "Rule",
    "Support",
]
