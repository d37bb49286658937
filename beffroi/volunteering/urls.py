"""Every volunteering area's URLs: public pages under /associations/, back office under
/backoffice/associations/. Each area owns a namespace (``volunteering_<area>`` and
``volunteering_<area>_backoffice``)."""

from django.urls import URLResolver, include, path

from beffroi.volunteering.associations import urls as associations

AREAS = (("", associations),)

public: list[URLResolver] = [path(prefix, include(area.public)) for prefix, area in AREAS]
backoffice: list[URLResolver] = [path(prefix, include(area.backoffice)) for prefix, area in AREAS]
