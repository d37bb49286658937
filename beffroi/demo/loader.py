"""Load the demo commune through the same services a real commune's data goes through."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils import timezone
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from beffroi.accounts.models import Role, RoleAssignment, User
from beffroi.accounts.services import BACKUP_DEVICE_NAME, TOTP_DEVICE_NAME
from beffroi.core.models import AuditEvent
from beffroi.demo import addresses, geography, people
from beffroi.demo import constants as c
from beffroi.demo.alerts import demo_alert_history, demo_alerts_remove, demo_registry
from beffroi.demo.budgets import demo_budgets
from beffroi.demo.participation import demo_participation
from beffroi.demo.realisations import demo_realisations
from beffroi.demo.volunteering import demo_associations
from beffroi.demo.volunteering_applications import demo_applications
from beffroi.demo.volunteering_callouts import demo_callouts
from beffroi.demo.volunteering_missions import demo_missions
from beffroi.demo.volunteering_needs import demo_needs
from beffroi.demo.volunteering_volunteers import demo_volunteers
from beffroi.territory.models import (
    Address,
    Commune,
    Organisation,
    OrganisationHost,
    Street,
    Zone,
)
from beffroi.territory.services import ban_import, zones_import_geojson

Progress = Callable[[str], None]
ZONE_KINDS = ("district", "hamlet", "flood", "risk")


class DemoError(Exception):
    """The demo cannot be loaded as asked; the message says what to do."""


@dataclass(frozen=True)
class DemoReport:
    loaded: bool  # False when the demo was already there and nothing was changed
    organisation: Organisation
    zones: int
    streets: int
    addresses: int
    residents: int
    agents: int
    files: tuple[Path, ...] = ()


def _counts(
    organisation: Organisation, *, loaded: bool, files: tuple[Path, ...] = ()
) -> DemoReport:
    agent_emails = [login.email for login in c.demo_logins()]
    return DemoReport(
        loaded=loaded,
        organisation=organisation,
        zones=Zone.objects.filter(organisation=organisation).count(),
        streets=Street.objects.filter(organisation=organisation).count(),
        addresses=Address.objects.filter(organisation=organisation).count(),
        residents=User.objects.filter(
            email__endswith=f"@{c.EMAIL_DOMAIN}",
            role_assignments__organisation=organisation,
            role_assignments__role=Role.RESIDENT,
        )
        .exclude(email__in=agent_emails)
        .count(),
        agents=User.objects.filter(email__in=agent_emails).count(),
        files=files,
    )


def _remove(organisation: Organisation) -> None:
    """Delete the demo organisation, its people and (only for it) its audit trail."""
    AuditEvent.objects.filter(organisation=organisation).delete()
    # Alerts protect their authors, places their addresses: they go first.
    demo_alerts_remove(organisation=organisation)
    User.objects.filter(email__endswith=f"@{c.EMAIL_DOMAIN}").delete()
    organisation.delete()


def _organisation(progress: Progress) -> Organisation:
    for other in Organisation.objects.filter(is_default=True):
        progress(f"“{other.name}” is no longer the default organisation.")
        other.is_default = False
        other.save(update_fields=["is_default"])
    organisation = Organisation.objects.create(
        name=c.ORGANISATION_NAME,
        slug=c.ORGANISATION_SLUG,
        kind=Organisation.Kind.COMMUNE,
        is_default=True,
        contact_email=c.CONTACT_EMAIL,
        contact_phone=c.CONTACT_PHONE,
        postal_address=c.POSTAL_ADDRESS,
        opening_hours=c.OPENING_HOURS,
        website=c.WEBSITE,
        center_lat=c.CENTRE_LAT,
        center_lon=c.CENTRE_LON,
        default_zoom=c.DEFAULT_ZOOM,
    )
    for index, host in enumerate(c.HOSTS):
        OrganisationHost.objects.update_or_create(
            host=host, defaults={"organisation": organisation, "is_primary": index == 0}
        )
    return organisation


def _commune(organisation: Organisation, geo: geography.Geography) -> Commune:
    min_lon, min_lat, max_lon, max_lat = geography.boundary_bbox(geo)
    return Commune.objects.create(
        organisation=organisation,
        insee_code=c.INSEE_CODE,
        name=c.COMMUNE_NAME,
        postcode=c.POSTCODE,
        boundary=geography.boundary_geojson(geo),
        min_lon=min_lon,
        min_lat=min_lat,
        max_lon=max_lon,
        max_lat=max_lat,
    )


def _people(organisation: Organisation, progress: Progress) -> tuple[int, int]:
    now = timezone.now()
    logins = c.demo_logins()
    agents = []
    for login in logins:
        user = User(
            email=login.email,
            full_name=login.full_name,
            language="fr",
            email_verified_at=now,
        )
        user.set_password(login.password)
        agents.append(user)
    User.objects.bulk_create(agents)
    # One hash for every resident: Argon2 costs a noticeable fraction of a second by design.
    shared_hash = make_password(c.RESIDENT_PASSWORD)
    residents = [
        User(
            email=person.email,
            full_name=person.full_name,
            phone=person.phone,
            language="fr",
            password=shared_hash,
            email_verified_at=now,
            privacy_consented_at=now,
        )
        for person in people.generate()
    ]
    User.objects.bulk_create(residents, batch_size=500)
    progress(f"{len(residents)} residents and {len(agents)} agents created.")
    by_email = {u.email: u for u in User.objects.filter(email__endswith=f"@{c.EMAIL_DOMAIN}")}
    assignments = [
        RoleAssignment(user=by_email[r.email], organisation=organisation, role=Role.RESIDENT)
        for r in residents
    ]
    for login in logins:
        user = by_email[login.email]
        assignments.append(RoleAssignment(user=user, organisation=organisation, role=login.role))
        if login.role == Role.ASSOCIATION_MANAGER:
            assignments.append(
                RoleAssignment(user=user, organisation=organisation, role=Role.RESIDENT)
            )
        if login.two_factor:
            TOTPDevice.objects.create(
                user=user, name=TOTP_DEVICE_NAME, key=c.TOTP_KEY_HEX, confirmed=True
            )
            static = StaticDevice.objects.create(user=user, name=BACKUP_DEVICE_NAME, confirmed=True)
            StaticToken.objects.bulk_create(
                StaticToken(device=static, token=code) for code in c.BACKUP_CODES
            )
    RoleAssignment.objects.bulk_create(assignments, batch_size=500)
    return len(residents), len(agents)


def _login_email(role: str) -> str:
    return next(login.email for login in c.demo_logins() if login.role == role)


def demo_files(directory: Path) -> tuple[dict[str, Path], Path]:
    """Write the zones (one GeoJSON per kind) and the BAN file; return their paths."""
    directory.mkdir(parents=True, exist_ok=True)
    geo = geography.build()
    zone_files = {}
    for kind in ZONE_KINDS:
        path = directory / f"zones-{kind}.geojson"
        path.write_bytes(geography.zones_feature_collection(geo, kind))
        zone_files[kind] = path
    ban_path = directory / f"adresses-{c.INSEE_CODE}.csv"
    ban_path.write_bytes(addresses.ban_csv(addresses.generate(geo)))
    return zone_files, ban_path


def demo_load(
    *,
    reset: bool = False,
    progress: Progress | None = None,
    directory: Path | None = None,
) -> DemoReport:
    """Build Vaudrecourt-sur-Aulne, or leave it untouched when this version is loaded.

    All or nothing (one transaction). ``reset`` deletes the demo organisation and its demo
    accounts first. ``directory`` receives the generated GeoJSON and BAN files (default:
    ``<data dir>/demo``), so a tester can re-import them by hand.
    """
    say: Progress = progress or (lambda message: None)
    existing = Organisation.objects.filter(slug=c.ORGANISATION_SLUG).first()
    if existing is not None and not reset:
        if existing.settings.get("demo_version") == c.DEMO_VERSION:
            return _counts(existing, loaded=False)
        raise DemoError(
            f"An organisation “{existing.slug}” exists but is not the current demo "
            "(older demo or real data): run “beffroi demo --reset” to replace it."
        )
    directory = directory or Path(settings.DATA_DIR) / "demo"
    say("Generating the commune's geography and addresses…")
    zone_files, ban_path = demo_files(directory)
    with transaction.atomic():
        if existing is not None:
            say(f"Removing the current demo “{existing.name}”…")
            _remove(existing)
        organisation = _organisation(say)
        geo = geography.build()
        _commune(organisation, geo)
        for kind in ZONE_KINDS:
            zones = zones_import_geojson(
                organisation=organisation,
                data=zone_files[kind].read_bytes(),
                kind=kind,
                name_property="name",
            ).zones
            say(f"{len(zones)} zone(s) of kind “{kind}” imported.")

        last_percent = -1

        def ban_progress(done: int, total: int) -> None:
            nonlocal last_percent
            percent = 100 * done // max(total, 1)
            if percent // 25 != last_percent // 25:
                last_percent = percent
                say(f"Addresses: {percent}%")

        report = ban_import(organisation=organisation, path=ban_path, progress=ban_progress)
        say(
            f"{report.created} addresses on {report.streets_created} streets imported, "
            f"{report.memberships} zone memberships computed."
        )
        _people(organisation, say)
        alerts = demo_alert_history(
            organisation=organisation,
            author=User.objects.get(email=_login_email(Role.ALERT_AUTHOR)),
            approver=User.objects.get(email=_login_email(Role.ALERT_APPROVER)),
        )
        say(f"{alerts} alerts of the commune's history created.")
        persons = demo_registry(
            organisation=organisation,
            agent=User.objects.get(email=_login_email(Role.SOCIAL_AGENT)),
        )
        say(f"{persons} vulnerable persons registered by the CCAS.")
        participation = demo_participation(
            organisation=organisation,
            manager=User.objects.get(email=_login_email(Role.PARTICIPATION_MANAGER)),
            moderator=User.objects.get(email=_login_email(Role.MODERATOR)),
            front_desk=User.objects.get(email=_login_email(Role.FRONT_DESK)),
        )
        say(
            f"{participation.processes} participatory processes, {participation.proposals} "
            f"proposals, {participation.supports} supports, {participation.comments} comments, "
            f"{participation.responses} questionnaire responses and {participation.meetings} "
            "meetings written."
        )
        budgets = demo_budgets(
            organisation=organisation,
            manager=User.objects.get(email=_login_email(Role.PARTICIPATION_MANAGER)),
        )
        say(f"{budgets.budgets} participatory budgets, {budgets.ballots} ballots written.")
        realisations = demo_realisations(
            organisation=organisation,
            manager=User.objects.get(email=_login_email(Role.PARTICIPATION_MANAGER)),
        )
        say(
            f"{realisations.realisations} realisations, {realisations.milestones} milestones, "
            f"{realisations.evaluations} evaluations with {realisations.answers} answers "
            "written."
        )
        associations = demo_associations(
            organisation=organisation,
            agent=User.objects.get(email=_login_email(Role.PARTICIPATION_MANAGER)),
            manager=User.objects.get(email=_login_email(Role.ASSOCIATION_MANAGER)),
            resident=User.objects.get(email=_login_email(Role.RESIDENT)),
        )
        say(
            f"{associations.imported} associations imported from the demo RNA file "
            f"({associations.located} placed on the map), {associations.validated} validated "
            f"profile, {associations.pending} awaiting validation."
        )
        participation_manager = User.objects.get(email=_login_email(Role.PARTICIPATION_MANAGER))
        association_manager = User.objects.get(email=_login_email(Role.ASSOCIATION_MANAGER))
        resident = User.objects.get(email=_login_email(Role.RESIDENT))
        missions = demo_missions(
            organisation=organisation, agent=participation_manager, manager=association_manager
        )
        needs = demo_needs(
            organisation=organisation,
            agent=participation_manager,
            manager=association_manager,
            resident=resident,
        )
        volunteers = demo_volunteers(
            organisation=organisation,
            front_desk_agent=User.objects.get(email=_login_email(Role.FRONT_DESK)),
            resident=resident,
        )
        applications = demo_applications(organisation=organisation, manager=association_manager)
        reservists = demo_callouts(
            organisation=organisation,
            crisis_agent=User.objects.get(email=_login_email(Role.ALERT_APPROVER)),
        )
        say(
            f"{missions} volunteer missions, {needs} needs, {volunteers} volunteers, "
            f"{applications} applications, {reservists} reservists and a past call-out written."
        )
        organisation.settings = {**organisation.settings, "demo_version": c.DEMO_VERSION}
        organisation.save(update_fields=["settings"])
    files = (*zone_files.values(), ban_path)
    return _counts(organisation, loaded=True, files=files)
