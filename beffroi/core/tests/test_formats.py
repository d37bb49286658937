"""``long_date``: the French first of the month is « 1er »; other days and languages as Django."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from django.template import Context, Template
from django.utils import translation

from beffroi.core.templatetags.core_formats import long_date


def test_the_first_of_the_month_is_an_ordinal_in_french_only() -> None:
    with translation.override("fr"):
        assert long_date(date(2027, 4, 1), "j F Y") == "1er avril 2027"
        assert long_date(date(2027, 4, 2), "j F Y") == "2 avril 2027"
        assert long_date(date(2027, 4, 1), "l j F Y") == "jeudi 1er avril 2027"
        assert long_date(date(2027, 4, 1)) == "1er avril 2027"  # DATE_FORMAT
        # An escaped j stays a letter.
        assert long_date(date(2027, 4, 1), r"\j j") == "j 1er"
    with translation.override("en"):
        assert long_date(date(2027, 4, 1), "j F Y") == "1 April 2027"
    assert long_date(None) == ""


def test_templates_have_it_without_loading_and_in_local_time() -> None:
    # 23:30 UTC on 31 March is 1 April in Paris.
    moment = datetime(2027, 3, 31, 22, 30, tzinfo=ZoneInfo("UTC"))
    with translation.override("fr"):
        text = Template('{{ when|long_date:"j F Y, H:i" }}').render(Context({"when": moment}))
    assert text == "1er avril 2027, 00:30"
