from django.urls import path

from beffroi.alerts import views_public

app_name = "alerts_import"
urlpatterns = [
    path("", views_public.cap_import_page, name="cap_import"),
]
