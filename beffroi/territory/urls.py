from django.urls import path

from beffroi.territory import views

app_name = "territory"
urlpatterns: list[object] = [
    path("mon-adresse/", views.my_address, name="my_address"),
    path("carte/fond.json", views.base_map_view, name="base_map"),
]
