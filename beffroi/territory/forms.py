from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from beffroi.territory.geojson import GeometryError, geometry_from_text
from beffroi.territory.models import Zone


class ZoneForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200)
    kind = forms.ChoiceField(label=_("Kind"), choices=Zone.Kind.choices)
    description = forms.CharField(
        label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    geometry = forms.CharField(
        label=_("Geometry (GeoJSON)"),
        help_text=_(
            "Draw the zone on the map, or paste a GeoJSON Polygon or MultiPolygon in "
            "longitude/latitude (WGS84)."
        ),
        widget=forms.Textarea(attrs={"rows": 6, "spellcheck": "false", "class": "geojson-input"}),
    )

    def clean_geometry(self) -> dict[str, Any]:
        try:
            return geometry_from_text(self.cleaned_data["geometry"])
        except GeometryError as exc:
            raise forms.ValidationError(
                [_("The geometry is not usable: %(reason)s.") % {"reason": r} for r in exc.reasons]
            ) from exc


class ZoneImportForm(forms.Form):
    file = forms.FileField(
        label=_("GeoJSON file"),
        help_text=_("A FeatureCollection of polygons in WGS84 longitude/latitude, at most 10 MB."),
        widget=forms.ClearableFileInput(attrs={"accept": ".geojson,.json,application/geo+json"}),
    )
    kind = forms.ChoiceField(label=_("Kind of the zones"), choices=Zone.Kind.choices)
    name_property = forms.CharField(
        label=_("Property holding the name"),
        required=False,
        max_length=100,
        help_text=_("For instance NOM. Leave empty to use a “name” or “nom” property."),
    )
    replace = forms.BooleanField(
        label=_("Replace the geometry of zones of the same kind and name"), required=False
    )


class ZoneKindFilterForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("Kind"), choices=[("", _("All kinds")), *Zone.Kind.choices], required=False
    )


class AddressQueryForm(forms.Form):
    q = forms.CharField(
        label=_("Address"),
        max_length=200,
        required=False,
        help_text=_("For instance: 12 rue de la Mairie"),
        widget=forms.TextInput(attrs={"type": "search", "autocomplete": "street-address"}),
    )
