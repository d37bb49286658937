"""Realisations in the accessibility table, on the demo's (beffroi/demo/realisations.py):
the winning projects of "Budget participatif 2026", one delivered, one in works with a
milestone photo, one in study, the others planned."""

from __future__ import annotations

from collections.abc import Callable

from playwright.sync_api import Page

from tests.browser.pages import (
    ANONYMOUS,
    PARTICIPATION_MANAGER,
    RESIDENT,
    PageSpec,
    submit_with,
    url,
)

PUBLIC = "participation_realisations"
BO = "participation_realisations_backoffice"


def _realisation(status: str) -> int:
    from beffroi.participation.models import Realisation

    realisation = Realisation.objects.filter(status=status).order_by("pk").first()
    assert realisation is not None, f"the data has no realisation {status}"
    return realisation.pk


def _with_photo() -> int:
    from beffroi.participation.models import Realisation

    realisation = (
        Realisation.objects.filter(milestones__photos__isnull=False).order_by("pk").first()
    )
    assert realisation is not None, "the data has no realisation with a photo"
    return realisation.pk


def _evaluated(*, still_open: bool) -> int:
    """A delivered realisation whose evaluation is open (or closed, with an assessment)."""
    from django.utils import timezone

    from beffroi.participation.models import Evaluation

    now = timezone.now()
    evaluations = Evaluation.objects.order_by("pk")
    found = (
        evaluations.filter(closes_at__gt=now)
        if still_open
        else evaluations.filter(closes_at__lte=now, assessment_published_at__isnull=False)
    ).first()
    assert found is not None, f"the data has no evaluation {'open' if still_open else 'closed'}"
    return found.realisation_id


def _page(name: str, find: Callable[[], int]) -> Callable[[], str]:
    return lambda: url(name, find())


def _abandon_without_reason(page: Page) -> None:
    page.locator("main select[name=status]").select_option("abandoned")
    page.locator("main textarea[name=reason]").fill("")
    submit_with("main form[method=post] button[type=submit]")(page)


PAGES_REALISATIONS: list[PageSpec] = [
    PageSpec(
        lambda: url(f"{PUBLIC}:list"),
        ANONYMOUS,
        "realisations: list, map and timeline",
        screenshot="realisations.png",
    ),
    PageSpec(
        lambda: url(f"{PUBLIC}:list", query="status=works"),
        ANONYMOUS,
        "realisations filtered by status",
    ),
    PageSpec(
        lambda: url(f"{PUBLIC}:list", query="status=abandoned"),
        ANONYMOUS,
        "realisations filtered, none found",
    ),
    PageSpec(
        _page(f"{PUBLIC}:detail", _with_photo),
        ANONYMOUS,
        "realisation with a photo",
        screenshot="realisation.png",
    ),
    PageSpec(
        _page(f"{PUBLIC}:detail", lambda: _realisation("delivered")),
        RESIDENT,
        "delivered realisation, as a resident",
    ),
    PageSpec(
        _page(f"{PUBLIC}:evaluate", lambda: _evaluated(still_open=True)),
        RESIDENT,
        "evaluation of a delivered realisation",
        screenshot="realisation-evaluation.png",
    ),
    PageSpec(
        _page(f"{PUBLIC}:evaluate", lambda: _evaluated(still_open=True)),
        RESIDENT,
        "evaluation sent without the required answer",
        prepare=submit_with("main form[method=post] button[type=submit]"),
    ),
    PageSpec(
        _page(f"{PUBLIC}:evaluate", lambda: _evaluated(still_open=True)),
        ANONYMOUS,
        "evaluation, not signed in",
    ),
    PageSpec(
        _page(f"{PUBLIC}:evaluate", lambda: _evaluated(still_open=False)),
        RESIDENT,
        "evaluation closed",
    ),
    PageSpec(
        _page(f"{PUBLIC}:evaluation_results", lambda: _evaluated(still_open=False)),
        ANONYMOUS,
        "results of an evaluation as charts",
    ),
    PageSpec(
        _page(f"{PUBLIC}:detail", lambda: _evaluated(still_open=False)),
        ANONYMOUS,
        "evaluated realisation with the commune's assessment",
    ),
    PageSpec(lambda: url(f"{BO}:list"), PARTICIPATION_MANAGER, "realisations (back office)"),
    PageSpec(lambda: url(f"{BO}:create"), PARTICIPATION_MANAGER, "new realisation by hand"),
    PageSpec(
        _page(f"{BO}:detail", _with_photo), PARTICIPATION_MANAGER, "realisation (back office)"
    ),
    PageSpec(_page(f"{BO}:update", _with_photo), PARTICIPATION_MANAGER, "edit a realisation"),
    PageSpec(_page(f"{BO}:status", _with_photo), PARTICIPATION_MANAGER, "status of a realisation"),
    PageSpec(
        _page(f"{BO}:status", _with_photo),
        PARTICIPATION_MANAGER,
        "status of a realisation: abandoned without a reason",
        prepare=_abandon_without_reason,
    ),
    PageSpec(
        _page(f"{BO}:evaluation", lambda: _evaluated(still_open=True)),
        PARTICIPATION_MANAGER,
        "evaluation of a realisation (back office)",
    ),
    PageSpec(
        _page(f"{BO}:evaluation", lambda: _evaluated(still_open=True)),
        PARTICIPATION_MANAGER,
        "evaluation: assessment sent empty",
        prepare=submit_with(
            "main form:has(input[name=action][value=assessment]) button[type=submit]"
        ),
    ),
    PageSpec(
        _page(f"{BO}:evaluation", lambda: _realisation("planned")),
        PARTICIPATION_MANAGER,
        "evaluation of a realisation not delivered (back office)",
    ),
    PageSpec(_page(f"{BO}:milestone", _with_photo), PARTICIPATION_MANAGER, "new milestone"),
    PageSpec(
        _page(f"{BO}:milestone", _with_photo),
        PARTICIPATION_MANAGER,
        "new milestone sent empty",
        prepare=submit_with("main form[method=post] button[type=submit]"),
    ),
]

NOT_PAGES_REALISATIONS: dict[str, str] = {
    f"{PUBLIC}:geojson": "GeoJSON of the map (read by the list page's script)",
    f"{PUBLIC}:export_csv": "CSV download",
    f"{PUBLIC}:export_geojson": "GeoJSON download",
    f"{PUBLIC}:photo": "image file of a milestone (shown on the realisation's page)",
    f"{PUBLIC}:follow": "POST action, redirects",
    f"{PUBLIC}:unfollow": "POST action, redirects",
    f"{BO}:from_outcome": "POST action, redirects",
}
