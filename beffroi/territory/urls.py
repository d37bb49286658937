from django.urls import path

app_name = "territory"
urlpatterns: list[object] = []
