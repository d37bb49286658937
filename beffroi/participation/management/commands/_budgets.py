"""What the budget commands share: the organisation they work on, and the budget by id."""

from __future__ import annotations

from django.core.management.base import CommandError
from django.utils.translation import gettext as _

from beffroi.participation.budgets.access import budget_for_organisation
from beffroi.participation.models import Budget
from beffroi.territory.models import Organisation


def command_organisation(slug: str | None) -> Organisation:
    """``--organisation SLUG``, else the default organisation, else the only one."""
    if slug:
        organisation = Organisation.objects.filter(slug=slug).first()
        if organisation is None:
            known = ", ".join(Organisation.objects.values_list("slug", flat=True)) or "-"
            raise CommandError(
                _("No organisation with the slug %(slug)s (known: %(known)s).")
                % {"slug": slug, "known": known}
            )
        return organisation
    organisation = Organisation.objects.filter(is_default=True).first()
    if organisation is None and Organisation.objects.count() == 1:
        organisation = Organisation.objects.first()
    if organisation is None:
        raise CommandError(_("No default organisation: create one, or give --organisation SLUG."))
    return organisation


def command_budget(organisation: Organisation, budget_id: int) -> Budget:
    budget = budget_for_organisation(organisation, budget_id)
    if budget is None:
        raise CommandError(
            _("No budget number %(id)d in the organisation %(slug)s.")
            % {"id": budget_id, "slug": organisation.slug}
        )
    return budget
