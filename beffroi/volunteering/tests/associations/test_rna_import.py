"""The RNA "waldec" import: encodings, CSV quirks, filters, re-imports, refusals."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from beffroi.core.imports import ImportRefused
from beffroi.core.models import AuditEvent
from beffroi.testing import Cast
from beffroi.volunteering.associations.rna import siren_valid
from beffroi.volunteering.associations.services import rna_import
from beffroi.volunteering.models import Association, Membership
from beffroi.volunteering.tests.factories import (
    WALDEC_COLUMNS,
    make_association,
    waldec_file,
    waldec_row,
)

pytestmark = pytest.mark.django_db


def _rows() -> list[dict[str, str]]:
    return [
        waldec_row(
            "W551000001",
            "ASSOCIATION SPORTIVE DE VALMONT",
            objet='Pratique du football; "foot à 7" et école de foot',
            siret="73282932000074",
            siteweb="www.asvalmont.fr",
        ),
        waldec_row("W551000002", "CHORALE L'ÉCHO DES CÔTEAUX", objet="Chant choral, concerts"),
        waldec_row("W551000003", "AMICALE DISSOUTE", position="D"),
        waldec_row("W551000004", "CLUB DISSOUS PAR DATE", date_disso="2019-06-30"),
        waldec_row("W551000005", "ASSOCIATION D'AUTREVILLE", adrs_codeinsee="99002"),
    ]


def test_it_imports_a_utf8_crlf_file_with_doubled_quotes(cast: Cast) -> None:
    report = rna_import(organisation=cast.org, data=waldec_file(_rows()))
    assert (report.created, report.updated, report.skipped, len(report.refused)) == (2, 0, 3, 0)
    assert report.dissolved == 2 and report.elsewhere == 1
    sport = Association.objects.get(rna="W551000001")
    assert sport.organisation == cast.org
    assert sport.status == Association.Status.IMPORTED
    assert sport.source == Association.Source.RNA
    assert sport.purpose == 'Pratique du football; "foot à 7" et école de foot'
    assert sport.siren == "732829320"
    assert sport.website == "http://www.asvalmont.fr"
    assert sport.street_address == "12 rue de la Mairie"
    assert sport.city == "Valmont"
    assert str(sport.created_on) == "1998-03-12"
    assert "sport" in sport.activity_values  # guessed from "football"
    assert Association.objects.get(rna="W551000002").name == "CHORALE L'ÉCHO DES CÔTEAUX"
    assert not Association.objects.filter(rna__in=["W551000003", "W551000004", "W551000005"])
    event = AuditEvent.objects.get(action="association.import_rna")
    assert event.data["imported"] == 2


def test_it_detects_iso_8859_1(cast: Cast) -> None:
    data = waldec_file(_rows(), encoding="cp1252")
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")
    report = rna_import(organisation=cast.org, data=data)
    assert report.created == 2
    assert Association.objects.get(rna="W551000002").name == "CHORALE L'ÉCHO DES CÔTEAUX"


def test_it_reads_lf_files_and_columns_in_another_order(cast: Cast) -> None:
    # The first columns moved last, and one the parser does not know yet.
    columns = [*reversed(WALDEC_COLUMNS[5:]), "siret", "rup_mi", "id_ex", "id", "nouvelle"]
    data = waldec_file(_rows(), columns=columns, newline="\n")
    report = rna_import(organisation=cast.org, data=data)
    assert report.created == 2
    assert Association.objects.get(rna="W551000001").siren == "732829320"


def test_it_keeps_a_multiline_quoted_purpose_and_counts_lines(cast: Cast) -> None:
    rows = [
        waldec_row("W551000001", "CLUB", objet="Première ligne\r\nseconde ligne"),
        waldec_row("BAD", "MAUVAIS NUMÉRO"),
    ]
    report = rna_import(organisation=cast.org, data=waldec_file(rows), partial=True)
    assert report.created == 1
    # The header is line 1, the first association takes lines 2–3: the bad one is line 4.
    assert [r.line for r in report.refused] == [4]
    assert "BAD" in report.refused[0].reason


def test_it_filters_by_the_insee_code_given(cast: Cast) -> None:
    report = rna_import(organisation=cast.org, data=waldec_file(_rows()), insee="99002")
    assert report.created == 1
    assert Association.objects.get().rna == "W551000005"


def test_a_reimport_updates_counts_and_keeps_managers_edits(cast: Cast) -> None:
    rna_import(organisation=cast.org, data=waldec_file(_rows()))
    sport = Association.objects.get(rna="W551000001")
    # A manager took the profile over and rewrote the purpose.
    sport.status = Association.Status.VALIDATED
    sport.purpose = "Le club de foot du village, pour tous"
    sport.manager_fields = ["purpose"]
    sport.save()
    rows = _rows()
    rows[0]["objet"] = "Nouvel objet déclaré en préfecture"
    rows[0]["titre"] = "AS VALMONT FOOTBALL"
    rows[1]["position"] = "D"  # the choir was dissolved since
    report = rna_import(organisation=cast.org, data=waldec_file(rows))
    assert (report.created, report.updated, report.skipped) == (0, 2, 3)
    sport.refresh_from_db()
    assert sport.name == "AS VALMONT FOOTBALL"
    assert sport.purpose == "Le club de foot du village, pour tous"
    assert sport.status == Association.Status.VALIDATED
    choir = Association.objects.get(rna="W551000002")
    assert choir.dissolved_on is not None
    report = rna_import(organisation=cast.org, data=waldec_file(rows))
    assert (report.created, report.updated, report.skipped) == (0, 0, 5)
    assert report.unchanged == 1
    assert Association.objects.count() == 2


def test_it_reports_refused_lines_and_imports_the_others(cast: Cast) -> None:
    rows = [*_rows(), waldec_row("W55100000X", "NUMÉRO FAUX"), waldec_row("W551000009", "")]
    report = rna_import(organisation=cast.org, data=waldec_file(rows), partial=True)
    assert report.created == 2
    assert [r.line for r in report.refused] == [7, 8]


def test_a_line_with_too_many_fields_is_refused_not_skipped(cast: Cast) -> None:
    data = waldec_file(_rows()) + b'"W551000010";"EN TROP";"99001";"x"\r\n'
    report = rna_import(organisation=cast.org, data=data, partial=True)
    assert report.created == 2
    assert [r.line for r in report.refused] == [7]
    assert "4 fields where the header has 39" in report.refused[0].reason


def test_one_bad_line_refuses_everything_by_default(cast: Cast) -> None:
    rows = [*_rows(), waldec_row("W55100000X", "NUMÉRO FAUX")]
    with pytest.raises(ImportRefused):
        rna_import(organisation=cast.org, data=waldec_file(rows))
    assert not Association.objects.exists()


def test_a_duplicate_rna_number_in_the_file_is_refused(cast: Cast) -> None:
    rows = [waldec_row("W551000001", "UN"), waldec_row("W551000001", "DEUX")]
    report = rna_import(organisation=cast.org, data=waldec_file(rows), partial=True)
    assert report.created == 1
    assert "line 2" in report.refused[0].reason


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (waldec_file([waldec_row("W551000001", "A")], separator=","), "separated by “,”"),
        (waldec_file([waldec_row("W551000001", "A")], separator="\t"), "separated by"),
        (
            waldec_file([waldec_row("W551000001", "A")], columns=["id", "titre", "objet"]),
            "adrs_codeinsee",
        ),
        (waldec_file([waldec_row("W551000001", "A")], encoding="utf-16"), "control characters"),
        (b'"id";"titre";"adrs_codeinsee"\r\n"W551000001";"A\x81";"99001"\r\n', "neither UTF-8"),
        (b'"id";"titre";"adrs_codeinsee"\r\n', "no association line"),
        (b"", "separator"),
        (b'"id";"titre";"adrs_codeinsee"\r\n"W551000001";"unterminated;"99001"\r\n', "CSV"),
    ],
)
def test_a_file_in_another_format_is_refused_and_nothing_changes(
    cast: Cast, data: bytes, message: str
) -> None:
    existing = make_association(cast.org, "Déjà là", rna="W551000001")
    with pytest.raises(ImportRefused) as refused:
        rna_import(organisation=cast.org, data=data)
    assert message in "\n".join(refused.value.messages)
    assert list(Association.objects.all()) == [existing]
    assert existing.name == Association.objects.get().name
    assert not AuditEvent.objects.filter(action="association.import_rna").exists()


def test_the_command_shows_progress_refusals_and_the_counts(cast: Cast, tmp_path: Path) -> None:
    path = tmp_path / "rna_waldec_20240101_dpt_99.csv"
    path.write_bytes(waldec_file([*_rows(), waldec_row("NOPE", "X")], encoding="cp1252"))
    out, err = io.StringIO(), io.StringIO()
    call_command(
        "import_rna", str(path), "--organisation", "valmont", "--partial", stdout=out, stderr=err
    )
    assert "Importing rna_waldec_20240101_dpt_99.csv" in err.getvalue()
    assert "line 7" in err.getvalue()
    last = out.getvalue().strip().splitlines()[-1]
    assert last == "2 imported, 0 updated, 3 skipped, 1 refused."


def test_the_command_refuses_a_malformed_file_with_a_clear_message(
    cast: Cast, tmp_path: Path
) -> None:
    path = tmp_path / "export.csv"
    path.write_bytes(waldec_file(_rows(), separator=","))
    with pytest.raises(CommandError, match="nothing was imported"):
        call_command("import_rna", str(path), stdout=io.StringIO(), stderr=io.StringIO())
    assert not Association.objects.exists()


def test_imported_profiles_of_another_organisation_are_apart(cast: Cast) -> None:
    rna_import(organisation=cast.other_org, data=waldec_file(_rows()))
    report = rna_import(organisation=cast.org, data=waldec_file(_rows()))
    assert report.created == 2
    assert Association.objects.filter(rna="W551000001").count() == 1  # 99001 is Valmont's
    assert not Membership.objects.exists()


def test_siren_checksum() -> None:
    assert siren_valid("732829320")
    assert not siren_valid("732829321")
    assert not siren_valid("73282932")


def test_a_point_placed_by_a_manager_stays_when_the_address_changes(cast: Cast) -> None:
    rna_import(organisation=cast.org, data=waldec_file(_rows()))
    sport = Association.objects.get(rna="W551000001")
    sport.lat, sport.lon, sport.manager_fields = 48.5, 5.53, ["lat", "lon"]
    sport.save()
    rows = _rows()
    rows[0]["adrs_libvoie"] = "DU STADE"
    report = rna_import(organisation=cast.org, data=waldec_file(rows))
    assert report.updated == 1
    sport.refresh_from_db()
    assert (sport.street_address, sport.lat, sport.lon) == ("12 rue du Stade", 48.5, 5.53)


def test_agents_import_from_the_back_office(cast: Cast) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.test import Client
    from django.urls import reverse

    page = reverse("volunteering_associations_backoffice:import")
    resident = Client()
    resident.force_login(cast.resident)
    assert resident.get(page).status_code == 403
    agent = Client()
    agent.force_login(cast.participation_manager)
    assert agent.get(page).status_code == 200
    bad = SimpleUploadedFile("x.csv", waldec_file(_rows(), separator=","))
    response = agent.post(page, {"file": bad})
    assert response.status_code == 400
    assert "separated by “,”" in response.content.decode()
    assert not Association.objects.exists()
    good = SimpleUploadedFile("rna.csv", waldec_file(_rows(), encoding="cp1252"))
    response = agent.post(page, {"file": good})
    assert response.status_code == 200
    assert "2 imported, 0 updated, 3 skipped, 0 refused." in response.content.decode()
    event = AuditEvent.objects.get(action="association.import_rna")
    assert event.actor_id == cast.participation_manager.pk
