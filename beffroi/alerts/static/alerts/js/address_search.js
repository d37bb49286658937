/*
 * Enter in a form with an address search (the alert registration, "add a place"):
 * - in the search field, it searches at once and the keyboard focus stays in the field, so
 *   the resident reads the suggestions (announced by the live region) and goes on typing or
 *   tabs to them; the best match is already ticked when it is unambiguous (server side).
 *   Without this script, Enter presses the form's first button, "Search", which reloads the
 *   page with the suggestions and the focus back in the field;
 * - in any other field, it submits the form with its main button (data-default-submit)
 *   rather than "Search", the first button of the form.
 */
(function () {
  "use strict";

  var NOT_TEXT = { button: 1, submit: 1, reset: 1, image: 1, file: 1 };

  function onKeydown(event) {
    if (event.key !== "Enter" || event.isComposing || event.defaultPrevented) {
      return;
    }
    var target = event.target;
    if (!(target instanceof HTMLInputElement) || NOT_TEXT[target.type]) {
      return;
    }
    var form = target.form;
    if (!form) {
      return;
    }
    if (target.hasAttribute("data-address-search")) {
      if (window.htmx) {
        event.preventDefault();
        window.htmx.trigger(target, "search");
      }
      return;
    }
    var main = form.querySelector("[data-default-submit]");
    if (main && form.requestSubmit) {
      event.preventDefault();
      form.requestSubmit(main);
    }
  }

  document.addEventListener("keydown", onKeydown);
})();
