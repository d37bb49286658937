"""CSV import of residents by agents: columns by name, encodings and separators detected,
de-duplication, all or nothing with every refused line reported; the command and the
back-office preview."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse

from beffroi.alerts.models import Place, Subscriber, Topic
from beffroi.alerts.subscriptions import imports
from beffroi.alerts.subscriptions import services as services
from beffroi.alerts.tests.factories import Territory, register_subscriber, territory
from beffroi.core.imports import ImportRefused
from beffroi.testing import login_verified

__all__ = ["territory"]

GOOD_LATIN1 = (
    "Nom;Prénom;Email;Téléphone;Adresse;Thèmes\n"
    "Durand;Jeanne;jeanne@example.org;06 12 34 56 78;12 rue de la Mairie;inondation, canicule\n"
    "Martin;Éloïse;;0692 12 34 56;3 allée des lilas;\n"
    "Petit;Paul;paul@example.org;01 40 00 00 00;14 rue de la mairie;tout\n"
).encode("iso-8859-1")

GOOD_UTF8_COMMA = (
    "full_name,email,mobile,adresse,langue\n"
    '"Zoé Leroy",zoe@example.org,+33 6 98 76 54 32,"12 r de la mairie",en\n'
).encode()


def _import(
    territory: Territory, data: bytes, *, dry_run: bool = False
) -> imports.SubscriberImportReport:
    return imports.subscribers_import(
        organisation=territory.cast.org,
        data=data,
        actor=territory.cast.administrator,
        dry_run=dry_run,
    )


def test_it_imports_a_semicolon_iso_8859_1_file(territory: Territory) -> None:
    report = _import(territory, GOOD_LATIN1)
    assert (report.lines, report.created, report.encoding, report.delimiter) == (
        3,
        3,
        "windows-1252",
        ";",
    )
    jeanne = Subscriber.objects.get(email="jeanne@example.org")
    assert jeanne.full_name == "Jeanne Durand"
    assert str(jeanne.sms_number) == "+33612345678"
    assert jeanne.channels == ["email", "sms"]
    assert jeanne.topics == ["flood", "heat"]
    assert jeanne.source == "import"
    assert jeanne.registered_by == territory.cast.administrator
    assert jeanne.sms_verified_at is None and jeanne.email_verified_at is None
    assert jeanne.places.get().address == territory.mairie_12
    eloise = Subscriber.objects.get(full_name="Éloïse Martin")
    assert str(eloise.sms_number) == "+262692123456"
    assert eloise.places.get().address == territory.lilas_3
    assert len(eloise.topics) == 12
    paul = Subscriber.objects.get(email="paul@example.org")
    # A landline in the phone column is kept for voice calls.
    assert str(paul.voice_number) == "+33140000000" and not paul.sms_number
    assert paul.channels == ["email", "voice"]


def test_it_imports_a_comma_separated_utf8_file(territory: Territory) -> None:
    report = _import(territory, GOOD_UTF8_COMMA)
    assert (report.created, report.encoding, report.delimiter) == (1, "utf-8", ",")
    zoe = Subscriber.objects.get()
    assert (zoe.full_name, zoe.language, str(zoe.sms_number)) == (
        "Zoé Leroy",
        "en",
        "+33698765432",
    )


def test_it_refuses_the_whole_file_and_reports_each_bad_line(territory: Territory) -> None:
    data = (
        b"nom;prenom;email;telephone;adresse;themes\n"
        b"Durand;Jeanne;jeanne@example.org;06 12 34 56 78;12 rue de la Mairie;\n"  # good
        b"Bad;Phone;;06 12;12 rue de la Mairie;\n"
        b"Bad;Mail;not-an-email;;12 rue de la Mairie;\n"
        b"No;Contact;;;12 rue de la Mairie;\n"
        b"Bad;Address;x@example.org;;99 boulevard inexistant;\n"
        b"Bad;Topic;y@example.org;;12 rue de la Mairie;volcan\n"
        b"No;Address;z@example.org;;;\n"
    )
    with pytest.raises(ImportRefused) as error:
        _import(territory, data)
    rejected = {item.line: item.reason for item in error.value.report.refused}
    assert sorted(rejected) == [3, 4, 5, 6, 7, 8]
    assert "06 12" in rejected[3] and "not a valid phone number" in rejected[3]
    assert "not-an-email" in rejected[4]
    assert rejected[5] == "no e-mail address nor phone number"
    assert "99 boulevard inexistant" in rejected[6] and "not found" in rejected[6]
    assert "volcan" in rejected[7]
    assert rejected[8] == "no address"
    # All or nothing: the good line was not imported either.
    assert not Subscriber.objects.exists()


def test_it_refuses_a_file_without_the_needed_columns(territory: Territory) -> None:
    with pytest.raises(ImportRefused) as error:
        _import(territory, b"nom;prenom\nDurand;Jeanne\n")
    [item] = error.value.report.refused
    assert item.line == 1
    assert "address column" in item.reason and "phone column" in item.reason


def test_it_updates_residents_already_registered(territory: Territory) -> None:
    existing = register_subscriber(
        territory,
        full_name="",
        sms_number="",
        channels=["email"],
        topics=["storm"],
        places=[services.PlaceInput(address_id=territory.lilas_3.pk)],
    )
    report = _import(territory, GOOD_LATIN1)
    assert (report.created, report.updated) == (2, 1)
    assert [item.line for item in report.updated_lines] == [2]
    existing.refresh_from_db()
    assert Subscriber.objects.filter(email="jeanne@example.org").count() == 1
    assert str(existing.sms_number) == "+33612345678"
    assert existing.channels == ["email", "sms"]
    assert existing.topics == ["flood", "storm", "heat"]
    assert {p.address for p in existing.places.all()} == {territory.lilas_3, territory.mairie_12}
    assert existing.source == "self"


def test_it_merges_duplicate_lines_of_the_file(territory: Territory) -> None:
    data = (
        b"nom;prenom;email;mobile;adresse;themes\n"
        b"Durand;Jeanne;jeanne@example.org;;12 rue de la Mairie;inondation\n"
        b"Durand;Jeanne;JEANNE@example.org;06 12 34 56 78;12 rue de la Mairie;canicule\n"
        b";;;+33612345678;3 allee des lilas;\n"
    )
    report = _import(territory, data)
    assert report.created == 1
    assert [(d.line, "line 2" in d.reason) for d in report.duplicates] == [(3, True), (4, True)]
    jeanne = Subscriber.objects.get()
    assert str(jeanne.sms_number) == "+33612345678"
    assert set(jeanne.topics) == set(Topic.values)  # line 4 has no topic: all
    assert Place.objects.filter(subscriber=jeanne).count() == 2


def test_it_writes_nothing_on_a_dry_run(territory: Territory) -> None:
    report = _import(territory, GOOD_LATIN1, dry_run=True)
    assert report.created == 3 and report.dry_run
    assert not Subscriber.objects.exists()


def test_the_command_imports_with_a_progress_bar(territory: Territory, tmp_path: Path) -> None:
    path = tmp_path / "abonnes.csv"
    path.write_bytes(GOOD_LATIN1)
    out, err = io.StringIO(), io.StringIO()
    call_command("import_subscribers", str(path), organisation="valmont", stdout=out, stderr=err)
    assert "3 lines, 3 residents registered" in out.getvalue()
    assert "100.0%" in err.getvalue()
    assert Subscriber.objects.filter(organisation=territory.cast.org).count() == 3


def test_the_command_reports_refused_lines(territory: Territory, tmp_path: Path) -> None:
    path = tmp_path / "abonnes.csv"
    path.write_bytes(b"nom;email;adresse\nX;bad;12 rue de la Mairie\n")
    with pytest.raises(CommandError) as error:
        call_command("import_subscribers", str(path), stdout=io.StringIO(), stderr=io.StringIO())
    assert "line 2" in str(error.value)
    assert not Subscriber.objects.exists()


def test_agents_preview_then_import_a_file(client: Client, territory: Territory) -> None:
    login_verified(client, territory.cast.administrator)
    url = reverse("subscribers_backoffice:import")
    upload = SimpleUploadedFile("abonnes.csv", GOOD_LATIN1, content_type="text/csv")
    response = client.post(url, {"file": upload})
    assert response.status_code == 200
    body = response.content.decode()
    assert "Preview" in body and "3 new residents" in body
    assert not Subscriber.objects.exists()
    fingerprint = response.context["fingerprint"]
    response = client.post(url, {"action": "commit", "fingerprint": fingerprint})
    assert response.status_code == 200
    assert "Import done" in response.content.decode()
    assert Subscriber.objects.count() == 3


def test_agents_see_the_refused_lines_of_a_bad_file(client: Client, territory: Territory) -> None:
    login_verified(client, territory.cast.alert_author)
    upload = SimpleUploadedFile("abonnes.csv", b"nom;email;adresse\nX;bad;nowhere\n")
    response = client.post(reverse("subscribers_backoffice:import"), {"file": upload})
    body = response.content.decode()
    assert "File refused" in body
    assert "<td>2</td>" in body
    assert not Subscriber.objects.exists()


def test_the_front_desk_cannot_import(client: Client, territory: Territory) -> None:
    login_verified(client, territory.cast.front_desk)
    upload = SimpleUploadedFile("abonnes.csv", GOOD_LATIN1)
    response = client.post(reverse("subscribers_backoffice:import"), {"file": upload})
    assert response.status_code == 403
    assert not Subscriber.objects.exists()
