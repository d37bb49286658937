from django.urls import path

from beffroi.alerts import views_public

app_name = "alerts"
urlpatterns = [
    path("", views_public.alert_list, name="list"),
    path("flux.atom", views_public.alert_feed, name="feed"),
    path("<int:alert_id>/", views_public.alert_detail, name="detail"),
    path("<int:alert_id>/cap.xml", views_public.alert_cap, name="cap"),
]
