/*
 * Map of the realisations (BeffroiMap.pointsMap, beffroi/js/map.js): one marker per
 * realisation. The status is never told by colour alone: delivered realisations are squares,
 * abandoned ones hollow and dashed circles, and the popup writes the status and the progress
 * in words.
 */
(function () {
  "use strict";

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

  function details(props, element) {
    var label = element.getAttribute("data-progress-label") || "";
    return props.status_label + " — " + label + " " + props.progress + " %";
  }

  function initAll() {
    if (!window.BeffroiMap) {
      return;
    }
    Array.prototype.forEach.call(document.querySelectorAll("div.realisations-map"), function (element) {
      window.BeffroiMap.pointsMap(element, { marker: marker, details: details });
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", initAll);
  } else {
    initAll();
  }
})();
