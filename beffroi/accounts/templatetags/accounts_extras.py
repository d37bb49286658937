from __future__ import annotations

import math
from datetime import timedelta

from django import template

register = template.Library()


@register.filter
def minutes(value: timedelta | None) -> int:
    """Whole minutes, rounded up: "try again in 15 minutes" must never be too short."""
    if not value:
        return 0
    return max(1, math.ceil(value.total_seconds() / 60))
