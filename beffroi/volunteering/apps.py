from importlib import import_module
from importlib.util import find_spec

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

# Areas of volunteering; each may have a ``setup.py`` with ``register()`` adding its public
# sections, back-office tools, GDPR exporters and erasers.
AREAS = (
    "associations",
    "missions",
    "needs",
    "volunteers",
    "matching",
    "applications",
    "callouts",
    "reserve",
    "statistics",
)


class VolunteeringConfig(AppConfig):
    name = "beffroi.volunteering"
    label = "volunteering"
    verbose_name = _("Volunteering")

    def ready(self) -> None:
        for area in AREAS:
            module = f"{self.name}.{area}.setup"
            if find_spec(module) is not None:
                import_module(module).register()
