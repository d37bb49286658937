/*
 * Beffroi's map component. Initialises every <div class="map"> from its data attributes:
 *
 *   data-tile-url, data-tile-attribution   tile layer (Beffroi's own offline tiles by default)
 *   data-center-lat, data-center-lon, data-zoom   view when there is nothing to fit
 *   data-geojson="id1 id2"                 ids of <script type="application/json"> elements
 *                                          (Django's json_script) holding GeoJSON to show
 *   data-point-lat, data-point-lon, data-point-label   a marked point (an address)
 *   data-link-pattern="/…/zones/0/"        zone popups link there, with 0 replaced by the id
 *   data-draw-target="id_geometry"         drawing mode: Leaflet.draw tools; the drawing is
 *                                          written as GeoJSON into that textarea, and GeoJSON
 *                                          typed into the textarea is drawn on the map
 *
 * No inline script or style attribute is needed (strict CSP). Pages keep a text alternative
 * (a list or table) next to each map: nothing is conveyed by the map alone.
 */
(function () {
  "use strict";

  var KIND_COLOURS = {
    hamlet: "#1d5e2b",
    district: "#123f6d",
    flood: "#0b6e99",
    risk: "#a4161a",
    custom: "#6b3fa0"
  };
  var CIRCLE_SIDES = 64;
  var EARTH_RADIUS = 6371008.8;

  function readJson(id) {
    var element = document.getElementById(id);
    if (!element) {
      return null;
    }
    try {
      return JSON.parse(element.textContent);
    } catch (error) {
      return null;
    }
  }

  function number(value, fallback) {
    var parsed = parseFloat(value);
    return isFinite(parsed) ? parsed : fallback;
  }

  function zoneStyle(feature) {
    var kind = feature && feature.properties && feature.properties.kind;
    var colour = KIND_COLOURS[kind] || "#123f6d";
    return { color: colour, weight: 2, opacity: 0.9, fillOpacity: 0.15 };
  }

  function escapeHtml(text) {
    var div = document.createElement("div");
    div.textContent = text == null ? "" : String(text);
    return div.innerHTML;
  }

  function popupFor(feature, linkPattern) {
    var props = feature.properties || {};
    var title = escapeHtml(props.name || "");
    if (linkPattern && feature.id != null) {
      var href = linkPattern.replace(/\/0\/$/, "/" + encodeURIComponent(feature.id) + "/");
      title = '<a href="' + escapeHtml(href) + '">' + title + "</a>";
    }
    var lines = ["<strong>" + title + "</strong>"];
    if (props.kind_label) {
      lines.push(escapeHtml(props.kind_label));
    }
    if (props.address_count != null) {
      lines.push(escapeHtml(String(props.address_count)) + " \u2302");
    }
    return lines.join("<br>");
  }

  /* A circle drawn with Leaflet.draw becomes a polygon: zones are polygons everywhere. */
  function circleToPolygon(center, radius) {
    var lat1 = (center.lat * Math.PI) / 180;
    var lon1 = (center.lng * Math.PI) / 180;
    var angular = radius / EARTH_RADIUS;
    var ring = [];
    for (var i = 0; i < CIRCLE_SIDES; i++) {
      var bearing = (2 * Math.PI * i) / CIRCLE_SIDES;
      var lat2 = Math.asin(
        Math.sin(lat1) * Math.cos(angular) + Math.cos(lat1) * Math.sin(angular) * Math.cos(bearing)
      );
      var lon2 =
        lon1 +
        Math.atan2(
          Math.sin(bearing) * Math.sin(angular) * Math.cos(lat1),
          Math.cos(angular) - Math.sin(lat1) * Math.sin(lat2)
        );
      ring.push([round((lon2 * 180) / Math.PI), round((lat2 * 180) / Math.PI)]);
    }
    ring.push(ring[0].slice());
    return L.polygon(
      ring.map(function (p) {
        return [p[1], p[0]];
      })
    );
  }

  function round(value) {
    return Math.round(value * 1e7) / 1e7;
  }

  function roundCoordinates(coordinates) {
    if (typeof coordinates[0] === "number") {
      return [round(coordinates[0]), round(coordinates[1])];
    }
    return coordinates.map(roundCoordinates);
  }

  /* The drawn layers as one GeoJSON geometry (Polygon or MultiPolygon), or null. */
  function drawnGeometry(group) {
    var polygons = [];
    group.eachLayer(function (layer) {
      var geometry = layer.toGeoJSON().geometry;
      if (geometry.type === "Polygon") {
        polygons.push(geometry.coordinates);
      } else if (geometry.type === "MultiPolygon") {
        polygons = polygons.concat(geometry.coordinates);
      }
    });
    if (!polygons.length) {
      return null;
    }
    if (polygons.length === 1) {
      return { type: "Polygon", coordinates: roundCoordinates(polygons[0]) };
    }
    return { type: "MultiPolygon", coordinates: roundCoordinates(polygons) };
  }

  /* Put a geometry typed in the textarea on the map, one editable layer per polygon. */
  function loadIntoGroup(group, text) {
    var data;
    try {
      data = JSON.parse(text);
    } catch (error) {
      return false;
    }
    if (data && data.type === "Feature") {
      data = data.geometry;
    }
    if (!data || (data.type !== "Polygon" && data.type !== "MultiPolygon")) {
      return false;
    }
    group.clearLayers();
    var polygons = data.type === "Polygon" ? [data.coordinates] : data.coordinates;
    polygons.forEach(function (rings) {
      try {
        var latlngs = L.GeoJSON.coordsToLatLngs(rings, 1);
        group.addLayer(L.polygon(latlngs, { color: "#b34700", weight: 3 }));
      } catch (error) {
        /* An unreadable polygon stays in the textarea for the server to explain. */
      }
    });
    return true;
  }

  function setUpDrawing(map, element, target) {
    var group = new L.FeatureGroup();
    map.addLayer(group);
    if (target.value.trim()) {
      loadIntoGroup(group, target.value);
    }
    if (typeof L.Control.Draw !== "function") {
      return group;
    }
    map.addControl(
      new L.Control.Draw({
        edit: { featureGroup: group },
        draw: {
          polygon: { allowIntersection: false, showArea: false },
          // showArea on rectangles hits a Leaflet.draw 1.0.4 bug ("type is not defined").
          rectangle: { showArea: false },
          circle: { showRadius: true },
          polyline: false,
          marker: false,
          circlemarker: false
        }
      })
    );
    function write() {
      var geometry = drawnGeometry(group);
      target.value = geometry ? JSON.stringify(geometry) : "";
      target.dispatchEvent(new Event("change", { bubbles: true }));
    }
    map.on(L.Draw.Event.CREATED, function (event) {
      var layer = event.layer;
      if (event.layerType === "circle") {
        layer = circleToPolygon(layer.getLatLng(), layer.getRadius());
      }
      group.addLayer(layer);
      write();
    });
    map.on(L.Draw.Event.EDITED, write);
    map.on(L.Draw.Event.DELETED, write);
    target.addEventListener("input", function () {
      if (loadIntoGroup(group, target.value) && group.getLayers().length) {
        map.fitBounds(group.getBounds(), { padding: [20, 20], maxZoom: 17 });
      }
    });
    var hint = element.getAttribute("data-draw-hint");
    if (hint) {
      element.setAttribute("title", hint);
    }
    return group;
  }

  function initMap(element) {
    if (element.getAttribute("data-map-ready")) {
      return;
    }
    element.setAttribute("data-map-ready", "1");
    var center = [
      number(element.getAttribute("data-center-lat"), 46.6),
      number(element.getAttribute("data-center-lon"), 2.4)
    ];
    var zoom = number(element.getAttribute("data-zoom"), 13);
    var map = L.map(element, { keyboard: true }).setView(center, zoom);
    L.tileLayer(element.getAttribute("data-tile-url") || "/tiles/{z}/{x}/{y}.png", {
      maxZoom: 19,
      attribution: escapeHtml(element.getAttribute("data-tile-attribution") || "")
    }).addTo(map);

    var bounds = L.latLngBounds([]);
    var linkPattern = element.getAttribute("data-link-pattern");
    var drawTargetId = element.getAttribute("data-draw-target");
    (element.getAttribute("data-geojson") || "")
      .split(/\s+/)
      .filter(Boolean)
      .forEach(function (id) {
        var data = readJson(id);
        if (!data) {
          return;
        }
        var layer = L.geoJSON(data, {
          style: drawTargetId
            ? function () {
                return { color: "#6b6b6b", weight: 1, fillOpacity: 0.08 };
              }
            : zoneStyle,
          onEachFeature: function (feature, featureLayer) {
            if (feature.properties && feature.properties.name) {
              featureLayer.bindPopup(popupFor(feature, linkPattern));
              featureLayer.bindTooltip(escapeHtml(feature.properties.name), { sticky: true });
            }
          }
        }).addTo(map);
        if (layer.getLayers().length) {
          bounds.extend(layer.getBounds());
        }
      });

    var pointLat = number(element.getAttribute("data-point-lat"), NaN);
    var pointLon = number(element.getAttribute("data-point-lon"), NaN);
    if (isFinite(pointLat) && isFinite(pointLon)) {
      var marker = L.circleMarker([pointLat, pointLon], {
        radius: 8,
        color: "#b34700",
        weight: 3,
        fillColor: "#ffffff",
        fillOpacity: 1
      }).addTo(map);
      var label = element.getAttribute("data-point-label");
      if (label) {
        marker.bindTooltip(escapeHtml(label), { permanent: false });
      }
      bounds.extend([pointLat, pointLon]);
    }

    if (drawTargetId) {
      var target = document.getElementById(drawTargetId);
      if (target) {
        var group = setUpDrawing(map, element, target);
        if (group.getLayers().length) {
          bounds = group.getBounds();
        }
      }
    }
    if (bounds.isValid()) {
      map.fitBounds(bounds, { padding: [20, 20], maxZoom: 17 });
    }
  }

  function initAll(root) {
    if (typeof L === "undefined") {
      return;
    }
    var scope = root && root.querySelectorAll ? root : document;
    Array.prototype.forEach.call(scope.querySelectorAll("div.map"), initMap);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () {
      initAll(document);
    });
  } else {
    initAll(document);
  }
  // Maps arriving in htmx swaps are initialised too.
  document.addEventListener("htmx:afterSettle", function (event) {
    initAll(event.target);
  });
  window.BeffroiMap = { init: initAll, circleToPolygon: circleToPolygon };
})();
