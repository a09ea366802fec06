// Keeps a server-rendered box up to date while the worker makes a document (a download, a
// bulletin's Word and PDF): every 2 s the element with data-poll is replaced by the copy the
// server answers at that URL, until the server's copy no longer carries data-poll (done or
// failed). No inline script: the Content-Security-Policy forbids it. Without JavaScript the box
// has a link to reload the page.
(function () {
  "use strict";
  var DELAY = 2000;

  function poll(element) {
    window.setTimeout(function () {
      fetch(element.dataset.poll, { credentials: "same-origin", headers: { "X-Requested-With": "fetch" } })
        .then(function (response) {
          if (!response.ok) throw new Error(response.status);
          return response.text();
        })
        .then(function (html) {
          var fresh = new DOMParser().parseFromString(html, "text/html").body.firstElementChild;
          if (!fresh) return poll(element);
          element.replaceWith(fresh);
          if (fresh.dataset.poll) poll(fresh);
        })
        .catch(function () {
          poll(element); // a network blip or a restart: try again
        });
    }, DELAY);
  }

  document.querySelectorAll("[data-poll]").forEach(poll);
})();
