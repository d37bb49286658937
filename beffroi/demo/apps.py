from django.apps import AppConfig


class DemoConfig(AppConfig):
    """The demo commune of every domain, and the commands that load and serve it."""

    name = "beffroi.demo"
    label = "demo"
    verbose_name = "Demo"
