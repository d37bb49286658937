"""Associations: every write.

A resident creates a profile or claims an imported one; an agent validates or refuses it
(with a reason the resident reads); validated managers and agents edit it; the RNA import
fills and refreshes the directory. Every decision is audited.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from beffroi.accounts.models import User
from beffroi.core.audit import audit_record
from beffroi.core.imports import ImportReport, Progress, RefusedLine, import_run
from beffroi.core.ratelimit import rate_hit
from beffroi.core.uploads import FileRefused, image_checked

# participation's file checks (re-encoded images), reached through its services as the
# import rules want: they would belong in core/ once a third domain needs them.
from beffroi.territory.models import Commune, Organisation
from beffroi.territory.selectors import addresses_resolve, organisation_url
from beffroi.volunteering.associations import rna
from beffroi.volunteering.associations.rna import siren_valid
from beffroi.volunteering.models import (
    Activity,
    Association,
    AssociationActivity,
    ManagerInvitation,
    Membership,
)
from beffroi.volunteering.notify import email_send


class AssociationRefused(Exception):
    """A write the rules refuse; ``str()`` is a translated message for the person."""


@dataclass
class AssociationInput:
    """A profile as a form or the API sends it (validated by the form)."""

    name: str
    purpose: str = ""
    short_name: str = ""
    rna: str = ""
    siren: str = ""
    activities: list[str] = field(default_factory=list)
    street_address: str = ""
    address_complement: str = ""
    postcode: str = ""
    city: str = ""
    lat: float | None = None
    lon: float | None = None
    email: str = ""
    phone: str = ""
    contact_name: str = ""
    website: str = ""
    opening_hours: str = ""
    public_served: str = ""
    wheelchair_accessible: bool = False
    accessibility: str = ""

    PROFILE_FIELDS = (
        "name",
        "short_name",
        "rna",
        "siren",
        "purpose",
        "street_address",
        "address_complement",
        "postcode",
        "city",
        "lat",
        "lon",
        "email",
        "phone",
        "contact_name",
        "website",
        "opening_hours",
        "public_served",
        "wheelchair_accessible",
        "accessibility",
    )


def _check_input(data: AssociationInput) -> None:
    if not data.name.strip():
        raise AssociationRefused(_("The name is required."))
    if data.rna and not rna.RNA_NUMBER.fullmatch(data.rna):
        raise AssociationRefused(
            _("An RNA number is a W followed by 9 characters, such as W551000123.")
        )
    if data.siren and not siren_valid(data.siren):
        raise AssociationRefused(_("This SIREN number is not valid (9 digits, checksum)."))
    unknown = set(data.activities) - set(Activity.values)
    if unknown:
        raise AssociationRefused(_("Unknown activity: %(value)s.") % {"value": sorted(unknown)[0]})


def _address_query(association: Association) -> str:
    return " ".join(
        part
        for part in (association.street_address, association.postcode, association.city)
        if part
    )


def _locate(organisation: Organisation, associations: list[Association]) -> None:
    """Place each association without a point at its address, found among the commune's BAN
    addresses (one batch for an import); an address not found leaves it off the map."""
    wanted = [a for a in associations if a.lat is None and a.street_address]
    if not wanted:
        return
    matches = addresses_resolve(
        organisation=organisation, queries=[_address_query(a) for a in wanted]
    )
    for association, match in zip(wanted, matches, strict=True):
        if match is not None:
            association.lat, association.lon = match.lat, match.lon


def _set_activities(association: Association, activities: list[str]) -> None:
    association.activities.exclude(activity__in=activities).delete()
    known = set(association.activities.values_list("activity", flat=True))
    AssociationActivity.objects.bulk_create(
        [
            AssociationActivity(association=association, activity=a)
            for a in activities
            if a not in known
        ]
    )


def _store_logo(association: Association, logo: UploadedFile[bytes]) -> None:
    try:
        checked = image_checked(logo, stem="logo")
    except FileRefused as exc:
        raise AssociationRefused(str(exc)) from exc
    old = str(association.logo.name or "") if association.logo else ""
    association.logo.save(checked.name, checked.content, save=False)
    association.logo_type = checked.content_type
    if old:
        storage = association.logo.storage
        transaction.on_commit(lambda: storage.delete(old))


def _commune_insee(organisation: Organisation, city: str, postcode: str) -> str:
    from beffroi.territory.text import fold

    for commune in Commune.objects.filter(organisation=organisation):
        if fold(commune.name) == fold(city) or (postcode and commune.postcode == postcode):
            return commune.insee_code
    return ""


@transaction.atomic
def association_create(
    *,
    organisation: Organisation,
    user: User,
    data: AssociationInput,
    message: str = "",
    logo: UploadedFile[bytes] | None = None,
) -> Association:
    """A resident's new profile, pending until an agent validates it; the resident is its
    owner once it is. A profile whose RNA number is already in the directory is refused:
    the resident claims that one instead."""
    _check_input(data)
    if data.rna and Association.objects.filter(organisation=organisation, rna=data.rna).exists():
        raise AssociationRefused(
            _("An association with this RNA number is already in the directory: claim it.")
        )
    association = Association(
        organisation=organisation,
        status=Association.Status.PENDING,
        source=Association.Source.RESIDENT,
    )
    for name in AssociationInput.PROFILE_FIELDS:
        setattr(association, name, getattr(data, name))
    association.insee_code = _commune_insee(organisation, data.city, data.postcode)
    _locate(organisation, [association])
    if logo is not None:
        _store_logo(association, logo)
    try:
        with transaction.atomic():
            association.save()
    except IntegrityError as exc:  # the same RNA number created at the same moment
        raise AssociationRefused(
            _("An association with this RNA number is already in the directory: claim it.")
        ) from exc
    _set_activities(association, data.activities)
    Membership.objects.create(
        association=association, user=user, role=Membership.Role.OWNER, message=message
    )
    audit_record(
        action="association.create", organisation=organisation, actor=user, target=association
    )
    return association


@transaction.atomic
def association_claim(*, association: Association, user: User, message: str) -> Membership:
    """A resident asks to manage an imported profile; an agent decides. ``message`` says
    who they are in the association, so that the agent can check it."""
    association = Association.objects.select_for_update(of=("self",)).get(pk=association.pk)
    if not message.strip():
        raise AssociationRefused(_("Tell the commune who you are in the association."))
    if association.status != Association.Status.IMPORTED or association.dissolved_on:
        raise AssociationRefused(
            _("This profile cannot be claimed: it is already managed or being examined.")
        )
    existing = Membership.objects.filter(association=association, user=user).first()
    if existing is not None:
        existing.delete()  # a claim refused earlier: the new one replaces it
    membership = Membership.objects.create(
        association=association, user=user, role=Membership.Role.OWNER, message=message.strip()
    )
    association.status = Association.Status.PENDING
    association.save(update_fields=["status", "updated_at"])
    audit_record(
        action="association.claim",
        organisation=association.organisation,
        actor=user,
        target=association,
    )
    return membership


@transaction.atomic
def association_validate(*, association: Association, actor: User) -> Association:
    """An agent accepts the creation or the claim: the profile is validated and its pending
    claimants become its managers."""
    association = Association.objects.select_for_update(of=("self",)).get(pk=association.pk)
    if association.status != Association.Status.PENDING:
        raise AssociationRefused(_("This profile is not awaiting validation."))
    now = timezone.now()
    association.status = Association.Status.VALIDATED
    association.refusal_reason = ""
    association.decided_at = now
    association.decided_by = actor
    association.save(
        update_fields=["status", "refusal_reason", "decided_at", "decided_by", "updated_at"]
    )
    accepted = association.memberships.filter(state=Membership.State.PENDING).update(
        state=Membership.State.ACTIVE, decided_at=now, refusal_reason=""
    )
    audit_record(
        action="association.validate",
        organisation=association.organisation,
        actor=actor,
        target=association,
        data={"managers": accepted},
    )
    return association


@transaction.atomic
def association_refuse(*, association: Association, actor: User, reason: str) -> Association:
    """An agent refuses, saying why (the resident reads it). A refused claim leaves the
    imported profile in the directory as it was; a refused creation stays hidden."""
    association = Association.objects.select_for_update(of=("self",)).get(pk=association.pk)
    reason = reason.strip()
    if not reason:
        raise AssociationRefused(_("Give the reason of the refusal: the resident reads it."))
    if association.status != Association.Status.PENDING:
        raise AssociationRefused(_("This profile is not awaiting validation."))
    now = timezone.now()
    claim = association.source == Association.Source.RNA
    association.status = Association.Status.IMPORTED if claim else Association.Status.REFUSED
    association.refusal_reason = "" if claim else reason
    association.decided_at = now
    association.decided_by = actor
    association.save(
        update_fields=["status", "refusal_reason", "decided_at", "decided_by", "updated_at"]
    )
    association.memberships.filter(state=Membership.State.PENDING).update(
        state=Membership.State.REFUSED, decided_at=now, refusal_reason=reason
    )
    audit_record(
        action="association.refuse",
        organisation=association.organisation,
        actor=actor,
        target=association,
        reason=reason,
        data={"claim": claim},
    )
    return association


@transaction.atomic
def association_update(
    *,
    association: Association,
    actor: User,
    data: AssociationInput,
    by_agent: bool,
    logo: UploadedFile[bytes] | None = None,
    remove_logo: bool = False,
) -> Association:
    """Edit a profile (the caller checked the actor may). The registry fields a manager
    changes are remembered so that a re-import of the RNA never overwrites them; an agent's
    correction counts the same."""
    association = Association.objects.select_for_update(of=("self",)).get(pk=association.pk)
    if association.source == Association.Source.RNA:
        data.rna = association.rna  # what a re-import finds the profile by
    _check_input(data)
    if (
        data.rna
        and Association.objects.filter(organisation=association.organisation, rna=data.rna)
        .exclude(pk=association.pk)
        .exists()
    ):
        raise AssociationRefused(_("Another association of the directory has this RNA number."))
    changed = [
        name
        for name in AssociationInput.PROFILE_FIELDS
        if getattr(association, name) != getattr(data, name)
    ]
    address_changed = any(n in changed for n in ("street_address", "postcode", "city"))
    for name in changed:
        setattr(association, name, getattr(data, name))
    if address_changed and "lat" not in changed and "lon" not in changed:
        association.lat = association.lon = None
    _locate(association.organisation, [association])
    # A point placed by hand is kept too: a re-import never moves it back to the address.
    tracked = {*Association.RNA_FIELDS, "lat", "lon"}
    kept = set(association.manager_fields) | (set(changed) & tracked)
    association.manager_fields = sorted(kept)
    if logo is not None:
        _store_logo(association, logo)
    elif remove_logo and association.logo:
        old, storage = str(association.logo.name or ""), association.logo.storage
        association.logo = ""  # type: ignore[assignment]
        association.logo_type = ""
        transaction.on_commit(lambda: storage.delete(old))
    association.save()
    before = set(association.activity_values)
    _set_activities(association, data.activities)
    if before != set(data.activities):
        changed.append("activities")
    audit_record(
        action="association.update",
        organisation=association.organisation,
        actor=actor,
        target=association,
        data={"fields": changed, "by_agent": by_agent},
    )
    return association


# An invitation's link stays valid two weeks; an association sends at most 20 a day, at most
# 3 to one address, and an address receives at most 10 a day whoever sends them (each is an
# e-mail reaching a person; one association cannot use up another's).
INVITATION_DAYS = 14
INVITATIONS_PER_ASSOCIATION_PER_DAY = 20
INVITATIONS_PER_ADDRESS_PER_DAY = 3
INVITATIONS_TO_ADDRESS_PER_DAY = 10
DAY_SECONDS = 86_400


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def manager_invite(
    *, association: Association, actor: User, email: str, role: str
) -> ManagerInvitation:
    """An owner invites a person, by e-mail address, to manage the profile as owner or
    editor. The answer is the same whether the address has an account or not; the person
    becomes a manager only by accepting (``manager_invitation_accept``). A new invitation to
    the same address replaces the previous one. Audited, without the address."""
    if role not in Membership.Role.values:
        raise AssociationRefused(_("Choose a role."))
    email = email.strip()
    active = Membership.objects.filter(
        association=association, user__email__iexact=email, state=Membership.State.ACTIVE
    )
    if active.exists():
        raise AssociationRefused(_("This person already manages the profile."))
    # The address's own limits first: a refusal there leaves the association's allowance.
    for key, limit in (
        (f"vol-invite-to:{association.pk}:{email.lower()}", INVITATIONS_PER_ADDRESS_PER_DAY),
        (f"vol-invite-address:{email.lower()}", INVITATIONS_TO_ADDRESS_PER_DAY),
        (f"vol-invite-association:{association.pk}", INVITATIONS_PER_ASSOCIATION_PER_DAY),
    ):
        if not rate_hit(key, limit=limit, window_seconds=DAY_SECONDS).allowed:
            raise AssociationRefused(
                _("Too many invitations have been sent today: try again tomorrow.")
            )
    token = secrets.token_urlsafe(24)
    now = timezone.now()
    with transaction.atomic():
        stale = Q(email__iexact=email) | Q(expires_at__lte=now)
        ManagerInvitation.objects.filter(stale, association=association).delete()
        invitation = ManagerInvitation.objects.create(
            association=association,
            email=email,
            role=role,
            invited_by=actor,
            token_hash=_token_hash(token),
            expires_at=now + timedelta(days=INVITATION_DAYS),
        )
        audit_record(
            action="association.manager_invite",
            organisation=association.organisation,
            actor=actor,
            target=association,
            data={"invitation": invitation.pk, "role": role},
        )
        transaction.on_commit(lambda: _invitation_send(invitation, token))
    return invitation


def _invitation_send(invitation: ManagerInvitation, token: str) -> None:
    association = invitation.association
    organisation = association.organisation
    link = organisation_url(
        organisation, reverse("volunteering_associations:invitation", args=[token])
    )
    inviter = invitation.invited_by
    values = {
        "inviter": (inviter.full_name or inviter.email) if inviter else organisation.name,
        "name": association.name,
        "site": organisation.name,
        "role": str(Membership.Role(invitation.role).label).lower(),
        "email": invitation.email,
        "link": link,
        "until": formats.date_format(timezone.localdate(invitation.expires_at), "DATE_FORMAT"),
    }
    text = "\n\n".join(
        [
            _("Hello,"),
            _(
                "%(inviter)s invites you to manage the profile of the association “%(name)s” "
                "on the site “%(site)s”, as %(role)s."
            )
            % values,
            _(
                "To accept, log in with the account of this address (%(email)s), or create "
                "one, then open this link:"
            )
            % values
            + f"\n{link}",
            _("The link is valid until %(until)s.") % values,
            _("If you do not know this association, ignore this e-mail: nothing changes.") % values,
        ]
    )
    email_send(
        sender_name=organisation.name,
        key=f"vol-invite-{invitation.pk}",
        to=invitation.email,
        subject=_("Invitation to manage “%(name)s”") % values,
        text=text,
    )


def _live(organisation: Organisation, token: str) -> QuerySet[ManagerInvitation]:
    """The invitation a link carries, on this organisation's site, if not expired."""
    return ManagerInvitation.objects.filter(
        token_hash=_token_hash(token),
        association__organisation=organisation,
        expires_at__gt=timezone.now(),
    )


def manager_invitation_valid(*, organisation: Organisation, token: str) -> ManagerInvitation | None:
    """The live invitation this link carries, on this organisation's site; None otherwise."""
    return _live(organisation, token).select_related("association", "invited_by").first()


@transaction.atomic
def manager_invitation_accept(*, organisation: Organisation, token: str, user: User) -> Membership:
    """The invited person accepts, logged in with a verified account of the invited address;
    the invitation is used up."""
    invitation = (
        _live(organisation, token)
        .select_for_update(of=("self",))
        .select_related("association")
        .first()
    )
    if invitation is None:
        raise AssociationRefused(
            _("This invitation is no longer valid: ask the association for a new one.")
        )
    if user.email.strip().lower() != invitation.email.strip().lower():
        raise AssociationRefused(
            _(
                "This invitation was sent to another e-mail address: log in with the account "
                "of that address to accept it."
            )
        )
    if user.email_verified_at is None:
        raise AssociationRefused(
            _("Confirm your e-mail address first (the link sent when you created the account).")
        )
    association = invitation.association
    existing = Membership.objects.filter(association=association, user=user).first()
    if existing is not None and existing.state == Membership.State.ACTIVE:
        # Already a manager (made one meanwhile): the invitation is used up, nothing else.
        invitation.delete()
        return existing
    if existing is not None:
        existing.delete()
    membership = Membership.objects.create(
        association=association,
        user=user,
        role=invitation.role,
        state=Membership.State.ACTIVE,
        decided_at=timezone.now(),
    )
    audit_record(
        action="association.manager_add",
        organisation=association.organisation,
        actor=user,
        target=association,
        data={
            "user": user.pk,
            "role": invitation.role,
            "invited_by": invitation.invited_by_id,
        },
    )
    invitation.delete()
    return membership


def manager_invitation_decline(*, organisation: Organisation, token: str) -> bool:
    """Whoever holds the link declines it: the invitation is gone. False if it was not live."""
    invitation = manager_invitation_valid(organisation=organisation, token=token)
    if invitation is None:
        return False
    invitation.delete()
    return True


def manager_invitation_withdraw(*, invitation: ManagerInvitation, actor: User) -> None:
    """An owner withdraws an invitation not yet accepted. Audited."""
    association, invitation_id = invitation.association, invitation.pk
    invitation.delete()
    audit_record(
        action="association.manager_invitation_withdraw",
        organisation=association.organisation,
        actor=actor,
        target=association,
        data={"invitation": invitation_id},
    )


@transaction.atomic
def membership_remove(*, membership: Membership, actor: User) -> None:
    """An owner takes a manager off the profile (or a manager leaves it); the last owner
    stays, so that a validated profile always has someone who answers for it."""
    association = Association.objects.select_for_update(of=("self",)).get(
        pk=membership.association_id
    )
    if membership.role == Membership.Role.OWNER and membership.state == Membership.State.ACTIVE:
        owners = association.memberships.filter(
            role=Membership.Role.OWNER, state=Membership.State.ACTIVE
        ).count()
        if owners <= 1:
            raise AssociationRefused(
                _("The last owner cannot be removed: add another owner first.")
            )
    membership.delete()
    audit_record(
        action="association.manager_remove",
        organisation=association.organisation,
        actor=actor,
        target=association,
        data={"user": membership.user_id},
    )


# --- RNA import ------------------------------------------------------------------------------


@dataclass
class RnaImportReport(ImportReport):
    dissolved: int = 0
    elsewhere: int = 0
    unchanged: int = 0
    located: int = 0
    notes: list[str] = field(default_factory=list)


def _insee_codes(organisation: Organisation, insee: str | None) -> set[str]:
    if insee:
        return {insee.strip().upper()}
    return set(
        Commune.objects.filter(organisation=organisation).values_list("insee_code", flat=True)
    )


def _rna_values(row: rna.RnaRow) -> dict[str, object]:
    return {
        "name": row.name,
        "short_name": row.short_name,
        "purpose": row.purpose,
        "siren": row.siren,
        "street_address": row.street_address,
        "address_complement": row.address_complement,
        "postcode": row.postcode,
        "city": row.city,
        "insee_code": row.insee_code,
        "website": row.website,
    }


def rna_import(
    *,
    organisation: Organisation,
    data: bytes,
    insee: str | None = None,
    progress: Progress | None = None,
    partial: bool = False,
    actor: User | None = None,
    file_name: str = "",
) -> RnaImportReport:
    """Import the RNA "waldec" export ``data`` into the organisation's directory.

    Lines of communes other than ``insee`` (by default, the organisation's communes) are
    skipped, as are dissolved associations (an existing profile is then taken off the
    directory). A new RNA number creates an "imported" profile; a known one is updated, field
    by field, except the fields its managers changed (``manager_fields``). Refused lines are
    refused whole with every refused line reported (``ImportRefused``: nothing written), as
    every import is, unless ``partial`` (the accepted lines imported, the refused reported);
    a file that is not a waldec export is always refused whole.
    """
    report = RnaImportReport()
    codes = _insee_codes(organisation, insee)
    rows = rna.rna_rows(data, report)
    first_line: dict[str, int] = {}

    def check(line: int, cells: dict[str, str]) -> rna.RnaRow | RefusedLine | None:
        # Another commune's line is skipped unread: a department's file is not the commune's
        # to correct. A line cut wrong has no reliable commune: it is refused.
        if not rna.rna_misshapen(cells) and (
            cells.get("adrs_codeinsee", "").strip().upper() not in codes
        ):
            return None
        result = rna.rna_parse(line, cells)
        if isinstance(result, RefusedLine):
            return result
        if result.rna in first_line:
            return RefusedLine(
                line,
                _("the RNA number %(rna)s already appears on line %(other)d")
                % {"rna": result.rna, "other": first_line[result.rna]},
            )
        first_line[result.rna] = line
        for note in result.notes:
            report.notes.append(_("line %(line)d: %(note)s") % {"line": line, "note": note})
        return result

    def write(parsed: list[rna.RnaRow | None], step: Progress) -> None:
        accepted = [row for row in parsed if row is not None]
        report.elsewhere = len(parsed) - len(accepted)
        existing = {
            a.rna: a
            for a in Association.objects.select_for_update(of=("self",)).filter(
                organisation=organisation, rna__in=[row.rna for row in accepted]
            )
        }
        new: list[Association] = []
        changed: list[Association] = []
        activities: dict[str, list[str]] = {}
        for done, row in enumerate(accepted, start=1):
            association = existing.get(row.rna)
            if row.dissolved:
                if association is not None and association.dissolved_on is None:
                    association.dissolved_on = row.dissolved_on or timezone.localdate()
                    changed.append(association)
                else:
                    report.dissolved += 1
            elif association is None:
                association = Association(
                    organisation=organisation,
                    rna=row.rna,
                    status=Association.Status.IMPORTED,
                    source=Association.Source.RNA,
                    created_on=row.created_on,
                    rna_updated_at=row.updated_at,
                    **_rna_values(row),  # type: ignore[arg-type]
                )
                new.append(association)
                activities[row.rna] = row.activities
            else:
                kept = set(association.manager_fields)
                dirty = False
                for name, value in _rna_values(row).items():
                    if name not in kept and getattr(association, name) != value:
                        setattr(association, name, value)
                        dirty = True
                        if name in ("street_address", "postcode", "city") and not (
                            {"lat", "lon"} & kept
                        ):
                            association.lat = association.lon = None
                if association.dissolved_on is not None:
                    association.dissolved_on = None  # declared active again
                    dirty = True
                if dirty:
                    association.rna_updated_at = row.updated_at
                    changed.append(association)
                else:
                    report.unchanged += 1
            step(done, len(accepted) + 1)
        _locate(organisation, new + changed)
        report.located = sum(1 for a in new if a.lat is not None)
        for association in new + changed:
            association.save()
        AssociationActivity.objects.bulk_create(
            [
                AssociationActivity(association=a, activity=activity)
                for a in new
                for activity in activities[a.rna]
            ]
        )
        report.created = len(new)
        report.updated = len(changed)
        report.skipped = report.dissolved + report.elsewhere + report.unchanged
        audit_record(
            action="association.import_rna",
            organisation=organisation,
            actor=actor,
            data={
                "file": file_name,
                "imported": report.created,
                "updated": report.updated,
                "skipped": report.skipped,
                "refused": len(report.refused),
            },
        )

    import_run(report, rows, check=check, write=write, progress=progress, partial=partial)
    return report


def rna_import_file(
    *,
    organisation: Organisation,
    path: Path,
    insee: str | None = None,
    progress: Progress | None = None,
    partial: bool = False,
    actor: User | None = None,
) -> RnaImportReport:
    """``rna_import`` of a file on disk (the command's and the demo's way in)."""
    from beffroi.core.imports import ImportRefused

    try:
        data = path.read_bytes()
    except OSError as exc:
        report = RnaImportReport()
        report.problems.append(
            _("The file cannot be read: %(error)s") % {"error": exc.strerror or exc}
        )
        raise ImportRefused(report) from exc
    return rna_import(
        organisation=organisation,
        data=data,
        insee=insee,
        progress=progress,
        partial=partial,
        actor=actor,
        file_name=path.name,
    )


# --- GDPR ------------------------------------------------------------------------------------


def export_associations(user: User) -> list[dict[str, object]]:
    """The profiles the person manages or asked to manage, and the invitations to their
    address."""
    rows: list[dict[str, object]] = [
        {
            "association": m.association.name,
            "rna": m.association.rna,
            "role": m.role,
            "state": m.state,
            "message": m.message,
            "refusal_reason": m.refusal_reason,
            "requested_at": m.created_at.isoformat(),
        }
        for m in Membership.objects.filter(user=user).select_related("association")
    ]
    return rows + [
        {
            "association": i.association.name,
            "rna": i.association.rna,
            "role": i.role,
            "state": "invited",
            "invited_at": i.created_at.isoformat(),
            "expires_at": i.expires_at.isoformat(),
        }
        for i in ManagerInvitation.objects.filter(email__iexact=user.email).select_related(
            "association"
        )
    ]


def erase_associations(user: User) -> None:
    """The person stops managing any profile; the profiles stay (they are the associations'
    public data, not the person's)."""
    Membership.objects.filter(user=user).delete()
    if user.email:
        ManagerInvitation.objects.filter(email__iexact=user.email).delete()
