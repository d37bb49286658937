"""Phone numbers: French mainland and overseas, typed any usual way, stored in E.164."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from beffroi.alerts.subscriptions.services import phone_e164, phone_parse


@pytest.mark.parametrize(
    ("typed", "e164"),
    [
        ("06 12 34 56 78", "+33612345678"),
        ("+33 6 12 34 56 78", "+33612345678"),
        ("0033612345678", "+33612345678"),
        ("06.12.34.56.78", "+33612345678"),
        ("0692 12 34 56", "+262692123456"),  # Réunion mobile
        ("0693 12 34 56", "+262693123456"),
        ("0690 00 12 34", "+590690001234"),  # Guadeloupe
        ("0696 12 34 56", "+596696123456"),  # Martinique
        ("0694 12 34 56", "+594694123456"),  # Guyane
        ("0639 01 23 45", "+262639012345"),  # Mayotte
        ("0508 55 12 34", "+508551234"),  # Saint-Pierre-et-Miquelon
        ("+687 75 12 34", "+687751234"),  # New Caledonia
        ("+689 87 12 34 56", "+68987123456"),  # French Polynesia
    ],
)
def test_it_reads_mobile_numbers_of_mainland_and_overseas_france(typed: str, e164: str) -> None:
    assert phone_e164(phone_parse(typed, mobile=True)) == e164


@pytest.mark.parametrize(
    ("typed", "e164"),
    [
        ("01 40 00 00 00", "+33140000000"),
        ("0262 16 12 34", "+262262161234"),  # Réunion landline
        ("0590 20 12 34", "+590590201234"),  # Guadeloupe landline
        ("0269 60 12 34", "+262269601234"),  # Mayotte landline
    ],
)
def test_it_reads_landlines_for_voice(typed: str, e164: str) -> None:
    assert phone_e164(phone_parse(typed)) == e164


def test_it_refuses_a_landline_for_sms() -> None:
    with pytest.raises(ValidationError) as error:
        phone_parse("0262 16 12 34", mobile=True)
    assert "not a mobile number" in error.value.messages[0]


@pytest.mark.parametrize("typed", ["06 12", "not a number", "06 12 34 56 78 90 12", "+", ""])
def test_it_refuses_what_is_not_a_phone_number(typed: str) -> None:
    with pytest.raises(ValidationError):
        phone_parse(typed)


def test_it_refuses_foreign_numbers() -> None:
    with pytest.raises(ValidationError) as error:
        phone_parse("+44 7400 123456", mobile=True)
    assert "French number" in error.value.messages[0]
