/*
 * Map of a process's proposals (BeffroiMap.pointsMap, beffroi/js/map.js): one circle per
 * proposal, its support count in the popup. Withdrawn proposals are hollow and dashed, not
 * only another colour.
 */
(function () {
  "use strict";

  function marker(feature, latlng) {
    var withdrawn = feature.properties && feature.properties.withdrawn;
    return L.circleMarker(latlng, {
      radius: 7,
      color: withdrawn ? "#5c5c5c" : "#123f6d",
      weight: 2,
      dashArray: withdrawn ? "3 3" : null,
      fillColor: withdrawn ? "#ffffff" : "#2b6cb0",
      fillOpacity: withdrawn ? 0.2 : 0.8
    });
  }

  function details(props, element) {
    return props.supports + " " + (element.getAttribute("data-supports-label") || "");
  }

  function initAll() {
    if (!window.BeffroiMap) {
      return;
    }
    Array.prototype.forEach.call(document.querySelectorAll("div.proposals-map"), function (element) {
      window.BeffroiMap.pointsMap(element, { marker: marker, details: details });
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", initAll);
  } else {
    initAll();
  }
})();
