// Inspections offline: what the inspector records is kept on the phone (IndexedDB) and sent to
// /api/v1/ when there is a network, in the order the server needs (inspections, then problems,
// then photos). Every record carries an id made here (crypto.randomUUID), and the server stores
// each id once, so a retry, a double tap or two syncs at once never duplicate anything. A record
// leaves the phone only when the server has answered 200 or 201 for it.
(function () {
  "use strict";
  var configEl = document.getElementById("cw-offline-config");
  if (!configEl) return;
  var CONFIG = JSON.parse(configEl.textContent);
  document.documentElement.classList.add("cw-js");
  // The sentences come translated from the server (inspections.views._offline_config), with
  // %(name)s placeholders as in gettext.
  var TEXT = CONFIG.text || {};
  function t(key, values) {
    values = values || {};
    return (TEXT[key] || key).replace(/%\((\w+)\)s/g, function (_, name) { return values[name]; });
  }

  // ---- small helpers ---------------------------------------------------------------------------
  function uuid() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    var b = crypto.getRandomValues(new Uint8Array(16));
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    var h = Array.prototype.map.call(b, function (x) { return (x + 0x100).toString(16).slice(1); }).join("");
    return h.slice(0, 8) + "-" + h.slice(8, 12) + "-" + h.slice(12, 16) + "-" + h.slice(16, 20) + "-" + h.slice(20);
  }

  function hex(buffer) {
    return Array.prototype.map.call(new Uint8Array(buffer), function (x) { return (x + 0x100).toString(16).slice(1); }).join("");
  }

  // SHA-256 of a Blob. WebCrypto where the page is a secure context; otherwise a plain
  // implementation, so an intranet served over http still computes the hash the server checks.
  function sha256(blob) {
    return blob.arrayBuffer().then(function (data) {
      if (window.crypto && crypto.subtle) return crypto.subtle.digest("SHA-256", data).then(hex);
      return sha256Plain(new Uint8Array(data));
    });
  }

  function sha256Plain(bytes) {
    var K = [0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
      0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
      0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
      0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
      0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
      0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
      0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
      0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2];
    var H = [0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19];
    var length = bytes.length, padded = new Uint8Array(((length + 9 + 63) >> 6) << 6);
    padded.set(bytes);
    padded[length] = 0x80;
    var view = new DataView(padded.buffer);
    view.setUint32(padded.length - 8, Math.floor(length / 0x20000000));
    view.setUint32(padded.length - 4, (length << 3) >>> 0);
    var w = new Uint32Array(64);
    function rotr(x, n) { return (x >>> n) | (x << (32 - n)); }
    for (var off = 0; off < padded.length; off += 64) {
      for (var i = 0; i < 16; i++) w[i] = view.getUint32(off + i * 4);
      for (i = 16; i < 64; i++) {
        var s0 = rotr(w[i - 15], 7) ^ rotr(w[i - 15], 18) ^ (w[i - 15] >>> 3);
        var s1 = rotr(w[i - 2], 17) ^ rotr(w[i - 2], 19) ^ (w[i - 2] >>> 10);
        w[i] = (w[i - 16] + s0 + w[i - 7] + s1) >>> 0;
      }
      var a = H[0], b = H[1], c = H[2], d = H[3], e = H[4], f = H[5], g = H[6], h = H[7];
      for (i = 0; i < 64; i++) {
        var t1 = (h + (rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25)) + ((e & f) ^ (~e & g)) + K[i] + w[i]) >>> 0;
        var t2 = ((rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22)) + ((a & b) ^ (a & c) ^ (b & c))) >>> 0;
        h = g; g = f; f = e; e = (d + t1) >>> 0; d = c; c = b; b = a; a = (t1 + t2) >>> 0;
      }
      H = [H[0] + a, H[1] + b, H[2] + c, H[3] + d, H[4] + e, H[5] + f, H[6] + g, H[7] + h].map(function (x) { return x >>> 0; });
    }
    return H.map(function (x) { return (x + 0x100000000).toString(16).slice(1); }).join("");
  }

  function cookie(name) {
    var match = document.cookie.match(new RegExp("(?:^|; )" + name + "=([^;]*)"));
    return match ? decodeURIComponent(match[1]) : "";
  }

  // ---- the store on the phone ------------------------------------------------------------------
  var KINDS = ["inspections", "problems", "photos"];
  var dbPromise = null;

  function db() {
    if (!dbPromise) {
      dbPromise = new Promise(function (resolve, reject) {
        var request = indexedDB.open("chuangwei-inspect", 1);
        request.onupgradeneeded = function () {
          KINDS.forEach(function (kind) {
            if (!request.result.objectStoreNames.contains(kind)) request.result.createObjectStore(kind, { keyPath: "client_id" });
          });
        };
        request.onsuccess = function () { resolve(request.result); };
        request.onerror = function () { reject(request.error); };
      });
    }
    return dbPromise;
  }

  function tx(kinds, mode, work) {
    return db().then(function (database) {
      return new Promise(function (resolve, reject) {
        var t = database.transaction(kinds, mode);
        var result = work(t);
        t.oncomplete = function () { resolve(result && result.value !== undefined ? result.value : result); };
        t.onerror = function () { reject(t.error); };
        t.onabort = function () { reject(t.error); };
      });
    });
  }

  function all(kind) {
    return tx([kind], "readonly", function (t) {
      var box = {};
      t.objectStore(kind).getAll().onsuccess = function (e) { box.value = e.target.result; };
      return box;
    });
  }

  function put(kind, record) {
    return tx([kind], "readwrite", function (t) { t.objectStore(kind).put(record); });
  }

  function remove(kind, id) {
    return tx([kind], "readwrite", function (t) { t.objectStore(kind).delete(id); });
  }

  // One inspection with its problems and photos, in one transaction: all kept or none.
  function keep(record) {
    return tx(KINDS, "readwrite", function (t) {
      t.objectStore("inspections").put(record.inspection);
      record.problems.forEach(function (p) { t.objectStore("problems").put(p); });
      record.photos.forEach(function (p) { t.objectStore("photos").put(p); });
    });
  }

  function pending() {
    return Promise.all(KINDS.map(all)).then(function (lists) {
      return { inspections: lists[0], problems: lists[1], photos: lists[2] };
    });
  }

  // ---- sending ---------------------------------------------------------------------------------
  function Stop(message) { this.message = message; }

  function send(path, body, isForm) {
    var headers = { "X-CSRFToken": cookie("csrftoken"), Accept: "application/json" };
    if (!isForm) headers["Content-Type"] = "application/json";
    return fetch(CONFIG.api + path, {
      method: "POST",
      credentials: "same-origin",
      headers: headers,
      body: isForm ? body : JSON.stringify(body),
    }).then(
      function (response) {
        if (response.status === 200 || response.status === 201) return { ok: true };
        var expired = new Stop(t("expired"));
        if (response.status === 401) throw expired;
        if (response.status >= 500) throw new Stop(t("server"));
        return response.json().then(
          function (data) {
            if (response.status === 403 && /CSRF/.test(data.detail || "")) throw expired;
            return { ok: false, error: data.detail || t("error", { status: response.status }) };
          },
          function () {
            if (response.status === 403) throw expired; // a login page or a proxy's refusal
            return { ok: false, error: t("error", { status: response.status }) };
          }
        );
      },
      function () { throw new Stop(t("no_network")); }
    );
  }

  function inspectionBody(r) {
    return {
      client_id: r.client_id, plan: r.plan, site: r.site, started_at: r.started_at, submitted_at: r.submitted_at,
      latitude: r.latitude, longitude: r.longitude, accuracy_m: r.accuracy_m, note: r.note, results: r.results,
    };
  }

  function problemBody(r) {
    return {
      client_id: r.client_id, inspection: r.inspection, checkpoint: r.checkpoint, description: r.description,
      latitude: r.latitude, longitude: r.longitude,
    };
  }

  function photoForm(r) {
    var form = new FormData();
    ["client_id", "inspection", "problem", "sha256", "taken_at", "latitude", "longitude"].forEach(function (key) {
      if (r[key] !== null && r[key] !== undefined && r[key] !== "") form.append(key, r[key]);
    });
    form.append("file", r.blob, r.name);
    return form;
  }

  // Send every record of one kind whose parent is on the server already. A refusal (4xx) marks
  // the record with the server's message and keeps it; no network stops the whole run.
  function sendKind(kind, records, waitingFor, build, isForm) {
    return records.reduce(function (chain, record) {
      return chain.then(function () {
        if (waitingFor && waitingFor(record)) return;
        return send(kind, build(record), isForm).then(function (answer) {
          if (answer.ok) return remove(kind, record.client_id);
          record.error = answer.error;
          return put(kind, record);
        });
      });
    }, Promise.resolve());
  }

  var running = null;

  function syncOnce() {
    return pending().then(function (p) {
      var inspections = {}; // the inspections still on the phone after the first step
      return sendKind("inspections", p.inspections, null, inspectionBody, false)
        .then(function () { return all("inspections"); })
        .then(function (left) {
          inspections = {};
          left.forEach(function (r) { inspections[r.client_id] = true; });
          return sendKind("problems", p.problems, function (r) { return inspections[r.inspection]; }, problemBody, false);
        })
        .then(function () { return all("problems"); })
        .then(function (left) {
          var problems = {};
          left.forEach(function (r) { problems[r.client_id] = true; });
          return sendKind("photos", p.photos, function (r) { return inspections[r.inspection] || (r.problem && problems[r.problem]); }, photoForm, true);
        });
    });
  }

  // One run at a time in this page, and across the phone's tabs where the browser can tell.
  function sync() {
    if (running) return running;
    var run = navigator.locks ? navigator.locks.request("cw-sync", syncOnce) : syncOnce();
    running = run.then(
      function () { return show(); },
      function (error) { return show(error instanceof Stop ? error.message : String(error)); }
    ).then(function (state) { running = null; return state; });
    return running;
  }

  // ---- what the inspector sees -----------------------------------------------------------------
  var bar = document.getElementById("cw-sync");
  var barText = document.getElementById("cw-sync-text");

  function show(problem) {
    return pending().then(function (p) {
      var count = p.inspections.length + p.problems.length + p.photos.length;
      var errors = [].concat(p.inspections, p.problems, p.photos).filter(function (r) { return r.error; });
      var state = { count: count, errors: errors.length, message: problem || "" };
      if (bar) {
        bar.hidden = false;
        bar.className = bar.className.replace(/alert-(secondary|success|warning|danger)/, count ? (errors.length ? "alert-danger" : "alert-warning") : (navigator.onLine ? "alert-success" : "alert-secondary"));
        var text = count ? t("pending", { count: count }) : t(navigator.onLine ? "synced" : "offline_empty");
        if (errors.length) text += t("refused", { count: errors.length, reason: errors[0].error });
        if (problem && count) text += " · " + problem;
        bar.dataset.online = String(navigator.onLine);
        barText.textContent = text;
        bar.dataset.pending = String(count);
      }
      document.querySelectorAll(".cw-site").forEach(function (card) {
        var waiting = p.inspections.some(function (r) { return r.plan === card.dataset.plan && r.site === card.dataset.site; });
        card.classList.toggle("cw-pending", waiting);
        var badge = card.querySelector(".cw-pending-badge");
        if (badge) badge.hidden = !waiting;
      });
      return state;
    });
  }

  // ---- the checklist form ----------------------------------------------------------------------
  var position = null;

  function locate() {
    var where = document.getElementById("cw-where");
    if (!navigator.geolocation) return;
    navigator.geolocation.getCurrentPosition(
      function (p) {
        position = p.coords;
        if (where) where.textContent = t("located", { metres: Math.round(p.coords.accuracy) });
      },
      function () {
        // Without a fix the record still goes; the server notes that there was no location.
        if (where && !position) where.textContent = t("not_located");
      },
      { enableHighAccuracy: true, timeout: 10000, maximumAge: 60000 }
    );
  }

  function round6(x) { return x === null || x === undefined ? null : Math.round(x * 1e6) / 1e6; }

  function setupChecklist(form) {
    var startedAt = new Date().toISOString();
    var captured = {}; // checkpoint id -> [File]
    locate();
    form.querySelectorAll(".cw-check").forEach(function (box) {
      var id = box.dataset.checkpoint;
      var input = box.querySelector('input[type="file"]');
      var previews = box.querySelector(".cw-previews");
      captured[id] = [];
      if (!input) return;
      input.addEventListener("change", function () {
        Array.prototype.forEach.call(input.files, function (file) {
          captured[id].push({ file: file, at: new Date().toISOString(), coords: position });
          var img = document.createElement("img");
          img.alt = t("photo", { n: captured[id].length });
          img.src = URL.createObjectURL(file);
          previews.appendChild(img);
        });
        input.value = ""; // the next photo fires "change" again
        locate();
      });
    });

    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var button = form.querySelector("#cw-submit");
      if (button.disabled) return; // a double tap records once
      var missing = Array.prototype.filter.call(form.querySelectorAll(".cw-check"), function (box) {
        var chosen = box.querySelector('input[type="radio"]:checked');
        return !chosen || (chosen.value === "fail" && !captured[box.dataset.checkpoint].length);
      });
      if (missing.length) {
        missing[0].scrollIntoView({ block: "center" });
        var chosen = missing[0].querySelector('input[type="radio"]:checked');
        alert(chosen ? t("need_photo") : t("unanswered", { count: missing.length }));
        return;
      }
      button.disabled = true;
      var lat = position ? round6(position.latitude) : null;
      var lng = position ? round6(position.longitude) : null;
      var inspection = {
        client_id: uuid(), plan: form.dataset.plan, site: form.dataset.site, label: form.dataset.siteName,
        started_at: startedAt, submitted_at: new Date().toISOString(), latitude: lat, longitude: lng,
        accuracy_m: position ? Math.round(position.accuracy) : null,
        note: (form.querySelector('textarea[name="note"]') || { value: "" }).value.trim(), results: [],
      };
      var problems = [], photos = [];
      form.querySelectorAll(".cw-check").forEach(function (box) {
        var id = Number(box.dataset.checkpoint);
        var result = box.querySelector('input[type="radio"]:checked').value;
        var note = result === "fail" ? box.querySelector("textarea").value.trim() : "";
        inspection.results.push({ checkpoint: id, result: result, note: note });
        if (result !== "fail") return;
        var problem = { client_id: uuid(), inspection: inspection.client_id, checkpoint: id, description: note, latitude: lat, longitude: lng };
        problems.push(problem);
        captured[id].forEach(function (shot) {
          photos.push({
            client_id: uuid(), inspection: inspection.client_id, problem: problem.client_id, blob: shot.file,
            name: shot.file.name || "photo.jpg", taken_at: shot.at,
            latitude: shot.coords ? round6(shot.coords.latitude) : lat, longitude: shot.coords ? round6(shot.coords.longitude) : lng,
          });
        });
      });
      Promise.all(photos.map(function (p) { return sha256(p.blob).then(function (h) { p.sha256 = h; }); }))
        .then(function () { return keep({ inspection: inspection, problems: problems, photos: photos }); })
        .then(function () { return navigator.onLine ? sync() : show(); })
        .then(function (state) {
          var done = state && state.count === 0;
          sessionStorage.setItem("cw-flash", t(done ? "submitted" : "saved", { site: form.dataset.siteName }));
          window.location.href = CONFIG.today;
        })
        .catch(function (error) {
          button.disabled = false;
          alert(t("save_failed", { error: error }));
        });
    });
  }

  // ---- start -----------------------------------------------------------------------------------
  function precacheChecklists() {
    var links = Array.prototype.map.call(document.querySelectorAll("a[data-cw-checklist]"), function (a) { return a.getAttribute("href"); });
    if (!links.length || !navigator.serviceWorker) return;
    navigator.serviceWorker.ready.then(function (registration) {
      if (registration.active) registration.active.postMessage({ type: "precache", urls: links.concat([CONFIG.today]) });
    });
  }

  if ("serviceWorker" in navigator && CONFIG.sw) {
    navigator.serviceWorker.register(CONFIG.sw, { scope: CONFIG.scope }).catch(function () { /* http without TLS */ });
    precacheChecklists();
  }
  // Signing out forgets the pages kept on this phone (not the records still to send).
  var logout = document.querySelector('form[action$="/logout/"]');
  if (logout && navigator.serviceWorker) {
    logout.addEventListener("submit", function () {
      if (navigator.serviceWorker.controller) navigator.serviceWorker.controller.postMessage({ type: "forget" });
    });
  }
  var flash = sessionStorage.getItem("cw-flash");
  var flashEl = document.getElementById("cw-flash");
  if (flash && flashEl) {
    flashEl.textContent = flash;
    flashEl.hidden = false;
    sessionStorage.removeItem("cw-flash");
  }
  var form = document.getElementById("cw-checklist");
  if (form) setupChecklist(form);
  var button = document.getElementById("cw-sync-now");
  if (button) button.addEventListener("click", function () { sync(); });
  window.addEventListener("online", function () { sync(); });
  window.addEventListener("offline", function () { show(t("offline")); });
  (navigator.onLine ? sync() : show(t("offline")));

  // For the phone's own diagnostics and for tests: the same functions the page uses.
  window.cwInspect = {
    sync: sync,
    pending: pending,
    show: show,
    sha256: sha256,
    sha256Plain: function (text) { return sha256Plain(new TextEncoder().encode(text)); },
    // Keep a copy of what is pending, and put it back later: what a phone does when the answer to
    // a sync it sent was lost and it sends the same records again.
    dump: function () { return pending(); },
    restore: function (saved) {
      return Promise.all(KINDS.map(function (kind) {
        return Promise.all(saved[kind].map(function (r) { return put(kind, r); }));
      }));
    },
  };
})();
