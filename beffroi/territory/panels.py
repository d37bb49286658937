"""What other domains show about one address on the residents' "My neighbourhood" page.

``territory`` sits below the domains and may not import them, as the home page may not know
which sections exist: each domain registers a panel in its ``AppConfig.ready`` (the alerts
register "get alerts for this address" and the alerts in force there). A panel that no
installed app provides is not shown.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.http import HttpRequest

if TYPE_CHECKING:
    from beffroi.territory.models import Address


@dataclass(frozen=True)
class AddressPanel:
    """``context(request, address)`` returns the panel's template context, or None to show
    nothing for this address; ``template`` renders it (it gets the context as ``panel``)."""

    key: str
    template: str
    context: Callable[[HttpRequest, Address], dict[str, Any] | None]
    order: int = 100


@dataclass(frozen=True)
class ShownPanel:
    key: str
    template: str
    context: dict[str, Any]


_registry: dict[str, AddressPanel] = {}


def register_address_panel(panel: AddressPanel) -> None:
    _registry[panel.key] = panel


def address_panels(*, request: HttpRequest, address: Address) -> list[ShownPanel]:
    """The panels to show for ``address``, in order."""
    shown: list[ShownPanel] = []
    for panel in sorted(_registry.values(), key=lambda p: (p.order, p.key)):
        context = panel.context(request, address)
        if context is not None:
            shown.append(ShownPanel(key=panel.key, template=panel.template, context=context))
    return shown
