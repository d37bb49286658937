"""Needs and volunteering statistics in the accessibility table, on the demo's
(beffroi/demo/volunteering_needs.py): a van for the food bank (an offer of the demo resident
awaiting an answer), the blood donation's hall (met: the comité des fêtes' offer accepted),
tables for the comité's brocante (the resident's offer awaiting the comité's answer), and
the urgent sandbags storage (the comité's offer awaiting the commune's answer)."""

from __future__ import annotations

from collections.abc import Callable

from tests.browser.pages import (
    ALERT_APPROVER,
    ANONYMOUS,
    PARTICIPATION_MANAGER,
    RESIDENT,
    PageSpec,
    submit_with,
    url,
)

ASSOCIATION_MANAGER = "association_manager"
PUBLIC = "volunteering_needs"
BO = "volunteering_needs_backoffice"
STATISTICS = "volunteering_statistics_backoffice"

VAN = "Une camionnette pour la banque alimentaire"
HALL = "Une salle pour la collecte de don du sang"
TABLES = "Des tables et des bancs pour la brocante de mai"
SANDBAGS = "Un local pour stocker les sacs de sable pendant les crues"


def _need(title: str) -> int:
    from beffroi.volunteering.models import Need

    need = Need.objects.filter(title=title).order_by("pk").first()
    assert need is not None, f"the data has no need “{title}”"
    return need.pk


def _page(name: str, title: str) -> Callable[[], str]:
    return lambda: url(name, _need(title))


PAGES_NEEDS: list[PageSpec] = [
    PageSpec(
        lambda: url(f"{PUBLIC}:list"),
        ANONYMOUS,
        "needs: list, urgent first",
        screenshot="needs.png",
    ),
    PageSpec(
        lambda: url(f"{PUBLIC}:list", query="kind=premises&urgency=urgent"),
        ANONYMOUS,
        "needs: filtered by kind and urgency",
    ),
    PageSpec(
        lambda: url(f"{PUBLIC}:list", query="kind=other"),
        ANONYMOUS,
        "needs: filter without result",
    ),
    PageSpec(_page(f"{PUBLIC}:detail", VAN), ANONYMOUS, "need, anonymous: log in to offer"),
    PageSpec(_page(f"{PUBLIC}:detail", HALL), ANONYMOUS, "need fulfilled"),
    PageSpec(_page(f"{PUBLIC}:detail", VAN), RESIDENT, "need with the resident's offer"),
    PageSpec(_page(f"{PUBLIC}:detail", SANDBAGS), RESIDENT, "need with the offer form"),
    PageSpec(
        _page(f"{PUBLIC}:detail", SANDBAGS),
        RESIDENT,
        "offer sent empty",
        prepare=submit_with("main form[action$='/proposer/'] button[type=submit]"),
    ),
    PageSpec(
        _page(f"{PUBLIC}:detail", VAN),
        ASSOCIATION_MANAGER,
        "need with the offer form, on behalf of an association",
    ),
    PageSpec(lambda: url(f"{PUBLIC}:mine"), RESIDENT, "my offers"),
    PageSpec(lambda: url(f"{PUBLIC}:organised"), ASSOCIATION_MANAGER, "the needs I organise"),
    PageSpec(lambda: url(f"{PUBLIC}:create"), ASSOCIATION_MANAGER, "write a need"),
    PageSpec(
        lambda: url(f"{PUBLIC}:create"),
        ASSOCIATION_MANAGER,
        "write a need sent empty",
        prepare=submit_with("main form[method=post] button[type=submit]"),
    ),
    PageSpec(_page(f"{PUBLIC}:edit", TABLES), ASSOCIATION_MANAGER, "edit a need"),
    PageSpec(
        _page(f"{PUBLIC}:manage", TABLES),
        ASSOCIATION_MANAGER,
        "manage a need with an offer awaiting an answer",
    ),
    PageSpec(
        _page(f"{PUBLIC}:manage", TABLES),
        ASSOCIATION_MANAGER,
        "decline an offer sent without an answer",
        prepare=submit_with("main form[action$='/accepter/'] button[formaction]"),
    ),
    PageSpec(lambda: url(f"{BO}:list"), PARTICIPATION_MANAGER, "needs (back office)"),
    PageSpec(_page(f"{BO}:detail", SANDBAGS), PARTICIPATION_MANAGER, "urgent need (back office)"),
    PageSpec(_page(f"{BO}:detail", HALL), PARTICIPATION_MANAGER, "fulfilled need (back office)"),
    PageSpec(
        lambda: url(f"{PUBLIC}:create", query="from=backoffice"),
        PARTICIPATION_MANAGER,
        "write a need of the commune (back office)",
    ),
    PageSpec(
        lambda: url(f"{STATISTICS}:index"),
        PARTICIPATION_MANAGER,
        "volunteering statistics",
        screenshot="volunteering-statistics.png",
    ),
    PageSpec(
        lambda: url(f"{STATISTICS}:index"),
        ALERT_APPROVER,
        "volunteering statistics (crisis cell)",
    ),
    PageSpec(
        lambda: url(f"{STATISTICS}:index", query="start=2026-03-01&end=2026-01-01"),
        PARTICIPATION_MANAGER,
        "volunteering statistics: period refused",
        status=400,
    ),
]

NOT_PAGES_NEEDS: dict[str, str] = {
    f"{PUBLIC}:map": "GeoJSON of the list's map (read by the map's script)",
    f"{PUBLIC}:offer": "POST action: redirects, or the need's page with the error",
    f"{PUBLIC}:offer_withdraw": "POST action, redirects",
    f"{PUBLIC}:publish": "POST action, redirects",
    f"{PUBLIC}:fulfil": "POST action, redirects",
    f"{PUBLIC}:close": "POST action, redirects",
    f"{PUBLIC}:cancel": "POST action, redirects",
    f"{PUBLIC}:offer_accept": "POST action: redirects, or the manage page with the error",
    f"{PUBLIC}:offer_decline": "POST action: redirects, or the manage page with the error",
    f"{STATISTICS}:export": "CSV download",
}
