/*
 * Point picker of the alert registration form: a click (or Enter on the focused map, at its
 * centre) on the map writes the latitude and longitude into the form's number fields, which
 * stay the accessible alternative; typing them moves the marker.
 */
(function () {
  "use strict";

  function number(value, fallback) {
    var parsed = parseFloat(value);
    return isFinite(parsed) ? parsed : fallback;
  }

  function init(element) {
    if (typeof L === "undefined" || element.getAttribute("data-picker-ready")) {
      return;
    }
    element.setAttribute("data-picker-ready", "1");
    var latInput = document.getElementById(element.getAttribute("data-lat-input"));
    var lonInput = document.getElementById(element.getAttribute("data-lon-input"));
    if (!latInput || !lonInput) {
      return;
    }
    // map.js (loaded before) translates the zoom buttons and knows the commune's streets.
    var shared = window.BeffroiMap;
    if (shared) {
      shared.translateControls();
    }
    var map = L.map(element, { keyboard: true }).setView(
      [number(element.getAttribute("data-center-lat"), 46.6), number(element.getAttribute("data-center-lon"), 2.4)],
      number(element.getAttribute("data-zoom"), 13)
    );
    L.tileLayer(element.getAttribute("data-tile-url") || "/tiles/{z}/{x}/{y}.png", { maxZoom: 19 }).addTo(map);
    if (shared) {
      // Residents find their house by the street names, not on a blank grid.
      shared.addBaseMap(map);
    }
    var dataId = element.getAttribute("data-geojson");
    var data = dataId && document.getElementById(dataId);
    if (data) {
      try {
        var layer = L.geoJSON(JSON.parse(data.textContent), {
          style: function () {
            return { color: "#123f6d", weight: 2, fillOpacity: 0.05 };
          }
        }).addTo(map);
        if (layer.getLayers().length) {
          map.fitBounds(layer.getBounds(), { padding: [10, 10] });
        }
      } catch (error) {
        /* No outline: the map still works. */
      }
    }
    var marker = null;
    function place(lat, lon, write) {
      if (marker) {
        marker.setLatLng([lat, lon]);
      } else {
        marker = L.circleMarker([lat, lon], { radius: 8, color: "#b34700", weight: 3, fillColor: "#ffffff", fillOpacity: 1 }).addTo(map);
      }
      if (write) {
        latInput.value = lat.toFixed(6);
        lonInput.value = lon.toFixed(6);
      }
    }
    map.on("click", function (event) {
      place(event.latlng.lat, event.latlng.lng, true);
    });
    element.addEventListener("keydown", function (event) {
      if (event.key === "Enter" && event.target === element) {
        var centre = map.getCenter();
        place(centre.lat, centre.lng, true);
        event.preventDefault();
      }
    });
    function fromInputs() {
      var lat = parseFloat(latInput.value);
      var lon = parseFloat(lonInput.value);
      if (isFinite(lat) && isFinite(lon)) {
        place(lat, lon, false);
      }
    }
    latInput.addEventListener("change", fromInputs);
    lonInput.addEventListener("change", fromInputs);
    fromInputs();
    // Inside a closed <details> the map has no size until it opens.
    var details = element.closest("details");
    if (details) {
      details.addEventListener("toggle", function () {
        map.invalidateSize();
      });
    }
  }

  function initAll() {
    Array.prototype.forEach.call(document.querySelectorAll("div.point-picker"), init);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", initAll);
  } else {
    initAll();
  }
})();
