"""Phone numbers: the one parser for every number Beffroi stores or dials.

A resident types "06 12 34 56 78", "0692 12 34 56" (Réunion) or "0508 55 12 34"
(Saint-Pierre-et-Miquelon); an agent copies "+33 (0)6…" from a spreadsheet. Every form,
import and registry record goes through ``phone_parse``, so one number always becomes the
same E.164 string: a number stored two ways is a resident warned twice or not at all.

France's overseas departments and collectivities have their own country codes (+262, +590,
+594, +596, +508…) but share the ten-digit national plan from mainland France: a number
typed without its prefix is read with the region its first four digits belong to.
"""

from __future__ import annotations

import re

import phonenumbers
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from phonenumbers import PhoneNumber, PhoneNumberFormat, PhoneNumberType

__all__ = [
    "PHONE_REGIONS",
    "PhoneNumber",
    "phone_display",
    "phone_e164",
    "phone_e164_valid",
    "phone_is_mobile",
    "phone_parse",
    "phone_parse_e164",
    "phone_search_key",
]

# Mainland France first, then the overseas regions a French commune's residents live in.
PHONE_REGIONS = ("FR", "RE", "GP", "MQ", "GF", "YT", "PM", "BL", "MF", "WF", "PF", "NC")
# National prefixes (dialled from mainland France) of the overseas departments' numbers.
_NATIONAL_PREFIX_REGIONS = {
    "0262": "RE",
    "0263": "RE",
    "0692": "RE",
    "0693": "RE",
    "0590": "GP",
    "0690": "GP",
    "0691": "GP",
    "0596": "MQ",
    "0696": "MQ",
    "0697": "MQ",
    "0594": "GF",
    "0694": "GF",
    "0269": "YT",
    "0639": "YT",
}
# Saint-Pierre-et-Miquelon has six-digit numbers; from France they are dialled 0508 + number.
_PM_PREFIX = "0508"
_PHONE_JUNK = re.compile(r"[\s.\-/()]")
# Country codes that share the French ten-digit plan: shown as a French agent dials them.
_FRENCH_PLAN_CODES = frozenset({33, 262, 590, 594, 596})
_MOBILE_TYPES = (PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE_OR_MOBILE)
# Premium-rate (08 9…) and shared-cost (081x, 082x) numbers bill the caller: every automated
# call or SMS of an alert to one would cost the commune money, and a registration could be
# used to drain its budget towards a number someone profits from.
_BILLED_TYPES = (PhoneNumberType.PREMIUM_RATE, PhoneNumberType.SHARED_COST)


def _region_candidates(digits: str) -> list[str]:
    if digits.startswith("0") and len(digits) == 10:
        region = _NATIONAL_PREFIX_REGIONS.get(digits[:4])
        if region:
            return [region]
    return ["FR", *[r for r in PHONE_REGIONS if r != "FR"]]


def _valid(text: str, region: str | None) -> PhoneNumber | None:
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        return None
    return number if phonenumbers.is_valid_number(number) else None


def phone_parse(raw: str, *, mobile: bool = False) -> PhoneNumber:
    """Parse a French number (mainland or overseas) typed in any usual way.

    ``+33 6 12…``, ``0033 6…``, ``06 12 34 56 78``, ``0692 12 34 56`` (Réunion, +262),
    ``0508 55 12 34`` (Saint-Pierre-et-Miquelon, +508). With ``mobile``, landlines are
    refused (an SMS cannot reach them). Raises ``ValidationError`` with the reason.
    """
    text = _PHONE_JUNK.sub("", str(raw or "").strip())
    if text.startswith("00"):
        text = "+" + text[2:]
    if not text or len(text) > 20 or not re.fullmatch(r"\+?\d+", text):
        raise ValidationError(
            _("Enter a phone number with digits only, for instance 06 12 34 56 78."),
            code="invalid_phone",
        )
    number: PhoneNumber | None = None
    if text.startswith("+"):
        number = _valid(text, None)
    elif text.startswith(_PM_PREFIX) and len(text) == 10:
        number = _valid(text[len(_PM_PREFIX) :], "PM")
    else:
        for region in _region_candidates(text):
            number = _valid(text, region)
            if number is not None:
                break
    if number is None:
        raise ValidationError(
            _("This is not a valid phone number. Check the digits, for instance 06 12 34 56 78."),
            code="invalid_phone",
        )
    if phonenumbers.region_code_for_number(number) not in PHONE_REGIONS:
        raise ValidationError(
            _("Enter a French number (mainland or overseas)."), code="foreign_phone"
        )
    if phonenumbers.number_type(number) in _BILLED_TYPES:
        raise ValidationError(
            _(
                "Premium-rate and shared-cost numbers (08 1…, 08 2…, 08 9…) are not accepted: "
                "each call to them would be charged to the town hall. Enter a mobile or a "
                "landline number."
            ),
            code="premium_phone",
        )
    if mobile and not phone_is_mobile(number):
        raise ValidationError(
            _("This number is not a mobile number: it cannot receive SMS."), code="not_mobile"
        )
    return number


def phone_search_key(query: str) -> str | None:
    """The digits to look for in stored E.164 numbers when someone searches a number,
    whole or in part, the way they would dial it: "06 41", "0641 23", "+33 6 41", "0033641"
    all give "33641"; "0692 12" gives "26269212" (Réunion). None when ``query`` is not a
    number (fewer than four digits, or letters)."""
    text = _PHONE_JUNK.sub("", str(query or "").strip())
    if text.startswith("00"):
        text = "+" + text[2:]
    if not re.fullmatch(r"\+?\d{4,20}", text):
        return None
    if text.startswith("+") or not text.startswith("0"):
        return text.removeprefix("+")
    if text.startswith(_PM_PREFIX):
        return str(phonenumbers.country_code_for_region("PM")) + text[len(_PM_PREFIX) :]
    region = _NATIONAL_PREFIX_REGIONS.get(text[:4], "FR")
    return str(phonenumbers.country_code_for_region(region)) + text[1:]


def phone_parse_e164(e164: str) -> PhoneNumber | None:
    """A stored E.164 number ("+33612345678") parsed back, or None when it is not a valid
    number (a corrupted row must not stop a batch of messages)."""
    return _valid(str(e164 or ""), None)


# Mainland French mobile numbers in E.164, as phonenumbers' own metadata describes them: a
# stored number matching it is valid without parsing it again (most targets of an alert).
_FR_METADATA = phonenumbers.PhoneMetadata.metadata_for_region("FR")
assert _FR_METADATA is not None and _FR_METADATA.mobile is not None
_FR_MOBILE_E164 = re.compile(rf"\+33(?:{_FR_METADATA.mobile.national_number_pattern})")


def phone_e164_valid(e164: str) -> bool:
    """Whether a stored E.164 number is a valid number, as ``phone_parse_e164`` decides, but
    fast for mainland mobiles: dispatch checks every SMS target of an alert."""
    text = str(e164 or "")
    if _FR_MOBILE_E164.fullmatch(text):
        return True
    return _valid(text, None) is not None


def phone_e164(number: PhoneNumber) -> str:
    return phonenumbers.format_number(number, PhoneNumberFormat.E164)


def phone_is_mobile(number: PhoneNumber) -> bool:
    return phonenumbers.number_type(number) in _MOBILE_TYPES


def phone_display(value: object) -> str:
    """A number as an agent in France dials it: "0262 12 34 56" for Réunion too, since the
    overseas departments share the French ten-digit plan; international elsewhere."""
    number = phone_parse_e164(str(value or ""))
    if number is None:
        return str(value or "")
    if number.country_code in _FRENCH_PLAN_CODES:
        return phonenumbers.format_number(number, PhoneNumberFormat.NATIONAL)
    return phonenumbers.format_number(number, PhoneNumberFormat.INTERNATIONAL)
