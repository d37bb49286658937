"""Applications in the accessibility table, on the demo's
(beffroi/demo/volunteering_applications.py): the demo resident's applications (one awaiting an
answer with a message thread, past ones with hours and a testimonial, a yearly certificate),
the organiser's pages of the comité des fêtes (association manager) and of the commune's own
missions (participation manager), with a waiting list, a declined application and attendance
recorded on past slots."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tests.browser.pages import (
    ANONYMOUS,
    PARTICIPATION_MANAGER,
    RESIDENT,
    PageSpec,
    submit_with,
    url,
)

ASSOCIATION_MANAGER = "association_manager"
NS = "volunteering_applications"
SEND = "main form[method=post]:not([action]) button[type=submit]"


def _resident_email() -> str:
    from beffroi.demo import constants as c

    return next(login.email for login in c.demo_logins() if login.role == RESIDENT)


def _application(**criteria: Any) -> int:
    from django.utils import timezone

    from beffroi.volunteering.models import Application

    now = timezone.now()
    criteria = {key: now if value == "now" else value for key, value in criteria.items()}
    application = Application.objects.filter(**criteria).order_by("pk").first()
    assert application is not None, f"the data has no application {criteria}"
    return application.pk


def _mine(name: str, **criteria: Any) -> Callable[[], str]:
    return lambda: url(
        f"{NS}:{name}", _application(profile__user__email=_resident_email(), **criteria)
    )


def _organiser(name: str, **criteria: Any) -> Callable[[], str]:
    return lambda: url(f"{NS}:{name}", _application(**criteria))


def _mission(**criteria: Any) -> int:
    from beffroi.volunteering.models import Mission

    mission = (
        Mission.objects.filter(slots__applications__isnull=False, **criteria)
        .distinct()
        .order_by("pk")
        .first()
    )
    assert mission is not None, f"the data has no mission with applications {criteria}"
    return mission.pk


def _apply_page() -> str:
    from beffroi.volunteering.models import Mission

    # The remote help line: no prerequisite, many coming slots left to apply to.
    mission = Mission.objects.filter(remote=True, status="published").order_by("pk").first()
    assert mission is not None, "the data has no published remote mission"
    return url(f"{NS}:apply", mission.pk)


def _certificate() -> str:
    from beffroi.volunteering.models import Application

    application = (
        Application.objects.filter(profile__user__email=_resident_email(), attendance="present")
        .select_related("slot")
        .order_by("pk")
        .first()
    )
    assert application is not None, "the demo resident took part in no mission"
    return url(f"{NS}:certificate", application.slot.starts_at.year)


HOLDING = {"state__in": ["pending", "accepted"], "slot__starts_at__gt": "now"}

PAGES_APPLICATIONS: list[PageSpec] = [
    PageSpec(_apply_page, ANONYMOUS, "apply to a mission (anonymous: log in)"),
    PageSpec(_apply_page, RESIDENT, "apply to a mission (slots and places left)"),
    PageSpec(
        _apply_page,
        RESIDENT,
        "application sent without a slot",
        prepare=submit_with(SEND),
    ),
    PageSpec(
        lambda: url(f"{NS}:apply", _mission(slots__applications__state="waitlisted")),
        RESIDENT,
        "apply to a mission with a full slot (waiting list)",
    ),
    PageSpec(lambda: url(f"{NS}:mine"), RESIDENT, "my applications"),
    PageSpec(
        lambda: url(f"{NS}:mine"),
        ASSOCIATION_MANAGER,
        "my applications (a manager: the missions of the association)",
    ),
    PageSpec(
        lambda: url("volunteering_applications_backoffice:list"),
        PARTICIPATION_MANAGER,
        "volunteers' applications (back office)",
    ),
    PageSpec(_mine("cancel", **HOLDING), RESIDENT, "cancel my application"),
    PageSpec(_mine("thread", messages__isnull=False), RESIDENT, "messages with the organiser"),
    PageSpec(
        _mine("thread", messages__isnull=False),
        RESIDENT,
        "message sent empty (volunteer)",
        prepare=submit_with(SEND),
    ),
    PageSpec(_mine("testimonial", attendance="present"), RESIDENT, "my testimonial"),
    PageSpec(
        _certificate,
        RESIDENT,
        "yearly certificate of hours (printable)",
        screenshot="volunteer-certificate.png",
    ),
    PageSpec(
        lambda: url(f"{NS}:organiser_mission", _mission(association__isnull=False)),
        ASSOCIATION_MANAGER,
        "applications of a mission (association manager)",
    ),
    PageSpec(
        lambda: url(
            f"{NS}:organiser_mission",
            _mission(association__isnull=True, slots__applications__attendance="present"),
        ),
        PARTICIPATION_MANAGER,
        "applications of a commune's mission with attendance (agent)",
    ),
    PageSpec(
        lambda: url(f"{NS}:organiser_mission", _mission(slots__applications__state="waitlisted")),
        PARTICIPATION_MANAGER,
        "applications of a mission with a waiting list (agent)",
        screenshot="mission-applications.png",
    ),
    PageSpec(
        _organiser("decline", state="pending", slot__starts_at__gt="now"),
        PARTICIPATION_MANAGER,
        "decline an application",
    ),
    PageSpec(
        _organiser("decline", state="pending", slot__starts_at__gt="now"),
        PARTICIPATION_MANAGER,
        "decline sent without a reason",
        prepare=submit_with(SEND),
    ),
    PageSpec(
        _organiser("organiser_cancel", state="accepted", slot__starts_at__gt="now"),
        PARTICIPATION_MANAGER,
        "cancel a participation (organiser)",
    ),
    PageSpec(
        _organiser("organiser_thread", messages__isnull=False),
        PARTICIPATION_MANAGER,
        "messages with a volunteer (organiser)",
    ),
]

NOT_PAGES_APPLICATIONS: dict[str, str] = {
    f"{NS}:calendar": "iCalendar file of a slot (download)",
    f"{NS}:accept": "POST action, redirects",
    f"{NS}:attendance": "POST action, redirects",
    f"{NS}:testimonial_publish": "POST action, redirects",
}
