"""Formatting filters every template has (``TEMPLATES`` builtins).

``phone_display``: a number kept in E.164 as residents write it ("06 12 34 56 78").

``long_date``: Django's ``date`` filter, with the French first of the month ("1er avril").

``money``: an amount as the active language writes it, grouped, without cents when round
("30 000 €", "333 333,33 €"; "€30,000" style is not used: the symbol follows).

French writes the first day of a month as an ordinal (« le 1er avril ») and every other day
as a cardinal (« le 2 avril »); Django's format strings cannot say so. ``long_date`` takes
the same formats as ``date`` (a format string or a setting name like ``DATE_FORMAT``) and,
in French, writes day 1 as « 1er ».
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from fractions import Fraction

from django import template
from django.utils import formats
from django.utils.translation import get_language

from beffroi.core.phone import phone_display as _phone_display

register = template.Library()


@register.filter(is_safe=False)
def phone_display(value: object) -> str:
    return _phone_display(value)


# Format settings a template may name instead of a format string.
_SETTINGS = {"DATE_FORMAT", "DATETIME_FORMAT", "MONTH_DAY_FORMAT", "YEAR_MONTH_FORMAT"}


def _first_of_month(fmt: str) -> str:
    """``fmt`` with every unescaped ``j`` (day of the month) written « 1er »."""
    out: list[str] = []
    escaped = False
    for char in fmt:
        if escaped:
            out.append("\\" + char)
            escaped = False
        elif char == "\\":
            escaped = True
        elif char == "j":
            out.append("1\\e\\r")
        else:
            out.append(char)
    if escaped:
        out.append("\\")
    return "".join(out)


@register.filter(expects_localtime=True, is_safe=False)
def long_date(value: date | None, arg: str = "DATE_FORMAT") -> str:
    if value in (None, ""):
        return ""
    fmt = formats.get_format(arg) if arg in _SETTINGS else arg
    if value.day == 1 and (get_language() or "").split("-")[0] == "fr":
        fmt = _first_of_month(str(fmt))
    try:
        return formats.date_format(value, fmt)
    except AttributeError:
        return ""


def money(amount: Decimal | int | float | Fraction | None, currency: str = "EUR") -> str:
    if amount is None:
        amount = Decimal(0)
    if isinstance(amount, Fraction):
        amount = Decimal(amount.numerator) / Decimal(amount.denominator)
    value = Decimal(str(amount)) if isinstance(amount, float) else Decimal(amount)
    value = value.quantize(Decimal("0.01"))
    places = 0 if value == value.to_integral_value() else 2
    text = formats.number_format(value, decimal_pos=places, force_grouping=True)
    symbol = "€" if currency in ("EUR", "") else currency
    return f"{text}\u00a0{symbol}"


register.filter("money", money, is_safe=False)
