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


def _invitation(to_resident: bool = False) -> str:
    """The landing page of an invitation to manage the validated profile, sent to a new
    address, or to the resident at the keyboard (who then sees "Accept"). The row is written
    with a token known here, since only its hash is kept."""
    import hashlib
    from datetime import timedelta

    from django.utils import timezone

    from beffroi.accounts.models import Role
    from beffroi.territory.models import Organisation
    from beffroi.volunteering.models import Association, ManagerInvitation, Membership
    from tests.browser.support import user_with_role

    association = Association.objects.get(pk=_association("validated"))
    if to_resident:
        organisation = Organisation.objects.get(is_default=True)
        email = user_with_role(organisation, Role.RESIDENT).email
    else:
        email = "nouvelle.benevole@example.org"
    token = f"demo-invitation-{'resident' if to_resident else 'new'}"
    ManagerInvitation.objects.update_or_create(
        token_hash=hashlib.sha256(token.encode()).hexdigest(),
        defaults={
            "association": association,
            "email": email,
            "role": Membership.Role.EDITOR,
            "expires_at": timezone.now() + timedelta(days=14),
        },
    )
    return url(f"{PUBLIC}:invitation", token)


def _managers_with_invitation() -> str:
    _invitation()
    return url(f"{PUBLIC}:managers", _association("validated"))


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
        _managers_with_invitation,
        ASSOCIATION_MANAGER,
        "managers of an association (owner), an invitation awaiting an answer",
    ),
    PageSpec(
        _page(f"{PUBLIC}:managers", "validated"),
        ASSOCIATION_MANAGER,
        "add a manager sent empty",
        prepare=submit_with("main form:not([action]) button[type=submit]"),
    ),
    PageSpec(_invitation, ANONYMOUS, "invitation to manage an association, not logged in"),
    PageSpec(
        lambda: _invitation(to_resident=True),
        RESIDENT,
        "invitation to manage an association, logged in with the invited address",
    ),
    PageSpec(
        lambda: url(f"{PUBLIC}:invitation", "no-such-invitation"),
        ANONYMOUS,
        "invitation no longer valid",
        status=404,
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
    f"{PUBLIC}:invitation_withdraw": "POST action, redirects",
    f"{BO}:validate": "POST action, redirects",
    f"{BO}:refuse": "POST action: redirects, or the profile's page with the error",
}
