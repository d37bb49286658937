/*
 * Registration form: typing a mobile number ticks "SMS" (a number for voice calls ticks
 * "Voice call"), since a number given for a channel not ticked is refused by the server
 * (the rule; this is only a convenience). A box the person unticked themselves stays
 * unticked: the server's message then asks them to choose.
 */
(function () {
  "use strict";

  function link(form, field, channel) {
    var input = form.querySelector("input[name=" + field + "]");
    var box = form.querySelector("input[name=channels][value=" + channel + "]");
    if (!input || !box) {
      return;
    }
    var untickedByHand = false;
    box.addEventListener("change", function () {
      untickedByHand = !box.checked;
    });
    input.addEventListener("input", function () {
      if (input.value.trim() && !box.checked && !untickedByHand) {
        box.checked = true;
      }
    });
  }

  document.querySelectorAll("form[data-channel-autotick]").forEach(function (form) {
    link(form, "sms_number", "sms");
    link(form, "voice_number", "voice");
  });
})();
