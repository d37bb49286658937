from django.conf import settings
from django.urls import include, path
from django.views.i18n import JavaScriptCatalog

from beffroi.admin import site as admin_site

urlpatterns = [
    path("", include("beffroi.core.urls")),
    path("compte/", include("beffroi.accounts.urls")),
    path("backoffice/comptes/", include("beffroi.accounts.urls_backoffice")),
    path("territoire/", include("beffroi.territory.urls")),
    path("backoffice/territoire/", include("beffroi.territory.urls_backoffice")),
    path("alertes/inscription/", include("beffroi.alerts.urls_subscriptions")),
    path("backoffice/abonnes/", include("beffroi.alerts.urls_subscribers_backoffice")),
    path("alertes/", include("beffroi.alerts.urls_public")),
    path("backoffice/alertes/import-cap/", include("beffroi.alerts.urls_public_backoffice")),
    path("backoffice/registre/", include("beffroi.alerts.urls_registry")),
    path("backoffice/alertes/envoi/", include("beffroi.alerts.urls_dispatch")),
    path("alertes/envoi/", include("beffroi.alerts.urls_dispatch_hooks")),
    path("backoffice/alertes/", include("beffroi.alerts.urls_composer")),
    path("api/v1/", include("beffroi.api.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("jsi18n/", JavaScriptCatalog.as_view(), name="javascript-catalog"),
    path("admin/", admin_site.urls),
]

if settings.DEBUG:
    from django.views.static import serve

    urlpatterns += [path("media/<path:path>", serve, {"document_root": settings.MEDIA_ROOT})]
