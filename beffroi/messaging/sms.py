"""SMS text encoding and segmentation (3GPP TS 23.038 / 23.040).

An author must see, before sending, how many SMS each message costs: one accented capital or
an "ê" switches the whole text from GSM-7 (160 characters, 153 per part) to UCS-2 (70, 67 per
part), which can triple the bill of an alert sent to 10,000 residents.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

# GSM 03.38 default alphabet, in code order (index = septet value); ESC (0x1B) is excluded.
GSM7_BASIC = (
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ\x1bÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
# Extension table: each costs two septets (ESC + code).
GSM7_EXTENSION = {
    "\f": 0x0A,
    "^": 0x14,
    "{": 0x28,
    "}": 0x29,
    "\\": 0x2F,
    "[": 0x3C,
    "~": 0x3D,
    "]": 0x3E,
    "|": 0x40,
    "€": 0x65,
}
_BASIC_INDEX = {char: index for index, char in enumerate(GSM7_BASIC) if char != "\x1b"}

GSM7_SINGLE = 160
GSM7_PART = 153  # 7 septets go to the concatenation header (UDH)
UCS2_SINGLE = 70
UCS2_PART = 67


class Encoding(StrEnum):
    GSM7 = "GSM-7"
    UCS2 = "UCS-2"


@dataclass(frozen=True)
class SmsInfo:
    encoding: Encoding
    length: int  # septets (GSM-7) or UTF-16 code units (UCS-2)
    segments: int
    per_segment: int
    remaining: int  # room left in the last segment
    non_gsm_chars: tuple[str, ...]  # characters that forced UCS-2, for the author to replace


def is_gsm7(text: str) -> bool:
    return all(char in _BASIC_INDEX or char in GSM7_EXTENSION for char in text)


def _septet_units(text: str) -> list[int]:
    return [2 if char in GSM7_EXTENSION else 1 for char in text]


def _utf16_units(text: str) -> list[int]:
    return [2 if ord(char) > 0xFFFF else 1 for char in text]


def _count_parts(units: list[int], single: int, part: int) -> tuple[int, int]:
    """Segments needed and the fill of the last one; a multi-unit character never straddles."""
    total = sum(units)
    if total <= single:
        return (1 if total else 0), total
    segments, fill = 1, 0
    for size in units:
        if fill + size > part:
            segments += 1
            fill = 0
        fill += size
    return segments, fill


def sms_info(text: str) -> SmsInfo:
    if is_gsm7(text):
        units = _septet_units(text)
        encoding, single, part = Encoding.GSM7, GSM7_SINGLE, GSM7_PART
        non_gsm: tuple[str, ...] = ()
    else:
        units = _utf16_units(text)
        encoding, single, part = Encoding.UCS2, UCS2_SINGLE, UCS2_PART
        non_gsm = tuple(
            dict.fromkeys(c for c in text if c not in _BASIC_INDEX and c not in GSM7_EXTENSION)
        )
    segments, fill = _count_parts(units, single, part)
    per_segment = single if segments <= 1 else part
    return SmsInfo(
        encoding=encoding,
        length=sum(units),
        segments=segments,
        per_segment=per_segment,
        remaining=per_segment - fill if segments else single,
        non_gsm_chars=non_gsm,
    )


def split_parts(text: str) -> list[str]:
    """Split ``text`` into the texts of its concatenated parts (same rules as ``sms_info``)."""
    info = sms_info(text)
    if info.segments <= 1:
        return [text] if text else []
    units = _septet_units(text) if info.encoding is Encoding.GSM7 else _utf16_units(text)
    part = GSM7_PART if info.encoding is Encoding.GSM7 else UCS2_PART
    parts: list[str] = []
    current: list[str] = []
    fill = 0
    for char, size in zip(text, units, strict=True):
        if fill + size > part:
            parts.append("".join(current))
            current, fill = [], 0
        current.append(char)
        fill += size
    parts.append("".join(current))
    return parts


def gsm7_encode(text: str) -> bytes:
    """Unpacked GSM 03.38 (one septet per byte), as SMPP data_coding 0 carries it."""
    out = bytearray()
    for char in text:
        if char in _BASIC_INDEX:
            out.append(_BASIC_INDEX[char])
        elif char in GSM7_EXTENSION:
            out += bytes((0x1B, GSM7_EXTENSION[char]))
        else:
            raise ValueError(f"{char!r} is not in the GSM 03.38 alphabet")
    return bytes(out)


def gsm7_decode(data: bytes) -> str:
    reverse_ext = {code: char for char, code in GSM7_EXTENSION.items()}
    chars: list[str] = []
    escape = False
    for byte in data:
        if escape:
            chars.append(reverse_ext.get(byte, " "))
            escape = False
        elif byte == 0x1B:
            escape = True
        else:
            chars.append(GSM7_BASIC[byte] if byte < len(GSM7_BASIC) else "?")
    return "".join(chars)
