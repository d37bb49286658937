/* The certificate of hours' "Print" button: shown only when JavaScript can print (strict CSP);
   without JavaScript the browser's own print command does the same. */
(function () {
  "use strict";
  var buttons = document.querySelectorAll("[data-print-page]");
  Array.prototype.forEach.call(buttons, function (button) {
    button.hidden = false;
    button.addEventListener("click", function () {
      window.print();
    });
  });
})();
