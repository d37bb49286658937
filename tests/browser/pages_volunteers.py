"""Volunteer profiles and the matching in the accessibility table, on the demo's
(beffroi/demo/volunteering_volunteers.py): the demo resident's profile with its weekly grid,
the missions suited to them, a mission's recommended volunteers for its organisers, and the
front desk's pages."""

from __future__ import annotations

from collections.abc import Callable

from playwright.sync_api import Page

from tests.browser.pages import (
    FRONT_DESK,
    PARTICIPATION_MANAGER,
    RESIDENT,
    PageSpec,
    submit_with,
    url,
)

ASSOCIATION_MANAGER = "association_manager"
PUBLIC = "volunteering_volunteers"
BO = "volunteering_volunteers_backoffice"
MATCHING = "volunteering_matching"


def _profile(channel: str) -> int:
    from beffroi.volunteering.models import VolunteerProfile

    profile = VolunteerProfile.objects.filter(registration_channel=channel).order_by("pk").first()
    assert profile is not None, f"the data has no volunteer registered ({channel})"
    return profile.pk


def _mission(*, commune: bool) -> Callable[[], str]:
    def resolve() -> str:
        from beffroi.volunteering.models import Mission

        mission = (
            Mission.objects.filter(
                status=Mission.Status.PUBLISHED, association__isnull=commune, remote=False
            )
            .order_by("pk")
            .first()
        )
        assert mission is not None, "the data has no published mission"
        return url(f"{MATCHING}:volunteers_for_mission", mission.pk)

    return resolve


def _emptied_and_sent(field: str) -> Callable[[Page], None]:
    """Empty the required ``field`` of the profile, then send the form."""
    send = submit_with("main form.stacked button[type=submit]")

    def prepare(page: Page) -> None:
        page.locator(f"#id_{field}").fill("")
        send(page)

    return prepare


PAGES_VOLUNTEERS: list[PageSpec] = [
    PageSpec(
        lambda: url(f"{PUBLIC}:profile"),
        RESIDENT,
        "volunteer profile with its weekly grid",
        screenshot="volunteer-profile.png",
    ),
    PageSpec(
        lambda: url(f"{PUBLIC}:profile"),
        RESIDENT,
        "volunteer profile sent without a name",
        prepare=_emptied_and_sent("full_name"),
    ),
    PageSpec(lambda: url(f"{PUBLIC}:delete"), RESIDENT, "delete my volunteer profile"),
    PageSpec(
        lambda: url(f"{PUBLIC}:delete"),
        RESIDENT,
        "delete my volunteer profile sent unconfirmed",
        prepare=submit_with("main form.stacked button[type=submit]"),
    ),
    PageSpec(
        lambda: url(f"{MATCHING}:for_me"),
        RESIDENT,
        "missions suited to the volunteer, with the reasons",
        screenshot="missions-for-me.png",
    ),
    PageSpec(
        _mission(commune=False),
        ASSOCIATION_MANAGER,
        "recommended volunteers of an association's mission",
    ),
    PageSpec(
        _mission(commune=True),
        PARTICIPATION_MANAGER,
        "recommended volunteers of a mission of the commune",
    ),
    PageSpec(lambda: url(f"{BO}:list"), FRONT_DESK, "front desk: the volunteers"),
    PageSpec(
        lambda: url(f"{BO}:list", query="q=aucun+benevole+de+ce+nom"),
        FRONT_DESK,
        "front desk: search without result",
    ),
    PageSpec(lambda: url(f"{BO}:create"), FRONT_DESK, "front desk: register a volunteer"),
    PageSpec(
        lambda: url(f"{BO}:create"),
        FRONT_DESK,
        "front desk: register a volunteer sent empty",
        prepare=submit_with("main form.stacked button[type=submit]"),
    ),
    PageSpec(
        lambda: url(f"{BO}:detail", _profile("phone")),
        FRONT_DESK,
        "front desk: a volunteer registered on the phone",
    ),
    PageSpec(
        lambda: url(f"{BO}:edit", _profile("phone")),
        FRONT_DESK,
        "front desk: edit a volunteer",
    ),
]

NOT_PAGES_VOLUNTEERS: dict[str, str] = {
    f"{PUBLIC}:absence_add": "POST action: redirects, or the profile's page with the error",
    f"{PUBLIC}:absence_remove": "POST action, redirects",
    f"{PUBLIC}:pause": "POST action, redirects",
    f"{BO}:active": "POST action, redirects",
    f"{MATCHING}:invite": "POST action, redirects to the recommended volunteers",
}
