from hypothesis import given
from hypothesis import strategies as st

from beffroi.messaging.sms import (
    GSM7_BASIC,
    GSM7_EXTENSION,
    Encoding,
    gsm7_decode,
    gsm7_encode,
    sms_info,
    split_parts,
)


def test_it_keeps_french_lowercase_e_acute_in_gsm7() -> None:
    info = sms_info("Crue de l'Aulne : évacuez le quartier du Moulin")
    assert info.encoding is Encoding.GSM7
    assert info.segments == 1


def test_it_switches_to_ucs2_for_e_circumflex_and_names_the_culprit() -> None:
    info = sms_info("Coupure d'eau : fenêtre de travaux")
    assert info.encoding is Encoding.UCS2
    assert info.non_gsm_chars == ("ê",)
    assert info.per_segment == 70


def test_it_counts_single_and_concatenated_gsm7_limits() -> None:
    assert sms_info("a" * 160).segments == 1
    two = sms_info("a" * 161)
    assert (two.segments, two.per_segment, two.remaining) == (2, 153, 145)
    assert sms_info("a" * 306).segments == 2
    assert sms_info("a" * 307).segments == 3


def test_it_counts_extension_characters_twice() -> None:
    assert sms_info("€" * 80).segments == 1
    assert sms_info("€" * 81).segments == 2


def test_it_counts_ucs2_limits_and_surrogate_pairs() -> None:
    assert sms_info("ê" * 70).segments == 1
    assert sms_info("ê" * 71).segments == 2
    assert sms_info("ê" * 134).segments == 2
    assert sms_info("ê" * 135).segments == 3
    assert sms_info("😀" * 35).length == 70


def test_it_never_splits_an_escape_pair_across_parts() -> None:
    text = "a" * 152 + "€" + "b" * 10
    parts = split_parts(text)
    assert parts == ["a" * 152, "€" + "b" * 10]
    assert sms_info(text).segments == 2


def test_it_reports_zero_segments_for_empty_text() -> None:
    assert sms_info("").segments == 0
    assert split_parts("") == []


gsm_text = st.text(alphabet=st.sampled_from([*GSM7_BASIC.replace("\x1b", ""), *GSM7_EXTENSION]))


@given(gsm_text)
def test_it_round_trips_gsm7(text: str) -> None:
    assert gsm7_decode(gsm7_encode(text)) == text


@given(st.text(max_size=600))
def test_it_splits_into_as_many_parts_as_counted(text: str) -> None:
    parts = split_parts(text)
    assert "".join(parts) == text
    assert len(parts) == sms_info(text).segments
    for part in parts:
        assert sms_info(part).segments <= 1
