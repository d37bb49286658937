from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import timedelta
from typing import Any
from unittest import mock

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone

from beffroi.accounts import services
from beffroi.accounts.models import Role, RoleAssignment, User
from beffroi.accounts.tests.factories import link_in_last_mail
from beffroi.testing import PASSWORD, Cast

Sent = Callable[[], AbstractContextManager[Any]]

SIGNUP = "/compte/inscription/"
GOOD = {
    "email": "Nadia@Example.org",
    "full_name": "Nadia Roux",
    "password1": "un-mot-de-passe-solide-31",
    "password2": "un-mot-de-passe-solide-31",
    "consent": "on",
}


def test_it_signs_up_a_resident_and_sends_a_verification_link(
    cast: Cast, client: Client, sent: Sent
) -> None:
    with sent():
        response = client.post(SIGNUP, GOOD)
    assert response.status_code == 302
    assert response["Location"] == "/compte/connexion/"
    user = User.objects.get(email="nadia@example.org")
    assert user.full_name == "Nadia Roux"
    assert user.check_password(GOOD["password1"])
    # Hashed, never stored as typed: with MD5 in the tests (the root conftest's
    # _fast_password_hashing); Argon2 in production, see test_login.
    assert user.password.startswith("md5$")
    assert user.privacy_consented_at is not None
    assert user.email_verified_at is None
    assert list(RoleAssignment.objects.filter(user=user).values_list("organisation", "role")) == [
        (cast.org.pk, Role.RESIDENT)
    ]
    # No session: an address that already had an account gets the very same answer.
    assert "_auth_user_id" not in client.session
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["nadia@example.org"]
    link = link_in_last_mail("/compte/verification/")
    assert "https://testserver/compte/verification/" in mail.outbox[0].body

    client.logout()
    page = client.get(link)
    assert page.status_code == 200
    user.refresh_from_db()
    assert user.email_verified_at is not None


def test_it_enqueues_the_email_on_the_email_queue(cast: Cast, client: Client) -> None:
    from django_tasks_db.models import DBTaskResult

    with mock.patch("django.db.transaction.on_commit", lambda fn, *a, **k: fn()):
        client.post(SIGNUP, GOOD)
    job = DBTaskResult.objects.get()
    assert job.queue_name == "email"
    assert job.task_path == "beffroi.accounts.services.send_account_email"
    # No secret waits in the queue: the link is signed when the task runs.
    assert "verification" not in str(job.args_kwargs)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"consent": ""}, "consent"),
        ({"password2": "autre-chose-tres-long"}, "password2"),
        ({"password1": "123", "password2": "123"}, "password1"),
        ({"email": "pas-une-adresse"}, "email"),
    ],
)
def test_it_refuses_bad_signups_with_a_message(
    cast: Cast, client: Client, sent: Sent, change: dict[str, str], field: str
) -> None:
    before = User.objects.count()
    with sent():
        response = client.post(SIGNUP, {**GOOD, **change})
    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert b"error-summary" in response.content
    assert User.objects.count() == before
    assert mail.outbox == []


def test_it_refuses_a_forged_or_expired_link(cast: Cast, client: Client) -> None:
    token = services.email_verification_token(user=cast.resident)
    response = client.get(f"/compte/verification/{token[:-2]}xx/")
    assert response.status_code == 400
    assert "accounts/verify_email.html" in [t.name for t in response.templates]
    later = timezone.now() + timedelta(days=3, minutes=1)
    with mock.patch("django.core.signing.time.time", return_value=later.timestamp()):
        response = client.get(f"/compte/verification/{token}/")
    assert response.status_code == 400
    assert response.context["error"]
    cast.resident.refresh_from_db()
    assert cast.resident.email_verified_at is None


def test_it_refuses_a_link_for_an_address_changed_since(cast: Cast, client: Client) -> None:
    token = services.email_verification_token(user=cast.resident)
    cast.resident.email = "alice.new@example.org"
    cast.resident.save()
    assert client.get(f"/compte/verification/{token}/").status_code == 400
    cast.resident.refresh_from_db()
    assert cast.resident.email_verified_at is None


def test_it_resends_the_link_once_a_minute(cast: Cast, client: Client, sent: Sent) -> None:
    client.force_login(cast.resident)
    with sent():
        client.post("/compte/verification/renvoyer/")
        client.post("/compte/verification/renvoyer/")
    assert len(mail.outbox) == 1
    assert client.get(link_in_last_mail("/compte/verification/")).status_code == 200
    cast.resident.refresh_from_db()
    assert cast.resident.email_verified_at is not None


def test_it_sends_a_password_reset_link_that_works(cast: Cast, client: Client, sent: Sent) -> None:
    with sent():
        response = client.post("/compte/mot-de-passe/oublie/", {"email": "ALICE@example.org"})
    assert response["Location"] == "/compte/mot-de-passe/oublie/envoye/"
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == [cast.resident.email]
    link = link_in_last_mail("/compte/mot-de-passe/nouveau/")
    form_page = client.get(link, follow=True)
    assert form_page.context["validlink"]
    new = "encore-un-secret-long-77"
    response = client.post(
        form_page.redirect_chain[-1][0], {"new_password1": new, "new_password2": new}
    )
    assert response["Location"] == "/compte/mot-de-passe/nouveau/termine/"
    cast.resident.refresh_from_db()
    assert cast.resident.check_password(new)
    assert cast.resident.email_verified_at is not None


def test_it_says_the_same_for_an_unknown_address(cast: Cast, client: Client, sent: Sent) -> None:
    with sent():
        response = client.post("/compte/mot-de-passe/oublie/", {"email": "nobody@example.org"})
    assert response["Location"] == "/compte/mot-de-passe/oublie/envoye/"
    assert mail.outbox == []


def test_it_changes_the_password(cast: Cast, client: Client) -> None:
    client.force_login(cast.resident)
    new = "changement-de-secret-88"
    response = client.post(
        "/compte/mot-de-passe/changer/",
        {"old_password": PASSWORD, "new_password1": new, "new_password2": new},
    )
    assert response["Location"] == "/compte/mot-de-passe/change/"
    cast.resident.refresh_from_db()
    assert cast.resident.check_password(new)


def test_it_answers_a_taken_address_as_a_new_one_and_tells_its_owner(
    cast: Cast, client: Client, sent: Sent
) -> None:
    with sent():
        fresh = client.post(SIGNUP, GOOD, follow=True)
    client.logout()
    mail.outbox.clear()
    users = User.objects.count()
    owner = User.objects.get(email="nadia@example.org")
    owner.set_password("mot-de-passe-du-titulaire-42")
    owner.save()
    with sent():
        again = client.post(
            SIGNUP, {**GOOD, "email": "NADIA@example.org", "full_name": "Quelqu'un"}, follow=True
        )
    assert again.redirect_chain == fresh.redirect_chain == [("/compte/connexion/", 302)]
    said = [str(m) for m in again.context["messages"]]
    assert said == [str(m) for m in fresh.context["messages"]]
    assert said == [
        "We sent an e-mail to nadia@example.org: open the link it contains to confirm your "
        "address, then log in."
    ]
    assert "_auth_user_id" not in client.session
    # No account created, the owner's unchanged; one e-mail, to the owner.
    assert User.objects.count() == users
    owner.refresh_from_db()
    assert owner.full_name == "Nadia Roux"
    assert owner.check_password("mot-de-passe-du-titulaire-42")
    assert [m.to for m in mail.outbox] == [["nadia@example.org"]]
    body = mail.outbox[0].body
    # In the owner's language (French by default).
    assert "a essayé de créer un compte avec votre adresse e-mail" in body
    assert "https://testserver/compte/connexion/" in body
    assert "https://testserver/compte/mot-de-passe/oublie/" in body


def test_account_emails_come_from_the_organisation(cast: Cast, client: Client, sent: Sent) -> None:
    with sent():
        client.post(SIGNUP, GOOD)
    user = User.objects.get(email="nadia@example.org")
    client.force_login(user)
    with sent():
        client.post("/compte/mot-de-passe/oublie/", {"email": "nadia@example.org"})
    assert [m.from_email.split(" <")[0] for m in mail.outbox] == ["Commune de Valmont"] * 2
