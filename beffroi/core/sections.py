"""The entry points of the home page and the main navigation.

Each domain registers its sections in its ``AppConfig.ready``; the foundation registers the
ones it serves itself. A section that no installed app provides is not shown: no page ever
points to something that does not exist.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from django.http import HttpRequest
from django.urls import reverse
from django.utils.functional import Promise


@dataclass(frozen=True)
class Section:
    key: str
    title: str | Promise
    description: str | Promise
    url_name: str
    icon: str
    order: int = 100
    in_nav: bool = True
    visible: Callable[[HttpRequest], bool] = field(default=lambda request: True)

    @property
    def url(self) -> str:
        return reverse(self.url_name)


_registry: dict[str, Section] = {}


def register_section(section: Section) -> None:
    _registry[section.key] = section


def visible_sections(request: HttpRequest) -> list[Section]:
    return sorted(
        (s for s in _registry.values() if s.visible(request)), key=lambda s: (s.order, s.key)
    )
