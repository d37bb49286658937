"""Proposals, written: publish, edit within the window, withdraw, support, follow; and the
agents' side: the official answer, the feasibility review, proposals typed in on behalf of a
resident (workshop, paper form, telephone).

Residents' actions ask ``access.check`` (the active phase, who they are); agents' actions
check their role here too, so that a view, the API or a command calling a service cannot
skip a rule. Counters move with ``F()`` in the transaction that writes what they count.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from beffroi.accounts.access import has_role
from beffroi.accounts.models import User
from beffroi.core.audit import audit_record
from beffroi.core.phone import phone_e164, phone_parse
from beffroi.participation import access
from beffroi.participation.files import FileRefused, attachment_checked, image_checked
from beffroi.participation.models import (
    Action,
    Category,
    Follow,
    Meeting,
    Notification,
    Participant,
    Process,
    Proposal,
    ProposalFile,
    ProposalVersion,
    Support,
)
from beffroi.participation.moderation.services import participation_rate_check
from beffroi.participation.notifications.services import notify
from beffroi.participation.proposals import mapcache
from beffroi.participation.richtext import clean_html, plain_text
from beffroi.territory.models import Address, Zone
from beffroi.territory.selectors import InvalidPoint, address_zones, zones_at_point

MAX_IMAGES = 3
MAX_ATTACHMENTS = 3
TITLE_MIN = 5
BODY_MIN = 15
COST_MAX = Decimal("100000000")


@dataclass(frozen=True)
class Place:
    """Where a proposal is: an address of the territory, or a point placed on the map."""

    address_id: int | None = None
    lat: float | None = None
    lon: float | None = None


@dataclass(frozen=True)
class Upload:
    file: UploadedFile[bytes]
    # Images: what the picture shows, for people who cannot see it.
    alt_text: str = ""


@dataclass(frozen=True)
class ProposalInput:
    title: str
    body: str
    category_id: int | None = None
    place: Place | None = None
    estimated_cost: Decimal | None = None
    images: list[Upload] = field(default_factory=list)
    attachments: list[Upload] = field(default_factory=list)


@dataclass(frozen=True)
class _Located:
    address: Address | None
    lat: float | None
    lon: float | None
    zones: list[Zone]


def _clean_text(data: ProposalInput) -> tuple[str, str, dict[str, list[str]]]:
    errors: dict[str, list[str]] = {}
    title = " ".join(data.title.split())
    body = clean_html(data.body)
    if len(title) < TITLE_MIN:
        errors["title"] = [
            _("Give your proposal a title of at least %(n)s characters.") % {"n": TITLE_MIN}
        ]
    elif len(title) > Proposal._meta.get_field("title").max_length:  # type: ignore[operator]
        errors["title"] = [_("The title is too long: 150 characters at most.")]
    if len(plain_text(body)) < BODY_MIN:
        errors["body"] = [
            _("Describe your proposal in at least %(n)s characters.") % {"n": BODY_MIN}
        ]
    return title, body, errors


def _category(
    process: Process, category_id: int | None, errors: dict[str, list[str]]
) -> Category | None:
    if category_id is None:
        if process.categories.exists():
            errors["category"] = [_("Choose a category.")]
        return None
    category = Category.objects.filter(process=process, pk=category_id).first()
    if category is None:
        errors["category"] = [_("Choose one of the categories of this process.")]
    return category


def _locate(process: Process, place: Place | None, errors: dict[str, list[str]]) -> _Located:
    """The address or point, and the zones of the territory it lies in."""
    none = _Located(None, None, None, [])
    if place is None or (place.address_id is None and place.lat is None and place.lon is None):
        return none
    organisation = process.organisation
    if place.address_id is not None:
        address = (
            Address.objects.filter(organisation=organisation, pk=place.address_id)
            .select_related("street", "commune")
            .first()
        )
        if address is None:
            errors["address"] = [_("Choose an address of the territory.")]
            return none
        return _Located(address, address.lat, address.lon, address_zones(address=address))
    if place.lat is None or place.lon is None:
        errors["lat"] = [_("Give both the latitude and the longitude, or neither.")]
        return none
    try:
        zones = zones_at_point(organisation=organisation, lon=place.lon, lat=place.lat)
    except InvalidPoint:
        errors["lat"] = [_("This point is not a valid position.")]
        return none
    # A point far from the commune is a mistake (a swapped latitude and longitude).
    if not zones and not _near_territory(process, place.lat, place.lon):
        errors["lat"] = [_("This point lies outside the territory.")]
        return none
    return _Located(None, place.lat, place.lon, zones)


def _near_territory(process: Process, lat: float, lon: float) -> bool:
    organisation = process.organisation
    # About 30 km around the commune's centre: the territory of any commune or EPCI.
    return abs(lat - organisation.center_lat) <= 0.3 and abs(lon - organisation.center_lon) <= 0.4


def _cost(value: Decimal | None, errors: dict[str, list[str]]) -> Decimal | None:
    if value is not None and (value < 0 or value >= COST_MAX):
        errors["estimated_cost"] = [_("Give a cost between 0 and 100,000,000 €.")]
    return value


def _checked_files(
    data: ProposalInput, errors: dict[str, list[str]]
) -> list[tuple[str, Any, Upload]]:
    """Every upload checked by its content (images re-encoded); errors per field."""
    checked: list[tuple[str, Any, Upload]] = []
    if len(data.images) > MAX_IMAGES:
        errors["images"] = [_("%(n)s images at most.") % {"n": MAX_IMAGES}]
    if len(data.attachments) > MAX_ATTACHMENTS:
        errors["attachments"] = [_("%(n)s attachments at most.") % {"n": MAX_ATTACHMENTS}]
    for index, upload in enumerate(data.images[:MAX_IMAGES], start=1):
        key = f"image_{index}"
        if not upload.alt_text.strip():
            errors[f"image_alt_{index}"] = [_("Describe the image for people who cannot see it.")]
        try:
            checked.append((ProposalFile.Kind.IMAGE, image_checked(upload.file), upload))
        except FileRefused as exc:
            errors[key] = [str(exc)]
    for index, upload in enumerate(data.attachments[:MAX_ATTACHMENTS], start=1):
        try:
            checked.append((ProposalFile.Kind.ATTACHMENT, attachment_checked(upload.file), upload))
        except FileRefused as exc:
            errors[f"attachment_{index}"] = [str(exc)]
    return checked


def _display_name(upload: Upload) -> str:
    # Shown escaped, never used as a path: only the base name, bounded.
    name = (upload.file.name or "").replace("\\", "/").rsplit("/", 1)[-1].strip()
    return name[:200] or _("file")


def _store_files(proposal: Proposal, checked: list[tuple[str, Any, Upload]]) -> None:
    for kind, result, upload in checked:
        stored = ProposalFile(
            proposal=proposal,
            kind=kind,
            original_name=_display_name(upload),
            content_type=result.content_type,
            size=result.size,
            alt_text=upload.alt_text.strip()[:200] if kind == ProposalFile.Kind.IMAGE else "",
        )
        stored.file.save(f"{proposal.pk}-{result.name}", result.content, save=False)
        stored.save()


def _validated(
    process: Process, data: ProposalInput, *, files: bool = True
) -> tuple[str, str, Category | None, _Located, Decimal | None, list[tuple[str, Any, Upload]]]:
    title, body, errors = _clean_text(data)
    category = _category(process, data.category_id, errors)
    located = _locate(process, data.place, errors)
    cost = _cost(data.estimated_cost, errors)
    checked = _checked_files(data, errors) if files else []
    if errors:
        raise ValidationError(errors)
    return title, body, category, located, cost, checked


def _create(
    *,
    process: Process,
    author: Participant | None,
    data: ProposalInput,
    origin: str = Proposal.Origin.ONLINE,
    entered_by: User | None = None,
    meeting: Meeting | None = None,
    rate_limited: bool = False,
) -> Proposal:
    title, body, category, located, cost, checked = _validated(process, data)
    if rate_limited and author is not None:
        # After validation (a refused form costs nothing), before the transaction (a hit
        # counted inside one that rolls back would be lost).
        participation_rate_check(participant=author, kind="proposal")
    with transaction.atomic():
        proposal = Proposal.objects.create(
            organisation=process.organisation,
            process=process,
            author=author,
            title=title,
            body=body,
            category=category,
            address=located.address,
            lat=located.lat,
            lon=located.lon,
            estimated_cost=cost,
            origin=origin,
            entered_by=entered_by,
            meeting=meeting,
        )
        if located.zones:
            proposal.zones.set(located.zones)
        _store_files(proposal, checked)
        mapcache.map_changed(process.pk)
        if author is not None:
            # The author hears of comments and of the answer.
            Follow.objects.get_or_create(participant=author, proposal=proposal)
    return proposal


def proposal_create(
    *, process: Process, participant: Participant | None, data: ProposalInput
) -> Proposal:
    """Publish a resident's proposal. ``ActionRefused`` outside a proposals phase or for
    someone who may not propose; ``ValidationError`` (per field, nothing written) for bad
    input or a refused file."""
    author = access.check(participant, process, Action.PROPOSE)
    return _create(process=process, author=author, data=data, rate_limited=True)


def proposal_create_on_behalf(
    *,
    process: Process,
    agent: User,
    data: ProposalInput,
    origin: str,
    resident_name: str = "",
    contact: str = "",
    meeting_id: int | None = None,
    request: HttpRequest | None = None,
) -> Proposal:
    """A proposal made at a workshop, on a paper form or on the phone, typed in by an agent.

    The resident may have no account: the proposal is signed with the name they gave (or "a
    resident") and marked with its origin and the agent who typed it; the phone number or
    e-mail address they gave (``contact``) is kept, unpublished, to tell them of the official
    answer. Allowed while the process is published, whatever its phase (forms are typed
    after the workshop)."""
    if not has_role(agent, process.organisation, *access.ON_BEHALF_ROLES):
        raise access.ActionRefused(access.Decision(False, "forbidden", _("Not allowed.")))
    if process.status != Process.Status.PUBLISHED:
        raise access.ActionRefused(access.refused("not_published"))
    errors: dict[str, list[str]] = {}
    if origin not in {Proposal.Origin.WORKSHOP, Proposal.Origin.PAPER, Proposal.Origin.PHONE}:
        errors["origin"] = [_("Say where the proposal was made.")]
    meeting = None
    if meeting_id is not None:
        meeting = Meeting.objects.filter(process=process, pk=meeting_id).first()
        if meeting is None:
            errors["meeting"] = [_("Choose a meeting of this process.")]
    try:
        contact = contact_clean(contact)
    except ValidationError as error:
        errors["resident_contact"] = list(error.messages)
    if errors:
        try:
            _validated(process, data, files=False)
        except ValidationError as exc:
            errors.update(exc.message_dict)
        raise ValidationError(errors)
    with transaction.atomic():
        author = None
        name = " ".join(resident_name.split())[:80]
        if name:
            # A name to sign with, not an identity: this row cannot log in or take part.
            author = Participant.objects.create(
                organisation=process.organisation, display_name=name
            )
        proposal = _create(
            process=process,
            author=author,
            data=data,
            origin=origin,
            entered_by=agent,
            meeting=meeting,
        )
        if contact:
            proposal.contact = contact
            proposal.save(update_fields=["contact"])
        audit_record(
            action="participation.proposal_on_behalf",
            organisation=process.organisation,
            actor=agent,
            target=proposal,
            data={"origin": origin, "meeting": meeting_id},
            request=request,
        )
    return proposal


def contact_clean(raw: str) -> str:
    """A resident's contact as kept: an e-mail address (lower-cased domain) or a phone number
    in E.164; "" for none. Raises ``ValidationError`` saying what is wrong."""
    from django.core.validators import validate_email

    text = " ".join((raw or "").split())
    if not text:
        return ""
    if "@" in text:
        try:
            validate_email(text)
        except ValidationError:
            raise ValidationError(
                _("Enter a valid e-mail address or phone number."), code="contact"
            ) from None
        local, _at, domain = text.rpartition("@")
        return f"{local}@{domain.lower()}"
    return phone_e164(phone_parse(text))


def edit_deadline(proposal: Proposal) -> datetime:
    return proposal.created_at + timedelta(minutes=proposal.process.edit_window_minutes)


def can_edit(
    proposal: Proposal, participant: Participant | None, now: datetime | None = None
) -> bool:
    """May ``participant`` edit ``proposal`` now (its author, within the window)?"""
    now = now or timezone.now()
    return (
        participant is not None
        and proposal.author_id == participant.pk
        and proposal.state == Proposal.State.PUBLISHED
        and proposal.hidden_at is None
        and proposal.origin == Proposal.Origin.ONLINE
        and now < edit_deadline(proposal)
    )


def _refuse(code: str, message: str) -> access.ActionRefused:
    return access.ActionRefused(access.Decision(False, code, message))


def proposal_update(
    *,
    proposal: Proposal,
    participant: Participant | None,
    data: ProposalInput,
    now: datetime | None = None,
) -> Proposal:
    """Edit a proposal: its author, within the process's edit window, while proposals are
    open. What it said before is kept as a ``ProposalVersion``; files are not changed."""
    now = now or timezone.now()
    process = proposal.process
    author = access.check(participant, process, Action.PROPOSE, now=now)
    with transaction.atomic():
        current = (
            Proposal.objects.select_for_update(of=("self",))
            .select_related("category")
            .get(pk=proposal.pk)
        )
        current.process = process
        if current.author_id != author.pk:
            raise _refuse("not_author", _("Only its author can edit a proposal."))
        if current.state == Proposal.State.WITHDRAWN:
            raise _refuse(
                "withdrawn", _("This proposal was withdrawn: it can no longer be edited.")
            )
        if not can_edit(current, author, now):
            raise _refuse(
                "edit_window",
                _("This proposal can no longer be edited: the edit window is over."),
            )
        title, body, category, located, cost, _files = _validated(process, data, files=False)
        number = current.versions.count() + 1
        ProposalVersion.objects.create(
            proposal=current,
            number=number,
            title=current.title,
            body=current.body,
            category_name=current.category.name if current.category else "",
            estimated_cost=current.estimated_cost,
            edited_by=author,
        )
        current.title = title
        current.body = body
        current.category = category
        current.estimated_cost = cost
        fields = ["title", "body", "category", "estimated_cost", "updated_at"]
        if data.place is not None:
            current.address = located.address
            current.lat = located.lat
            current.lon = located.lon
            fields += ["address", "lat", "lon"]
            current.zones.set(located.zones)
        current.save(update_fields=fields)
        mapcache.map_changed(current.process_id)
    return current


def proposal_withdraw(*, proposal: Proposal, participant: Participant | None) -> Proposal:
    """Its author withdraws a proposal: it stays readable, marked withdrawn, and can no
    longer be supported."""
    if participant is None:
        raise access.ActionRefused(access.refused("login"))
    with transaction.atomic():
        current = Proposal.objects.select_for_update().get(pk=proposal.pk)
        if current.author_id != participant.pk:
            raise _refuse("not_author", _("Only its author can withdraw a proposal."))
        if current.state == Proposal.State.WITHDRAWN:
            return current
        current.state = Proposal.State.WITHDRAWN
        current.withdrawn_at = timezone.now()
        current.save(update_fields=["state", "withdrawn_at", "updated_at"])
        mapcache.map_changed(current.process_id)
    return current


# --- Supports ------------------------------------------------------------------------------


def _supportable(proposal: Proposal) -> None:
    if proposal.hidden_at is not None or proposal.state != Proposal.State.PUBLISHED:
        raise _refuse("not_supportable", _("This proposal can no longer be supported."))


def proposal_url(proposal: Proposal) -> str:
    return reverse("participation_proposals:detail", args=[proposal.pk])


def support_add(
    *, proposal: Proposal, participant: Participant | None, now: datetime | None = None
) -> bool:
    """Support ``proposal``: True if counted, False if the person already supported it.

    The unique constraint decides between concurrent attempts (the loser's insert does
    nothing and nothing is counted twice); the counter moves in the same statement, or the
    same transaction. Reaching the process's threshold marks the proposal once, puts it
    under study and tells its author."""
    now = now or timezone.now()
    process = proposal.process
    supporter = access.check(participant, process, Action.SUPPORT, now=now)
    _supportable(proposal)
    count = _support_insert(proposal.pk, supporter.pk, now)
    if count is None:
        return False
    threshold = process.support_threshold
    if threshold and count >= threshold:
        with transaction.atomic():
            _threshold_check(proposal, threshold, now)
    return True


def _support_insert(proposal_id: int, participant_id: int, now: datetime) -> int | None:
    """Insert the support and count it: the proposal's new count of supports, or None when
    the person already supported it.

    Supports arrive by hundreds a second when a proposal is shared: this is the hot path, in
    as few round trips as the database allows. On PostgreSQL one statement inserts (doing
    nothing on a duplicate, whatever the race) and moves the counter only if a row went in;
    on SQLite, an insert doing nothing on a duplicate, then the counter, in one transaction."""
    # Table names come from the models, quoted; values are parameters.
    quote = connection.ops.quote_name
    support = quote(Support._meta.db_table)
    proposals = quote(Proposal._meta.db_table)
    when = connection.ops.adapt_datetimefield_value(now)
    insert = (
        f"INSERT INTO {support} (proposal_id, participant_id, created_at) VALUES (%s, %s, %s) "  # noqa: S608
        "ON CONFLICT (proposal_id, participant_id) DO NOTHING"
    )
    params = [proposal_id, participant_id, when]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                f"WITH added AS ({insert} RETURNING proposal_id) "  # noqa: S608
                f"UPDATE {proposals} SET supports_count = supports_count + 1 "
                "WHERE id IN (SELECT proposal_id FROM added) RETURNING supports_count",
                params,
            )
            row = cursor.fetchone()
            return None if row is None else int(row[0])
        with transaction.atomic():
            cursor.execute(f"{insert} RETURNING id", params)
            if cursor.fetchone() is None:
                return None
            cursor.execute(
                f"UPDATE {proposals} SET supports_count = supports_count + 1 WHERE id = %s "  # noqa: S608
                "RETURNING supports_count",
                [proposal_id],
            )
            row = cursor.fetchone()
            return int(row[0])


def _threshold_check(proposal: Proposal, threshold: int, now: datetime) -> None:
    """Within the support's transaction: the conditional update succeeds once, whatever the
    number of supports arriving at the same time."""
    reached = Proposal.objects.filter(
        pk=proposal.pk, threshold_reached_at__isnull=True, supports_count__gte=threshold
    ).update(threshold_reached_at=now)
    if not reached:
        return
    Proposal.objects.filter(pk=proposal.pk, answer="").update(answer=Proposal.Answer.UNDER_STUDY)
    mapcache.map_changed(proposal.process_id)
    author = (
        Participant.objects.filter(pk=proposal.author_id).first() if proposal.author_id else None
    )
    if author is not None:
        notify(
            recipients=[author],
            kind=Notification.Kind.THRESHOLD,
            title=_("Your proposal “%(title)s” reached %(n)s supports: it will be studied.")
            % {"title": proposal.title, "n": threshold},
            url=proposal_url(proposal),
        )


def support_withdraw(
    *, proposal: Proposal, participant: Participant | None, now: datetime | None = None
) -> bool:
    """Withdraw a support while the support phase is open: True if there was one."""
    supporter = access.check(participant, proposal.process, Action.SUPPORT, now=now)
    with transaction.atomic():
        deleted, _rows = Support.objects.filter(proposal=proposal, participant=supporter).delete()
        if not deleted:
            return False
        Proposal.objects.filter(pk=proposal.pk, supports_count__gt=0).update(
            supports_count=F("supports_count") - 1
        )
    return True


# --- Follow --------------------------------------------------------------------------------


def follow_add(*, proposal: Proposal, participant: Participant | None) -> bool:
    """Follow a proposal (notifications of its comments and answer). True if new."""
    if participant is None:
        raise access.ActionRefused(access.refused("login"))
    decision = access.participant_eligible(participant, proposal.process)
    if not decision.allowed and decision.code in {"login", "blocked", "email_unverified"}:
        raise access.ActionRefused(decision)
    try:
        with transaction.atomic():
            Follow.objects.create(participant=participant, proposal=proposal)
    except IntegrityError:
        return False
    return True


def follow_remove(*, proposal: Proposal, participant: Participant | None) -> bool:
    if participant is None:
        raise access.ActionRefused(access.refused("login"))
    deleted, _rows = Follow.objects.filter(participant=participant, proposal=proposal).delete()
    return bool(deleted)


# --- Agents --------------------------------------------------------------------------------


def _manager(agent: User, proposal: Proposal) -> None:
    if not has_role(agent, proposal.organisation, *access.MANAGER_ROLES):
        raise _refuse("forbidden", _("Not allowed."))


def proposal_answer(
    *,
    proposal: Proposal,
    agent: User,
    answer: str,
    text: str,
    request: HttpRequest | None = None,
) -> Proposal:
    """The commune's official answer (accepted, rejected, under study) with its explanation;
    the author and followers are told; the audit trail keeps who answered what."""
    _manager(agent, proposal)
    errors: dict[str, list[str]] = {}
    if answer not in {
        Proposal.Answer.UNDER_STUDY,
        Proposal.Answer.ACCEPTED,
        Proposal.Answer.REJECTED,
    }:
        errors["answer"] = [_("Choose an answer.")]
    explanation = clean_html(text)
    if not plain_text(explanation):
        errors["text"] = [_("Explain the answer to residents.")]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        current = Proposal.objects.select_for_update().get(pk=proposal.pk)
        previous = current.answer
        current.answer = answer
        current.answer_text = explanation
        current.answered_at = timezone.now()
        current.answered_by = agent
        current.save(
            update_fields=["answer", "answer_text", "answered_at", "answered_by", "updated_at"]
        )
        mapcache.map_changed(current.process_id)
        audit_record(
            action="participation.proposal_answer",
            organisation=current.organisation,
            actor=agent,
            target=current,
            data={"answer": answer, "previous": previous},
            request=request,
        )
        recipients = list(Participant.objects.filter(follows__proposal=current).distinct())
        if current.author_id is not None:
            recipients += list(Participant.objects.filter(pk=current.author_id))
        label = str(Proposal.Answer(answer).label)
        notify(
            recipients=recipients,
            kind=Notification.Kind.ANSWER,
            title=_("Official answer to “%(title)s”: %(answer)s")
            % {"title": current.title, "answer": label},
            body=plain_text(explanation),
            url=proposal_url(current),
        )
        if current.contact and "@" in current.contact:
            # A resident without an account, who left an e-mail address on paper.
            contact_email_answer(proposal=current)
            if answer != Proposal.Answer.UNDER_STUDY:
                # Told of the final answer: the address has served its purpose.
                current.contact = ""
                current.save(update_fields=["contact"])
    return current


def contact_email_answer(*, proposal: Proposal) -> None:
    """E-mail the official answer to the address a resident without an account gave, after
    the transaction commits (the message goes through the shared SMTP transport)."""
    from beffroi.participation.notifications.services import email_official_answer

    address = proposal.contact
    proposal_id = proposal.pk
    transaction.on_commit(lambda: email_official_answer(proposal_id=proposal_id, to=address))


def proposal_review_feasibility(
    *,
    proposal: Proposal,
    agent: User,
    feasibility: str,
    services_cost: Decimal | None,
    note: str,
    request: HttpRequest | None = None,
) -> Proposal:
    """The services' feasibility review and their estimate of the cost."""
    _manager(agent, proposal)
    errors: dict[str, list[str]] = {}
    if feasibility not in {Proposal.Feasibility.FEASIBLE, Proposal.Feasibility.NOT_FEASIBLE}:
        errors["feasibility"] = [_("Say whether the proposal is feasible.")]
    if services_cost is not None and (services_cost < 0 or services_cost >= COST_MAX):
        errors["services_cost"] = [_("Give a cost between 0 and 100,000,000 €.")]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        current = Proposal.objects.select_for_update().get(pk=proposal.pk)
        current.feasibility = feasibility
        current.services_cost = services_cost
        current.feasibility_note = clean_html(note)
        current.reviewed_at = timezone.now()
        current.save(
            update_fields=[
                "feasibility",
                "services_cost",
                "feasibility_note",
                "reviewed_at",
                "updated_at",
            ]
        )
        audit_record(
            action="participation.proposal_feasibility",
            organisation=current.organisation,
            actor=agent,
            target=current,
            data={
                "feasibility": feasibility,
                "services_cost": str(services_cost) if services_cost is not None else None,
            },
            request=request,
        )
    return current


# --- GDPR ----------------------------------------------------------------------------------


def export_proposals(user: User) -> dict[str, Any]:
    """What the person wrote, supported and follows, in every organisation."""
    participants = list(Participant.objects.filter(user=user))
    proposals = Proposal.objects.filter(author__in=participants).order_by("created_at")
    return {
        "proposals": [
            {
                "process": p.process.title,
                "title": p.title,
                "body": p.body,
                "estimated_cost": str(p.estimated_cost) if p.estimated_cost is not None else None,
                "state": p.state,
                "created_at": p.created_at.isoformat(),
                "files": [f.original_name for f in p.files.all()],
            }
            for p in proposals.select_related("process").prefetch_related("files")
        ],
        "supports": [
            {"proposal": s.proposal.title, "created_at": s.created_at.isoformat()}
            for s in Support.objects.filter(participant__in=participants).select_related("proposal")
        ],
        "follows": [
            title
            for title in Follow.objects.filter(
                participant__in=participants, proposal__isnull=False
            ).values_list("proposal__title", flat=True)
        ],
    }


def erase_proposals(user: User) -> None:
    """Erasure: what they follow goes; their proposals and supports stay (others supported
    and discussed them), signed "a resident" once the participant is marked erased."""
    Follow.objects.filter(participant__user=user).delete()
