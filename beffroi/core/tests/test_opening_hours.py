"""Opening hours in OpenStreetMap's notation are shown in the reader's language; any other
text is shown as typed."""

from __future__ import annotations

import pytest
from django.test import Client
from django.utils import translation

from beffroi.core.hours import opening_hours_lines
from beffroi.demo import constants
from beffroi.testing import Cast

HOURS = 'Mo,Tu,Th 09:00-12:00,14:00-17:30; We 09:00-12:00; Sa 09:30-11:30 "état civil"'


def test_it_reads_the_notation_in_french_and_in_english() -> None:
    with translation.override("fr"):
        assert opening_hours_lines(HOURS) == [
            "Lundi, mardi, jeudi : 9 h – 12 h et 14 h – 17 h 30",
            "Mercredi : 9 h – 12 h",
            "Samedi : 9 h 30 – 11 h 30 (état civil)",
        ]
        assert opening_hours_lines("Mo-Fr 08:30-12:00; Su off") == [
            "Du lundi au vendredi : 8 h 30 – 12 h",
            "Dimanche : fermé",
        ]
    with translation.override("en"):
        assert opening_hours_lines(HOURS) == [
            "Monday, Tuesday, Thursday: 9:00–12:00 and 14:00–17:30",
            "Wednesday: 9:00–12:00",
            "Saturday: 9:30–11:30 (état civil)",
        ]


def test_other_text_is_not_read() -> None:
    assert opening_hours_lines("Lundi au vendredi, 9 h – 12 h") is None
    assert opening_hours_lines("") is None


def test_the_demo_hours_are_in_the_notation() -> None:
    assert opening_hours_lines(constants.OPENING_HOURS) is not None


@pytest.mark.french
def test_home_and_contact_show_the_hours_in_french(cast: Cast, client: Client) -> None:
    cast.org.opening_hours = HOURS
    cast.org.save(update_fields=["opening_hours"])
    for url in ("/", "/contact/"):
        html = client.get(url).content.decode()
        assert "Lundi, mardi, jeudi : 9 h – 12 h et 14 h – 17 h 30<br>Mercredi" in html
        assert "Monday" not in html


def test_free_text_hours_are_shown_as_typed(cast: Cast, client: Client) -> None:
    cast.org.opening_hours = "Lundi : 9 h – 12 h\n<b>Mardi</b> : fermé"
    cast.org.save(update_fields=["opening_hours"])
    html = client.get("/contact/").content.decode()
    assert "Lundi : 9 h – 12 h<br>&lt;b&gt;Mardi&lt;/b&gt; : fermé" in html
