"""CSV import of residents by agents: columns by name, encodings and separators detected,
de-duplication, all or nothing with every refused line reported; the command and the
back-office preview."""

from __future__ import annotations

import hashlib
import io
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from beffroi.alerts.audience import Target, target_audience_counts
from beffroi.alerts.models import Place, Subscriber, SubscriberImport, Topic
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
    response = client.post(url, {"action": "commit", "fingerprint": fingerprint}, follow=True)
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


# --- Reach, consent recorded by the commune, bulk writing -----------------------------------


def _reach(report: imports.SubscriberImportReport) -> dict[str, tuple[int, int]]:
    return {row.channel or "persons": (row.routine, row.emergency) for row in report.reach}


def _routine(territory: Territory, topic: str = "flood") -> Target:
    return Target(
        organisation_id=territory.cast.org.pk,
        topic=topic,
        channels=("email", "sms", "voice"),
        zone_ids=(),
        whole_territory=True,
        emergency=False,
    )


def test_without_consent_only_emergency_alerts_reach_the_imported(territory: Territory) -> None:
    report = _import(territory, GOOD_LATIN1)
    # Jeanne: e-mail + SMS; Éloïse: SMS; Paul: e-mail + voice (his landline).
    assert _reach(report) == {
        "email": (0, 2),
        "sms": (0, 2),
        "voice": (0, 1),
        "persons": (0, 3),
    }
    assert not report.consent
    assert not Subscriber.objects.filter(consent_import__isnull=False).exists()
    assert target_audience_counts(_routine(territory)).persons == 0
    batch = SubscriberImport.objects.get()
    assert (batch.consent_held, batch.lines, batch.created) == (False, 3, 3)


def test_recording_the_communes_consent_verifies_the_channels_of_the_file(
    territory: Territory,
) -> None:
    agent = territory.cast.administrator
    report = imports.subscribers_import(
        organisation=territory.cast.org,
        data=GOOD_LATIN1,
        actor=agent,
        file_name="ccas-2026.csv",
        consent=True,
    )
    assert _reach(report) == {
        "email": (2, 2),
        "sms": (2, 2),
        "voice": (1, 1),
        "persons": (3, 3),
    }
    batch = SubscriberImport.objects.get()
    assert report.import_id == batch.pk
    assert (batch.imported_by, batch.file_name, batch.consent_held) == (
        agent,
        "ccas-2026.csv",
        True,
    )
    assert batch.file_sha256 == hashlib.sha256(GOOD_LATIN1).hexdigest()
    jeanne = Subscriber.objects.get(email="jeanne@example.org")
    assert jeanne.consent_import == batch
    assert jeanne.email_verified_at == jeanne.sms_verified_at == batch.imported_at
    assert jeanne.voice_verified_at is None  # no voice number in the file
    assert jeanne.channels_verified_by_import() == ["email", "sms"]
    # A routine alert on floods now reaches Jeanne (flood), Éloïse and Paul (all topics).
    assert target_audience_counts(_routine(territory)).persons == 3
    assert target_audience_counts(_routine(territory, "storm")).persons == 2


def test_consent_verifies_only_what_the_file_says_of_a_resident_already_registered(
    territory: Territory,
) -> None:
    existing = register_subscriber(
        territory,
        email="jeanne.durand@example.org",
        sms_number="06 12 34 56 78",
        channels=["email", "sms"],
    )
    assert existing.email_verified_at is None and existing.sms_verified_at is None
    report = imports.subscribers_import(
        organisation=territory.cast.org,
        data=GOOD_LATIN1,
        actor=territory.cast.administrator,
        consent=True,
    )
    assert report.updated == 1
    existing.refresh_from_db()
    # Matched by the mobile number: the number is the file's, the e-mail address is not.
    assert existing.sms_verified_at is not None
    assert existing.email_verified_at is None
    assert existing.email == "jeanne.durand@example.org"
    assert existing.channels_verified_by_import() == ["sms"]


def test_consent_needs_the_agent_who_certifies_it(territory: Territory) -> None:
    with pytest.raises(ImportRefused) as error:
        imports.subscribers_import(organisation=territory.cast.org, data=GOOD_LATIN1, consent=True)
    assert "agent who certifies" in error.value.messages[0]
    assert not Subscriber.objects.exists() and not SubscriberImport.objects.exists()


def test_a_dry_run_records_no_import(territory: Territory) -> None:
    report = _import(territory, GOOD_LATIN1, dry_run=True)
    assert report.import_id is None and _reach(report)["persons"] == (0, 3)
    assert not SubscriberImport.objects.exists()


def _list(lines: int) -> bytes:
    rows = ["nom;email;mobile;adresse;code postal"]
    for i in range(lines):
        street = "12 rue de la Mairie" if i % 3 else f"{3 + i % 2} allée des Lilas"
        rows.append(
            f"Habitant {i};h{i}@example.org;06 20 {i // 100:02d} {i % 100:02d} 00;{street};99100"
        )
    return ("\n".join(rows) + "\n").encode()


def test_its_queries_do_not_grow_with_the_list(territory: Territory) -> None:
    """Addresses resolved and residents written in bulk: a longer list, the same queries."""
    with CaptureQueriesContext(connection) as few:
        _import(territory, _list(3))
    Subscriber.objects.all().delete()
    with CaptureQueriesContext(connection) as many:
        report = _import(territory, _list(120))
    assert report.created == 120
    assert Place.objects.filter(subscriber__organisation=territory.cast.org).count() == 120
    assert len(many) == len(few)
    # Importing the same list again updates every resident, still in bulk.
    with CaptureQueriesContext(connection) as again:
        report = _import(territory, _list(120))
    assert report.updated == 120 and report.created == 0
    assert len(again) <= len(few) + 2


def test_the_command_records_the_consent_and_tells_the_reach(
    territory: Territory, tmp_path: Path
) -> None:
    path = tmp_path / "ccas.csv"
    path.write_bytes(GOOD_LATIN1)
    out = io.StringIO()
    call_command(
        "import_subscribers",
        str(path),
        consent_held_by=territory.cast.administrator.email.upper(),
        stdout=out,
        stderr=io.StringIO(),
    )
    text = out.getvalue()
    batch = SubscriberImport.objects.get()
    assert f"Recorded as import #{batch.pk}." in text
    assert "SMS: 2 / 2" in text and "on at least one channel): 3 / 3" in text
    assert (batch.file_name, batch.imported_by) == ("ccas.csv", territory.cast.administrator)
    with pytest.raises(CommandError, match=r"nobody@example\.org"):
        call_command(
            "import_subscribers",
            str(path),
            consent_held_by="nobody@example.org",
            stdout=io.StringIO(),
            stderr=io.StringIO(),
        )


def test_agents_certify_the_consent_then_see_its_source(
    client: Client, territory: Territory
) -> None:
    login_verified(client, territory.cast.administrator)
    url = reverse("subscribers_backoffice:import")
    page = client.get(url).content.decode()
    assert 'name="consent"' in page and "I certify that the commune holds" in page
    upload = SimpleUploadedFile("ccas.csv", GOOD_LATIN1, content_type="text/csv")
    response = client.post(url, {"file": upload, "consent": "on"})
    body = response.content.decode()
    assert "would reach" in body and "You certified" in body
    assert not Subscriber.objects.exists()
    response = client.post(
        url, {"action": "commit", "fingerprint": response.context["fingerprint"]}, follow=True
    )
    assert response.context["report"]["consent"]
    batch = SubscriberImport.objects.get()
    assert f"Recorded as import #{batch.pk}." in response.content.decode()
    jeanne = Subscriber.objects.get(email="jeanne@example.org")
    detail = client.get(reverse("subscribers_backoffice:detail", args=[jeanne.pk])).content
    text = detail.decode()
    assert (
        "Verified on the commune&#x27;s consent" in text
        or "Verified on the commune's consent" in text
    )
    assert f"import #{batch.pk}" in text and "ccas.csv" in text and batch.file_sha256 in text


def test_without_the_box_ticked_the_preview_says_emergency_alerts_only(
    client: Client, territory: Territory
) -> None:
    login_verified(client, territory.cast.administrator)
    upload = SimpleUploadedFile("abonnes.csv", GOOD_LATIN1, content_type="text/csv")
    response = client.post(reverse("subscribers_backoffice:import"), {"file": upload})
    body = response.content.decode()
    assert "Consent not recorded" in body and "emergency alerts only" in body
    assert [(r.routine, r.emergency) for r in response.context["report"].reach][-1] == (0, 3)


# --- Every problem of a line, in words; plurals; post/redirect/get ---------------------------


def test_it_reports_every_problem_of_a_line_at_once(territory: Territory) -> None:
    data = (
        b"nom;email;telephone;adresse;themes\n"
        b"Paul;paul@@example;12345;99 boulevard inexistant;volcan\n"
    )
    with pytest.raises(ImportRefused) as error:
        _import(territory, data)
    [refused] = error.value.report.refused
    assert "paul@@example" in refused.reason
    assert "12345" in refused.reason
    assert "volcan" in refused.reason
    assert "99 boulevard inexistant" in refused.reason


def test_an_address_not_found_is_said_in_words_with_the_closest_one(
    territory: Territory,
) -> None:
    data = "nom;email;adresse\nPaul;paul@example.org;12 allée des lys\n".encode()
    with pytest.raises(ImportRefused) as error:
        _import(territory, data)
    [refused] = error.value.report.refused
    assert refused.reason == (
        "address “12 allée des lys” not found in the commune's address base; "
        "closest: 3 Allée des Lilas, 99100 Valmont"
    )


@pytest.mark.french
def test_the_preview_says_its_counts_in_french_plurals(
    client: Client, territory: Territory
) -> None:
    login_verified(client, territory.cast.administrator)
    upload = SimpleUploadedFile("abonnes.csv", GOOD_UTF8_COMMA, content_type="text/csv")
    response = client.post(reverse("subscribers_backoffice:import"), {"file": upload})
    body = response.content.decode()
    assert "1 ligne (utf-8) : 1 nouvel habitant, 0 déjà inscrit et mis à jour." in body
    upload = SimpleUploadedFile("abonnes.csv", GOOD_LATIN1, content_type="text/csv")
    response = client.post(reverse("subscribers_backoffice:import"), {"file": upload})
    body = response.content.decode()
    assert "3 lignes (windows-1252) : 3 nouveaux habitants, 0 déjà inscrit" in body


def test_the_result_of_an_import_survives_a_refresh(client: Client, territory: Territory) -> None:
    login_verified(client, territory.cast.administrator)
    url = reverse("subscribers_backoffice:import")
    upload = SimpleUploadedFile("abonnes.csv", GOOD_LATIN1, content_type="text/csv")
    fingerprint = client.post(url, {"file": upload}).context["fingerprint"]
    response = client.post(url, {"action": "commit", "fingerprint": fingerprint})
    assert response.status_code == 302
    result_url = response["Location"]
    batch = SubscriberImport.objects.get()
    assert result_url == reverse("subscribers_backoffice:import_done", args=[batch.pk])
    for _attempt in range(2):  # the page itself, then a refresh: nothing is sent again
        body = client.get(result_url).content.decode()
        assert "Import done" in body and "3 new residents" in body
        assert "expired" not in body
    assert Subscriber.objects.count() == 3
    assert SubscriberImport.objects.count() == 1
