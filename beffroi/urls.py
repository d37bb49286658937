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
    path("api/v1/", include("beffroi.api.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("jsi18n/", JavaScriptCatalog.as_view(), name="javascript-catalog"),
    path("admin/", admin_site.urls),
]

if settings.DEBUG:
    from django.views.static import serve

    urlpatterns += [path("media/<path:path>", serve, {"document_root": settings.MEDIA_ROOT})]
