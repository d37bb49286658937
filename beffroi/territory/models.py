"""Organisations (the tenants), their communes, zones and addresses.

Geometries are GeoJSON (WGS84, ``lon,lat``) with a bounding box kept beside them so that
candidate filtering is an indexed range query; which address lies in which zone is computed
with shapely and stored in ``ZoneMembership`` so that targeting an alert is a join.
"""

from __future__ import annotations

from typing import Any

from django.db import models
from django.utils.translation import gettext_lazy as _


class Organisation(models.Model):
    class Kind(models.TextChoices):
        COMMUNE = "commune", _("Commune")
        EPCI = "epci", _("Intercommunality")

    name = models.CharField(_("name"), max_length=200)
    slug = models.SlugField(_("slug"), max_length=60, unique=True)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, default=Kind.COMMUNE)
    # The default organisation answers on every host name no other organisation claims, so
    # `make run` needs no DNS.
    is_default = models.BooleanField(_("default organisation"), default=False)
    contact_email = models.EmailField(_("contact e-mail"), blank=True)
    contact_phone = models.CharField(_("contact phone"), max_length=40, blank=True)
    postal_address = models.TextField(_("postal address"), blank=True)
    opening_hours = models.TextField(_("opening hours"), blank=True)
    website = models.URLField(_("website"), blank=True)
    # Map view used when no geometry is known yet.
    center_lat = models.FloatField(_("centre latitude"), default=46.6)
    center_lon = models.FloatField(_("centre longitude"), default=2.4)
    default_zoom = models.PositiveSmallIntegerField(_("default zoom"), default=13)
    settings: models.JSONField[Any] = models.JSONField(_("settings"), default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")
        constraints = [
            models.UniqueConstraint(
                fields=["is_default"],
                condition=models.Q(is_default=True),
                name="one_default_organisation",
            )
        ]

    def __str__(self) -> str:
        return self.name


class OrganisationHost(models.Model):
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="hosts", verbose_name=_("organisation")
    )
    host = models.CharField(_("host name"), max_length=253, unique=True)
    is_primary = models.BooleanField(_("primary"), default=False)

    class Meta:
        ordering = ["-is_primary", "host"]
        verbose_name = _("host name")
        verbose_name_plural = _("host names")

    def __str__(self) -> str:
        return self.host


class Commune(models.Model):
    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.CASCADE,
        related_name="communes",
        verbose_name=_("organisation"),
    )
    insee_code = models.CharField(_("INSEE code"), max_length=5)
    name = models.CharField(_("name"), max_length=200)
    postcode = models.CharField(_("postcode"), max_length=5, blank=True)
    boundary: models.JSONField[Any] = models.JSONField(_("boundary"), null=True, blank=True)
    min_lon = models.FloatField(null=True, blank=True)
    min_lat = models.FloatField(null=True, blank=True)
    max_lon = models.FloatField(null=True, blank=True)
    max_lat = models.FloatField(null=True, blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("commune")
        verbose_name_plural = _("communes")
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "insee_code"], name="commune_insee_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.insee_code})"


class Zone(models.Model):
    class Kind(models.TextChoices):
        HAMLET = "hamlet", _("Hamlet")
        DISTRICT = "district", _("District")
        FLOOD = "flood", _("Flood zone")
        RISK = "risk", _("Risk zone")
        CUSTOM = "custom", _("Custom zone")

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="zones", verbose_name=_("organisation")
    )
    commune = models.ForeignKey(
        Commune,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="zones",
        verbose_name=_("commune"),
    )
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, default=Kind.CUSTOM)
    description = models.TextField(_("description"), blank=True)
    # A GeoJSON Polygon or MultiPolygon in WGS84 (lon, lat).
    geometry: models.JSONField[Any] = models.JSONField(_("geometry"))
    min_lon = models.FloatField()
    min_lat = models.FloatField()
    max_lon = models.FloatField()
    max_lat = models.FloatField()
    area_m2 = models.FloatField(_("area (m²)"), default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["kind", "name"]
        verbose_name = _("zone")
        verbose_name_plural = _("zones")
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "kind", "name"], name="zone_name_unique"
            )
        ]

    def __str__(self) -> str:
        return self.name


class Street(models.Model):
    """A street or locality of the BAN (``nom_voie``), the unit fuzzy search works on."""

    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.CASCADE,
        related_name="streets",
        verbose_name=_("organisation"),
    )
    commune = models.ForeignKey(
        Commune, on_delete=models.CASCADE, related_name="streets", verbose_name=_("commune")
    )
    name = models.CharField(_("name"), max_length=200)
    # Lower case, no accents, abbreviations expanded: what queries are compared with.
    normalized = models.CharField(max_length=200, db_index=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("street")
        verbose_name_plural = _("streets")
        constraints = [
            models.UniqueConstraint(fields=["commune", "name"], name="street_name_unique")
        ]

    def __str__(self) -> str:
        return self.name


class Address(models.Model):
    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.CASCADE,
        related_name="addresses",
        verbose_name=_("organisation"),
    )
    commune = models.ForeignKey(
        Commune, on_delete=models.CASCADE, related_name="addresses", verbose_name=_("commune")
    )
    # Empty for a point placed by hand on the map (an isolated farm, a caravan site): such a
    # point is still an address so that zone membership and alert targeting treat it alike.
    street = models.ForeignKey(
        Street,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="addresses",
        verbose_name=_("street"),
    )
    # The BAN's stable identifier (``id`` column, e.g. 31555_1234_00012); empty for points
    # placed by hand on the map.
    ban_id = models.CharField(_("BAN id"), max_length=64, blank=True)
    number = models.CharField(_("number"), max_length=10, blank=True)
    suffix = models.CharField(_("suffix"), max_length=10, blank=True)
    postcode = models.CharField(_("postcode"), max_length=5, blank=True)
    locality = models.CharField(_("locality"), max_length=200, blank=True)
    lon = models.FloatField(_("longitude"))
    lat = models.FloatField(_("latitude"))
    zones = models.ManyToManyField(
        Zone, through="ZoneMembership", related_name="addresses", verbose_name=_("zones")
    )

    class Meta:
        ordering = ["street__name", "number"]
        verbose_name = _("address")
        verbose_name_plural = _("addresses")
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "ban_id"],
                condition=~models.Q(ban_id=""),
                name="address_ban_id_unique",
            )
        ]
        indexes = [
            models.Index(fields=["street", "number"]),
            models.Index(fields=["organisation", "lon", "lat"]),
        ]

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        if self.street is None:
            head = self.locality or str(_("Point on the map (%(lat).5f, %(lon).5f)")) % {
                "lat": self.lat,
                "lon": self.lon,
            }
            return f"{head}, {self.commune.name}"
        number = f"{self.number}{' ' + self.suffix if self.suffix else ''}"
        head = f"{number} {self.street.name}".strip()
        return f"{head}, {self.postcode} {self.commune.name}".replace(" ,", ",").strip()


class ZoneMembership(models.Model):
    """Stored result of "this address lies in this zone", kept current by the services."""

    zone = models.ForeignKey(Zone, on_delete=models.CASCADE, related_name="memberships")
    address = models.ForeignKey(Address, on_delete=models.CASCADE, related_name="memberships")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["zone", "address"], name="zone_membership_unique")
        ]
        indexes = [models.Index(fields=["address", "zone"])]

    def __str__(self) -> str:
        return f"{self.address_id} ∈ {self.zone_id}"
