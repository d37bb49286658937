"""Every page of the accounts app renders, with the structure assistive technologies need."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest
from django.conf import settings
from django.test import Client

from beffroi.accounts.models import User
from beffroi.testing import Cast, login_verified


class PageAudit(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.headings: list[int] = []
        self.inputs: list[str] = []
        self.labels: set[str] = set()
        self.inline_styles = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if "style" in values:
            self.inline_styles += 1
        if tag in {"h1", "h2", "h3", "h4", "h5", "h6"}:
            self.headings.append(int(tag[1]))
        if tag == "label" and values.get("for"):
            self.labels.add(str(values["for"]))
        if tag in {"input", "select", "textarea"} and values.get("type") not in {
            "hidden",
            "submit",
        }:
            self.inputs.append(str(values.get("id")))


def audit(html: str) -> PageAudit:
    parser = PageAudit()
    parser.feed(html)
    assert parser.inline_styles == 0
    assert parser.headings.count(1) == 1, parser.headings
    for previous, current in zip(parser.headings, parser.headings[1:], strict=False):
        assert current <= previous + 1, parser.headings
    for field_id in parser.inputs:
        assert field_id in parser.labels, field_id
    return parser


ANONYMOUS_PAGES = [
    ("/compte/connexion/", 200),
    ("/compte/inscription/", 200),
    ("/compte/mot-de-passe/oublie/", 200),
    ("/compte/mot-de-passe/oublie/envoye/", 200),
    ("/compte/mot-de-passe/nouveau/termine/", 200),
    ("/compte/verification/not-a-token/", 400),  # the page that explains a bad link
]


@pytest.mark.parametrize(("path", "status"), ANONYMOUS_PAGES)
def test_public_pages_render_accessibly(cast: Cast, client: Client, path: str, status: int) -> None:
    response = client.get(path)
    assert response.status_code == status
    audit(response.content.decode())


@pytest.mark.parametrize(
    "path",
    [
        "/compte/profil/",
        "/compte/profil/supprimer/",
        "/compte/mot-de-passe/changer/",
        "/compte/mot-de-passe/change/",
        "/backoffice/comptes/",
    ],
)
def test_agent_pages_render_accessibly(cast: Cast, client: Client, path: str) -> None:
    # The two-factor pages are not for a verified agent (sent back to the back office, see
    # test_two_factor): the next test renders them for an agent who has to prove a code.
    login_verified(client, cast.administrator)
    response = client.get(path)
    assert response.status_code == 200
    audit(response.content.decode())


def test_the_setup_and_verify_pages_render_accessibly(cast: Cast, client: Client) -> None:
    client.force_login(cast.alert_approver)
    audit(client.get("/compte/double-authentification/").content.decode())
    from django_otp.plugins.otp_totp.models import TOTPDevice

    TOTPDevice.objects.filter(user=cast.alert_approver).update(confirmed=True)
    page = client.get("/compte/double-authentification/")
    assert "accounts/two_factor_verify.html" in [t.name for t in page.templates]
    audit(page.content.decode())


def test_forms_with_errors_render_accessibly(cast: Cast, client: Client) -> None:
    response = client.post("/compte/inscription/", {"email": "bad"})
    parser = audit(response.content.decode())
    assert parser.headings[:2] == [1, 2]
    assert 'aria-invalid="true"' in response.content.decode()
    assert 'aria-describedby="id_email_error"' in response.content.decode()


def test_the_lockout_page_renders_accessibly(cast: Cast, client: Client) -> None:
    for _attempt in range(settings.AXES_FAILURE_LIMIT):
        response = client.post("/compte/connexion/", {"username": "x@example.org", "password": "y"})
    assert response.status_code == 429
    audit(response.content.decode())
    assert User.objects.filter(email="x@example.org").count() == 0
