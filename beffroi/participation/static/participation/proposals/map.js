/*
 * Map of a process's proposals: reads the GeoJSON endpoint (the list's filters in its query
 * string) and draws one circle per proposal, on a canvas so that 10,000 points stay fluid.
 * A click opens a popup with the proposal's title as a link; titles are set as text, never
 * parsed as HTML. The list page is the keyboard's and the screen reader's way to the same
 * proposals; the count below the map is announced when the points are drawn.
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

  function popup(feature, supportsLabel) {
    var box = document.createElement("div");
    var link = document.createElement("a");
    link.href = feature.properties.url;
    link.textContent = feature.properties.name;
    var strong = document.createElement("strong");
    strong.appendChild(link);
    box.appendChild(strong);
    var line = document.createElement("div");
    line.textContent = feature.properties.supports + " " + supportsLabel;
    box.appendChild(line);
    return box;
  }

  function init(element) {
    if (typeof L === "undefined" || element.getAttribute("data-proposals-ready")) {
      return;
    }
    element.setAttribute("data-proposals-ready", "1");
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
    var supportsLabel = element.getAttribute("data-supports-label") || "";
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
          pointToLayer: function (feature, latlng) {
            var withdrawn = feature.properties && feature.properties.withdrawn;
            // Withdrawn proposals: hollow and dashed, not only another colour.
            return L.circleMarker(latlng, {
              radius: 7,
              color: withdrawn ? "#5c5c5c" : "#123f6d",
              weight: 2,
              dashArray: withdrawn ? "3 3" : null,
              fillColor: withdrawn ? "#ffffff" : "#2b6cb0",
              fillOpacity: withdrawn ? 0.2 : 0.8
            });
          },
          onEachFeature: function (feature, marker) {
            marker.bindPopup(function () {
              return popup(feature, supportsLabel);
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
        /* The list stays the way to the proposals. */
      });
  }

  function initAll() {
    Array.prototype.forEach.call(document.querySelectorAll("div.proposals-map"), init);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", initAll);
  } else {
    initAll();
  }
})();
