/* One submit, one row: a form that is being sent cannot be sent again by a second click or tap.

   The server is what guarantees it (core/once.py: the one-time key of every creating form); this
   only spares the person a second request and shows that the first is on its way. Every POST form
   of the site, unless marked data-cw-once="off"; a form whose sending another script took over
   (the offline checklist calls preventDefault and keeps its own guard) is left alone.

   The buttons are disabled only after the submit event: a disabled button is left out of the
   data sent, and some forms read which button was pressed (the language switch). They are given
   back after a while, in case the request was lost (the key still protects a resend), and when
   the browser shows the page again from its history. */
(function () {
  "use strict";

  var RELEASE_AFTER_MS = 15000;

  function buttons(form) {
    return Array.prototype.filter.call(form.elements, function (element) {
      return element.type === "submit" || element.type === "image";
    });
  }

  function release(form) {
    delete form.dataset.cwSending;
    buttons(form).forEach(function (button) {
      if (button.dataset.cwOnceDisabled) {
        button.disabled = false;
        button.removeAttribute("aria-busy");
        delete button.dataset.cwOnceDisabled;
      }
    });
  }

  // On the document, so it runs after the form's own listeners and sees their preventDefault.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!(form instanceof HTMLFormElement) || form.method.toLowerCase() !== "post") return;
    if (form.dataset.cwOnce === "off" || event.defaultPrevented) return;
    if (form.dataset.cwSending) {
      event.preventDefault(); // the second click of a double click
      return;
    }
    form.dataset.cwSending = "1";
    window.setTimeout(function () {
      buttons(form).forEach(function (button) {
        if (!button.disabled) {
          button.disabled = true;
          button.setAttribute("aria-busy", "true");
          button.dataset.cwOnceDisabled = "1";
        }
      });
    }, 0);
    window.setTimeout(function () { release(form); }, RELEASE_AFTER_MS);
  });

  window.addEventListener("pageshow", function (event) {
    if (event.persisted) Array.prototype.forEach.call(document.forms, release);
  });
})();
