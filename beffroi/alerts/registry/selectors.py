"""Reads of the vulnerable persons registry (décret 2004-926).

These functions do not audit: every read reaching an agent goes through the audited
functions of ``beffroi.alerts.registry.services``, which call these. Code showing registry
data elsewhere (the live view of a sending alert) must audit its own reads.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from beffroi.alerts.audience import alert_vulnerable_in_target
from beffroi.alerts.models import Alert, VulnerablePerson
from beffroi.territory.models import Organisation, Zone, ZoneMembership

# A registration not confirmed for this long is listed "to be reconfirmed": the decree keeps
# data only as long as needed, and the CCAS checks each entry yearly before the summer.
RECONFIRM_AFTER = timedelta(days=365)

# The needs an agent filters on, in the order the call sheet lists them.
NEEDS: tuple[tuple[str, Any], ...] = (
    ("electricity_dependent", _("Electricity-dependent medical equipment")),
    ("reduced_mobility", _("Reduced mobility")),
    ("lives_alone", _("Lives alone")),
    ("hearing_impaired", _("Hearing impairment")),
    ("visually_impaired", _("Visual impairment")),
)
NEED_KEYS = frozenset(key for key, _label in NEEDS)


@dataclass(frozen=True)
class RegistryFilter:
    query: str = ""
    needs: tuple[str, ...] = ()
    zone_id: int | None = None
    situation: str = ""
    to_reconfirm: bool = False
    address_id: int | None = None

    def audit_data(self) -> dict[str, Any]:
        """The filter as written to the audit trail.

        The free-text search is recorded only as "a search was made": the text is usually a
        name, and the trail must hold no personal data once a person has been removed.
        """
        return {
            "search": bool(self.query),
            "needs": list(self.needs),
            "zone": self.zone_id,
            "situation": self.situation,
            "to_reconfirm": self.to_reconfirm,
            "address": self.address_id,
        }


def reconfirm_cutoff(today: date | None = None) -> date:
    return (today or timezone.localdate()) - RECONFIRM_AFTER


def person_age(person: VulnerablePerson, today: date | None = None) -> int:
    today = today or timezone.localdate()
    born = person.birth_date
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


def person_needs(person: VulnerablePerson) -> list[str]:
    return [str(label) for key, label in NEEDS if getattr(person, key)]


def needs_reconfirmation(person: VulnerablePerson, today: date | None = None) -> bool:
    return person.last_confirmed_on < reconfirm_cutoff(today)


def _base(organisation: Organisation) -> QuerySet[VulnerablePerson]:
    return VulnerablePerson.objects.filter(organisation=organisation).select_related(
        "address", "address__street", "address__commune"
    )


def registry_persons(
    *, organisation: Organisation, filters: RegistryFilter | None = None
) -> QuerySet[VulnerablePerson]:
    """The organisation's registered persons matching ``filters``, by name."""
    filters = filters or RegistryFilter()
    persons = _base(organisation)
    words = filters.query.split()
    for word in words[:5]:
        persons = persons.filter(
            Q(last_name__icontains=word)
            | Q(first_name__icontains=word)
            | Q(address__street__name__icontains=word)
            | Q(address__locality__icontains=word)
        )
    for need in filters.needs:
        if need in NEED_KEYS:
            persons = persons.filter(**{need: True})
    if filters.zone_id is not None:
        persons = persons.filter(
            address_id__in=ZoneMembership.objects.filter(zone_id=filters.zone_id).values(
                "address_id"
            )
        )
    if filters.situation:
        persons = persons.filter(situation=filters.situation)
    if filters.to_reconfirm:
        persons = persons.filter(last_confirmed_on__lt=reconfirm_cutoff())
    if filters.address_id is not None:
        persons = persons.filter(address_id=filters.address_id)
    return persons.order_by("last_name", "first_name", "pk")


def registry_person_get(*, organisation: Organisation, person_id: int) -> VulnerablePerson | None:
    return _base(organisation).filter(pk=person_id).first()


def registry_zones(*, organisation: Organisation) -> QuerySet[Zone]:
    return Zone.objects.filter(organisation=organisation).order_by("kind", "name")


def _priority(person: VulnerablePerson) -> tuple[bool, bool, bool, date, str, str, int]:
    # Who to call first when the plan is triggered: a power cut or heat wave endangers life
    # support first, then those who cannot leave or fetch help, then the isolated, oldest first.
    return (
        not person.electricity_dependent,
        not person.reduced_mobility,
        not person.lives_alone,
        person.birth_date,
        person.last_name,
        person.first_name,
        person.pk,
    )


def registry_call_list(*, alert: Alert) -> list[VulnerablePerson]:
    """Registered persons living in the alert's target, the most at risk first.

    The target is the union of the alert's zones (through the stored ``ZoneMembership``), or
    the whole organisation when ``whole_territory``. Order: electricity-dependent, reduced
    mobility, lives alone, then age (oldest first). Not audited: callers audit their reads.
    """
    persons = alert_vulnerable_in_target(alert=alert).select_related(
        "address", "address__street", "address__commune"
    )
    return sorted(persons, key=_priority)


def registry_alerts_with_call_sheet(*, organisation: Organisation) -> QuerySet[Alert]:
    """Recent alerts asking for the registered persons to be called (not drafts)."""
    return (
        Alert.objects.filter(organisation=organisation, include_vulnerable=True)
        .exclude(status__in=[Alert.Status.DRAFT, Alert.Status.CANCELLED])
        .order_by("-created_at")[:10]
    )


def registry_alert_get(*, organisation: Organisation, alert_id: int) -> Alert | None:
    return Alert.objects.filter(organisation=organisation, pk=alert_id).first()


def registry_map_features(*, persons: list[VulnerablePerson]) -> dict[str, Any]:
    """One GeoJSON point per address with registered persons, and nothing that names them.

    A map is shown on screens in a crisis room: the popup says how many persons live there
    and their needs, and links to the list of that address (an audited read), never a name.
    """
    by_address: dict[int, list[VulnerablePerson]] = {}
    for person in persons:
        by_address.setdefault(person.address_id, []).append(person)
    features = []
    for address_id, group in by_address.items():
        address = group[0].address
        needs = sorted({need for person in group for need in person_needs(person)})
        count = len(group)
        features.append(
            {
                "type": "Feature",
                "id": address_id,
                "geometry": {"type": "Point", "coordinates": [address.lon, address.lat]},
                "properties": {
                    "name": ngettext(
                        "%(count)d registered person", "%(count)d registered persons", count
                    )
                    % {"count": count},
                    "kind_label": ", ".join(needs),
                    "count": count,
                    "address": address.label,
                },
            }
        )
    return {"type": "FeatureCollection", "features": features}
