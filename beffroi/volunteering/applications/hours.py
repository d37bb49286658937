"""The one rule for the hours an organiser credits a volunteer with, after a slot.

The hours make the volunteer's yearly certificate, so they stay close to what the slot
lasted; but a volunteer who stays on (a flood watch that ran late, the tidying up after a
food drive) must be credited for it. An organiser may therefore record from a quarter of an
hour up to the slot's length plus ``OVERRUN``, never more than a day. The form, the service
and the API say the same sentence when a number is refused.
"""

from __future__ import annotations

from decimal import Decimal

from django.utils import formats
from django.utils.translation import gettext as _

from beffroi.volunteering.models import Slot

MIN_HOURS = Decimal("0.25")
# More than the slot lasted that an organiser may credit, for a volunteer who stayed on.
OVERRUN = Decimal("4")
# A day at most (a night shift of a crisis included).
MAX_HOURS = Decimal("24")


def slot_hours(slot: Slot) -> Decimal:
    return Decimal(str(round(slot.hours, 2)))


def hours_allowed(slot: Slot) -> Decimal:
    """The most hours an organiser may record for ``slot``."""
    return min(MAX_HOURS, slot_hours(slot) + OVERRUN)


def hours_text(value: Decimal) -> str:
    """ "2,5" or "6" in French: as an organiser writes it."""
    value = value.quantize(Decimal("0.01")).normalize()
    decimals = max(0, -value.as_tuple().exponent)  # type: ignore[operator]
    return formats.number_format(value, decimal_pos=decimals)


def hours_refused(slot: Slot) -> str:
    """The sentence every refusal of a number of hours says."""
    return _(
        "Enter between %(min)s and %(max)s hours: the slot's length (%(slot)s h), or up to "
        "%(overrun)s hours more if the volunteer stayed longer."
    ) % {
        "min": hours_text(MIN_HOURS),
        "max": hours_text(hours_allowed(slot)),
        "slot": hours_text(slot_hours(slot)),
        "overrun": hours_text(OVERRUN),
    }


def hours_help(slot: Slot) -> str:
    """The help text beside the hours field."""
    return _(
        "Empty: the slot's length (%(slot)s h). A volunteer who stayed longer may be "
        "credited up to %(max)s h."
    ) % {"slot": hours_text(slot_hours(slot)), "max": hours_text(hours_allowed(slot))}


def hours_valid(slot: Slot, hours: Decimal) -> bool:
    return hours.is_finite() and MIN_HOURS <= hours <= hours_allowed(slot)
