from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "beffroi.api"
    label = "api"
    verbose_name = "API"
