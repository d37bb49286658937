from __future__ import annotations

from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from beffroi.core.imports import ImportRefused
from beffroi.core.models import AuditEvent
from beffroi.territory.models import Address, Commune, Street, ZoneMembership
from beffroi.territory.services import ban_import, zone_create
from beffroi.territory.tests.factories import BAN_FILE, DATA, ban_line, square, write_ban
from beffroi.testing import Cast


def test_it_imports_a_real_shaped_ban_file(cast: Cast) -> None:
    calls: list[tuple[int, int]] = []
    report = ban_import(
        organisation=cast.org, path=BAN_FILE, progress=lambda d, t: calls.append((d, t))
    )

    assert report.written and report.lines == 31 and report.created == 31
    assert report.refused == []
    assert Address.objects.filter(organisation=cast.org).count() == 31
    assert Street.objects.filter(organisation=cast.org).count() == 8
    bis = Address.objects.get(ban_id="99001_0010_00012_bis")
    assert (bis.number, bis.suffix, bis.postcode) == ("12", "bis", "99100")
    assert bis.label == "12 bis Rue de la Mairie, 99100 Valmont"
    assert bis.street.normalized == "rue mairie"
    lieu_dit = Address.objects.get(ban_id="99001_b001_99999")
    assert (lieu_dit.number, lieu_dit.locality) == ("", "Le Bourg")
    assert Street.objects.get(name="Chemin des Écoliers").normalized == "chemin ecoliers"
    assert calls[-1][0] == calls[-1][1]
    assert AuditEvent.objects.filter(action="address.import", organisation=cast.org).count() == 1


def test_it_is_idempotent_and_updates_moved_points(cast: Cast, tmp_path: Path) -> None:
    ban_import(organisation=cast.org, path=BAN_FILE)
    first = dict(Address.objects.values_list("ban_id", "id"))

    again = ban_import(organisation=cast.org, path=BAN_FILE)
    assert (again.created, again.updated, again.skipped) == (0, 0, 31)
    assert dict(Address.objects.values_list("ban_id", "id")) == first

    moved = write_ban(
        tmp_path / "adresses-99001.csv",
        ban_line("99001_0010_00001", "1", "Rue de la Mairie", "4.0300", "45.0300"),
    )
    report = ban_import(organisation=cast.org, path=moved)
    assert (report.created, report.updated) == (0, 1)
    address = Address.objects.get(ban_id="99001_0010_00001")
    assert (address.lon, address.lat, address.pk) == (4.03, 45.03, first["99001_0010_00001"])
    assert Address.objects.count() == 31


def test_it_reports_every_bad_line_with_its_number_and_imports_nothing(cast: Cast) -> None:
    with pytest.raises(ImportRefused) as caught:
        ban_import(organisation=cast.org, path=DATA / "adresses-bad.csv")

    errors = caught.value.messages
    assert len(errors) == 5
    assert errors[0].startswith("line 3:") and "north" in errors[0]
    assert errors[1].startswith("line 4:") and "nom_voie" in errors[1]
    assert errors[2].startswith("line 5:") and "31555" in errors[2]
    assert errors[3].startswith("line 6:") and "line 2" in errors[3]
    assert errors[4].startswith("line 7:") and "out of range" in errors[4]
    assert Address.objects.count() == 0
    assert Street.objects.count() == 0


def test_it_imports_the_good_lines_when_partial_is_allowed(cast: Cast) -> None:
    report = ban_import(organisation=cast.org, path=DATA / "adresses-bad.csv", allow_partial=True)

    assert report.written and report.created == 2
    assert [e.line for e in report.refused] == [3, 4, 5, 6, 7]
    assert set(Address.objects.values_list("ban_id", flat=True)) == {
        "99001_0010_00001",
        "99001_0010_00007",
    }


def test_it_creates_communes_only_when_asked(cast: Cast, tmp_path: Path) -> None:
    path = write_ban(
        tmp_path / "adresses-31555.csv",
        ban_line(
            "31555_0010_00004",
            "4",
            "Rue Alsace",
            "1.44",
            "43.6",
            insee="31555",
            commune="Toulouse",
            postcode="31000",
        ),
    )
    with pytest.raises(ImportRefused):
        ban_import(organisation=cast.org, path=path)
    assert not Commune.objects.filter(insee_code="31555").exists()

    report = ban_import(organisation=cast.org, path=path, create_communes=True)
    assert report.communes_created == ["31555"]
    commune = Commune.objects.get(organisation=cast.org, insee_code="31555")
    assert (commune.name, commune.postcode) == ("Toulouse", "31000")
    assert Address.objects.get(ban_id="31555_0010_00004").commune == commune


def test_it_names_missing_columns(cast: Cast) -> None:
    with pytest.raises(ImportRefused) as caught:
        ban_import(organisation=cast.org, path=DATA / "adresses-missing-columns.csv")
    message = caught.value.messages[0]
    assert "rep, code_postal, nom_commune, lat" in message
    assert Address.objects.count() == 0


def test_it_refuses_a_file_that_is_not_utf8(cast: Cast, tmp_path: Path) -> None:
    path = tmp_path / "latin1.csv"
    path.write_bytes((BAN_FILE.read_text(encoding="utf-8-sig")).encode("latin-1", errors="replace"))
    with pytest.raises(ImportRefused) as caught:
        ban_import(organisation=cast.org, path=path)
    assert "UTF-8" in caught.value.messages[0]


def test_it_refreshes_memberships_of_imported_addresses(cast: Cast, tmp_path: Path) -> None:
    zone = zone_create(
        organisation=cast.org, name="Nord", kind="district", geometry=square(4.0, 45.0, 0.01)
    )
    assert zone.memberships.count() == 0

    ban_import(organisation=cast.org, path=BAN_FILE)
    inside = Address.objects.filter(lon__lte=4.01, lat__lte=45.01).count()
    assert inside > 0
    assert zone.memberships.count() == inside

    moved = write_ban(
        tmp_path / "moved.csv",
        ban_line("99001_0010_00001", "1", "Rue de la Mairie", "4.0300", "45.0300"),
    )
    ban_import(organisation=cast.org, path=moved)
    assert zone.memberships.count() == inside - 1
    assert not ZoneMembership.objects.filter(address__ban_id="99001_0010_00001").exists()


def test_the_command_imports_and_reports(cast: Cast) -> None:
    out, err = StringIO(), StringIO()
    call_command("import_ban", str(BAN_FILE), stdout=out, stderr=err)
    assert "31 created" in out.getvalue()
    assert "100.0%" in err.getvalue()  # milestones, not a redrawn bar: stderr is not a tty
    assert Address.objects.count() == 31


def test_the_command_fails_with_every_error_and_imports_nothing(cast: Cast) -> None:
    with pytest.raises(CommandError) as caught:
        call_command(
            "import_ban", str(DATA / "adresses-bad.csv"), stdout=StringIO(), stderr=StringIO()
        )
    message = str(caught.value)
    for line in (3, 4, 5, 6, 7):
        assert f"line {line}:" in message
    assert Address.objects.count() == 0


def test_the_command_targets_the_organisation_given(cast: Cast, tmp_path: Path) -> None:
    path = write_ban(
        tmp_path / "adresses-99002.csv",
        ban_line(
            "99002_0010_00001", "1", "Grand Rue", "4.1", "45.1", insee="99002", commune="Autreville"
        ),
    )
    call_command(
        "import_ban",
        str(path),
        "--organisation",
        "autreville",
        stdout=StringIO(),
        stderr=StringIO(),
    )
    assert Address.objects.get().organisation == cast.other_org
    with pytest.raises(CommandError):
        call_command(
            "import_ban",
            str(path),
            "--organisation",
            "nowhere",
            stdout=StringIO(),
            stderr=StringIO(),
        )
