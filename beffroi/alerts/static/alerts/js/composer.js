// "Show on the public alerts page" follows the kind of alert until the author sets it: off
// for an exercise (a drill on the public page reads as a real danger), on otherwise. Without
// JavaScript the box keeps what the server rendered and the author ticks it themselves.
(function () {
  "use strict";
  var box = document.getElementById("id_is_public");
  var kinds = document.querySelectorAll('input[name="cap_status"]');
  if (!box || !kinds.length) return;
  var touched = false;
  box.addEventListener("change", function () { touched = true; });
  kinds.forEach(function (kind) {
    kind.addEventListener("change", function () {
      if (!touched && kind.checked) box.checked = kind.value !== "Exercise";
    });
  });
})();
