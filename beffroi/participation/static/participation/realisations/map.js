/*
 * Map of the realisations: reads the GeoJSON endpoint (the list's filters in its query
 * string) and draws one marker per realisation. The status is never told by colour alone:
 * delivered realisations are squares, abandoned ones hollow and dashed circles, and the popup
 * writes the status and the progress in words. Titles are set as text, never parsed as HTML.
 * The list below the map is the keyboard's and the screen reader's way to the same
 * realisations; the count below the map is announced when the markers are drawn.
 */
(function () {
  "use strict";

  function number(value, fallback) {
    var parsed = parseFloat(value);
    return isFinite(parsed) ? parsed : fallback;
  }

  function escapeHtml(text) {
    var div = document.createElement("div");
    div.textContent = text;
    return div.innerHTML;
  }

  function popup(feature, progressLabel) {
    var props = feature.properties || {};
    var box = document.createElement("div");
    var link = document.createElement("a");
    link.href = props.url;
    link.textContent = props.name;
    var strong = document.createElement("strong");
    strong.appendChild(link);
    box.appendChild(strong);
    var line = document.createElement("div");
    line.textContent = props.status_label + " — " + progressLabel + " " + props.progress + " %";
    box.appendChild(line);
    return box;
  }

  function marker(feature, latlng) {
    var status = feature.properties && feature.properties.status;
    if (status === "delivered") {
      var d = 0.00012;
      return L.rectangle(
        [
          [latlng.lat - d, latlng.lng - d * 1.5],
          [latlng.lat + d, latlng.lng + d * 1.5]
        ],
        { color: "#1d5c2e", weight: 2, fillColor: "#2f855a", fillOpacity: 0.85 }
      );
    }
    var abandoned = status === "abandoned";
    return L.circleMarker(latlng, {
      radius: 8,
      color: abandoned ? "#5c5c5c" : "#123f6d",
      weight: 2,
      dashArray: abandoned ? "3 3" : null,
      fillColor: abandoned ? "#ffffff" : "#2b6cb0",
      fillOpacity: abandoned ? 0.2 : 0.8
    });
  }

  function init(element) {
    if (typeof L === "undefined" || element.getAttribute("data-realisations-ready")) {
      return;
    }
    element.setAttribute("data-realisations-ready", "1");
    var shared = window.BeffroiMap;
    if (shared) {
      shared.translateControls();
    }
    var map = L.map(element, { keyboard: true, preferCanvas: true }).setView(
      [number(element.getAttribute("data-center-lat"), 46.6), number(element.getAttribute("data-center-lon"), 2.4)],
      number(element.getAttribute("data-zoom"), 13)
    );
    L.tileLayer(element.getAttribute("data-tile-url") || "/tiles/{z}/{x}/{y}.png", {
      maxZoom: 19,
      attribution: escapeHtml(element.getAttribute("data-tile-attribution") || "")
    }).addTo(map);
    if (shared) {
      shared.addBaseMap(map);
    }
    var progressLabel = element.getAttribute("data-progress-label") || "";
    var countTarget = document.getElementById(element.getAttribute("data-count-target") || "");
    var countText = element.getAttribute("data-count-text") || "";
    var url = element.getAttribute("data-geojson-url");
    if (!url || typeof window.fetch !== "function") {
      return;
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
          pointToLayer: marker,
          onEachFeature: function (feature, layerItem) {
            layerItem.bindPopup(function () {
              return popup(feature, progressLabel);
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
        /* The list stays the way to the realisations. */
      });
  }

  function initAll() {
    Array.prototype.forEach.call(document.querySelectorAll("div.realisations-map"), init);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", initAll);
  } else {
    initAll();
  }
})();
