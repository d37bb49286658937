from importlib import import_module
from importlib.util import find_spec

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

# Areas of participation; each may have a ``setup.py`` with ``register()`` adding its public
# sections, back-office tools, GDPR exporters and erasers, message handlers.
AREAS = (
    "processes",
    "proposals",
    "comments",
    "moderation",
    "consultations",
    "meetings",
    "participants",
    "notifications",
    "statistics",
    "budgets",
    "realisations",
)


class ParticipationConfig(AppConfig):
    name = "beffroi.participation"
    label = "participation"
    verbose_name = _("Participation")

    def ready(self) -> None:
        from beffroi.participation.files import connect_stored_files

        connect_stored_files()
        for area in AREAS:
            module = f"{self.name}.{area}.setup"
            if find_spec(module) is not None:
                import_module(module).register()
