"""Every participation area's URLs: public pages under /participer/, back office under
/backoffice/participation/. Each area owns a namespace (``participation_<area>`` and
``participation_<area>_backoffice``)."""

from django.urls import URLResolver, include, path

from beffroi.participation.budgets import urls as budgets
from beffroi.participation.comments import urls as comments
from beffroi.participation.consultations import urls as consultations
from beffroi.participation.meetings import urls as meetings
from beffroi.participation.moderation import urls as moderation
from beffroi.participation.notifications import urls as notifications
from beffroi.participation.participants import urls as participants
from beffroi.participation.processes import urls as processes
from beffroi.participation.proposals import urls as proposals
from beffroi.participation.realisations import urls as realisations
from beffroi.participation.statistics import urls as statistics

AREAS = (
    ("", processes),
    ("propositions/", proposals),
    ("commentaires/", comments),
    ("signalements/", moderation),
    ("consultations/", consultations),
    ("rencontres/", meetings),
    ("notifications/", notifications),
    ("participant/", participants),
    ("statistiques/", statistics),
    ("budgets/", budgets),
    ("realisations/", realisations),
)

public: list[URLResolver] = [path(prefix, include(area.public)) for prefix, area in AREAS]
backoffice: list[URLResolver] = [path(prefix, include(area.backoffice)) for prefix, area in AREAS]
