from django.urls import path

from beffroi.territory import views

app_name = "territory"
urlpatterns: list[object] = [
    path("mon-adresse/", views.my_address, name="my_address"),
]
