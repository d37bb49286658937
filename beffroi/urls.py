from django.conf import settings
from django.urls import include, path
from django.views.i18n import JavaScriptCatalog

from beffroi.accounts import urls_backoffice as accounts_backoffice_urls
from beffroi.admin import site as admin_site
from beffroi.alerts.dispatch import urls as dispatch_urls
from beffroi.alerts.public import urls as public_urls
from beffroi.alerts.subscriptions import urls as subscriptions_urls
from beffroi.participation import urls as participation_urls
from beffroi.volunteering import urls as volunteering_urls

urlpatterns = [
    path("", include("beffroi.core.urls")),
    path("backoffice/", include(accounts_backoffice_urls.dashboard)),
    path("compte/", include("beffroi.accounts.urls")),
    path("backoffice/comptes/", include("beffroi.accounts.urls_backoffice")),
    path("territoire/", include("beffroi.territory.urls")),
    path("backoffice/territoire/", include("beffroi.territory.urls_backoffice")),
    path("alertes/inscription/", include(subscriptions_urls.public)),
    path("backoffice/abonnes/", include(subscriptions_urls.backoffice)),
    path("alertes/", include(public_urls.public)),
    path("backoffice/alertes/import-cap/", include(public_urls.backoffice)),
    path("backoffice/registre/", include("beffroi.alerts.registry.urls")),
    path("backoffice/demo/", include("beffroi.demo.urls")),
    path("backoffice/alertes/envoi/", include(dispatch_urls.backoffice)),
    path("alertes/envoi/", include(dispatch_urls.hooks)),
    path("backoffice/alertes/", include("beffroi.alerts.composer.urls")),
    path("participer/", include(participation_urls.public)),
    path("backoffice/participation/", include(participation_urls.backoffice)),
    path("associations/", include(volunteering_urls.public)),
    path("backoffice/associations/", include(volunteering_urls.backoffice)),
    path("benevolat/", include(volunteering_urls.volunteer_public)),
    path("backoffice/benevolat/", include(volunteering_urls.volunteer_backoffice)),
    path("api/v1/", include("beffroi.api.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("jsi18n/", JavaScriptCatalog.as_view(), name="javascript-catalog"),
    path("admin/", admin_site.urls),
]

if settings.DEBUG:
    from django.views.static import serve

    urlpatterns += [path("media/<path:path>", serve, {"document_root": settings.MEDIA_ROOT})]
