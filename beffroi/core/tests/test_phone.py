"""Phone numbers: French mainland and overseas, typed any usual way, stored in E.164, by the
one parser that registration, imports and the registry share."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from beffroi.core.phone import (
    phone_display,
    phone_e164,
    phone_parse,
    phone_parse_e164,
    phone_search_key,
)


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


@pytest.mark.parametrize(
    "typed", ["0508 55 12 34", "05 08 55 12 34", "+508 55 12 34", "00508551234"]
)
def test_it_gives_one_number_one_form_whoever_types_it(typed: str) -> None:
    # Saint-Pierre-et-Miquelon's numbers once became +33508551234 in the registry and
    # +508551234 in registrations: one person, two numbers, one of them never reached.
    from beffroi.alerts.registry.forms import PhoneField

    assert phone_e164(phone_parse(typed)) == "+508551234"
    assert PhoneField().clean(typed) == "+508551234"


def test_it_reads_stored_numbers_back_and_shows_them_as_dialled_in_france() -> None:
    number = phone_parse_e164("+262692123456")
    assert number is not None
    assert phone_e164(number) == "+262692123456"
    assert phone_parse_e164("+3361234") is None
    assert phone_parse_e164("garbage") is None
    assert phone_display("+33612345678") == "06 12 34 56 78"
    assert phone_display("+262262123456") == "0262 12 34 56"
    assert phone_display("+508551234") == "+508 55 12 34"
    assert phone_display("") == ""


def test_it_is_the_only_module_that_parses_numbers() -> None:
    # One parser, so that one rule holds everywhere: any other call of phonenumbers.parse in
    # the production code is a second rule waiting to drift.
    from pathlib import Path

    import beffroi

    root = Path(beffroi.__file__).parent
    callers = sorted(
        str(path.relative_to(root))
        for path in root.rglob("*.py")
        if "tests" not in path.parts and "phonenumbers.parse(" in path.read_text(encoding="utf-8")
    )
    assert callers == ["core/phone.py"]


@pytest.mark.parametrize(
    "typed", ["08 99 12 34 56", "0891234567", "+33 8 92 12 34 56", "0812345678", "0821234567"]
)
def test_it_refuses_premium_rate_and_shared_cost_numbers(typed: str) -> None:
    # Every automated call to such a number is billed to the commune.
    with pytest.raises(ValidationError) as caught:
        phone_parse(typed)
    assert caught.value.code == "premium_phone"
    assert "08 9" in caught.value.messages[0]


def test_it_still_accepts_freephone_numbers() -> None:
    assert phone_e164(phone_parse("0800 12 34 56")) == "+33800123456"


def test_a_number_searched_as_dialled_gives_its_international_digits() -> None:

    assert phone_search_key("06 41") == "33641"
    assert phone_search_key("0641 23") == "3364123"
    assert phone_search_key("+33 6 41") == "33641"
    assert phone_search_key("0033641") == "33641"
    assert phone_search_key("0692 12") == "26269212"
    assert phone_search_key("0508 55") == "50855"
    assert phone_search_key("641") is None
    assert phone_search_key("Jeanne") is None


def test_the_fast_validity_check_agrees_with_parsing() -> None:
    import random

    from beffroi.core.phone import phone_e164_valid, phone_parse_e164

    rng = random.Random(5)
    samples = ["+33612345678", "+33639981234", "+3312", "", "+262692123456", "+33123456789"]
    samples += [f"+33{rng.choice('67')}{rng.randrange(10**8):08d}" for _ in range(2000)]
    samples += [f"+{rng.randrange(10 ** (n - 1), 10**n)}" for n in range(4, 16) for _ in range(50)]
    for number in samples:
        assert phone_e164_valid(number) == (phone_parse_e164(number) is not None), number
