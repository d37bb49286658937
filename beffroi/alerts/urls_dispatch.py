from django.urls import path

from beffroi.alerts import views_dispatch as views

app_name = "alerts_dispatch"

urlpatterns = [
    path("", views.dispatch_index, name="index"),
    path("<int:alert_id>/", views.dispatch_live, name="live"),
    path("<int:alert_id>/rapport/", views.dispatch_report, name="report"),
]
