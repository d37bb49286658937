"""What Beffroi holds on a person, and how it forgets them (GDPR art. 15, 20 and 17).

Each app registers, from its ``AppConfig.ready``, an exporter returning the JSON-serialisable
data it keeps on a user, and an eraser that anonymises or deletes it. The accounts services
call every registered function, so a new domain's data is never left out of an export or an
erasure by forgetting to edit this app.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from beffroi.accounts.models import User

Exporter = Callable[["User"], Any]
Eraser = Callable[["User"], None]

_exporters: dict[str, Exporter] = {}
_erasers: dict[str, Eraser] = {}


def register_exporter(name: str, fn: Exporter) -> None:
    """``fn(user)`` returns what the app holds on ``user`` (JSON-serialisable), under ``name``."""
    _exporters[name] = fn


def register_eraser(name: str, fn: Eraser) -> None:
    """``fn(user)`` erases or anonymises the app's personal data on ``user``.

    Called inside the erasure's atomic block, before the account itself is anonymised; it
    must keep rows others depend on (contributions, ballots) and strip what identifies.
    """
    _erasers[name] = fn


def exporters() -> dict[str, Exporter]:
    return dict(sorted(_exporters.items()))


def erasers() -> dict[str, Eraser]:
    return dict(sorted(_erasers.items()))
