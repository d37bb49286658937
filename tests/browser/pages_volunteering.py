"""Associations in the accessibility table, on the demo's (beffroi/demo/volunteering.py): the
directory imported from the demo RNA file, the comité des fêtes whose manager's claim was
validated, and the demo resident's new profile awaiting an agent."""

from __future__ import annotations

from collections.abc import Callable

from tests.browser.pages import (
    ANONYMOUS,
    PARTICIPATION_MANAGER,
    RESIDENT,
    PageSpec,
    submit_with,
    url,
)

ASSOCIATION_MANAGER = "association_manager"
PUBLIC = "volunteering_associations"
BO = "volunteering_associations_backoffice"


def _association(status: str) -> int:
    from beffroi.volunteering.models import Association

    association = Association.objects.filter(status=status).order_by("pk").first()
    assert association is not None, f"the data has no association {status}"
    return association.pk


def _page(name: str, status: str) -> Callable[[], str]:
    return lambda: url(name, _association(status))


PAGES_VOLUNTEERING: list[PageSpec] = [
    PageSpec(
        lambda: url(f"{PUBLIC}:list"),
        ANONYMOUS,
        "associations: directory with its clustered map",
        screenshot="associations.png",
    ),
    PageSpec(
        lambda: url(f"{PUBLIC}:list", query="q=ecole&activity=education"),
        ANONYMOUS,
        "associations: search and filter",
    ),
    PageSpec(
        lambda: url(f"{PUBLIC}:list", query="q=aucune+association+de+ce+nom"),
        ANONYMOUS,
        "associations: search without result",
    ),
    PageSpec(
        _page(f"{PUBLIC}:detail", "validated"),
        ANONYMOUS,
        "association with a validated profile",
        screenshot="association.png",
    ),
    PageSpec(
        _page(f"{PUBLIC}:detail", "imported"),
        RESIDENT,
        "association imported from the RNA, as a resident",
    ),
    PageSpec(_page(f"{PUBLIC}:claim", "imported"), RESIDENT, "claim an imported profile"),
    PageSpec(
        _page(f"{PUBLIC}:claim", "imported"),
        RESIDENT,
        "claim sent empty",
        prepare=submit_with("main form[method=post] button[type=submit]"),
    ),
    PageSpec(lambda: url(f"{PUBLIC}:create"), RESIDENT, "add an association"),
    PageSpec(
        lambda: url(f"{PUBLIC}:create"),
        RESIDENT,
        "add an association sent empty",
        prepare=submit_with("main form[method=post] button[type=submit]"),
    ),
    PageSpec(lambda: url(f"{PUBLIC}:mine"), RESIDENT, "my associations (a pending request)"),
    PageSpec(lambda: url(f"{PUBLIC}:mine"), ASSOCIATION_MANAGER, "my associations (a manager)"),
    PageSpec(
        _page(f"{PUBLIC}:edit", "validated"),
        ASSOCIATION_MANAGER,
        "edit an association's profile (manager)",
    ),
    PageSpec(
        _page(f"{PUBLIC}:managers", "validated"),
        ASSOCIATION_MANAGER,
        "managers of an association (owner)",
    ),
    PageSpec(
        _page(f"{PUBLIC}:managers", "validated"),
        ASSOCIATION_MANAGER,
        "add a manager sent empty",
        prepare=submit_with("main form:not([action]) button[type=submit]"),
    ),
    PageSpec(lambda: url(f"{BO}:list"), PARTICIPATION_MANAGER, "associations (back office)"),
    PageSpec(lambda: url(f"{BO}:import"), PARTICIPATION_MANAGER, "import the RNA file"),
    PageSpec(
        lambda: url(f"{BO}:import"),
        PARTICIPATION_MANAGER,
        "import the RNA file sent without a file",
        prepare=submit_with("main form[method=post] button[type=submit]"),
    ),
    PageSpec(
        _page(f"{BO}:detail", "pending"),
        PARTICIPATION_MANAGER,
        "association awaiting validation (back office)",
    ),
    PageSpec(
        _page(f"{BO}:detail", "pending"),
        PARTICIPATION_MANAGER,
        "refusal sent without a reason",
        prepare=submit_with("main form[action$='/refuser/'] button[type=submit]"),
    ),
    PageSpec(
        _page(f"{BO}:detail", "validated"),
        PARTICIPATION_MANAGER,
        "validated association (back office)",
    ),
    PageSpec(
        _page(f"{BO}:edit", "imported"),
        PARTICIPATION_MANAGER,
        "edit an association's profile (back office)",
    ),
]

NOT_PAGES_VOLUNTEERING: dict[str, str] = {
    f"{PUBLIC}:map": "GeoJSON of the map (read by the directory's script)",
    f"{PUBLIC}:logo": "image file of an association's logo (shown on its page)",
    f"{PUBLIC}:manager_remove": "POST action, redirects",
    f"{BO}:validate": "POST action, redirects",
    f"{BO}:refuse": "POST action: redirects, or the profile's page with the error",
}
