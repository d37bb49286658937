"""Tools listed on the agents' back-office dashboard, registered by each app."""

from __future__ import annotations

from dataclasses import dataclass

from django.urls import reverse
from django.utils.functional import Promise


@dataclass(frozen=True)
class Tool:
    key: str
    title: str | Promise
    description: str | Promise
    url_name: str
    roles: frozenset[str]
    order: int = 100

    @property
    def url(self) -> str:
        return reverse(self.url_name)


_tools: dict[str, Tool] = {}


def register_tool(tool: Tool) -> None:
    _tools[tool.key] = tool


def unregister_tool(key: str) -> None:
    """Take a tool off the dashboard (one that exists only in some configurations)."""
    _tools.pop(key, None)


def visible_tools(held: frozenset[str] | set[str]) -> list[Tool]:
    """The tools an agent holding the roles ``held`` may open, in dashboard order."""
    return sorted((t for t in _tools.values() if t.roles & held), key=lambda t: (t.order, t.key))
