/* The printable sheets' "Print" button: shown only when JavaScript can print (strict CSP). */
(function () {
  "use strict";
  Array.prototype.forEach.call(document.querySelectorAll("[data-print-page]"), function (button) {
    button.hidden = false;
    button.addEventListener("click", function () {
      window.print();
    });
  });
})();
