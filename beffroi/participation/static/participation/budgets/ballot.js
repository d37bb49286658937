/*
 * The ballot's running total (progressive enhancement: without JavaScript the server checks
 * the same rules when the ballot is sent). As the resident ticks projects, gives points or
 * ranks, the total against the budget (money, points or number of projects) is written in
 * #ballot-total, and said by a polite live region once the person pauses (debounced: a
 * screen reader is not flooded at every key). Projects that no longer fit get a sentence
 * in words, never a colour alone. The sentences come translated from the form's data-text-*
 * attributes; {spent}, {amount}, {left}, {used}, {max}, {count} are filled in here.
 */
(function () {
  "use strict";

  var form = document.querySelector("form[data-ballot]");
  if (!form) {
    return;
  }
  var total = document.getElementById("ballot-total");
  var live = document.getElementById("ballot-status");
  var type = form.getAttribute("data-type");
  var amount = parseFloat(form.getAttribute("data-amount") || "0");
  var currency = form.getAttribute("data-currency") || "EUR";
  var maxProjects = parseInt(form.getAttribute("data-max") || "", 10);
  var maxPoints = parseInt(form.getAttribute("data-max-points") || "", 10);
  var language = document.documentElement.lang || "fr";
  var inputs = Array.prototype.slice.call(form.querySelectorAll("[data-project]"));
  var timer = null;
  var DELAY = 800;

  function money(value) {
    var round = Math.abs(value - Math.round(value)) < 0.005;
    var text = new Intl.NumberFormat(language, {
      minimumFractionDigits: round ? 0 : 2,
      maximumFractionDigits: round ? 0 : 2
    }).format(value);
    return text + "\u00a0" + (currency === "EUR" ? "€" : currency);
  }

  function fill(text, values) {
    return text.replace(/\{(\w+)\}/g, function (all, name) {
      return Object.prototype.hasOwnProperty.call(values, name) ? values[name] : all;
    });
  }

  function note(input, text) {
    var card = input.closest("[data-project-card]");
    var element = card && card.querySelector("[data-fit-note]");
    if (!element) {
      return;
    }
    element.textContent = text;
    element.hidden = !text;
    // Said with the field too, when the person comes back to it.
    var ids = (input.getAttribute("aria-describedby") || "").split(/\s+/).filter(function (id) {
      return id && id !== element.id;
    });
    if (text) {
      ids.push(element.id);
    }
    input.setAttribute("aria-describedby", ids.join(" "));
  }

  function whole(input) {
    var value = parseInt(input.value, 10);
    return isNaN(value) || value < 0 ? 0 : value;
  }

  function compute() {
    var over = false;
    var values = {};
    var fitText = form.getAttribute("data-text-fit") || "";
    if (type === "cumulative") {
      var used = 0;
      inputs.forEach(function (input) {
        used += whole(input);
      });
      var left = isNaN(maxPoints) ? 0 : maxPoints - used;
      over = !isNaN(maxPoints) && used > maxPoints;
      values = { used: String(used), max: isNaN(maxPoints) ? "" : String(maxPoints), left: String(Math.max(left, 0)) };
      inputs.forEach(function (input) {
        note(input, !isNaN(maxPoints) && left <= 0 && whole(input) === 0 ? fitText : "");
      });
    } else if (type === "ranked") {
      var counts = {};
      var ranked = 0;
      inputs.forEach(function (input) {
        if (input.value) {
          ranked += 1;
          counts[input.value] = (counts[input.value] || 0) + 1;
        }
      });
      over = !isNaN(maxProjects) && ranked > maxProjects;
      values = { count: String(ranked), max: isNaN(maxProjects) ? String(inputs.length) : String(maxProjects) };
      inputs.forEach(function (input) {
        note(input, input.value && counts[input.value] > 1 ? fitText : "");
      });
    } else {
      var spent = 0;
      var chosen = 0;
      inputs.forEach(function (input) {
        if (input.checked) {
          chosen += 1;
          spent += parseFloat(input.getAttribute("data-cost") || "0");
        }
      });
      if (type === "knapsack") {
        over = spent > amount + 0.001;
        values = { spent: money(spent), amount: money(amount), left: money(Math.max(amount - spent, 0)) };
        inputs.forEach(function (input) {
          var cost = parseFloat(input.getAttribute("data-cost") || "0");
          note(input, !input.checked && cost > amount - spent + 0.001 ? fitText : "");
        });
      } else {
        over = !isNaN(maxProjects) && chosen > maxProjects;
        values = { count: String(chosen), max: isNaN(maxProjects) ? "" : String(maxProjects) };
        inputs.forEach(function (input) {
          note(input, !isNaN(maxProjects) && !input.checked && chosen >= maxProjects ? fitText : "");
        });
      }
    }
    var text = fill(form.getAttribute(over ? "data-text-over" : "data-text-total") || "", values);
    total.textContent = text;
    total.setAttribute("data-over", over ? "true" : "false");
    return text;
  }

  function update() {
    var text = compute();
    if (timer) {
      window.clearTimeout(timer);
    }
    timer = window.setTimeout(function () {
      // Emptied then filled: the same sentence said twice is announced again.
      live.textContent = "";
      window.setTimeout(function () {
        live.textContent = text;
      }, 50);
    }, DELAY);
  }

  if (!total || !live) {
    return;
  }
  total.hidden = false;
  compute();
  form.addEventListener("change", update);
  form.addEventListener("input", update);
})();
