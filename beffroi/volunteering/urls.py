"""Every volunteering area's URLs. Associations: public pages under /associations/, back
office under /backoffice/associations/. The other areas: public pages under /benevolat/ and
back office under /backoffice/benevolat/. Each area owns a namespace (``volunteering_<area>``
and ``volunteering_<area>_backoffice``)."""

from django.urls import URLResolver, include, path

from beffroi.volunteering.applications import urls as applications
from beffroi.volunteering.associations import urls as associations
from beffroi.volunteering.callouts import urls as callouts
from beffroi.volunteering.matching import urls as matching
from beffroi.volunteering.missions import urls as missions
from beffroi.volunteering.needs import urls as needs
from beffroi.volunteering.reserve import urls as reserve
from beffroi.volunteering.statistics import urls as statistics
from beffroi.volunteering.volunteers import urls as volunteers

ASSOCIATION_AREAS = (("", associations),)
# (public prefix, back-office prefix, area)
VOLUNTEER_AREAS = (
    ("missions/", "missions/", missions),
    ("besoins/", "besoins/", needs),
    ("profil/", "benevoles/", volunteers),
    ("pour-vous/", "recommandations/", matching),
    ("candidatures/", "candidatures/", applications),
    ("appels/", "appels/", callouts),
    ("reserve/", "reserve/", reserve),
    ("statistiques/", "statistiques/", statistics),
)

public: list[URLResolver] = [
    path(prefix, include(area.public)) for prefix, area in ASSOCIATION_AREAS
]
backoffice: list[URLResolver] = [
    path(prefix, include(area.backoffice)) for prefix, area in ASSOCIATION_AREAS
]
volunteer_public: list[URLResolver] = [
    path(prefix, include(area.public)) for prefix, _bo, area in VOLUNTEER_AREAS
]
volunteer_backoffice: list[URLResolver] = [
    path(prefix, include(area.backoffice)) for _public, prefix, area in VOLUNTEER_AREAS
]
