/*
 * The meeting form's point picker: a click on the map (or Enter on the focused map, at its
 * centre) writes the latitude and longitude fields, which stay the accessible way to give
 * the point; typing them moves the marker. The map is drawn when its <details> opens
 * (Leaflet needs a visible box).
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
    var latInput = document.getElementById(element.getAttribute("data-lat-input"));
    var lonInput = document.getElementById(element.getAttribute("data-lon-input"));
    if (!latInput || !lonInput) {
      return;
    }
    element.setAttribute("data-picker-ready", "1");
    element.setAttribute("tabindex", "0");
    var shared = window.BeffroiMap;
    if (shared && shared.translateControls) {
      shared.translateControls();
    }
    var lat0 = number(latInput.value, NaN);
    var lon0 = number(lonInput.value, NaN);
    var hasPoint = isFinite(lat0) && isFinite(lon0);
    var map = L.map(element, { keyboard: true }).setView(
      hasPoint ? [lat0, lon0] : [number(element.getAttribute("data-center-lat"), 46.6), number(element.getAttribute("data-center-lon"), 2.4)],
      number(element.getAttribute("data-zoom"), 13)
    );
    L.tileLayer(element.getAttribute("data-tile-url") || "/tiles/{z}/{x}/{y}.png", {
      maxZoom: 19,
      attribution: element.getAttribute("data-tile-attribution") || ""
    }).addTo(map);
    if (shared && shared.addBaseMap) {
      shared.addBaseMap(map);
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
    if (hasPoint) {
      place(lat0, lon0, false);
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
        map.panTo([lat, lon]);
      }
    }
    latInput.addEventListener("change", fromInputs);
    lonInput.addEventListener("change", fromInputs);
  }

  Array.prototype.forEach.call(document.querySelectorAll(".point-picker"), function (element) {
    var details = element.closest("details");
    if (details && !details.open) {
      details.addEventListener("toggle", function () {
        if (details.open) {
          init(element);
        }
      });
    } else {
      init(element);
    }
  });
})();
