// The weekly availability grid (templates/volunteering/volunteers/_profile_fields.html):
// a button in each row and column header ticks the whole day or period, or unticks it when
// every box is already ticked. The grid works without it: each box is a labelled checkbox.
(function () {
  "use strict";

  function boxes(table, selector) {
    return Array.prototype.slice.call(table.querySelectorAll(selector));
  }

  function toggle(inputs) {
    var all = inputs.every(function (input) { return input.checked; });
    inputs.forEach(function (input) { input.checked = !all; });
  }

  function addButton(header, label, inputs) {
    var button = document.createElement("button");
    button.type = "button";
    button.className = "availability-toggle";
    button.textContent = header.textContent.trim();
    button.setAttribute("aria-label", label.replace("{name}", header.textContent.trim()));
    button.addEventListener("click", function () { toggle(inputs()); });
    header.textContent = "";
    header.appendChild(button);
  }

  function setUp(table) {
    var label = table.getAttribute("data-toggle-label") || "{name}";
    boxes(table, "th[data-grid-row]").forEach(function (header) {
      var row = header.parentNode;
      addButton(header, label, function () { return boxes(row, "input[type=checkbox]"); });
    });
    boxes(table, "th[data-grid-column]").forEach(function (header) {
      var column = Number(header.getAttribute("data-grid-column"));
      addButton(header, label, function () {
        return boxes(table, "tbody tr").map(function (row) {
          return row.querySelectorAll("input[type=checkbox]")[column];
        }).filter(Boolean);
      });
    });
  }

  document.querySelectorAll("table[data-availability-grid]").forEach(setUp);
})();
