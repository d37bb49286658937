"""Volunteer missions in the accessibility table, on the demo's
(beffroi/demo/volunteering_missions.py): the comité des fêtes' missions run by the demo
association manager, the commune's run by the participation manager, one draft, one closed,
one urgent, one remote."""

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
PUBLIC = "volunteering_missions"
BO = "volunteering_missions_backoffice"
SEND = "main form[method=post]:not([action]) button[type=submit]"


def _mission(**criteria: object) -> int:
    from beffroi.volunteering.models import Mission

    mission = Mission.objects.filter(**criteria).order_by("pk").first()
    assert mission is not None, f"the data has no mission {criteria}"
    return mission.pk


def _page(name: str, **criteria: object) -> Callable[[], str]:
    return lambda: url(name, _mission(**criteria))


def _comite() -> int:
    from beffroi.volunteering.models import Association

    association = Association.objects.filter(missions__isnull=False).order_by("pk").first()
    assert association is not None, "the data has no association with missions"
    return association.pk


def _slot_page(name: str, **criteria: object) -> Callable[[], str]:
    def resolve() -> str:
        from django.utils import timezone

        from beffroi.volunteering.models import Slot

        slot = (
            Slot.objects.filter(
                cancelled=False,
                starts_at__gt=timezone.now(),
                **{f"mission__{k}": v for k, v in criteria.items()},
            )
            .order_by("mission_id", "starts_at")
            .first()
        )
        assert slot is not None, f"the data has no future slot of a mission {criteria}"
        return url(name, slot.mission_id, slot.pk)

    return resolve


COMITE = {"association__isnull": False, "status": "published"}
COMMUNE = {"association__isnull": True, "status": "published"}

PAGES_MISSIONS: list[PageSpec] = [
    PageSpec(
        lambda: url(f"{PUBLIC}:list"),
        ANONYMOUS,
        "missions: list with its clustered map",
        screenshot="missions.png",
    ),
    PageSpec(
        lambda: url(f"{PUBLIC}:list", query="q=sable&urgency=urgent&remote=no&skill=manual"),
        ANONYMOUS,
        "missions: search and filters",
    ),
    PageSpec(
        lambda: url(f"{PUBLIC}:list", query="q=aucune+mission+de+ce+nom"),
        ANONYMOUS,
        "missions: search without result",
    ),
    PageSpec(
        lambda: url(f"{PUBLIC}:list", query=f"association={_comite()}"),
        ANONYMOUS,
        "missions of one association",
    ),
    PageSpec(
        _page(f"{PUBLIC}:detail", **COMITE),
        ANONYMOUS,
        "mission of an association, with its slots and small map",
        screenshot="mission.png",
    ),
    PageSpec(
        _page(f"{PUBLIC}:detail", urgency="urgent"), RESIDENT, "urgent mission, as a resident"
    ),
    PageSpec(_page(f"{PUBLIC}:detail", remote=True), ANONYMOUS, "remote mission"),
    PageSpec(
        _page(f"{PUBLIC}:detail", title__icontains="premiers secours"),
        ANONYMOUS,
        "mission requiring a certification",
    ),
    PageSpec(_page(f"{PUBLIC}:detail", status="closed"), ANONYMOUS, "closed mission"),
    PageSpec(
        _page(f"{PUBLIC}:detail", **COMITE),
        ASSOCIATION_MANAGER,
        "mission of an association, as its manager",
    ),
    PageSpec(
        _page(f"{PUBLIC}:detail", status="draft"),
        ASSOCIATION_MANAGER,
        "draft mission, as its manager",
    ),
    PageSpec(lambda: url(f"{PUBLIC}:mine"), ASSOCIATION_MANAGER, "the missions of my associations"),
    PageSpec(lambda: url(f"{PUBLIC}:mine"), RESIDENT, "the missions of my associations (none)"),
    PageSpec(
        lambda: url(f"{PUBLIC}:create", _comite()), ASSOCIATION_MANAGER, "new mission (manager)"
    ),
    PageSpec(
        lambda: url(f"{PUBLIC}:create", _comite()),
        ASSOCIATION_MANAGER,
        "new mission sent empty",
        prepare=submit_with(SEND),
    ),
    PageSpec(_page(f"{PUBLIC}:edit", **COMITE), ASSOCIATION_MANAGER, "edit a mission (manager)"),
    PageSpec(
        _page(f"{PUBLIC}:manage", **COMITE),
        ASSOCIATION_MANAGER,
        "manage a mission: status, slots, schedule (manager)",
    ),
    PageSpec(
        _page(f"{PUBLIC}:manage", **COMITE),
        ASSOCIATION_MANAGER,
        "slot sent empty",
        prepare=submit_with("main form[action$='/creneaux/ajouter/'] button[type=submit]"),
    ),
    PageSpec(
        _page(f"{PUBLIC}:manage", **COMITE),
        ASSOCIATION_MANAGER,
        "recurring schedule sent empty",
        prepare=submit_with("main form[action$='/planning/'] button[type=submit]"),
    ),
    PageSpec(
        _page(f"{PUBLIC}:manage", status="draft"),
        ASSOCIATION_MANAGER,
        "manage a draft mission (manager)",
    ),
    PageSpec(
        _slot_page(f"{PUBLIC}:slot_edit", **COMITE),
        ASSOCIATION_MANAGER,
        "change or remove a slot (manager)",
    ),
    PageSpec(lambda: url(f"{BO}:list"), PARTICIPATION_MANAGER, "missions (back office)"),
    PageSpec(
        lambda: url(f"{BO}:list", query="status=published&association=commune"),
        PARTICIPATION_MANAGER,
        "missions filtered (back office)",
    ),
    PageSpec(lambda: url(f"{BO}:create"), PARTICIPATION_MANAGER, "new mission of the commune"),
    PageSpec(
        lambda: url(f"{BO}:create"),
        PARTICIPATION_MANAGER,
        "new mission of the commune sent empty",
        prepare=submit_with(SEND),
    ),
    PageSpec(
        _page(f"{BO}:manage", **COMMUNE),
        PARTICIPATION_MANAGER,
        "manage a mission (back office)",
    ),
    PageSpec(
        _page(f"{BO}:manage", status="closed"),
        PARTICIPATION_MANAGER,
        "manage a closed mission (back office)",
    ),
    PageSpec(_page(f"{BO}:edit", **COMMUNE), PARTICIPATION_MANAGER, "edit a mission (back office)"),
    PageSpec(
        _slot_page(f"{BO}:slot_edit", **COMMUNE),
        PARTICIPATION_MANAGER,
        "change or remove a slot (back office)",
    ),
]

NOT_PAGES_MISSIONS: dict[str, str] = {
    f"{PUBLIC}:map": "GeoJSON of the map (read by the list's script)",
    f"{PUBLIC}:slot_add": "POST action: redirects, or the mission's page with the errors",
    f"{PUBLIC}:slot_remove": "POST action, redirects",
    f"{PUBLIC}:schedule": "POST action: redirects, or the mission's page with the errors",
    f"{PUBLIC}:publish": "POST action, redirects",
    f"{PUBLIC}:close": "POST action, redirects",
    f"{PUBLIC}:cancel": "POST action: redirects, or the mission's page with the errors",
    f"{PUBLIC}:urgency": "POST action, redirects",
    f"{BO}:slot_add": "POST action: redirects, or the mission's page with the errors",
    f"{BO}:slot_remove": "POST action, redirects",
    f"{BO}:schedule": "POST action: redirects, or the mission's page with the errors",
    f"{BO}:publish": "POST action, redirects",
    f"{BO}:close": "POST action, redirects",
    f"{BO}:cancel": "POST action: redirects, or the mission's page with the errors",
    f"{BO}:urgency": "POST action, redirects",
}
