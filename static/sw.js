// The service worker of the inspection pages. The server prepends self.CW_CONFIG (assets to
// keep, the scope, a version that changes with them): see inspections.views.service_worker.
//
// Pages under the scope: network first, the last good copy when offline; but a checklist kept on
// the phone opens from it at once and is refreshed in the background (a slow network must not
// keep the inspector waiting at the site), with its ETag (unchanged: 304, nothing downloaded). Static assets: the kept copy first. Writes (POST) are never touched here: the page keeps them in IndexedDB and sends
// them itself (static/js/inspect-offline.js), so nothing is lost in a worker's queue.
"use strict";
var CONFIG = self.CW_CONFIG;
var CACHE = "cw-inspect-" + CONFIG.version;

self.addEventListener("install", function (event) {
  event.waitUntil(
    caches.open(CACHE).then(function (cache) { return cache.addAll(CONFIG.assets); }).then(function () { return self.skipWaiting(); })
  );
});

self.addEventListener("activate", function (event) {
  event.waitUntil(
    caches.keys().then(function (names) {
      return Promise.all(names.filter(function (name) { return name.indexOf("cw-inspect-") === 0 && name !== CACHE; }).map(function (name) { return caches.delete(name); }));
    }).then(function () { return self.clients.claim(); })
  );
});

function keep(request, response) {
  // Only a page the person really got: not an error, not the login page we were sent to.
  if (response.ok && !response.redirected && response.type === "basic") {
    var copy = response.clone();
    caches.open(CACHE).then(function (cache) { cache.put(request, copy); });
  }
  return response;
}

// Sent to the login page: the session is over. Forget the pages kept for that person (records
// not yet sent stay in the page's IndexedDB and go once someone signs in again).
function forgetPages() {
  return caches.open(CACHE).then(function (cache) {
    return cache.keys().then(function (requests) {
      return Promise.all(requests.filter(function (r) { return new URL(r.url).pathname.indexOf(CONFIG.scope) === 0; }).map(function (r) { return cache.delete(r); }));
    });
  });
}

function networkFirst(request) {
  return fetch(request).then(function (response) {
    if (response.redirected && new URL(response.url).pathname.indexOf(CONFIG.login) === 0) forgetPages();
    return keep(request, response);
  }).catch(function () {
    // ignoreVary: Django varies on Cookie and Accept-Language, which differ between the
    // precache request and the navigation; the cache is this person's, on their phone.
    return caches.match(request, { ignoreSearch: true, ignoreVary: true }).then(function (hit) {
      return hit || caches.match(CONFIG.pages[0], { ignoreVary: true }).then(function (today) {
        var page = "<!doctype html><meta charset=utf-8><meta name=viewport content='width=device-width'><p>" + CONFIG.offline_page + "</p>";
        return today || new Response(page, { status: 503, headers: { "Content-Type": "text/html; charset=utf-8" } });
      });
    });
  });
}

// A site's checklist: /inspections/plans/<plan>/sites/<code>/
var CHECKLIST = /\/plans\/[0-9a-f-]{36}\/sites\/[^/]+\/$/;

// The kept copy's ETag goes with the refresh: "304 Not Modified" (the checklist, the plan and
// the site are as they were) costs a few bytes instead of the whole page on a slow network.
function revalidated(request, hit) {
  var etag = hit.headers.get("ETag");
  if (!etag) return networkFirst(request);
  return fetch(request.url, { credentials: "same-origin", headers: { "If-None-Match": etag } }).then(function (response) {
    if (response.status === 304) return hit;
    if (response.redirected && new URL(response.url).pathname.indexOf(CONFIG.login) === 0) forgetPages();
    return keep(request, response);
  });
}

function keptThenRefreshed(event) {
  var request = event.request;
  return caches.match(request, { ignoreSearch: true, ignoreVary: true }).then(function (hit) {
    if (!hit) return networkFirst(request);
    event.waitUntil(revalidated(request, hit).catch(function () {}));
    return hit;
  });
}

function cacheFirst(request) {
  return caches.match(request, { ignoreVary: true }).then(function (hit) {
    return hit || fetch(request).then(function (response) { return keep(request, response); });
  });
}

self.addEventListener("fetch", function (event) {
  var request = event.request;
  if (request.method !== "GET") return;
  var url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (url.pathname.indexOf("/static/") === 0) {
    event.respondWith(cacheFirst(request));
  } else if (request.mode === "navigate" && CHECKLIST.test(url.pathname) && url.pathname.indexOf(CONFIG.scope) === 0) {
    event.respondWith(keptThenRefreshed(event));
  } else if (url.pathname.indexOf(CONFIG.scope) === 0 || url.pathname === "/api/v1/today") {
    event.respondWith(networkFirst(request));
  }
});

// Background sync (where the browser has it): the network is back; the open pages send.
self.addEventListener("sync", function (event) {
  if (event.tag !== "cw-sync") return;
  event.waitUntil(self.clients.matchAll({ type: "window" }).then(function (clients) {
    clients.forEach(function (client) { client.postMessage({ type: "sync" }); });
  }));
});

// The day's page asks for its checklists to be kept, so that they open without a network. Those
// kept already are not fetched again (opening one refreshes it); the day's page always is.
self.addEventListener("message", function (event) {
  var data = event.data || {};
  if (data.type === "forget") {
    event.waitUntil(forgetPages());
    return;
  }
  if (data.type !== "precache") return;
  event.waitUntil(
    caches.open(CACHE).then(function (cache) {
      return Promise.all(data.urls.map(function (url, index) {
        var always = index === data.urls.length - 1;
        return cache.match(url, { ignoreVary: true }).then(function (hit) {
          if (hit && !always) return;
          return fetch(url, { credentials: "same-origin" }).then(function (response) {
            if (response.ok && !response.redirected) return cache.put(url, response);
          });
        }).catch(function () { /* offline now: kept next time */ });
      }));
    }).then(function () {
      if (event.source) event.source.postMessage({ type: "precached", urls: data.urls });
    })
  );
});
