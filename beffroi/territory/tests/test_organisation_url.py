"""One function builds the absolute URL of an organisation's site (e-mails, SMS, CAP, Atom)."""

from __future__ import annotations

from typing import Any

from beffroi.territory.models import OrganisationHost
from beffroi.territory.selectors import organisation_url
from beffroi.testing import Cast


def test_it_uses_https_on_the_primary_host_by_default(cast: Cast) -> None:
    OrganisationHost.objects.create(organisation=cast.org, host="alertes.valmont.fr")
    OrganisationHost.objects.filter(organisation=cast.org).update(is_primary=False)
    OrganisationHost.objects.filter(host="alertes.valmont.fr").update(is_primary=True)
    assert organisation_url(cast.org) == "https://alertes.valmont.fr"
    assert organisation_url(cast.org, "/alertes/") == "https://alertes.valmont.fr/alertes/"


def test_it_follows_the_configured_scheme_and_port(cast: Cast, settings: Any) -> None:
    host = OrganisationHost.objects.get(organisation=cast.org, is_primary=True).host
    settings.PUBLIC_URL_SCHEME = "http"
    settings.PUBLIC_URL_PORT = 8000
    assert organisation_url(cast.org, "/x") == f"http://{host}:8000/x"
    # The scheme's own port is never written out.
    settings.PUBLIC_URL_PORT = 80
    assert organisation_url(cast.org) == f"http://{host}"
    settings.PUBLIC_URL_SCHEME = "https"
    settings.PUBLIC_URL_PORT = 443
    assert organisation_url(cast.org) == f"https://{host}"


def test_it_falls_back_on_the_first_allowed_host(cast: Cast, settings: Any) -> None:
    OrganisationHost.objects.filter(organisation=cast.org).delete()
    settings.ALLOWED_HOSTS = [".beffroi.example", "localhost"]
    assert organisation_url(cast.org) == "https://beffroi.example"


def test_it_is_the_only_place_that_builds_the_organisations_url() -> None:
    # Three copies once disagreed (http for CAP and Atom, https for SMS, a third in
    # dispatch): a resident could receive a link that does not open.
    from pathlib import Path

    import beffroi

    root = Path(beffroi.__file__).parent
    builders = sorted(
        str(path.relative_to(root))
        for path in root.rglob("*.py")
        if "tests" not in path.parts
        and any(
            marker in path.read_text(encoding="utf-8")
            for marker in ("build_absolute_uri(", 'f"{scheme}://', "request.scheme")
        )
    )
    assert builders == ["territory/selectors.py"]
