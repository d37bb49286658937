// Move the keyboard focus to a form's error summary when the page shows one, so that
// keyboard and screen-reader users hear the problems first and can follow the links to
// each field. Without JavaScript the summary is still at the top of the form.
(function () {
  "use strict";
  var summary = document.querySelector("[data-error-summary]");
  if (summary) {
    summary.focus();
  }
})();
