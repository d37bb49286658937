from django.urls import path

from beffroi.core import views

app_name = "core"
urlpatterns = [
    path("", views.home, name="home"),
    path("contact/", views.contact, name="contact"),
    path("accessibilite/", views.accessibility, name="accessibility"),
    path("tiles/<int:z>/<int:x>/<int:y>.png", views.tile, name="tile"),
    path("healthz", views.healthz, name="healthz"),
]
