"""What every map of a page needs from the server, in one JSON element (no inline script).

``{% map_settings draw=True as settings %}{{ settings|json_script:"beffroi-map-settings" }}``
gives ``map.js`` (and the residents' point picker) the base layer's address when no tile server
is configured, and the French (or English) strings of Leaflet's and Leaflet.draw's controls,
which otherwise speak English to a French agent.
"""

from __future__ import annotations

from typing import Any

from django import template
from django.conf import settings
from django.urls import reverse
from django.utils.translation import gettext as _

register = template.Library()


def uses_offline_tiles() -> bool:
    """True when maps show Beffroi's own blank tiles: no tile server is configured."""
    offline = reverse("core:tile", kwargs={"z": 0, "x": 0, "y": 0}).replace(
        "/0/0/0.png", "/{z}/{x}/{y}.png"
    )
    return settings.TILE_URL in {"", offline}


def draw_strings() -> dict[str, Any]:
    """Leaflet.draw's ``L.drawLocal``, translated (same keys as Leaflet.draw 1.0.4)."""
    cancel = {"title": _("Cancel drawing"), "text": _("Cancel")}
    return {
        "draw": {
            "toolbar": {
                "actions": cancel,
                "finish": {"title": _("Finish drawing"), "text": _("Finish")},
                "undo": {"title": _("Delete the last point drawn"), "text": _("Delete last point")},
                "buttons": {
                    "polyline": _("Draw a line"),
                    "polygon": _("Draw a polygon"),
                    "rectangle": _("Draw a rectangle"),
                    "circle": _("Draw a circle"),
                    "marker": _("Place a marker"),
                    "circlemarker": _("Place a circle marker"),
                },
            },
            "handlers": {
                "circle": {
                    "tooltip": {"start": _("Click and drag to draw a circle.")},
                    "radius": _("Radius"),
                },
                "circlemarker": {"tooltip": {"start": _("Click the map to place a marker.")}},
                "marker": {"tooltip": {"start": _("Click the map to place a marker.")}},
                "polygon": {
                    "tooltip": {
                        "start": _("Click to start drawing the shape."),
                        "cont": _("Click to continue drawing the shape."),
                        "end": _("Click the first point to close the shape."),
                    }
                },
                "polyline": {
                    "error": _("Error: the edges of the shape cannot cross."),
                    "tooltip": {
                        "start": _("Click to start drawing the line."),
                        "cont": _("Click to continue drawing the line."),
                        "end": _("Click the last point to finish the line."),
                    },
                },
                "rectangle": {"tooltip": {"start": _("Click and drag to draw a rectangle.")}},
                "simpleshape": {"tooltip": {"end": _("Release the mouse to finish drawing.")}},
            },
        },
        "edit": {
            "toolbar": {
                "actions": {
                    "save": {"title": _("Save the changes"), "text": _("Save")},
                    "cancel": {
                        "title": _("Cancel editing and discard the changes"),
                        "text": _("Cancel"),
                    },
                    "clearAll": {"title": _("Delete all the shapes"), "text": _("Delete all")},
                },
                "buttons": {
                    "edit": _("Edit the shapes"),
                    "editDisabled": _("No shape to edit"),
                    "remove": _("Delete shapes"),
                    "removeDisabled": _("No shape to delete"),
                },
            },
            "handlers": {
                "edit": {
                    "tooltip": {
                        "text": _("Drag the handles to change the shape."),
                        "subtext": _("Click Cancel to undo the changes."),
                    }
                },
                "remove": {"tooltip": {"text": _("Click a shape to delete it.")}},
            },
        },
    }


@register.simple_tag
def map_settings(*, draw: bool = False) -> dict[str, Any]:
    result: dict[str, Any] = {
        "baseMapUrl": reverse("territory:base_map") if uses_offline_tiles() else "",
        "zoomIn": _("Zoom in"),
        "zoomOut": _("Zoom out"),
        # The tooltip of Leaflet's link in the attribution corner.
        "leafletTitle": _("A JavaScript library for interactive maps"),
    }
    if draw:
        result["draw"] = draw_strings()
    return result
