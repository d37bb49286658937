"""Every page of Beffroi, in the state a real visitor sees it: the table the browser tests walk.

Each later issue appends its pages here. For each row the accessibility test opens the page
as ``role`` (ANONYMOUS, RESIDENT … below), runs the optional ``prepare`` step (fill a form,
submit it …), waits for maps to finish drawing, checks axe-core reports no violation and, when
``screenshot`` is set, saves ``docs/screenshots/<screenshot>``: only for pages that look the
same at every run (no clock, no random secret), so the committed images change only when the
design does.

``url`` is a path, or a function computing it from the database (for pages of one object).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db.models import Count
from django.urls import reverse
from playwright.sync_api import Page

from beffroi.testing import PASSWORD

if TYPE_CHECKING:
    from beffroi.accounts.models import User
    from beffroi.territory.models import Organisation


@dataclass(frozen=True)
class PageSpec:
    url: str | Callable[[], str]
    role: str
    description: str
    screenshot: str = ""
    language: str = "fr"
    prepare: Callable[[Page], None] | None = None
    # Any status is accepted when None (pages that answer with an error on purpose set it).
    # A redirect always fails the walk: the row would audit another page than it names.
    status: int | None = 200
    # axe rules not applied to this page, each with the reason; only for markup Beffroi does
    # not write (a third-party widget), never to hide a defect of our own templates.
    waived: tuple[tuple[str, str], ...] = ()

    def resolve(self) -> str:
        return self.url() if callable(self.url) else self.url


# Who is at the keyboard. "anonymous" carries no session; a role name logs in the first user
# holding that role in the default organisation (second factor proven for the roles that need
# one); ":unverified" logs in without proving the second factor (the demo's agents have a
# device: the page asks for a code); ":new" logs in an agent just granted the role, who has not
# set up a second factor yet.
ANONYMOUS = "anonymous"
RESIDENT = "resident"
ADMINISTRATOR = "administrator"
ADMINISTRATOR_UNVERIFIED = "administrator:unverified"
ALERT_AUTHOR = "alert_author"
ALERT_APPROVER = "alert_approver"
ALERT_APPROVER_NEW = "alert_approver:new"
SOCIAL_AGENT = "social_agent"
FRONT_DESK = "front_desk"


def url(name: str, *args: object, query: str = "") -> str:
    path = reverse(name, args=args)
    return f"{path}?{query}" if query else path


def zone_path(url_name: str) -> Callable[[], str]:
    """The page ``url_name`` of the largest zone (the one with most addresses)."""

    def resolve() -> str:
        from beffroi.territory.models import Zone

        zone = Zone.objects.annotate(n=Count("memberships")).order_by("-n", "pk").first()
        assert zone is not None, "the data has no zone"
        return url(url_name, zone.pk)

    return resolve


def my_address_result() -> str:
    """My neighbourhood for the address lying in the most zones: the richest answer."""
    from beffroi.territory.models import Address

    address = Address.objects.annotate(n=Count("memberships")).order_by("-n", "pk").first()
    assert address is not None, "the data has no address"
    return url("territory:my_address", query=f"address={address.pk}")


def my_address_search() -> str:
    from beffroi.territory.models import Street

    street = Street.objects.order_by("pk").first()
    assert street is not None, "the data has no street"
    return url("territory:my_address", query=f"q={street.name}")


def my_address_search_backoffice() -> str:
    return my_address_search().replace(
        url("territory:my_address"), url("territory_backoffice:address_list")
    )


def wait_for(selector: str) -> Callable[[Page], None]:
    """Wait for content drawn by the page's scripts after loading."""

    def prepare(page: Page) -> None:
        # Generous: Swagger UI parses 1.5 MB of JavaScript, slow on a busy CI machine.
        page.locator(selector).first.wait_for(timeout=60_000)

    return prepare


def submit_wrong_login(page: Page, email: str = "nobody@example.org") -> None:
    """A failed login: the form comes back with its error summary."""
    page.locator("main input[type=email]").fill(email)
    page.locator("main input[type=password]").fill(PASSWORD + "-wrong")
    with page.expect_navigation():
        page.locator("main form button[type=submit]").first.click()


def lock_out(page: Page) -> None:
    """As many wrong passwords as the throttle allows: the next page is the lock-out notice."""
    for _ in range(settings.AXES_FAILURE_LIMIT):
        submit_wrong_login(page, email="intruder@example.org")


def submit_form(url_name: str | None = None) -> Callable[[Page], None]:
    """Send, as it is, the form posting to the view ``url_name`` (None: the page's form)."""

    def prepare(page: Page) -> None:
        form = f"form[action='{reverse(url_name)}']" if url_name else "main form[method=post]"
        with page.expect_navigation():
            page.locator(f"{form} button[type=submit]").first.click()

    return prepare


def sent_alert(url_name: str, *, query: str = "") -> Callable[[], str]:
    """The page ``url_name`` of the latest alert sent to residents (the demo's history)."""

    def resolve() -> str:
        from beffroi.alerts.models import Alert

        alert = Alert.objects.filter(status=Alert.Status.SENT).order_by("-pk").first()
        assert alert is not None, "the data has no sent alert"
        return url(url_name, alert.pk, query=query)

    return resolve


def subscriber_management() -> str:
    """The management page a subscriber reaches from the link in every message."""
    from beffroi.alerts.models import Subscriber
    from beffroi.alerts.subscriptions.services import management_token

    subscriber = Subscriber.objects.filter(unsubscribed_at=None).order_by("pk").first()
    assert subscriber is not None, "the data has no subscriber"
    return url("subscriptions:manage", management_token(subscriber))


def subscriber_path(url_name: str) -> Callable[[], str]:
    def resolve() -> str:
        from beffroi.alerts.models import Subscriber

        subscriber = Subscriber.objects.filter(unsubscribed_at=None).order_by("pk").first()
        assert subscriber is not None, "the data has no subscriber"
        if url_name == "subscriptions:unsubscribe":
            return url(url_name, subscriber.unsubscribe_token)
        return url(url_name, subscriber.pk)

    return resolve


def registry_person(url_name: str) -> Callable[[], str]:
    """The page ``url_name`` of a registration of the registry of vulnerable people.

    The demo holds no such sensitive data: the entry is registered here, through the service,
    as a social agent would.
    """

    def resolve() -> str:
        from datetime import date

        from beffroi.accounts.models import RoleAssignment
        from beffroi.alerts.models import VulnerablePerson
        from beffroi.alerts.registry.services import (
            VulnerablePersonData,
            vulnerable_person_create,
        )
        from beffroi.territory.models import Address, Organisation

        organisation = Organisation.objects.get(is_default=True)
        person = VulnerablePerson.objects.filter(organisation=organisation).order_by("pk").first()
        if person is None:
            agent = (
                RoleAssignment.objects.filter(organisation=organisation, role=SOCIAL_AGENT)
                .order_by("user__pk")
                .first()
            )
            address = Address.objects.filter(organisation=organisation).order_by("pk").first()
            assert agent is not None and address is not None, "the data has no social agent"
            person = vulnerable_person_create(
                organisation=organisation,
                actor=agent.user,
                data=VulnerablePersonData(
                    last_name="Lemoine",
                    first_name="Germaine",
                    birth_date=date(1938, 4, 12),
                    situation=VulnerablePerson.Situation.ELDERLY,
                    address=address,
                    requested_on=date(2026, 6, 2),
                    phone="+33123456789",
                    lives_alone=True,
                    contact_name="Paul Lemoine",
                    contact_relation="fils",
                    contact_phone="+33612345678",
                ),
            )
        if url_name == "registry:at_address":
            return url(url_name, person.address_id)
        return url(url_name, person.pk)

    return resolve


def composer_alert(url_name: str, *, pending: bool = False) -> Callable[[], str]:
    """The page ``url_name`` of an alert being written: a draft copied from the latest alert
    sent, by an author (submitted for approval when ``pending``)."""

    def resolve() -> str:
        from beffroi.alerts.composer.services import (
            MAX_SMS_BUDGET,
            alert_create,
            alert_data_from,
            alert_submit,
        )
        from beffroi.alerts.models import Alert

        wanted = Alert.Status.PENDING if pending else Alert.Status.DRAFT
        alert = Alert.objects.filter(status=wanted).order_by("pk").first()
        if alert is None:
            source = Alert.objects.filter(status=Alert.Status.SENT).order_by("-pk").first()
            assert source is not None, "the data has no sent alert"
            author = user_of(source.organisation, ALERT_AUTHOR)
            data = alert_data_from(source)
            # The demo's history was written directly, without the composer's SMS budget.
            data.sms_budget_segments = MAX_SMS_BUDGET
            alert = alert_create(organisation=source.organisation, actor=author, data=data)
            if pending:
                alert = alert_submit(alert=alert, actor=author)
        return url(url_name, alert.pk)

    return resolve


def alert_template(url_name: str) -> Callable[[], str]:
    """The page ``url_name`` of the first of the commune's message templates (the defaults)."""

    def resolve() -> str:
        from beffroi.alerts.composer.services import alert_templates_defaults
        from beffroi.alerts.models import AlertTemplate
        from beffroi.territory.models import Organisation

        organisation = Organisation.objects.get(is_default=True)
        if not AlertTemplate.objects.filter(organisation=organisation).exists():
            alert_templates_defaults(organisation=organisation)
        template = AlertTemplate.objects.filter(organisation=organisation).order_by("pk").first()
        assert template is not None, "the commune has no message template"
        return url(url_name, template.pk)

    return resolve


def demo_outbox() -> str:
    """The demo outbox holding what residents receive: an alert e-mail and its SMS, sent by
    the real transports to the demo gateways (the walk runs with DEMO_GATEWAYS on)."""
    from beffroi.demo.gateways import demo_gateways
    from beffroi.messaging.base import EmailOut, SmsOut
    from beffroi.messaging.email import SmtpConfig, SmtpTransport
    from beffroi.messaging.sms_smpp import SmppConfig, SmppTransport

    text = "Crue de l'Aulne : quittez les rez-de-chaussée de la zone inondable."
    with demo_gateways() as gateways:
        sender = "Mairie de Vaudrecourt <mairie@vaudrecourt.example>"
        with SmtpTransport(SmtpConfig.from_url(gateways.smtp.url), from_email=sender) as smtp:
            smtp.send_many(
                [
                    EmailOut(
                        key="demo-1",
                        to="habitant@vaudrecourt.example",
                        subject="Crue de l'Aulne : évacuation",
                        text=f"{text}\n\nMontez à l'étage et coupez le gaz.",
                        unsubscribe_url="http://localhost/alertes/desinscription/x/",
                    )
                ]
            )
        with SmppTransport(SmppConfig.from_url(gateways.smsc.url)) as sms:
            sms.send_many([SmsOut(key="demo-2", to="+33641980001", text=text)])
    # The resident's answer typed on the outbox's phone, as the demo SMSC keeps it.
    from beffroi.demo.services import outbox_message_store

    outbox_message_store(
        channel="sms", sender="+33641980001", to="MAIRIE", body="OUI", inbound=True
    )
    return url("demo:outbox")


def user_of(organisation: Organisation, role: str) -> User:
    from beffroi.accounts.models import RoleAssignment

    assignment = (
        RoleAssignment.objects.filter(organisation=organisation, role=role)
        .select_related("user")
        .order_by("user__pk")
        .first()
    )
    assert assignment is not None, f"the data has no user with the role {role}"
    return assignment.user


def submit_with(selector: str) -> Callable[[Page], None]:
    """Send the page's form with the button ``selector`` (the form's main action)."""

    def prepare(page: Page) -> None:
        with page.expect_navigation():
            page.locator(selector).first.click()

    return prepare


UNSUBSCRIBE_BUTTON = "main form:has(input[name=action][value=unsubscribe]) button[type=submit]"


def unsubscribe_from_management(*, confirm: bool) -> Callable[[Page], None]:
    """On the management page, "Unsubscribe": the confirmation; then, with ``confirm``, the
    result page offering to undo it."""

    def prepare(page: Page) -> None:
        submit_with(UNSUBSCRIBE_BUTTON)(page)
        if confirm:
            submit_with(UNSUBSCRIBE_BUTTON)(page)

    return prepare


def register_for_an_address() -> str:
    """The sign-up form reached from My neighbourhood's "Get alerts for this address"."""
    from beffroi.territory.models import Address

    address = Address.objects.annotate(n=Count("memberships")).order_by("-n", "pk").first()
    assert address is not None, "the data has no address"
    return url("subscriptions:register", query=f"address={address.pk}")


IMPORT_FILE = (
    b"nom;prenom;email;mobile;adresse\n"
    b"Martin;Paul;paul.martin@example.org;06 41 98 77 01;3 Rue Saint-Firmin\n"
    b"Durand;Jeanne;;06 41 98 77 02;5 Rue Saint-Firmin\n"
)


def import_residents(*, commit: bool) -> Callable[[Page], None]:
    """Upload a small list with the commune's consent certified: the preview with the reach
    of each kind of alert; then, with ``commit``, the import done."""

    def prepare(page: Page) -> None:
        page.locator("main input[type=file]").set_input_files(
            {"name": "habitants.csv", "mimeType": "text/csv", "buffer": IMPORT_FILE}
        )
        page.locator("main input[name=consent]").check()
        submit_with("main form button[type=submit]")(page)
        if commit:
            submit_with("main form:has(input[value=commit]) button[type=submit]")(page)

    return prepare


def import_result() -> str:
    """The result page of the last import (post/redirect/get: reloading it imports nothing
    again); its report is in the session of the agent who ran the "import done" row."""
    from beffroi.alerts.models import SubscriberImport

    batch = SubscriberImport.objects.order_by("-pk").first()
    assert batch is not None, "no import recorded (run the import row)"
    return url("subscribers_backoffice:import_done", batch.pk)


# Named for the check that every page has a row: only the walk can build its URL.
import_result.url_name = "subscribers_backoffice:import_done"  # type: ignore[attr-defined]


def imported_subscriber() -> str:
    """The back-office page of a resident whose channels the commune's consent verified."""
    from beffroi.alerts.models import Subscriber

    subscriber = Subscriber.objects.exclude(consent_import=None).order_by("pk").first()
    assert subscriber is not None, "no resident imported with consent (run the import row)"
    return url("subscribers_backoffice:detail", subscriber.pk)


# --- Participation (the demo's co-construction history) -------------------------------------

PARTICIPATION_MANAGER = "participation_manager"
MODERATOR = "moderator"
# The demo's processes, one in each state (beffroi/demo/participation.py).
IDEAS = "vaudrecourt-en-transition"
PLAN = "sobriete-energetique"
CONSULTATION = "place-du-marche"
ARCHIVED = "bords-de-l-aulne"


def _process_id(slug: str) -> int:
    from beffroi.participation.models import Process

    process = Process.objects.filter(slug=slug).first()
    assert process is not None, f"the data has no process {slug}"
    return process.pk


def _top_proposal(slug: str = IDEAS) -> int:
    """The most supported visible proposal of ``slug``: the richest page (answer, threads)."""
    from beffroi.participation.models import Proposal

    proposal = (
        Proposal.objects.filter(process__slug=slug, hidden_at=None)
        .order_by("-supports_count", "pk")
        .first()
    )
    assert proposal is not None, f"the data has no proposal in {slug}"
    return proposal.pk


def _hidden_proposal() -> int:
    from beffroi.participation.models import Proposal

    proposal = Proposal.objects.exclude(hidden_at=None).order_by("pk").first()
    assert proposal is not None, "the data has no hidden proposal"
    return proposal.pk


def _reported_comment() -> int:
    from beffroi.participation.models import Report

    report = Report.objects.filter(decision="", comment__isnull=False).order_by("pk").first()
    assert report is not None and report.comment_id is not None, "no report awaits a decision"
    return report.comment_id


def _visible_comment() -> int:
    from beffroi.participation.models import Comment

    comment = (
        Comment.objects.filter(proposal_id=_top_proposal(), hidden_at=None).order_by("pk").first()
    )
    assert comment is not None, "the data has no comment"
    return comment.pk


def _hidden_author() -> int:
    from beffroi.participation.models import Proposal

    author_id = Proposal.objects.get(pk=_hidden_proposal()).author_id
    assert author_id is not None
    return author_id


def _meeting(*, past: bool) -> tuple[str, int]:
    from django.utils import timezone

    from beffroi.participation.models import Meeting

    meetings = Meeting.objects.select_related("process")
    now = timezone.now()
    meeting = (
        meetings.filter(starts_at__lt=now).order_by("-starts_at").first()
        if past
        else meetings.filter(starts_at__gte=now).order_by("starts_at").first()
    )
    assert meeting is not None, "the data has no meeting"
    return meeting.process.slug, meeting.pk


def _meeting_id(*, past: bool) -> int:
    return _meeting(past=past)[1]


def _phase_of(slug: str, *, last: bool = False) -> tuple[int, int]:
    """The first phase of a process (``last``: its last one, still to come)."""
    from beffroi.participation.models import Phase

    phases = Phase.objects.filter(process__slug=slug).order_by("position")
    phase = phases.last() if last else phases.first()
    assert phase is not None, f"{slug} has no phase"
    return phase.process_id, phase.pk


def _category_of(slug: str) -> tuple[int, int]:
    from beffroi.participation.models import Category

    category = Category.objects.filter(process__slug=slug).order_by("position").first()
    assert category is not None, f"{slug} has no category"
    return category.process_id, category.pk


def _resident_participant() -> Any:
    from beffroi.participation.participants.services import participant_for_user
    from beffroi.territory.models import Organisation

    organisation = Organisation.objects.get(is_default=True)
    return participant_for_user(user=user_of(organisation, RESIDENT), organisation=organisation)


def _own_proposal() -> int:
    """A proposal the resident of the walk has just written (within its edit window)."""
    from beffroi.participation.models import Process, Proposal
    from beffroi.participation.proposals.services import Place, ProposalInput, proposal_create

    participant = _resident_participant()
    title = "Un abri à vélos couvert devant la gare routière"
    own = Proposal.objects.filter(author=participant, title=title).first()
    if own is None:
        process = Process.objects.prefetch_related("phases").get(slug=IDEAS)
        category = process.categories.order_by("position").first()
        own = proposal_create(
            process=process,
            participant=participant,
            data=ProposalInput(
                title=title,
                body="<p>Les vélos restent sous la pluie toute la journée : un abri suffirait.</p>",
                category_id=category.pk if category else None,
                place=Place(lat=48.5031, lon=5.5322),
            ),
        )
    return own.pk


def _own_comment() -> int:
    """A comment the resident of the walk has just posted (within its edit window)."""
    from beffroi.participation.comments.services import Subject, comment_create
    from beffroi.participation.models import Comment, Process, Proposal

    participant = _resident_participant()
    body = "Je passe par là chaque matin : des bancs seraient bienvenus."
    own = Comment.objects.filter(author=participant, body=body).first()
    if own is None:
        proposal = Proposal.objects.get(pk=_top_proposal())
        proposal.process = Process.objects.prefetch_related("phases").get(pk=proposal.process_id)
        own = comment_create(
            participant=participant,
            subject=Subject(proposal=proposal),
            body=body,
            stance="for",
        )
    return own.pk


def _unsubscribe_token() -> str:
    from beffroi.participation.notifications.services import notification_settings_of

    return str(notification_settings_of(_resident_participant()).unsubscribe_token)


def _first_project() -> int:
    from beffroi.participation.models import MunicipalProject

    project = MunicipalProject.objects.order_by("pk").first()
    assert project is not None, "the data has no municipal project"
    return project.pk


def _first_project_process_id() -> int:
    from beffroi.participation.models import MunicipalProject

    project = MunicipalProject.objects.order_by("pk").first()
    assert project is not None, "the data has no municipal project"
    return project.process_id


def _first_questionnaire() -> int:
    from beffroi.participation.models import Questionnaire

    questionnaire = Questionnaire.objects.order_by("pk").first()
    assert questionnaire is not None, "the data has no questionnaire"
    return questionnaire.pk


def _first_question(kind: str = "") -> int:
    from beffroi.participation.models import Question

    questions = Question.objects.order_by("questionnaire_id", "position", "pk")
    if kind:
        questions = questions.filter(kind=kind)
    question = questions.first()
    assert question is not None, "the data has no question"
    return question.pk


def request_sms_code(page: Page) -> None:
    """Ask for an SMS code with a number registered for alerts: the code page follows."""
    from beffroi.alerts.models import Subscriber

    subscriber = (
        Subscriber.objects.filter(unsubscribed_at=None, user=None)
        .exclude(sms_number="")
        .order_by("pk")
        .first()
    ) or Subscriber.objects.exclude(sms_number="").order_by("pk").first()
    assert subscriber is not None, "the data has no subscriber with a mobile number"
    page.locator("main input[name=number]").fill(str(subscriber.sms_number))
    submit_with("main form[method=post] button[type=submit]")(page)


PAGES: list[PageSpec] = [
    # Public pages.
    PageSpec("/", ANONYMOUS, "home page", screenshot="home.png"),
    PageSpec("/", ANONYMOUS, "home page in English", screenshot="home-en.png", language="en"),
    PageSpec("/", RESIDENT, "home page, logged in"),
    PageSpec(lambda: url("core:contact"), ANONYMOUS, "contact the town hall"),
    PageSpec(lambda: url("core:accessibility"), ANONYMOUS, "accessibility statement"),
    PageSpec("/cette-page-n-existe-pas/", ANONYMOUS, "error 404", screenshot="404.png", status=404),
    # Accounts.
    PageSpec(lambda: url("accounts:login"), ANONYMOUS, "login form", screenshot="login.png"),
    PageSpec(
        lambda: url("accounts:login"),
        ANONYMOUS,
        "login form with its error summary",
        screenshot="form-errors.png",
        prepare=submit_wrong_login,
    ),
    PageSpec(
        lambda: url("accounts:login"),
        ANONYMOUS,
        "login locked after too many failures",
        prepare=lock_out,
    ),
    PageSpec(lambda: url("accounts:signup"), ANONYMOUS, "sign-up form", screenshot="signup.png"),
    PageSpec(
        lambda: url("accounts:signup"),
        ANONYMOUS,
        "sign-up form sent empty",
        prepare=submit_form(),
    ),
    PageSpec(lambda: url("accounts:password_reset"), ANONYMOUS, "password reset form"),
    PageSpec(lambda: url("accounts:password_reset_done"), ANONYMOUS, "password reset e-mail sent"),
    PageSpec(
        lambda: url("accounts:password_reset_confirm", "MQ", "bad-token"),
        ANONYMOUS,
        "password reset link no longer valid",
    ),
    PageSpec(lambda: url("accounts:password_reset_complete"), ANONYMOUS, "password reset done"),
    PageSpec(
        lambda: url("accounts:verify_email", "not-a-valid-token"),
        ANONYMOUS,
        "e-mail verification link not valid",
        status=400,
    ),
    PageSpec(lambda: url("accounts:profile"), RESIDENT, "profile", screenshot="profile.png"),
    PageSpec(lambda: url("accounts:profile"), ADMINISTRATOR, "profile of an agent with 2FA"),
    PageSpec(lambda: url("accounts:password_change"), RESIDENT, "password change form"),
    PageSpec(lambda: url("accounts:password_change_done"), RESIDENT, "password changed"),
    PageSpec(lambda: url("accounts:erase"), RESIDENT, "account erasure confirmation"),
    PageSpec(
        lambda: url("accounts:two_factor"),
        RESIDENT,
        "two-factor set-up, optional (QR code and secret)",
    ),
    # An agent opening the back office is sent to the two-factor page (/backoffice/ → here):
    # the row is the page itself, as they see it (the set-up an agent new to the role sees is
    # the last row of the table).
    PageSpec(
        lambda: url("accounts:two_factor", query="next=/backoffice/"),
        ADMINISTRATOR_UNVERIFIED,
        "two-factor code asked before the back office",
        screenshot="two-factor.png",
    ),
    PageSpec(
        lambda: url("accounts:profile"),
        ADMINISTRATOR,
        "new backup codes",
        prepare=submit_form("accounts:backup_codes"),
    ),
    # Back office.
    PageSpec(
        lambda: url("backoffice:home"),
        ADMINISTRATOR,
        "back-office dashboard",
        screenshot="backoffice.png",
    ),
    PageSpec(lambda: url("backoffice:home"), ALERT_AUTHOR, "back-office dashboard of an author"),
    PageSpec(lambda: url("backoffice:audit_log"), ADMINISTRATOR, "audit trail"),
    PageSpec(
        lambda: url("accounts_backoffice:agents"),
        ADMINISTRATOR,
        "agents and roles",
        screenshot="agents.png",
    ),
    PageSpec(
        lambda: url("accounts_backoffice:agents"),
        ADMINISTRATOR,
        "agents and roles, grant form sent empty",
        prepare=submit_form("accounts_backoffice:agents"),
    ),
    PageSpec(lambda: url("backoffice:audit_log"), ALERT_AUTHOR, "error 403", status=403),
    # API documentation (Swagger UI, rendered by the browser from the OpenAPI schema).
    PageSpec(
        lambda: url("api:openapi-view"),
        ANONYMOUS,
        "API documentation",
        screenshot="api-docs.png",
        prepare=wait_for(".opblock"),
        waived=(
            ("nested-interactive", "Swagger UI nests the operation's copy button in its toggle"),
            ("heading-order", "Swagger UI jumps from its h2 title to h3 operation groups"),
        ),
    ),
    # Territory.
    PageSpec(lambda: url("territory:my_address"), ANONYMOUS, "my neighbourhood, empty"),
    PageSpec(my_address_search, ANONYMOUS, "my neighbourhood, after a search"),
    PageSpec(
        my_address_result,
        ANONYMOUS,
        "my neighbourhood, an address and its zones",
        screenshot="neighbourhood.png",
    ),
    PageSpec(
        lambda: url("territory_backoffice:zone_list"),
        ADMINISTRATOR,
        "zones: list and map",
        screenshot="zones-map.png",
    ),
    PageSpec(
        zone_path("territory_backoffice:zone_detail"),
        ADMINISTRATOR,
        "zone detail",
    ),
    PageSpec(
        lambda: url("territory_backoffice:zone_create"),
        ADMINISTRATOR,
        "new zone: draw on the map",
        screenshot="zone-draw.png",
    ),
    PageSpec(
        lambda: url("territory_backoffice:zone_create"),
        ADMINISTRATOR,
        "new zone sent empty",
        prepare=submit_form(),
    ),
    PageSpec(zone_path("territory_backoffice:zone_edit"), ADMINISTRATOR, "zone edit"),
    PageSpec(zone_path("territory_backoffice:zone_delete"), ADMINISTRATOR, "zone deletion"),
    PageSpec(
        lambda: url("territory_backoffice:zone_import"),
        ADMINISTRATOR,
        "zones: GeoJSON upload form",
        screenshot="zone-import.png",
    ),
    PageSpec(
        lambda: url("territory_backoffice:zone_import"),
        ADMINISTRATOR,
        "zones: upload form sent empty",
        prepare=submit_form(),
    ),
    PageSpec(lambda: url("territory_backoffice:address_list"), ADMINISTRATOR, "addresses"),
    PageSpec(
        my_address_search_backoffice,
        ADMINISTRATOR,
        "addresses, after a search",
        screenshot="addresses.png",
    ),
    # Alerts: public pages.
    PageSpec(
        lambda: url("alerts:list"),
        ANONYMOUS,
        "alerts: the commune's history",
        screenshot="alerts-public.png",
    ),
    PageSpec(
        sent_alert("alerts:detail"), ANONYMOUS, "alerts: one alert", screenshot="alert-detail.png"
    ),
    PageSpec(sent_alert("alerts:detail"), RESIDENT, "alerts: one alert, logged in"),
    # Alerts: subscriptions.
    PageSpec(
        lambda: url("subscriptions:register"),
        ANONYMOUS,
        "alerts: registration form",
        screenshot="subscribe.png",
    ),
    PageSpec(
        lambda: url("subscriptions:register"),
        ANONYMOUS,
        "alerts: registration form sent empty",
        prepare=submit_with("main form button[value=register]"),
    ),
    PageSpec(lambda: url("subscriptions:mine"), RESIDENT, "alerts: my registration"),
    PageSpec(subscriber_management, ANONYMOUS, "alerts: registration managed from a link"),
    PageSpec(
        subscriber_path("subscriptions:unsubscribe"), ANONYMOUS, "alerts: unsubscribe confirmation"
    ),
    PageSpec(
        subscriber_management,
        ANONYMOUS,
        "alerts: unsubscribing everything from the management page asks for confirmation",
        prepare=unsubscribe_from_management(confirm=False),
    ),
    PageSpec(
        subscriber_management,
        ANONYMOUS,
        "alerts: unsubscribed from the management page, with the undo",
        prepare=unsubscribe_from_management(confirm=True),
    ),
    PageSpec(
        register_for_an_address,
        ANONYMOUS,
        "alerts: registration form for an address chosen in My neighbourhood",
    ),
    PageSpec(
        lambda: url("subscriptions:verify_email", "not-a-valid-token"),
        ANONYMOUS,
        "alerts: e-mail verification link not valid",
        status=400,
    ),
    # Alerts: subscribers in the back office.
    PageSpec(lambda: url("subscribers_backoffice:list"), FRONT_DESK, "subscribers: list"),
    PageSpec(
        subscriber_path("subscribers_backoffice:detail"), FRONT_DESK, "subscribers: one subscriber"
    ),
    PageSpec(
        lambda: url("subscribers_backoffice:register"),
        FRONT_DESK,
        "subscribers: register a resident",
    ),
    PageSpec(
        lambda: url("subscribers_backoffice:register"),
        FRONT_DESK,
        "subscribers: registration sent empty",
        prepare=submit_with("main form button[value=register]"),
    ),
    PageSpec(lambda: url("subscribers_backoffice:import"), ALERT_AUTHOR, "subscribers: import"),
    PageSpec(
        lambda: url("subscribers_backoffice:import"),
        ALERT_AUTHOR,
        "subscribers: import preview, consent certified, with the reach of each kind of alert",
        prepare=import_residents(commit=False),
    ),
    PageSpec(
        lambda: url("subscribers_backoffice:import"),
        ALERT_AUTHOR,
        "subscribers: import done",
        prepare=import_residents(commit=True),
    ),
    PageSpec(import_result, ALERT_AUTHOR, "subscribers: import result, reloaded"),
    PageSpec(imported_subscriber, ALERT_AUTHOR, "subscribers: resident imported with consent"),
    # Alerts: CAP import.
    PageSpec(lambda: url("alerts_import:cap_import"), ALERT_AUTHOR, "alerts: CAP import"),
    # Alerts: dispatch.
    PageSpec(lambda: url("alerts_dispatch:index"), ALERT_AUTHOR, "dispatch: alerts being sent"),
    PageSpec(
        sent_alert("alerts_dispatch:live"),
        ALERT_AUTHOR,
        "dispatch: live view of an alert",
        screenshot="dispatch-live.png",
    ),
    PageSpec(sent_alert("alerts_dispatch:report"), ALERT_AUTHOR, "dispatch: report of an alert"),
    # Alerts: registry of vulnerable people (social agents, second factor proven).
    PageSpec(lambda: url("registry:list"), SOCIAL_AGENT, "registry: list"),
    PageSpec(registry_person("registry:at_address"), SOCIAL_AGENT, "registry: at an address"),
    PageSpec(lambda: url("registry:map"), SOCIAL_AGENT, "registry: map"),
    PageSpec(lambda: url("registry:create"), SOCIAL_AGENT, "registry: new registration"),
    PageSpec(
        lambda: url("registry:create"),
        SOCIAL_AGENT,
        "registry: new registration sent empty",
        prepare=submit_with("main form.registry-form .actions button[type=submit]"),
    ),
    PageSpec(registry_person("registry:detail"), SOCIAL_AGENT, "registry: one registration"),
    PageSpec(registry_person("registry:update"), SOCIAL_AGENT, "registry: edit a registration"),
    PageSpec(registry_person("registry:remove"), SOCIAL_AGENT, "registry: remove a registration"),
    PageSpec(
        sent_alert("registry:call_sheet"),
        SOCIAL_AGENT,
        "registry: call sheet for an alert",
        screenshot="registry-call-sheet.png",
    ),
    # Alerts: the composer (write, approve, send).
    PageSpec(lambda: url("alerts_backoffice:alert_list"), ALERT_AUTHOR, "composer: alerts"),
    PageSpec(lambda: url("alerts_backoffice:alert_new"), ALERT_AUTHOR, "composer: new alert"),
    PageSpec(
        lambda: url("alerts_backoffice:alert_new"),
        ALERT_AUTHOR,
        "composer: new alert sent empty",
        prepare=submit_with("main form[method=post] .actions button[type=submit]"),
    ),
    PageSpec(composer_alert("alerts_backoffice:alert_detail"), ALERT_AUTHOR, "composer: a draft"),
    PageSpec(
        composer_alert("alerts_backoffice:alert_edit"), ALERT_AUTHOR, "composer: edit a draft"
    ),
    PageSpec(sent_alert("alerts_backoffice:alert_detail"), ALERT_AUTHOR, "composer: a sent alert"),
    PageSpec(
        composer_alert("alerts_backoffice:alert_review", pending=True),
        ALERT_APPROVER,
        "composer: approval of an alert",
    ),
    PageSpec(sent_alert("alerts_backoffice:alert_cancel"), ALERT_AUTHOR, "composer: end an alert"),
    PageSpec(lambda: url("alerts_backoffice:template_list"), ALERT_AUTHOR, "composer: templates"),
    PageSpec(
        lambda: url("alerts_backoffice:template_new"), ADMINISTRATOR, "composer: new template"
    ),
    PageSpec(
        alert_template("alerts_backoffice:template_edit"), ADMINISTRATOR, "composer: edit template"
    ),
    PageSpec(
        alert_template("alerts_backoffice:template_delete"),
        ADMINISTRATOR,
        "composer: delete template",
    ),
    PageSpec(lambda: url("alerts_backoffice:settings"), ADMINISTRATOR, "composer: settings"),
    # Participation: processes.
    PageSpec(
        lambda: url("participation_processes:list"),
        ANONYMOUS,
        "participation: processes open, to come and past",
        screenshot="participation-processes.png",
    ),
    PageSpec(
        lambda: url("participation_processes:detail", IDEAS),
        ANONYMOUS,
        "participation: a process's home with its phase timeline",
        screenshot="participation-process.png",
    ),
    PageSpec(
        lambda: url("participation_processes:detail", PLAN), RESIDENT, "process in its debate"
    ),
    PageSpec(
        lambda: url("participation_processes:detail", ARCHIVED), ANONYMOUS, "archived process"
    ),
    PageSpec(lambda: url("participation_processes:map", IDEAS), ANONYMOUS, "process on a map"),
    PageSpec(
        lambda: url("participation_processes_backoffice:list"),
        PARTICIPATION_MANAGER,
        "processes (back office)",
    ),
    PageSpec(
        lambda: url("participation_processes_backoffice:create"),
        PARTICIPATION_MANAGER,
        "new process from a blueprint",
    ),
    PageSpec(
        lambda: url("participation_processes_backoffice:create"),
        PARTICIPATION_MANAGER,
        "new process sent empty",
        prepare=submit_with("main form[method=post] button[type=submit]"),
    ),
    PageSpec(
        lambda: url("participation_processes_backoffice:detail", _process_id(IDEAS)),
        PARTICIPATION_MANAGER,
        "process (back office)",
    ),
    PageSpec(
        lambda: url("participation_processes_backoffice:edit", _process_id(IDEAS)),
        PARTICIPATION_MANAGER,
        "edit a process",
    ),
    PageSpec(
        lambda: url("participation_processes_backoffice:phases", _process_id(PLAN)),
        PARTICIPATION_MANAGER,
        "phases of a process",
    ),
    PageSpec(
        lambda: url("participation_processes_backoffice:phase_edit", *_phase_of(PLAN)),
        PARTICIPATION_MANAGER,
        "edit a phase",
    ),
    PageSpec(
        lambda: url(
            "participation_processes_backoffice:phase_delete",
            *_phase_of("budget-participatif-2027", last=True),
        ),
        PARTICIPATION_MANAGER,
        "delete a phase",
    ),
    PageSpec(
        lambda: url("participation_processes_backoffice:categories", _process_id(IDEAS)),
        PARTICIPATION_MANAGER,
        "categories of a process",
    ),
    PageSpec(
        lambda: url("participation_processes_backoffice:category_edit", *_category_of(IDEAS)),
        PARTICIPATION_MANAGER,
        "edit a category",
    ),
    PageSpec(
        lambda: url("participation_processes_backoffice:documents", _process_id(CONSULTATION)),
        PARTICIPATION_MANAGER,
        "documents of a process",
    ),
    # Participation: proposals.
    PageSpec(
        lambda: url("participation_proposals:list", IDEAS),
        ANONYMOUS,
        "proposals: list, filters and sorts",
        screenshot="participation-proposals.png",
    ),
    PageSpec(
        lambda: url("participation_proposals:list", IDEAS, query="sort=commented&page=2"),
        RESIDENT,
        "proposals: most commented, second page",
    ),
    PageSpec(
        lambda: url("participation_proposals:map", IDEAS),
        ANONYMOUS,
        "proposals on a map",
        screenshot="participation-proposals-map.png",
    ),
    PageSpec(
        lambda: url("participation_proposals:detail", _top_proposal()),
        ANONYMOUS,
        "proposal with its answer, supports and threaded comments",
        screenshot="participation-proposal.png",
    ),
    PageSpec(
        lambda: url("participation_proposals:detail", _top_proposal()),
        RESIDENT,
        "proposal, logged in (support, follow, comment)",
    ),
    PageSpec(
        lambda: url("participation_proposals:detail", _top_proposal(PLAN)),
        RESIDENT,
        "proposal in a debate phase",
    ),
    PageSpec(
        lambda: url("participation_proposals:detail", _hidden_proposal()),
        ANONYMOUS,
        "proposal hidden by moderation: the public reason",
        status=410,
    ),
    PageSpec(
        lambda: url("participation_proposals:create", IDEAS), RESIDENT, "proposals: write one"
    ),
    PageSpec(
        lambda: url("participation_proposals:create", IDEAS),
        RESIDENT,
        "proposals: form sent empty",
        prepare=submit_with("main form[method=post] button[type=submit]:not([value=search])"),
    ),
    PageSpec(
        lambda: url("participation_proposals:versions", _top_proposal()),
        ANONYMOUS,
        "proposal's version history",
    ),
    PageSpec(
        lambda: url("participation_proposals_backoffice:index"),
        PARTICIPATION_MANAGER,
        "proposals to review (back office)",
    ),
    PageSpec(
        lambda: url("participation_proposals_backoffice:list", _process_id(IDEAS)),
        PARTICIPATION_MANAGER,
        "proposals of a process (back office)",
    ),
    PageSpec(
        lambda: url("participation_proposals_backoffice:review", _top_proposal()),
        PARTICIPATION_MANAGER,
        "official answer and feasibility review",
    ),
    PageSpec(
        lambda: url("participation_proposals_backoffice:on_behalf", _process_id(IDEAS)),
        FRONT_DESK,
        "type in a proposal made on paper",
    ),
    # Participation: comments and moderation.
    PageSpec(
        lambda: url("participation_comments:proposal_thread", _top_proposal()),
        ANONYMOUS,
        "discussion of a proposal",
    ),
    PageSpec(
        lambda: url("participation_comments:project_thread", _first_project()),
        RESIDENT,
        "discussion of a municipal project",
    ),
    PageSpec(
        lambda: url("participation_moderation:report_proposal", _top_proposal()),
        RESIDENT,
        "report a proposal",
    ),
    PageSpec(
        lambda: url("participation_moderation:report_comment", _visible_comment()),
        RESIDENT,
        "report a comment",
    ),
    PageSpec(
        lambda: url("participation_moderation_backoffice:queue"),
        MODERATOR,
        "moderation queue",
        screenshot="participation-moderation.png",
    ),
    PageSpec(
        lambda: url("participation_moderation_backoffice:proposal", _hidden_proposal()),
        MODERATOR,
        "moderation: a hidden proposal",
    ),
    PageSpec(
        lambda: url("participation_moderation_backoffice:comment", _reported_comment()),
        MODERATOR,
        "moderation: a reported comment",
    ),
    PageSpec(
        lambda: url("participation_moderation_backoffice:participant", _hidden_author()),
        MODERATOR,
        "moderation: a participant",
    ),
    PageSpec(
        lambda: url("participation_moderation_backoffice:blocked"),
        MODERATOR,
        "moderation: blocked participants",
    ),
    PageSpec(
        lambda: url("participation_moderation_backoffice:settings"),
        PARTICIPATION_MANAGER,
        "moderation settings",
    ),
    # Participation: the commune's projects and questionnaires.
    PageSpec(
        lambda: url("participation_consultations:process_index", CONSULTATION),
        ANONYMOUS,
        "consultation: projects and questionnaires of a process",
    ),
    PageSpec(
        lambda: url("participation_consultations:project_detail", _first_project()),
        ANONYMOUS,
        "municipal project with the opinions",
        screenshot="participation-project.png",
    ),
    PageSpec(
        lambda: url("participation_consultations:project_detail", _first_project()),
        RESIDENT,
        "municipal project page with the opinion form",
    ),
    PageSpec(
        lambda: url("participation_consultations:questionnaire_answer", _first_questionnaire()),
        RESIDENT,
        "questionnaire, answering page",
    ),
    PageSpec(
        lambda: url("participation_consultations:questionnaire_results", _first_questionnaire()),
        ANONYMOUS,
        "questionnaire results as charts",
        screenshot="participation-results.png",
    ),
    PageSpec(
        lambda: url("participation_consultations_backoffice:index"),
        PARTICIPATION_MANAGER,
        "consultations back office",
    ),
    PageSpec(
        lambda: url("participation_consultations_backoffice:process", _first_project_process_id()),
        PARTICIPATION_MANAGER,
        "consultations of a process (back office)",
    ),
    PageSpec(
        lambda: url(
            "participation_consultations_backoffice:project_create", _first_project_process_id()
        ),
        PARTICIPATION_MANAGER,
        "new municipal project",
    ),
    PageSpec(
        lambda: url("participation_consultations_backoffice:project_edit", _first_project()),
        PARTICIPATION_MANAGER,
        "edit a municipal project",
    ),
    PageSpec(
        lambda: url(
            "participation_consultations_backoffice:questionnaire_create",
            _first_project_process_id(),
        ),
        PARTICIPATION_MANAGER,
        "new questionnaire",
    ),
    PageSpec(
        lambda: url(
            "participation_consultations_backoffice:questionnaire_edit", _first_questionnaire()
        ),
        PARTICIPATION_MANAGER,
        "questionnaire settings",
    ),
    PageSpec(
        lambda: url(
            "participation_consultations_backoffice:questionnaire_builder", _first_questionnaire()
        ),
        PARTICIPATION_MANAGER,
        "questionnaire builder",
    ),
    PageSpec(
        lambda: url(
            "participation_consultations_backoffice:question_create",
            _first_questionnaire(),
            query="kind=matrix",
        ),
        PARTICIPATION_MANAGER,
        "new matrix question",
    ),
    PageSpec(
        lambda: url("participation_consultations_backoffice:question_edit", _first_question()),
        PARTICIPATION_MANAGER,
        "edit a question",
    ),
    PageSpec(
        lambda: url("participation_consultations_backoffice:question_delete", _first_question()),
        PARTICIPATION_MANAGER,
        "delete a question",
    ),
    PageSpec(
        lambda: url("participation_consultations_backoffice:results", _first_questionnaire()),
        PARTICIPATION_MANAGER,
        "questionnaire results (back office)",
    ),
    PageSpec(
        lambda: url("participation_consultations_backoffice:text_answers", _first_questionnaire()),
        PARTICIPATION_MANAGER,
        "free-text answers and tags",
    ),
    # Participation: workshops and meetings.
    PageSpec(lambda: url("participation_meetings:index"), ANONYMOUS, "meetings to come"),
    PageSpec(
        lambda: url("participation_meetings:process", CONSULTATION),
        ANONYMOUS,
        "meetings of a process",
    ),
    PageSpec(
        lambda: url("participation_meetings:detail", *_meeting(past=False)),
        ANONYMOUS,
        "meeting to come, full, with a waiting list",
        screenshot="participation-meeting.png",
    ),
    PageSpec(
        lambda: url("participation_meetings:detail", *_meeting(past=False)),
        RESIDENT,
        "meeting to come, logged in",
    ),
    PageSpec(
        lambda: url("participation_meetings:detail", *_meeting(past=True)),
        ANONYMOUS,
        "past workshop with its minutes and the proposals born there",
    ),
    PageSpec(
        lambda: url("participation_meetings_backoffice:list"),
        PARTICIPATION_MANAGER,
        "meetings (back office)",
    ),
    PageSpec(
        lambda: url("participation_meetings_backoffice:create"),
        PARTICIPATION_MANAGER,
        "new meeting",
    ),
    PageSpec(
        lambda: url("participation_meetings_backoffice:detail", _meeting_id(past=False)),
        PARTICIPATION_MANAGER,
        "meeting with its registrations (back office)",
    ),
    PageSpec(
        lambda: url("participation_meetings_backoffice:detail", _meeting_id(past=True)),
        PARTICIPATION_MANAGER,
        "past workshop with its attendance (back office)",
    ),
    PageSpec(
        lambda: url("participation_meetings_backoffice:update", _meeting_id(past=False)),
        PARTICIPATION_MANAGER,
        "edit a meeting",
    ),
    PageSpec(
        lambda: url("participation_meetings_backoffice:cancel", _meeting_id(past=False)),
        PARTICIPATION_MANAGER,
        "cancel a meeting",
    ),
    PageSpec(
        lambda: url("participation_meetings_backoffice:minutes", _meeting_id(past=True)),
        PARTICIPATION_MANAGER,
        "minutes and head count of a workshop",
    ),
    PageSpec(
        lambda: url("participation_meetings_backoffice:sign_in_sheet", _meeting_id(past=False)),
        PARTICIPATION_MANAGER,
        "printable sign-in sheet",
    ),
    PageSpec(
        lambda: url("participation_meetings_backoffice:proposal_form", _meeting_id(past=False)),
        PARTICIPATION_MANAGER,
        "printable proposal form",
    ),
    # Participation: taking part, notifications, statistics.
    PageSpec(lambda: url("participation_participants:take_part"), ANONYMOUS, "how to take part"),
    PageSpec(
        lambda: url("participation_participants:sms"), ANONYMOUS, "take part with an SMS code"
    ),
    PageSpec(
        lambda: url("participation_participants:sms"),
        ANONYMOUS,
        "SMS code asked: the page to type it",
        prepare=request_sms_code,
    ),
    PageSpec(lambda: url("participation_participants:profile"), RESIDENT, "participant's profile"),
    PageSpec(
        lambda: url("participation_notifications:list"),
        RESIDENT,
        "notifications",
        screenshot="participation-notifications.png",
    ),
    PageSpec(
        lambda: url("participation_notifications:settings"), RESIDENT, "notification settings"
    ),
    PageSpec(
        lambda: url("participation_notifications:unsubscribe", _unsubscribe_token()),
        ANONYMOUS,
        "notifications: one-click unsubscribe confirmation",
    ),
    PageSpec(
        lambda: url("participation_statistics_backoffice:index"),
        PARTICIPATION_MANAGER,
        "participation statistics",
    ),
    PageSpec(
        lambda: url("participation_statistics_backoffice:process", _process_id(IDEAS)),
        PARTICIPATION_MANAGER,
        "statistics of a process: per day, zone and age band",
        screenshot="participation-statistics.png",
    ),
    # The resident's own contributions, written when the walk reaches them (after the
    # screenshots above, which must not show them).
    PageSpec(
        lambda: url("participation_proposals:update", _own_proposal()),
        RESIDENT,
        "edit one's proposal within the edit window",
    ),
    PageSpec(
        lambda: url("participation_proposals:withdraw", _own_proposal()),
        RESIDENT,
        "withdraw one's proposal: confirmation",
    ),
    PageSpec(
        lambda: url("participation_comments:edit", _own_comment()),
        RESIDENT,
        "edit one's comment within the edit window",
    ),
    PageSpec(demo_outbox, FRONT_DESK, "demo outbox: an alert e-mail and its SMS on a phone"),
    # Last: the agent this row logs in is created when the walk reaches it, and must not show
    # on the pages above (the agents list and its screenshot).
    PageSpec(
        lambda: url("accounts:two_factor", query="next=/backoffice/"),
        ALERT_APPROVER_NEW,
        "two-factor set-up required before the back office (QR code and secret)",
    ),
]

# URL names that are not pages a person reads: form actions answering with a redirect,
# downloads, machine endpoints. Every other named URL must appear in PAGES (the walk checks
# it), so that a new page cannot escape the accessibility audit.
NOT_PAGES: dict[str, str] = {
    "core:tile": "map tile image",
    "territory:base_map": "GeoJSON of the base map (streets and place names) read by map.js",
    "core:healthz": "health check for the load balancer",
    "accounts:logout": "POST action, redirects",
    "demo:reply": "POST action (the outbox's phone), redirects to the outbox",
    "accounts:verify_email_resend": "POST action, redirects",
    "accounts:backup_codes": "POST action (its result is in PAGES through the profile)",
    "accounts:data_export": "JSON download",
    "accounts:api_token_create": "POST action, redirects",
    "accounts:api_token_revoke": "POST action, redirects",
    "accounts_backoffice:role_revoke": "POST action, redirects",
    "accounts_backoffice:two_factor_reset": "POST action, redirects",
    "set_language": "POST action of the language switcher, redirects",
    "javascript-catalog": "JavaScript translations",
    "alerts:feed": "Atom feed",
    "alerts:cap": "CAP XML download",
    "alerts_dispatch_hooks:sms_webhook": "webhook of the SMS gateway (POST only)",
    "registry:export": "CSV download",
    "registry:address_suggest": "htmx fragment (address suggestions of the registry form)",
    "registry:confirm": "POST action, redirects",
    "alerts_backoffice:alert_submit": "POST action, redirects",
    "alerts_backoffice:alert_reject": "POST action, redirects",
    "alerts_backoffice:alert_update": "POST action, redirects to the new draft",
    "alerts_backoffice:template_defaults": "POST action, redirects",
    "alerts_backoffice:sms_preview": "htmx fragment (SMS length of the composer, POST)",
    "alerts_backoffice:audience_preview": "htmx fragment (audience of the composer, POST)",
    "participation_processes:follow": "POST action, redirects",
    "participation_processes:illustration": "image of a process",
    "participation_processes:document": "document download",
    "participation_processes_backoffice:status": "POST action, redirects",
    "participation_processes_backoffice:phase_mode": "POST action, redirects",
    "participation_processes_backoffice:category_delete": "POST action, redirects",
    "participation_processes_backoffice:document_delete": "POST action, redirects",
    "participation_proposals:geojson": "GeoJSON of the proposals map",
    "participation_proposals:feed": "Atom feed",
    "participation_proposals:similar": "htmx fragment (similar proposals while writing)",
    "participation_proposals:support": "POST action, redirects",
    "participation_proposals:unsupport": "POST action, redirects",
    "participation_proposals:follow": "POST action, redirects",
    "participation_proposals:unfollow": "POST action, redirects",
    "participation_proposals:file": "file download",
    "participation_comments:goto": "redirects to the comment on its subject's page",
    "participation_comments:vote": "POST action, redirects",
    "participation_moderation_backoffice:proposal_decide": "POST action, redirects",
    "participation_moderation_backoffice:comment_decide": "POST action, redirects",
    "participation_moderation_backoffice:block": "POST action, redirects",
    "participation_moderation_backoffice:unblock": "POST action, redirects",
    "participation_consultations:opinion_give": "POST action, redirects",
    "participation_consultations_backoffice:question_move": "POST action, redirects",
    "participation_consultations_backoffice:answer_tag_add": "POST action, redirects",
    "participation_consultations_backoffice:answer_tag_remove": "POST action, redirects",
    "participation_consultations_backoffice:text_answers_csv": "CSV download",
    "participation_meetings:register": "POST action, redirects",
    "participation_meetings:unregister": "POST action, redirects",
    "participation_meetings:ical": "iCalendar download",
    "participation_meetings_backoffice:address_suggest": "htmx fragment (address suggestions)",
    "participation_meetings_backoffice:attendance": "POST action, redirects",
    "participation_meetings_backoffice:register": "POST action, redirects",
    "participation_meetings_backoffice:unregister": "POST action, redirects",
    "participation_meetings_backoffice:attach": "POST action, redirects",
    "participation_meetings_backoffice:detach": "POST action, redirects",
    "participation_participants:sms_code": (
        "needs a code asked in the session: audited through the SMS row's prepare step"
    ),
    "participation_participants:sms_signout": "POST action, redirects",
    "participation_notifications:mark_read": "POST action, redirects",
    "participation_notifications:mark_all_read": "POST action, redirects",
    "participation_statistics_backoffice:export": "CSV download",
}
# Namespaces outside the audit: the JSON API (its documentation page is in PAGES) and
# Django's administration, which is Django's own markup.
NOT_PAGE_NAMESPACES = ("api", "admin")
# Namespaces whose pages are not in the table yet, each with the reason. The walk warns about
# them instead of failing; remove a namespace from here when its rows are added above.
NOT_YET_AUDITED: dict[str, str] = {}


# Participatory budgets: their rows live beside their own tests' helpers.
from tests.browser.pages_budgets_backoffice import PAGES_BUDGETS_BACKOFFICE  # noqa: E402
from tests.browser.pages_budgets_public import (  # noqa: E402
    NOT_PAGES_BUDGETS_PUBLIC,
    PAGES_BUDGETS_PUBLIC,
)

PAGES += PAGES_BUDGETS_PUBLIC + PAGES_BUDGETS_BACKOFFICE
NOT_PAGES.update(NOT_PAGES_BUDGETS_PUBLIC)
NOT_PAGES.update(
    {
        "participation_budgets_backoffice:project_from_proposal": "form action (redirects)",
        "participation_budgets_backoffice:compute": "form action: enqueues the computation",
        "participation_budgets_backoffice:export_pb": "download of the budget as a .pb file",
        "participation_budgets_backoffice:export_csv": "download of the results as CSV",
    }
)

# Realisations (issue 10, item 6): their rows live beside their own.
from tests.browser.pages_realisations import (  # noqa: E402
    NOT_PAGES_REALISATIONS,
    PAGES_REALISATIONS,
)

PAGES += PAGES_REALISATIONS
NOT_PAGES.update(NOT_PAGES_REALISATIONS)

# Associations (issue 11, items 1–2): their rows live beside their own.
from tests.browser.pages_volunteering import NOT_PAGES_VOLUNTEERING, PAGES_VOLUNTEERING  # noqa: E402

PAGES += PAGES_VOLUNTEERING
NOT_PAGES.update(NOT_PAGES_VOLUNTEERING)

# Volunteering (issue 11, items 3–9): missions, needs and statistics, profiles and matching,
# applications, call-outs and the reserve; each area's rows live beside their own.
from tests.browser.pages_applications import (  # noqa: E402
    NOT_PAGES_APPLICATIONS,
    PAGES_APPLICATIONS,
)
from tests.browser.pages_callouts import NOT_PAGES_CALLOUTS, PAGES_CALLOUTS  # noqa: E402
from tests.browser.pages_missions import NOT_PAGES_MISSIONS, PAGES_MISSIONS  # noqa: E402
from tests.browser.pages_needs import NOT_PAGES_NEEDS, PAGES_NEEDS  # noqa: E402
from tests.browser.pages_volunteers import NOT_PAGES_VOLUNTEERS, PAGES_VOLUNTEERS  # noqa: E402

PAGES += PAGES_MISSIONS + PAGES_NEEDS + PAGES_VOLUNTEERS + PAGES_APPLICATIONS + PAGES_CALLOUTS
for _not_pages in (
    NOT_PAGES_MISSIONS,
    NOT_PAGES_NEEDS,
    NOT_PAGES_VOLUNTEERS,
    NOT_PAGES_APPLICATIONS,
    NOT_PAGES_CALLOUTS,
):
    NOT_PAGES.update(_not_pages)
