/*
 * Conditional questions of the answering form. A question with data-condition-name (the
 * name of an earlier question's inputs) and data-condition-values (the choice ids that show
 * it) is hidden, and its inputs disabled, until one of those choices is ticked in a question
 * that is itself shown. Without JavaScript every question is shown with a sentence saying
 * when to answer it, and the server applies the same rule (answers to hidden questions are
 * dropped, a hidden question is never required).
 */
(function () {
  "use strict";

  var form = document.querySelector("form[data-questionnaire]");
  if (!form) {
    return;
  }
  var blocks = Array.prototype.slice.call(form.querySelectorAll("[data-condition-name]"));
  var status = document.getElementById("condition-status");
  if (!blocks.length) {
    return;
  }

  function chosen(name) {
    var values = {};
    Array.prototype.forEach.call(form.elements, function (input) {
      if (input.name === name && input.checked && !input.disabled) {
        values[input.value] = true;
      }
    });
    return values;
  }

  function update(announce) {
    var shownNow = [];
    // Document order is question order, and a condition is always an earlier question:
    // one pass sees each condition question already shown or hidden.
    blocks.forEach(function (block) {
      var values = chosen(block.getAttribute("data-condition-name"));
      var wanted = (block.getAttribute("data-condition-values") || "").split(" ");
      var show = wanted.some(function (value) {
        return value && values[value];
      });
      if (show && block.hidden) {
        shownNow.push(block.getAttribute("data-question-label") || "");
      }
      block.hidden = !show;
      Array.prototype.forEach.call(block.querySelectorAll("input, select, textarea"), function (input) {
        input.disabled = !show;
      });
    });
    if (announce && status && shownNow.length) {
      status.textContent = (status.getAttribute("data-shown") || "") + " " + shownNow.join(", ");
    }
  }

  form.addEventListener("change", function () {
    update(true);
  });
  update(false);
})();
