"""Processes and phases: every write of the area, for the back office, the API, commands and
tasks alike.

Refusals raise ``ProcessError`` with translated messages per field and change nothing.
Publishing, archiving and opening or closing a phase by hand are recorded in the audit trail:
they decide what residents may do, and a resident refused a support will ask who closed the
phase, and when.

Phase notices: ``phases_notify_transitions`` tells the followers of a process and the authors
of its proposals when one of its phases opens or closes, once each (``Phase.opened_notified_at``
and ``closed_notified_at`` are claimed by a conditional update, so that two runs at once — a
cron job and a worker — never tell anyone twice).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.db.models import Max, Q
from django.http import HttpRequest
from django.tasks import task
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.text import slugify
from django.utils.translation import gettext as _

from beffroi.accounts.models import User
from beffroi.core.audit import audit_record
from beffroi.core.templatetags.core_formats import long_date
from beffroi.participation.files import FileRefused, attachment_checked, image_checked
from beffroi.participation.models import (
    PHASE_ACTIONS,
    Action,
    Blueprint,
    Category,
    Follow,
    Participant,
    Phase,
    PhaseType,
    Process,
    ProcessDocument,
)
from beffroi.participation.notifications.services import notify
from beffroi.participation.processes.blueprints import BLUEPRINTS
from beffroi.participation.richtext import clean_html
from beffroi.territory.models import Organisation, Zone

# The first segment of the other areas' public addresses under /participer/ (see
# participation/urls.py): a process slugged so would hide that area's pages, or be hidden.
RESERVED_SLUGS: frozenset[str] = frozenset(
    {
        "propositions",
        "commentaires",
        "signalements",
        "consultations",
        "rencontres",
        "notifications",
        "participant",
        "statistiques",
        # Kept for the domains that build on participation (budgets, follow-up, results).
        "budgets",
        "realisations",
        "resultats",
        "evaluations",
    }
)
SLUG_MAX_LENGTH = 80
_SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
MAX_AGE_LIMIT = 120


class ProcessError(Exception):
    """The change is refused; ``errors`` maps a field ("" for the whole object) to translated
    messages."""

    def __init__(self, errors: dict[str, list[str]]) -> None:
        super().__init__("; ".join(m for messages in errors.values() for m in messages))
        self.errors = errors

    @property
    def messages(self) -> list[str]:
        return [m for messages in self.errors.values() for m in messages]


def _refuse(message: str, field_name: str = "") -> ProcessError:
    return ProcessError({field_name: [message]})


# ---------------------------------------------------------------------------------------------
# Processes


@dataclass
class ProcessData:
    """What an agent edits of a process (a form's cleaned data, an API payload)."""

    title: str
    blueprint: str
    slug: str = ""
    summary: str = ""
    # Rich text as written; sanitised when saved.
    description: str = ""
    whole_territory: bool = True
    zones: Sequence[Zone] = field(default_factory=list)
    min_age: int | None = None
    residents_only: bool = False
    support_threshold: int | None = None
    edit_window_minutes: int = 60 * 24
    illustration_alt: str = ""


def _slug_taken(organisation: Organisation, slug: str, exclude: int | None) -> bool:
    others = Process.objects.filter(organisation=organisation, slug=slug)
    if exclude is not None:
        others = others.exclude(pk=exclude)
    return others.exists()


def slug_available(organisation: Organisation, title: str, exclude: int | None = None) -> str:
    """A free slug made from ``title`` (``-2``, ``-3``… added when taken or reserved)."""
    base = slugify(title)[: SLUG_MAX_LENGTH - 4].strip("-") or "demarche"
    candidate = base
    number = 1
    while candidate in RESERVED_SLUGS or _slug_taken(organisation, candidate, exclude):
        number += 1
        candidate = f"{base}-{number}"
    return candidate


def _check_process(
    organisation: Organisation,
    data: ProcessData,
    *,
    exclude: int | None,
    has_illustration: bool,
) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if not data.title:
        errors["title"] = [_("Give the process a title.")]
    elif len(data.title) > 200:
        errors["title"] = [_("The title is longer than %(max)d characters.") % {"max": 200}]
    if len(data.summary) > 400:
        errors["summary"] = [_("The summary is longer than %(max)d characters.") % {"max": 400}]
    if data.blueprint not in Blueprint.values:
        errors["blueprint"] = [_("Choose a kind of process.")]
    if data.slug:
        if len(data.slug) > SLUG_MAX_LENGTH or not _SLUG.match(data.slug):
            errors["slug"] = [
                _(
                    "Use lower-case letters without accents, digits and hyphens only "
                    "(%(max)d characters at most)."
                )
                % {"max": SLUG_MAX_LENGTH}
            ]
        elif data.slug in RESERVED_SLUGS:
            errors["slug"] = [
                _("“%(slug)s” is used by the site itself: choose another address.")
                % {"slug": data.slug}
            ]
        elif _slug_taken(organisation, data.slug, exclude):
            errors["slug"] = [
                _("Another process already uses the address “%(slug)s”.") % {"slug": data.slug}
            ]
    if not data.whole_territory and not data.zones:
        errors["zones"] = [_("Choose the zones of the process, or the whole territory.")]
    if any(zone.organisation_id != organisation.pk for zone in data.zones):
        errors["zones"] = [_("Choose zones of your own territory.")]
    if data.min_age is not None and not 0 < data.min_age <= MAX_AGE_LIMIT:
        errors["min_age"] = [
            _("Give an age between 1 and %(max)d, or none.") % {"max": MAX_AGE_LIMIT}
        ]
    if data.support_threshold is not None and data.support_threshold < 1:
        errors["support_threshold"] = [_("Give a number of supports of at least 1, or none.")]
    if data.edit_window_minutes < 0:
        errors["edit_window_minutes"] = [_("The edit window cannot be negative.")]
    if has_illustration and not data.illustration_alt.strip():
        errors["illustration_alt"] = [_("Describe the illustration for people who cannot see it.")]
    if len(data.illustration_alt) > 200:
        errors["illustration_alt"] = [
            _("The description is longer than %(max)d characters.") % {"max": 200}
        ]
    return errors


def _normalised(data: ProcessData) -> ProcessData:
    data.title = data.title.strip()
    data.slug = data.slug.strip().lower()
    data.summary = data.summary.strip()
    data.illustration_alt = data.illustration_alt.strip()
    if data.whole_territory:
        data.zones = []
    return data


def _apply(process: Process, data: ProcessData) -> None:
    process.title = data.title
    process.blueprint = data.blueprint
    process.summary = data.summary
    process.description = clean_html(data.description)
    process.whole_territory = data.whole_territory
    process.min_age = data.min_age
    process.residents_only = data.residents_only
    process.support_threshold = data.support_threshold
    process.edit_window_minutes = data.edit_window_minutes
    process.illustration_alt = data.illustration_alt


def _checked_illustration(upload: UploadedFile[bytes] | None) -> tuple[object | None, str]:
    if upload is None:
        return None, ""
    try:
        checked = image_checked(upload, stem="illustration")
    except FileRefused as exc:
        raise _refuse(str(exc), "illustration") from exc
    return checked.content, checked.name


def process_create(
    *,
    organisation: Organisation,
    data: ProcessData,
    actor: User | None,
    illustration: UploadedFile[bytes] | None = None,
) -> Process:
    """A draft process (phases come from ``phase_create`` or a blueprint)."""
    data = _normalised(data)
    errors = _check_process(
        organisation, data, exclude=None, has_illustration=illustration is not None
    )
    if errors:
        raise ProcessError(errors)
    content, name = _checked_illustration(illustration)
    process = Process(
        organisation=organisation,
        slug=data.slug or slug_available(organisation, data.title),
        created_by=actor,
        status=Process.Status.DRAFT,
    )
    _apply(process, data)
    try:
        with transaction.atomic():
            if content is not None:
                process.illustration.save(name, content, save=False)  # type: ignore[arg-type]
            process.save()
            process.zones.set(data.zones)
            audit_record(
                action="participation.process.create",
                organisation=organisation,
                actor=actor,
                target=process,
                data={"title": process.title, "blueprint": process.blueprint},
            )
    except IntegrityError as exc:
        # Two agents choosing the same address at once: the constraint decides.
        raise _refuse(_("Another process already uses this address."), "slug") from exc
    return process


def process_update(
    *,
    process: Process,
    data: ProcessData,
    actor: User | None,
    illustration: UploadedFile[bytes] | None = None,
    remove_illustration: bool = False,
) -> Process:
    data = _normalised(data)
    if not data.slug:
        data.slug = process.slug
    keeps_illustration = bool(process.illustration) and not remove_illustration
    errors = _check_process(
        process.organisation,
        data,
        exclude=process.pk,
        has_illustration=illustration is not None or keeps_illustration,
    )
    if errors:
        raise ProcessError(errors)
    content, name = _checked_illustration(illustration)
    try:
        with transaction.atomic():
            locked = Process.objects.select_for_update().get(pk=process.pk)
            _apply(locked, data)
            locked.slug = data.slug
            if content is not None:
                locked.illustration.save(name, content, save=False)  # type: ignore[arg-type]
            elif remove_illustration:
                locked.illustration = ""  # type: ignore[assignment]
                locked.illustration_alt = ""
            locked.save()
            locked.zones.set(data.zones)
            audit_record(
                action="participation.process.update",
                organisation=locked.organisation,
                actor=actor,
                target=locked,
                data={"title": locked.title},
            )
    except IntegrityError as exc:
        raise _refuse(_("Another process already uses this address."), "slug") from exc
    return locked


def process_publish(
    *, process: Process, actor: User | None, request: HttpRequest | None = None
) -> Process:
    """Show a draft (or an archived process again) to residents. It needs a calendar: a
    process without phases would let nobody do anything, without saying when."""
    with transaction.atomic():
        locked = Process.objects.select_for_update().get(pk=process.pk)
        if locked.status == Process.Status.PUBLISHED:
            raise _refuse(_("This process is already published."))
        if not locked.phases.exists():
            raise _refuse(_("Add at least one phase before publishing the process."))
        previous = locked.status
        locked.status = Process.Status.PUBLISHED
        locked.save(update_fields=["status", "updated_at"])
        audit_record(
            action="participation.process.publish",
            organisation=locked.organisation,
            actor=actor,
            target=locked,
            data={"title": locked.title, "from": previous},
            request=request,
        )
    return locked


def process_archive(
    *, process: Process, actor: User | None, request: HttpRequest | None = None
) -> Process:
    """Take a process out of the open ones: it stays readable among past processes, and no
    phase of it accepts anything any more (``access.decide`` wants a published process)."""
    with transaction.atomic():
        locked = Process.objects.select_for_update().get(pk=process.pk)
        if locked.status == Process.Status.ARCHIVED:
            raise _refuse(_("This process is already archived."))
        previous = locked.status
        locked.status = Process.Status.ARCHIVED
        locked.save(update_fields=["status", "updated_at"])
        audit_record(
            action="participation.process.archive",
            organisation=locked.organisation,
            actor=actor,
            target=locked,
            data={"title": locked.title, "from": previous},
            request=request,
        )
    return locked


def process_from_blueprint(
    *,
    organisation: Organisation,
    blueprint: str,
    title: str,
    starts_at: datetime,
    actor: User | None,
) -> Process:
    """A draft process of kind ``blueprint`` with its phases one after the other from
    ``starts_at`` (each of its usual length) and its default categories."""
    spec = BLUEPRINTS.get(blueprint)
    if spec is None:
        raise _refuse(_("Choose a kind of process."), "blueprint")
    if timezone.is_naive(starts_at):
        starts_at = timezone.make_aware(starts_at)
    with transaction.atomic():
        process = process_create(
            organisation=organisation,
            data=ProcessData(title=title, blueprint=blueprint, summary=str(spec.summary)),
            actor=actor,
        )
        start = starts_at
        phases = []
        for position, phase_spec in enumerate(spec.phases):
            end = start + phase_spec.duration
            phases.append(
                Phase(
                    process=process,
                    type=phase_spec.type,
                    title=str(phase_spec.title),
                    description=clean_html(str(phase_spec.description)),
                    starts_at=start,
                    ends_at=end,
                    position=position,
                )
            )
            start = end
        Phase.objects.bulk_create(phases)
        Category.objects.bulk_create(
            Category(process=process, name=str(name), position=position)
            for position, name in enumerate(spec.categories)
        )
    return process


# ---------------------------------------------------------------------------------------------
# Phases


def _is_over(phase: Phase, now: datetime) -> bool:
    """Closed for good unless an agent changes it: closed by hand, or past its end."""
    if phase.mode == Phase.Mode.CLOSED:
        return True
    return phase.mode == Phase.Mode.DATES and phase.ends_at <= now


def _reset_notices(phase: Phase, *, was_open: bool, now: datetime) -> None:
    """After a change of mode or dates, clear the notices the new state calls for, so that
    a phase opened again is announced again and one that closes is announced closed."""
    if phase.is_open(now):
        if not was_open:
            phase.opened_notified_at = None
            phase.closed_notified_at = None
    elif not _is_over(phase, now):
        # Back in the future: announced when it opens.
        phase.opened_notified_at = None
        phase.closed_notified_at = None
    elif was_open:
        phase.closed_notified_at = None


def _check_phase(
    type_: str, title: str, starts_at: datetime | None, ends_at: datetime | None
) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if type_ not in PhaseType.values:
        errors["type"] = [_("Choose a type of phase.")]
    if not title:
        errors["title"] = [_("Give the phase a title.")]
    elif len(title) > 200:
        errors["title"] = [_("The title is longer than %(max)d characters.") % {"max": 200}]
    if starts_at is None:
        errors["starts_at"] = [_("Give the date the phase opens.")]
    if ends_at is None:
        errors["ends_at"] = [_("Give the date the phase closes.")]
    if starts_at is not None and ends_at is not None and ends_at <= starts_at:
        errors["ends_at"] = [_("The phase must close after it opens.")]
    return errors


def _renumber(process: Process) -> None:
    """Positions follow the calendar, so that the timeline reads in order of dates."""
    for position, phase in enumerate(
        Phase.objects.filter(process=process).order_by("starts_at", "pk")
    ):
        if phase.position != position:
            Phase.objects.filter(pk=phase.pk).update(position=position)


def phase_create(
    *,
    process: Process,
    type: str,
    title: str,
    starts_at: datetime | None,
    ends_at: datetime | None,
    description: str = "",
    actor: User | None,
) -> Phase:
    title = title.strip()
    errors = _check_phase(type, title, starts_at, ends_at)
    if process.status == Process.Status.ARCHIVED:
        errors.setdefault("", []).append(_("An archived process cannot be changed."))
    if errors:
        raise ProcessError(errors)
    assert starts_at is not None and ends_at is not None
    with transaction.atomic():
        Process.objects.select_for_update().filter(pk=process.pk).first()
        last = Phase.objects.filter(process=process).aggregate(last=Max("position"))["last"]
        phase = Phase.objects.create(
            process=process,
            type=type,
            title=title,
            description=clean_html(description),
            starts_at=starts_at,
            ends_at=ends_at,
            position=(last + 1) if last is not None else 0,
        )
        _renumber(process)
        audit_record(
            action="participation.phase.create",
            organisation=process.organisation,
            actor=actor,
            target=phase,
            data={"process": process.pk, "title": title, "type": type},
        )
    phase.refresh_from_db()
    return phase


def phase_update(
    *,
    phase: Phase,
    type: str,
    title: str,
    starts_at: datetime | None,
    ends_at: datetime | None,
    description: str = "",
    actor: User | None,
) -> Phase:
    title = title.strip()
    errors = _check_phase(type, title, starts_at, ends_at)
    if phase.process.status == Process.Status.ARCHIVED:
        errors.setdefault("", []).append(_("An archived process cannot be changed."))
    if errors:
        raise ProcessError(errors)
    assert starts_at is not None and ends_at is not None
    now = timezone.now()
    with transaction.atomic():
        locked = Phase.objects.select_for_update().select_related("process").get(pk=phase.pk)
        was_open = locked.is_open(now)
        locked.type = type
        locked.title = title
        locked.description = clean_html(description)
        locked.starts_at = starts_at
        locked.ends_at = ends_at
        _reset_notices(locked, was_open=was_open, now=now)
        locked.save()
        _renumber(locked.process)
        audit_record(
            action="participation.phase.update",
            organisation=locked.process.organisation,
            actor=actor,
            target=locked,
            data={
                "process": locked.process_id,
                "title": title,
                "type": type,
                "starts_at": starts_at.isoformat(),
                "ends_at": ends_at.isoformat(),
            },
        )
    locked.refresh_from_db()
    return locked


def phase_delete(*, phase: Phase, actor: User | None) -> None:
    """Remove a phase. An open phase must be closed first (residents are using it), and a
    published process keeps at least one phase."""
    now = timezone.now()
    with transaction.atomic():
        locked = Phase.objects.select_for_update().select_related("process").get(pk=phase.pk)
        process = locked.process
        if process.status == Process.Status.ARCHIVED:
            raise _refuse(_("An archived process cannot be changed."))
        if process.status == Process.Status.PUBLISHED and locked.is_open(now):
            raise _refuse(_("This phase is open: close it before deleting it."))
        if (
            process.status == Process.Status.PUBLISHED
            and not Phase.objects.filter(process=process).exclude(pk=locked.pk).exists()
        ):
            raise _refuse(_("A published process keeps at least one phase."))
        audit_record(
            action="participation.phase.delete",
            organisation=process.organisation,
            actor=actor,
            target=locked,
            data={"process": process.pk, "title": locked.title, "type": locked.type},
        )
        locked.delete()
        _renumber(process)


def _phase_set_mode(
    *,
    phase: Phase,
    mode: str,
    actor: User | None,
    action: str,
    request: HttpRequest | None,
    already: str,
) -> Phase:
    now = timezone.now()
    with transaction.atomic():
        locked = Phase.objects.select_for_update().select_related("process").get(pk=phase.pk)
        if locked.process.status == Process.Status.ARCHIVED:
            raise _refuse(_("An archived process cannot be changed."))
        if locked.mode == mode:
            raise _refuse(already)
        was_open = locked.is_open(now)
        previous = locked.mode
        locked.mode = mode
        _reset_notices(locked, was_open=was_open, now=now)
        locked.save(update_fields=["mode", "opened_notified_at", "closed_notified_at"])
        audit_record(
            action=action,
            organisation=locked.process.organisation,
            actor=actor,
            target=locked,
            data={
                "process": locked.process_id,
                "title": locked.title,
                "from": previous,
                "open": locked.is_open(now),
            },
            request=request,
        )
    return locked


def phase_open(*, phase: Phase, actor: User | None, request: HttpRequest | None = None) -> Phase:
    """Open a phase by hand, whatever its dates (until it is closed or set back to them).

    One phase at a time: the phases of the process open at this moment are closed by hand
    in the same transaction (each closing recorded), so that residents are never offered
    what the phase the agent moved on from allowed. ``phase.closed_by_opening`` lists them."""
    now = timezone.now()
    with transaction.atomic():
        opened = _phase_set_mode(
            phase=phase,
            mode=Phase.Mode.OPEN,
            actor=actor,
            action="participation.phase.open",
            request=request,
            already=_("This phase is already opened by hand."),
        )
        closed: list[Phase] = []
        others = Phase.objects.filter(process_id=opened.process_id).exclude(pk=opened.pk)
        for other in others.order_by("position"):
            if other.is_open(now):
                closed.append(
                    _phase_set_mode(
                        phase=other,
                        mode=Phase.Mode.CLOSED,
                        actor=actor,
                        action="participation.phase.close",
                        request=request,
                        already="",
                    )
                )
    opened.closed_by_opening = closed  # type: ignore[attr-defined]
    return opened


def phase_close(*, phase: Phase, actor: User | None, request: HttpRequest | None = None) -> Phase:
    """Close a phase by hand, whatever its dates: what it allows is refused at once."""
    return _phase_set_mode(
        phase=phase,
        mode=Phase.Mode.CLOSED,
        actor=actor,
        action="participation.phase.close",
        request=request,
        already=_("This phase is already closed by hand."),
    )


def phase_follow_dates(
    *, phase: Phase, actor: User | None, request: HttpRequest | None = None
) -> Phase:
    """Let a phase opened or closed by hand follow its dates again."""
    return _phase_set_mode(
        phase=phase,
        mode=Phase.Mode.DATES,
        actor=actor,
        action="participation.phase.dates",
        request=request,
        already=_("This phase already follows its dates."),
    )


# ---------------------------------------------------------------------------------------------
# Categories and documents


def _category_name_taken(process: Process, name: str, exclude: int | None) -> bool:
    others = Category.objects.filter(process=process)
    if exclude is not None:
        others = others.exclude(pk=exclude)
    folded = name.casefold()
    return any(n.casefold() == folded for n in others.values_list("name", flat=True))


def _check_category(process: Process, name: str, exclude: int | None) -> None:
    if not name:
        raise _refuse(_("Give the category a name."), "name")
    if len(name) > 100:
        raise _refuse(_("The name is longer than %(max)d characters.") % {"max": 100}, "name")
    if _category_name_taken(process, name, exclude):
        raise _refuse(_("The category “%(name)s” already exists.") % {"name": name}, "name")


def category_create(*, process: Process, name: str, actor: User | None) -> Category:
    name = name.strip()
    _check_category(process, name, None)
    try:
        with transaction.atomic():
            last = Category.objects.filter(process=process).aggregate(last=Max("position"))
            category = Category.objects.create(
                process=process,
                name=name,
                position=(last["last"] + 1) if last["last"] is not None else 0,
            )
    except IntegrityError as exc:
        raise _refuse(
            _("The category “%(name)s” already exists.") % {"name": name}, "name"
        ) from exc
    return category


def category_update(*, category: Category, name: str, actor: User | None) -> Category:
    name = name.strip()
    _check_category(category.process, name, category.pk)
    category.name = name
    try:
        with transaction.atomic():
            category.save(update_fields=["name"])
    except IntegrityError as exc:
        raise _refuse(
            _("The category “%(name)s” already exists.") % {"name": name}, "name"
        ) from exc
    return category


def category_delete(*, category: Category, actor: User | None) -> None:
    """Delete a category no proposal uses (rename it otherwise: a proposal filed under it
    would lose its place in the lists)."""
    with transaction.atomic():
        used = category.proposals.count()
        if used:
            raise _refuse(
                _(
                    "%(count)d proposals are filed under this category: rename it instead "
                    "of deleting it."
                )
                % {"count": used}
            )
        category.delete()


def document_add(
    *, process: Process, title: str, upload: UploadedFile[bytes] | None, actor: User | None
) -> ProcessDocument:
    """Attach a PDF, OpenDocument or Office file, its type read from its content."""
    title = title.strip()
    errors: dict[str, list[str]] = {}
    if not title:
        errors["title"] = [_("Give the document a title.")]
    elif len(title) > 200:
        errors["title"] = [_("The title is longer than %(max)d characters.") % {"max": 200}]
    if upload is None:
        errors["file"] = [_("Choose a file.")]
    if errors:
        raise ProcessError(errors)
    assert upload is not None
    try:
        checked = attachment_checked(upload, stem=slugify(title)[:60] or "document")
    except FileRefused as exc:
        raise _refuse(str(exc), "file") from exc
    document = ProcessDocument(
        process=process, title=title, content_type=checked.content_type, size=checked.size
    )
    with transaction.atomic():
        document.file.save(checked.name, checked.content, save=False)
        document.save()
        audit_record(
            action="participation.document.add",
            organisation=process.organisation,
            actor=actor,
            target=document,
            data={"process": process.pk, "title": title, "type": checked.content_type},
        )
    return document


def document_delete(*, document: ProcessDocument, actor: User | None) -> None:
    with transaction.atomic():
        audit_record(
            action="participation.document.delete",
            organisation=document.process.organisation,
            actor=actor,
            target=document,
            data={"process": document.process_id, "title": document.title},
        )
        # Its file goes once the deletion commits (participation.files.forget_stored_files).
        document.delete()


# ---------------------------------------------------------------------------------------------
# Following a process


def process_follow(*, participant: Participant, process: Process) -> Follow:
    """Follow a process (its phase changes are notified). Following twice is harmless."""
    if participant.organisation_id != process.organisation_id:
        raise _refuse(_("This process is not open to the public."))
    if process.status == Process.Status.DRAFT:
        raise _refuse(_("This process is not open to the public."))
    try:
        with transaction.atomic():
            follow, _created = Follow.objects.get_or_create(
                participant=participant, process=process
            )
    except IntegrityError:
        follow = Follow.objects.get(participant=participant, process=process)
    return follow


def process_unfollow(*, participant: Participant, process: Process) -> bool:
    deleted, _detail = Follow.objects.filter(participant=participant, process=process).delete()
    return deleted > 0


# ---------------------------------------------------------------------------------------------
# Phase notices


@dataclass
class TransitionCounts:
    opened: int = 0
    closed: int = 0
    # Phases over before anyone was told they opened (the notice would come too late).
    skipped: int = 0
    notifications: int = 0

    def as_dict(self) -> dict[str, int]:
        return {
            "opened": self.opened,
            "closed": self.closed,
            "skipped": self.skipped,
            "notifications": self.notifications,
        }


def _recipients(process: Process) -> Iterable[Participant]:
    return (
        Participant.objects.filter(
            Q(follows__process=process) | Q(proposals__process=process),
            erased_at__isnull=True,
        )
        .distinct()
        .order_by("pk")
    )


def action_labels(actions: Iterable[str]) -> list[str]:
    """The translated names of ``actions``, in the order of ``Action``."""
    wanted = set(actions)
    return [str(label) for value, label in Action.choices if value in wanted]


def _opened_notice(phase: Phase) -> tuple[str, str]:
    title = _("“%(phase)s” is open in “%(process)s”") % {
        "phase": phase.title,
        "process": phase.process.title,
    }
    actions = action_labels(PHASE_ACTIONS.get(phase.type, frozenset()))
    lines = []
    if actions:
        lines.append(_("What you can do now: %(actions)s.") % {"actions": ", ".join(actions)})
    if phase.mode == Phase.Mode.DATES:
        lines.append(
            _("Until %(date)s.")
            % {"date": long_date(timezone.localtime(phase.ends_at), "DATE_FORMAT")}
        )
    return title, "\n".join(lines)


def _closed_notice(phase: Phase, now: datetime) -> tuple[str, str]:
    title = _("“%(phase)s” has closed in “%(process)s”") % {
        "phase": phase.title,
        "process": phase.process.title,
    }
    following = (
        Phase.objects.filter(process=phase.process_id, starts_at__gte=phase.starts_at)
        .exclude(pk=phase.pk)
        .exclude(mode=Phase.Mode.CLOSED)
        .order_by("starts_at", "position")
        .first()
    )
    body = ""
    if following is not None and not following.is_open(now):
        body = _("Next: “%(phase)s” from %(date)s.") % {
            "phase": following.title,
            "date": long_date(timezone.localtime(following.starts_at), "DATE_FORMAT"),
        }
    return title, body


def _process_url(process: Process) -> str:
    return reverse("participation_processes:detail", kwargs={"slug": process.slug})


def _claim(phase: Phase, field_name: str, now: datetime) -> bool:
    """Set the notice mark if nobody set it yet (a run at the same time loses)."""
    return bool(
        Phase.objects.filter(pk=phase.pk, **{f"{field_name}__isnull": True}).update(
            **{field_name: now}
        )
    )


def phases_notify_transitions(*, now: datetime | None = None) -> TransitionCounts:
    """Tell followers and proposal authors of each published process which of its phases
    opened or closed since the last run; each notice once. Safe to run at any interval and
    from several places at once.

    A phase that opened and closed between two runs, or that was over before this ran for
    the first time, is marked without a notice: "it is open" would be false, and "it has
    closed" news of a phase nobody was told about.
    """
    now = now or timezone.now()
    counts = TransitionCounts()
    candidates = (
        Phase.objects.filter(process__status=Process.Status.PUBLISHED)
        .filter(Q(opened_notified_at__isnull=True) | Q(closed_notified_at__isnull=True))
        # Phases still to come on their dates: nothing to say yet.
        .exclude(mode=Phase.Mode.DATES, starts_at__gt=now)
        .select_related("process")
        .order_by("pk")
    )
    with translation.override(settings.LANGUAGE_CODE):
        for phase in candidates.iterator():
            if phase.is_open(now):
                if phase.opened_notified_at is not None:
                    continue
                with transaction.atomic():
                    if not _claim(phase, "opened_notified_at", now):
                        continue
                    title, body = _opened_notice(phase)
                    counts.notifications += notify(
                        recipients=_recipients(phase.process),
                        kind="phase",
                        title=title,
                        body=body,
                        url=_process_url(phase.process),
                    )
                    counts.opened += 1
            elif phase.opened_notified_at is None:
                if _is_over(phase, now):
                    with transaction.atomic():
                        claimed = _claim(phase, "opened_notified_at", now)
                        if claimed and _claim(phase, "closed_notified_at", now):
                            counts.skipped += 1
            elif phase.closed_notified_at is None:
                with transaction.atomic():
                    if not _claim(phase, "closed_notified_at", now):
                        continue
                    title, body = _closed_notice(phase, now)
                    counts.notifications += notify(
                        recipients=_recipients(phase.process),
                        kind="phase",
                        title=title,
                        body=body,
                        url=_process_url(phase.process),
                    )
                    counts.closed += 1
    return counts


# The interval at which ``beffroi participation_phases`` is meant to run (cron, a timer or a
# worker's periodic loop): notices come at most this late after a phase changes.
TRANSITIONS_INTERVAL = timedelta(minutes=5)


@task(queue_name="default")
def phases_transitions_notify() -> dict[str, int]:
    """The periodic task: notify phase openings and closings (see the service)."""
    return phases_notify_transitions().as_dict()
