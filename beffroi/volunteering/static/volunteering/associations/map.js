/*
 * Map of the associations' directory, with clusters. The server groups the points that
 * would overlap at the map's zoom (volunteering/associations/selectors.py, directory_map):
 * the map asks again for each zoom. A single association is a circle whose popup links to
 * its page; a cluster is a disc showing its count in text, and selecting it zooms to the
 * associations it holds. Titles are set as text, never parsed as HTML. Markers are not tab
 * stops: the list under the map is the keyboard's and the screen reader's way to the same
 * associations.
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

  function withZoom(url, zoom) {
    return url + (url.indexOf("?") === -1 ? "?" : "&") + "zoom=" + String(zoom);
  }

  function popup(props) {
    var box = document.createElement("div");
    var strong = document.createElement("strong");
    var link = document.createElement("a");
    link.href = props.url;
    link.textContent = props.name;
    strong.appendChild(link);
    box.appendChild(strong);
    if (props.city) {
      var line = document.createElement("div");
      line.textContent = props.city;
      box.appendChild(line);
    }
    return box;
  }

  function clusterMarker(feature, latlng, map, text) {
    var props = feature.properties;
    var size = Math.min(64, 28 + 6 * Math.log(props.count) / Math.LN2);
    var span = document.createElement("span");
    span.textContent = String(props.count);
    span.title = String(props.count) + " " + text;
    var marker = L.marker(latlng, {
      icon: L.divIcon({ className: "association-cluster", html: span, iconSize: [size, size] }),
      keyboard: false,
      title: ""
    });
    marker.on("click", function () {
      var b = props.bbox;
      map.fitBounds(
        [
          [b[1], b[0]],
          [b[3], b[2]]
        ],
        { padding: [40, 40], maxZoom: Math.max(map.getZoom() + 2, 17) }
      );
    });
    return marker;
  }

  function init(element) {
    var shared = window.BeffroiMap;
    if (typeof L === "undefined" || !shared || element.getAttribute("data-points-ready")) {
      return;
    }
    element.setAttribute("data-points-ready", "1");
    shared.translateControls();
    var map = L.map(element, { keyboard: true, preferCanvas: true }).setView(
      [number(element.getAttribute("data-center-lat"), 46.6), number(element.getAttribute("data-center-lon"), 2.4)],
      number(element.getAttribute("data-zoom"), 13)
    );
    L.tileLayer(element.getAttribute("data-tile-url") || "/tiles/{z}/{x}/{y}.png", {
      maxZoom: 19,
      attribution: escapeHtml(element.getAttribute("data-tile-attribution") || "")
    }).addTo(map);
    shared.addBaseMap(map);
    var url = element.getAttribute("data-geojson-url");
    var text = element.getAttribute("data-cluster-text") || "";
    var layer = L.layerGroup().addTo(map);
    var fitted = false;
    var request = 0;
    if (!url || typeof window.fetch !== "function") {
      return;
    }
    function load() {
      var mine = ++request;
      window
        .fetch(withZoom(url, map.getZoom()), { credentials: "same-origin", headers: { Accept: "application/geo+json, application/json" } })
        .then(function (response) {
          return response.ok ? response.json() : null;
        })
        .then(function (data) {
          if (!data || !data.features || mine !== request) {
            return;
          }
          if (!fitted && data.bbox) {
            fitted = true;
            var b = data.bbox;
            var before = map.getZoom();
            map.fitBounds(
              [
                [b[1], b[0]],
                [b[3], b[2]]
              ],
              { padding: [30, 30], maxZoom: 16, animate: false }
            );
            if (map.getZoom() !== before) {
              return; // the zoom change asks again, for the new zoom
            }
          }
          fitted = true;
          layer.clearLayers();
          L.geoJSON(data, {
            pointToLayer: function (feature, latlng) {
              if (feature.properties && feature.properties.cluster) {
                return clusterMarker(feature, latlng, map, text);
              }
              return L.circleMarker(latlng, { radius: 8, color: "#123f6d", weight: 2, fillColor: "#2b6cb0", fillOpacity: 0.85 });
            },
            onEachFeature: function (feature, item) {
              if (!(feature.properties && feature.properties.cluster)) {
                item.bindPopup(function () {
                  return popup(feature.properties || {});
                });
              }
            }
          }).addTo(layer);
        })
        .catch(function () {
          /* The page's list stays the way to the same associations. */
        });
    }
    map.on("zoomend", load);
    load();
  }

  function initAll() {
    Array.prototype.forEach.call(document.querySelectorAll("div.associations-map"), init);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", initAll);
  } else {
    initAll();
  }
})();
