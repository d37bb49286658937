"""``{{ organisation.opening_hours|opening_hours }}``: opening hours in the reader's
language when written in OpenStreetMap's notation, else as typed (line breaks kept)."""

from __future__ import annotations

from django import template
from django.template.defaultfilters import linebreaksbr
from django.utils.html import format_html_join
from django.utils.safestring import SafeString, mark_safe

from beffroi.core.hours import opening_hours_lines

register = template.Library()


@register.filter
def opening_hours(text: str) -> SafeString:
    lines = opening_hours_lines(text)
    if lines is None:
        return linebreaksbr(text, autoescape=True)
    return format_html_join(mark_safe("<br>"), "{}", ((line,) for line in lines))
