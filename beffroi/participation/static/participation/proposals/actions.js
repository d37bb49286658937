// After htmx replaces the support / follow block, the button that was pressed is gone and
// the focus would fall back to the page's top: put it on the block's first button, and say
// the outcome through a live region that was on the page before the swap (one created by
// the swap itself is often not announced).
(function () {
  "use strict";
  document.body.addEventListener("htmx:afterSettle", function (event) {
    var target = event.detail && event.detail.target;
    if (!target || target.id !== "proposal-actions") {
      return;
    }
    var block = document.getElementById("proposal-actions");
    var live = document.getElementById("proposal-actions-status");
    if (!block) {
      return;
    }
    var message = block.querySelector(".messages");
    if (live) {
      live.textContent = message ? message.textContent.trim() : "";
    }
    var button = block.querySelector("button");
    if (button) {
      button.focus();
    }
  });
})();
