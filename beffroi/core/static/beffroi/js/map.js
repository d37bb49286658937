/*
 * Beffroi's map component. Initialises every <div class="map"> from its data attributes:
 *
 *   data-tile-url, data-tile-attribution   tile layer (Beffroi's own offline tiles by default)
 *   data-center-lat, data-center-lon, data-zoom   view when there is nothing to fit
 *   data-geojson="id1 id2"                 ids of <script type="application/json"> elements
 *                                          (Django's json_script) holding GeoJSON to show
 *   data-point-lat, data-point-lon, data-point-label   a marked point (an address)
 *   data-link-pattern="/…/zones/0/"        zone popups link there, with 0 replaced by the id
 *   data-select-name="zones"               zones are chosen with the form's checkboxes of that
 *                                          name (value = zone id): a click on a shape ticks
 *                                          its box, a ticked box highlights its shape
 *   data-draw-target="id_geometry"         drawing mode: Leaflet.draw tools; the drawing is
 *                                          written as GeoJSON into that textarea, and GeoJSON
 *                                          typed into the textarea is drawn on the map
 *
 * The page's <script id="beffroi-map-settings" type="application/json"> (territory's
 * _map_assets_head.html) gives the translated strings of Leaflet's and Leaflet.draw's controls
 * and, when no tile server is configured, the address of the commune's streets and place names
 * (territory's base map), drawn under the zones.
 *
 * No inline script or style attribute is needed (strict CSP). Pages keep a text alternative
 * (a list or table) next to each map: nothing is conveyed by the map alone. Shapes and labels
 * are never tab stops: the list beside the map is the keyboard's way to the same things.
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

  var SETTINGS = readJson("beffroi-map-settings") || {};
  var STREETS_FROM_ZOOM = 16;
  var HATCH_ID = "beffroi-zone-hatch";
  var baseMapRequest = null;

  /* Deep-copy the translated strings over Leaflet.draw's English ones (same keys). */
  function mergeStrings(target, source) {
    Object.keys(source).forEach(function (key) {
      if (source[key] && typeof source[key] === "object") {
        target[key] = target[key] || {};
        mergeStrings(target[key], source[key]);
      } else if (typeof source[key] === "string") {
        target[key] = source[key];
      }
    });
  }

  function translateControls() {
    if (SETTINGS.zoomIn) {
      L.Control.Zoom.prototype.options.zoomInTitle = SETTINGS.zoomIn;
      L.Control.Zoom.prototype.options.zoomOutTitle = SETTINGS.zoomOut;
    }
    if (SETTINGS.draw && L.drawLocal) {
      mergeStrings(L.drawLocal, SETTINGS.draw);
    }
    // Leaflet's own link in the attribution: its tooltip ("A JavaScript library for
    // interactive maps") in the page's language, the rest of the link kept as it is.
    var attribution = L.Control.Attribution.prototype.options;
    if (SETTINGS.leafletTitle && typeof attribution.prefix === "string") {
      attribution.prefix = attribution.prefix.replace(
        /title="[^"]*"/,
        'title="' + escapeHtml(SETTINGS.leafletTitle).replace(/"/g, "&quot;") + '"'
      );
    }
  }

  /* The base map is fetched once per page, however many maps it has. */
  function baseMapData() {
    if (!SETTINGS.baseMapUrl || typeof window.fetch !== "function") {
      return null;
    }
    if (!baseMapRequest) {
      baseMapRequest = window
        .fetch(SETTINGS.baseMapUrl, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (response) {
          return response.ok ? response.json() : null;
        })
        .catch(function () {
          return null;
        });
    }
    return baseMapRequest;
  }

  function labelMarker(latlng, text, layer) {
    var span = document.createElement("span");
    span.textContent = text;
    return L.marker(latlng, {
      icon: L.divIcon({ className: "map-label map-label-" + layer, html: span, iconSize: null }),
      interactive: false,
      keyboard: false,
      pane: "beffroiLabels"
    });
  }

  function labelPoint(geometry) {
    if (geometry.type === "Point") {
      return [geometry.coordinates[1], geometry.coordinates[0]];
    }
    if (geometry.type === "LineString" && geometry.coordinates.length) {
      var middle = geometry.coordinates[Math.floor((geometry.coordinates.length - 1) / 2)];
      if (geometry.coordinates.length % 2 === 0) {
        var next = geometry.coordinates[geometry.coordinates.length / 2];
        return [(middle[1] + next[1]) / 2, (middle[0] + next[0]) / 2];
      }
      return [middle[1], middle[0]];
    }
    return null;
  }

  /* The commune's streets, place names and outline, under the zones: what an installation
     without a tile server (the demo, an offline commune) shows instead of a blank grid. */
  function addBaseMap(map) {
    var request = baseMapData();
    if (!request) {
      return;
    }
    var container = map.getContainer();
    map.createPane("beffroiBase").style.zIndex = "250";
    var labels = map.createPane("beffroiLabels");
    labels.style.zIndex = "450";
    // The names repeat what the page's lists and tables say; read aloud they are noise.
    labels.setAttribute("aria-hidden", "true");
    function showStreets() {
      container.classList.toggle("map-show-streets", map.getZoom() >= STREETS_FROM_ZOOM);
    }
    map.on("zoomend", showStreets);
    showStreets();
    request.then(function (data) {
      if (!data || !data.features) {
        return;
      }
      function only(layer) {
        return function (feature) {
          return feature.properties && feature.properties.layer === layer;
        };
      }
      var common = { pane: "beffroiBase", interactive: false };
      L.geoJSON(data, {
        filter: only("boundary"),
        style: function () {
          return L.extend({ color: "#5c5c5c", weight: 2, dashArray: "10 4 2 4", fill: false }, common);
        }
      }).addTo(map);
      // A street is a white ribbon edged in grey, as on a printed town plan.
      [
        { color: "#9a948a", weight: 7, className: "map-street-casing" },
        { color: "#ffffff", weight: 4, className: "map-street" }
      ].forEach(function (look) {
        L.geoJSON(data, {
          filter: only("street"),
          style: function () {
            return L.extend({ opacity: 1, lineCap: "round", lineJoin: "round" }, look, common);
          },
          pointToLayer: function (feature, latlng) {
            return L.circleMarker(latlng, L.extend({ radius: look.weight / 2, fillColor: look.color, fillOpacity: 1 }, look, common));
          }
        }).addTo(map);
      });
      data.features.forEach(function (feature) {
        var props = feature.properties || {};
        if (props.layer === "boundary" || !props.name || !feature.geometry) {
          return;
        }
        var point = labelPoint(feature.geometry);
        if (point) {
          labelMarker(point, props.name, props.layer).addTo(map);
        }
      });
    });
  }

  /* Diagonal hatching for selected zones, defined once per page for every map's SVG. */
  function ensureHatch() {
    if (document.getElementById(HATCH_ID)) {
      return;
    }
    var ns = "http://www.w3.org/2000/svg";
    var svg = document.createElementNS(ns, "svg");
    svg.setAttribute("class", "map-patterns");
    svg.setAttribute("aria-hidden", "true");
    svg.setAttribute("focusable", "false");
    var pattern = document.createElementNS(ns, "pattern");
    pattern.setAttribute("id", HATCH_ID);
    pattern.setAttribute("patternUnits", "userSpaceOnUse");
    pattern.setAttribute("width", "8");
    pattern.setAttribute("height", "8");
    pattern.setAttribute("patternTransform", "rotate(45)");
    var back = document.createElementNS(ns, "rect");
    back.setAttribute("width", "8");
    back.setAttribute("height", "8");
    back.setAttribute("fill", "#ffffff");
    back.setAttribute("fill-opacity", "0.25");
    var line = document.createElementNS(ns, "line");
    line.setAttribute("x1", "0");
    line.setAttribute("y1", "0");
    line.setAttribute("x2", "0");
    line.setAttribute("y2", "8");
    line.setAttribute("stroke", "#1e1e1e");
    line.setAttribute("stroke-width", "3");
    line.setAttribute("stroke-opacity", "0.55");
    pattern.appendChild(back);
    pattern.appendChild(line);
    var defs = document.createElementNS(ns, "defs");
    defs.appendChild(pattern);
    svg.appendChild(defs);
    document.body.appendChild(svg);
  }

  function selectableStyle(feature, selected) {
    var colour = zoneStyle(feature).color;
    if (selected) {
      return { color: colour, weight: 4, opacity: 1, dashArray: null, fillColor: "url(#" + HATCH_ID + ")", fillOpacity: 1 };
    }
    return { color: colour, weight: 2, opacity: 0.9, dashArray: "6 5", fillColor: colour, fillOpacity: 0.08 };
  }

  /* Zones chosen with the form's checkboxes: the boxes are the keyboard's (and the screen
     reader's) way; a click on a shape ticks its box; a ticked zone is hatched, outlined
     thickly and named on the map, so its state never rests on colour alone. */
  function linkSelection(element, layer, name) {
    var scope = element.closest("form") || document;
    var boxes = {};
    Array.prototype.forEach.call(scope.querySelectorAll('input[type="checkbox"]'), function (box) {
      if (box.name === name) {
        boxes[box.value] = box;
      }
    });
    ensureHatch();
    layer.eachLayer(function (shape) {
      var feature = shape.feature;
      var box = feature && feature.id != null ? boxes[String(feature.id)] : null;
      if (!box) {
        return;
      }
      var label = (feature.properties && feature.properties.name) || "";
      function show() {
        shape.setStyle(selectableStyle(feature, box.checked));
        shape.unbindTooltip();
        if (box.checked) {
          shape.bindTooltip("\u2713 " + escapeHtml(label), {
            permanent: true,
            direction: "center",
            className: "map-zone-selected-label"
          });
        } else {
          shape.bindTooltip(escapeHtml(label), { sticky: true });
        }
      }
      var element_ = shape.getElement && shape.getElement();
      if (element_) {
        element_.setAttribute("data-zone-id", String(feature.id));
      }
      shape.on("click", function () {
        box.checked = !box.checked;
        // Bubbles to the form: htmx refreshes the audience as for a tick in the list.
        box.dispatchEvent(new Event("change", { bubbles: true }));
      });
      box.addEventListener("change", show);
      show();
    });
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
    translateControls();
    var map = L.map(element, { keyboard: true }).setView(center, zoom);
    L.tileLayer(element.getAttribute("data-tile-url") || "/tiles/{z}/{x}/{y}.png", {
      maxZoom: 19,
      attribution: escapeHtml(element.getAttribute("data-tile-attribution") || "")
    }).addTo(map);
    // Chromium makes Leaflet's clickable SVG shapes tab stops: a dozen unnamed stops between
    // the zoom buttons and the rest of the page. The list beside the map is the keyboard's way.
    map.on("layeradd", function (event) {
      var shape = event.layer.getElement && event.layer.getElement();
      if (shape && shape instanceof SVGElement) {
        shape.setAttribute("tabindex", "-1");
      }
    });
    addBaseMap(map);

    var bounds = L.latLngBounds([]);
    var linkPattern = element.getAttribute("data-link-pattern");
    var drawTargetId = element.getAttribute("data-draw-target");
    var selectName = element.getAttribute("data-select-name");
    (element.getAttribute("data-geojson") || "")
      .split(/\s+/)
      .filter(Boolean)
      .forEach(function (id) {
        var data = readJson(id);
        if (!data) {
          return;
        }
        var layer = L.geoJSON(data, {
          style:
            drawTargetId && !selectName
              ? function () {
                  return { color: "#6b6b6b", weight: 1, fillOpacity: 0.08 };
                }
              : zoneStyle,
          onEachFeature: function (feature, featureLayer) {
            if (feature.properties && feature.properties.name && !selectName) {
              featureLayer.bindPopup(popupFor(feature, linkPattern));
              featureLayer.bindTooltip(escapeHtml(feature.properties.name), { sticky: true });
            }
          }
        }).addTo(map);
        if (selectName) {
          linkSelection(element, layer, selectName);
        }
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
  /*
   * A map of points read from a GeoJSON endpoint (proposals, realisations): the element's
   * data attributes give the centre, the tiles, the endpoint ("data-geojson-url") and where
   * to write the count once drawn ("data-count-target", "data-count-text"). ``options``:
   * ``marker(feature, latlng)`` draws one point (never by colour alone), ``details(props,
   * element)`` the popup's line under the title. Titles are set as text, never parsed as
   * HTML; points are drawn on a canvas so that 10,000 stay fluid. The page's list is the
   * keyboard's and the screen reader's way to the same items.
   */
  function pointsMap(element, options) {
    if (typeof L === "undefined" || element.getAttribute("data-points-ready")) {
      return;
    }
    element.setAttribute("data-points-ready", "1");
    translateControls();
    var map = L.map(element, { keyboard: true, preferCanvas: true }).setView(
      [number(element.getAttribute("data-center-lat"), 46.6), number(element.getAttribute("data-center-lon"), 2.4)],
      number(element.getAttribute("data-zoom"), 13)
    );
    L.tileLayer(element.getAttribute("data-tile-url") || "/tiles/{z}/{x}/{y}.png", {
      maxZoom: 19,
      attribution: escapeHtml(element.getAttribute("data-tile-attribution") || "")
    }).addTo(map);
    addBaseMap(map);
    var countTarget = document.getElementById(element.getAttribute("data-count-target") || "");
    var countText = element.getAttribute("data-count-text") || "";
    var url = element.getAttribute("data-geojson-url");
    if (!url || typeof window.fetch !== "function") {
      return;
    }
    function popup(feature) {
      var props = feature.properties || {};
      var box = document.createElement("div");
      var link = document.createElement("a");
      link.href = props.url;
      link.textContent = props.name;
      var strong = document.createElement("strong");
      strong.appendChild(link);
      box.appendChild(strong);
      var line = document.createElement("div");
      line.textContent = options.details(props, element);
      box.appendChild(line);
      return box;
    }
    window
      .fetch(url, { credentials: "same-origin", headers: { Accept: "application/geo+json, application/json" } })
      .then(function (response) {
        return response.ok ? response.json() : null;
      })
      .then(function (data) {
        if (!data || !data.features) {
          return;
        }
        var layer = L.geoJSON(data, {
          pointToLayer: options.marker,
          onEachFeature: function (feature, item) {
            item.bindPopup(function () {
              return popup(feature);
            });
          }
        }).addTo(map);
        if (layer.getLayers().length) {
          map.fitBounds(layer.getBounds(), { padding: [20, 20], maxZoom: 17 });
        }
        if (countTarget) {
          countTarget.textContent = (countText + " " + String(data.features.length)).trim();
        }
      })
      .catch(function () {
        /* The page's list stays the way to the same items. */
      });
  }

  window.BeffroiMap = {
    init: initAll,
    pointsMap: pointsMap,
    circleToPolygon: circleToPolygon,
    addBaseMap: addBaseMap,
    translateControls: translateControls
  };
})();
