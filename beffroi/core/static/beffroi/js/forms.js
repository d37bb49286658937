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

// A wide table scrolls sideways inside its ".table-wrap" on a narrow screen: the scrolling
// region must then be reachable by keyboard (and named after the table's caption), or a
// keyboard user cannot read its hidden columns (WCAG 2.1.1).
(function () {
  "use strict";
  function label(wrap, index) {
    var caption = wrap.querySelector("caption");
    if (!caption) {
      return;
    }
    if (!caption.id) {
      caption.id = "table-caption-" + index;
    }
    wrap.setAttribute("aria-labelledby", caption.id);
  }
  function update() {
    var wraps = document.querySelectorAll(".table-wrap");
    for (var i = 0; i < wraps.length; i++) {
      var wrap = wraps[i];
      if (wrap.scrollWidth > wrap.clientWidth + 1) {
        wrap.setAttribute("tabindex", "0");
        wrap.setAttribute("role", "region");
        label(wrap, i);
      } else if (wrap.getAttribute("tabindex") === "0") {
        wrap.removeAttribute("tabindex");
        wrap.removeAttribute("role");
        wrap.removeAttribute("aria-labelledby");
      }
    }
  }
  update();
  window.addEventListener("resize", update);
  document.addEventListener("htmx:afterSettle", update);
})();
