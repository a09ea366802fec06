// Inspections offline: what the inspector records is kept on the phone (IndexedDB) and sent to
// /api/v1/ when there is a network, in the order the server needs (inspections, then problems,
// then photos; each kind in the order it was recorded). The protocol (docs/ARCHITECTURE.md,
// "Inspections in the field"):
// - every record carries an id made here (crypto.randomUUID), the username of who made it and the
//   phone's times; the server stores each id once, under its maker only (else 403, code "maker");
// - a record leaves the phone only when the server's JSON answer echoes that record's id: a
//   redirect, a login or proxy page, an empty body or a timeout keep it and retry later;
// - 401 (or a CSRF refusal) asks to sign in again and keeps everything;
// - a refusal (4xx with the server's message) marks the record, which the inspector may remove
//   (or, for a photo, replace); a failed run retries by itself with growing waits.
(function () {
  "use strict";
  var configEl = document.getElementById("cw-offline-config");
  if (!configEl) return;
  var CONFIG = JSON.parse(configEl.textContent);
  document.documentElement.classList.add("cw-js");
  // The sentences come translated from the server (inspections.views._offline_config), with
  // %(name)s placeholders as in gettext.
  var TEXT = CONFIG.text || {};
  var ZERO_ID = "00000000-0000-0000-0000-000000000000"; // in CONFIG.record, for a record's own id
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

  // The order each kind was recorded in: problem numbers follow it on the server.
  var WHEN = { inspections: "submitted_at", problems: "found_at", photos: "taken_at" };

  function all(kind) {
    return tx([kind], "readonly", function (t) {
      var box = {};
      t.objectStore(kind).getAll().onsuccess = function (e) {
        box.value = e.target.result.sort(function (a, b) {
          return String(a[WHEN[kind]] || "").localeCompare(String(b[WHEN[kind]] || ""));
        });
      };
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

  // A record is the signed-in person's to send when they made it (records from before makers
  // were kept have none: they were made by whoever used this phone then, and the server decides).
  function mine(record) { return !record.maker || record.maker === CONFIG.username; }

  // Remove a record and what hangs on it (an inspection's problems and photos, a problem's photos).
  function removeWithDependants(kind, id) {
    return pending().then(function (p) {
      return tx(KINDS, "readwrite", function (t) {
        t.objectStore(kind).delete(id);
        if (kind === "inspections") {
          p.problems.forEach(function (r) { if (r.inspection === id) t.objectStore("problems").delete(r.client_id); });
          p.photos.forEach(function (r) { if (r.inspection === id) t.objectStore("photos").delete(r.client_id); });
        } else if (kind === "problems") {
          p.photos.forEach(function (r) { if (r.problem === id) t.objectStore("photos").delete(r.client_id); });
        }
      });
    });
  }

  // ---- photos: checked here as the server checks them ------------------------------------------
  var LIMITS = CONFIG.photo || { max_bytes: 20 * 1024 * 1024, max_pixels: 40000000, formats: ["jpeg", "jpg", "png", "webp"] };

  // The format by the file's first bytes, not its name: a text file named .jpg is no photo, and
  // the server wants the name's extension to match the content.
  function sniff(blob) {
    return blob.slice(0, 12).arrayBuffer().then(function (buffer) {
      var b = new Uint8Array(buffer);
      if (b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) return "jpg";
      if (b[0] === 0x89 && b[1] === 0x50 && b[2] === 0x4e && b[3] === 0x47) return "png";
      if (b[0] === 0x52 && b[1] === 0x49 && b[2] === 0x46 && b[3] === 0x46 && b[8] === 0x57 && b[9] === 0x45 && b[10] === 0x42 && b[11] === 0x50) return "webp";
      return null;
    });
  }

  function pixels(blob) {
    return new Promise(function (resolve) {
      var img = new Image();
      var url = URL.createObjectURL(blob);
      img.onload = function () { URL.revokeObjectURL(url); resolve(img.naturalWidth * img.naturalHeight); };
      img.onerror = function () { URL.revokeObjectURL(url); resolve(null); };
      img.src = url;
    });
  }

  // Resolves {name} (the name to send, its extension matching the content) or {error}.
  function checkPhoto(file) {
    var name = file.name || "photo.jpg";
    var kinds = LIMITS.formats.join("、");
    if (file.size > LIMITS.max_bytes) return Promise.resolve({ error: t("too_big", { name: name, mb: Math.floor(LIMITS.max_bytes / 1048576) }) });
    return sniff(file).then(function (format) {
      if (!format) return { error: t("not_photo", { name: name, kinds: kinds }) };
      return pixels(file).then(function (count) {
        if (!count) return { error: t("not_photo", { name: name, kinds: kinds }) };
        if (count > LIMITS.max_pixels) {
          return { error: t("too_many_pixels", { name: name, mp: Math.round(count / 1e6), max: Math.round(LIMITS.max_pixels / 1e6) }) };
        }
        var base = name.replace(/\.[^.]*$/, "") || "photo";
        var ext = (name.match(/\.([^.]*)$/) || [])[1];
        ext = ext && ext.toLowerCase();
        var same = ext === format || (format === "jpg" && ext === "jpeg");
        // A copy of the bytes, not the picked File: Chromium keeps a File in IndexedDB as a
        // reference to the file on disk, and a gallery file edited or deleted later could then
        // never be sent (net::ERR_UPLOAD_FILE_CHANGED).
        return file.arrayBuffer().then(function (bytes) {
          return { name: same ? name : base + "." + format, blob: new Blob([bytes], { type: "image/" + (format === "jpg" ? "jpeg" : format) }) };
        });
      });
    });
  }

  // When the photo was taken: a file from the gallery carries its own time (lastModified); the
  // camera's is now. The server prefers the photo's EXIF time and place where it has them.
  function takenAt(file) {
    var now = Date.now();
    var modified = file.lastModified || now;
    return new Date(now - modified > 120000 ? modified : now).toISOString();
  }

  // ---- sending ---------------------------------------------------------------------------------
  // Stop: the run ends and everything stays on the phone (no network, a timeout, an answer that is
  // not the API's, 5xx); retried later by itself. `expired`: the person must sign in again.
  function Stop(message, expired) { this.message = message; this.expired = !!expired; }

  var timeouts = { json: CONFIG.timeout_ms || 30000, photo: CONFIG.photo_timeout_ms || 120000 };

  function send(path, body, isForm, clientId) {
    var headers = { "X-CSRFToken": cookie("csrftoken"), Accept: "application/json" };
    if (!isForm) headers["Content-Type"] = "application/json";
    var limit = isForm ? timeouts.photo : timeouts.json;
    var controller = window.AbortController ? new AbortController() : null;
    var timedOut = false;
    var timer = setTimeout(function () { timedOut = true; if (controller) controller.abort(); }, limit);
    var request = fetch(CONFIG.api + path, {
      method: "POST",
      credentials: "same-origin",
      headers: headers,
      body: isForm ? body : JSON.stringify(body),
      signal: controller ? controller.signal : undefined,
    });
    // Without AbortController the run still moves on; the late answer is ignored.
    var hung = new Promise(function (_, reject) { setTimeout(function () { reject(new Error("timeout")); }, limit + 1000); });
    return Promise.race([request, hung]).then(
      function (response) {
        return response.text().then(function (text) {
          clearTimeout(timer);
          return judge(response, text, clientId);
        });
      },
      function () {
        clearTimeout(timer);
        throw new Stop(timedOut ? t("timeout", { seconds: Math.round(limit / 1000) }) : t("no_network"));
      }
    );
  }

  // What the server's answer means for the record sent. Only the API's JSON counts.
  function judge(response, text, clientId) {
    var data = null;
    try { data = JSON.parse(text); } catch (e) { data = null; }
    var json = data !== null && typeof data === "object" && !Array.isArray(data);
    var login = response.redirected && CONFIG.login && new URL(response.url).pathname.indexOf(CONFIG.login) === 0;
    if (login || response.status === 401) throw new Stop(t("expired"), true);
    if (response.status === 200 || response.status === 201) {
      if (json && data.client_id === clientId) return { ok: true, data: data };
      throw new Stop(t("not_api"));
    }
    if (response.status === 403 && json && /CSRF/.test(data.detail || "")) throw new Stop(t("expired"), true);
    if (response.status >= 500 || response.status === 408 || response.status === 429) throw new Stop(t("server", { status: response.status }));
    if (json && typeof data.detail === "string") return { ok: false, error: data.detail, code: data.code || "" };
    // A 4xx that is not ours: a proxy's or a captive Wi-Fi page. Not a refusal of the record.
    throw new Stop(t("not_api"));
  }

  function stamped(body) {
    body.maker = body.maker || CONFIG.username;
    body.phone_time = new Date().toISOString();
    return body;
  }

  function inspectionBody(r) {
    return stamped({
      client_id: r.client_id, plan: r.plan, site: r.site, started_at: r.started_at, submitted_at: r.submitted_at,
      latitude: r.latitude, longitude: r.longitude, accuracy_m: r.accuracy_m, note: r.note, results: r.results,
      maker: r.maker,
    });
  }

  function problemBody(r) {
    return stamped({
      client_id: r.client_id, inspection: r.inspection, checkpoint: r.checkpoint, description: r.description,
      latitude: r.latitude, longitude: r.longitude, found_at: r.found_at, maker: r.maker,
    });
  }

  function photoForm(r) {
    var form = new FormData();
    ["client_id", "inspection", "problem", "sha256", "taken_at", "latitude", "longitude", "maker"].forEach(function (key) {
      if (r[key] !== null && r[key] !== undefined && r[key] !== "") form.append(key, r[key]);
    });
    if (!r.maker) form.append("maker", CONFIG.username);
    form.append("phone_time", new Date().toISOString());
    form.append("file", r.blob, r.name);
    return form;
  }

  var progress = null; // {n, total} while a run sends
  var notes = []; // what the last run learned that the inspector should know (a linked problem)

  // Send every record of one kind that is this person's, not refused already, and whose parent
  // is on the server. A refusal marks the record with the server's message and keeps it; a Stop
  // ends the whole run.
  function sendKind(kind, records, waitingFor, build, isForm) {
    return records.reduce(function (chain, record) {
      return chain.then(function () {
        if (!mine(record) || (record.error && !retryRefused)) return;
        if (waitingFor && waitingFor(record)) return;
        progress.n += 1;
        show();
        return send(kind, build(record), isForm, record.client_id).then(function (answer) {
          if (answer.ok) {
            progress.sent += 1;
            if (answer.data.linked) notes.push(t("linked", { number: answer.data.number }));
            return remove(kind, record.client_id);
          }
          record.error = answer.error;
          record.code = answer.code;
          return put(kind, record);
        });
      });
    }, Promise.resolve());
  }

  // Refused records are sent again only when the inspector asks (立即同步): the server's rules
  // rarely change their answer, and the automatic runs must not hammer it.
  var retryRefused = false;

  function syncOnce() {
    return pending().then(function (p) {
      var ready = function (r) { return mine(r) && (!r.error || retryRefused); };
      progress = {
        n: 0, sent: 0,
        total: p.inspections.filter(ready).length + p.problems.filter(ready).length + p.photos.filter(ready).length,
      };
      var inspections = {}; // the inspections still on the phone after the first step
      return sendKind("inspections", p.inspections, null, inspectionBody, false)
        .then(function () { return all("inspections"); })
        .then(function (left) {
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

  // ---- running, retrying -----------------------------------------------------------------------
  var running = null;
  var failure = null; // {message, expired} of the last run that stopped
  var retryAt = null;
  var retryTimer = null;
  var attempt = 0;

  function schedule() {
    clearTimeout(retryTimer);
    var waits = CONFIG.retry_ms || [5000, 15000, 30000, 60000, 120000, 300000];
    var wait = waits[Math.min(attempt, waits.length - 1)];
    attempt += 1;
    retryAt = new Date(Date.now() + wait);
    retryTimer = setTimeout(function () { retryAt = null; sync(); }, wait);
    // Where the browser has it, the service worker wakes an open page when the network returns.
    if (navigator.serviceWorker && window.SyncManager) {
      navigator.serviceWorker.ready.then(function (r) { return r.sync && r.sync.register("cw-sync"); }).catch(function () {});
    }
  }

  // One run at a time in this page, and across the phone's tabs where the browser can tell.
  function sync(manual) {
    if (running) return running;
    retryRefused = manual === true;
    clearTimeout(retryTimer);
    retryAt = null;
    notes = [];
    var run = navigator.locks ? navigator.locks.request("cw-sync", syncOnce) : syncOnce();
    running = run.then(
      function () { failure = null; attempt = 0; },
      function (error) {
        failure = error instanceof Stop ? error : new Stop(String(error));
        // A session that expired waits for the person to sign in again; anything else is retried.
        if (!failure.expired) schedule();
      }
    ).then(function () {
      var sent = progress ? progress.sent : 0;
      progress = null;
      running = null;
      if (sent) refreshToday();
      return show();
    });
    return running;
  }

  // ---- what the inspector sees -----------------------------------------------------------------
  var bar = document.getElementById("cw-sync");
  var barText = document.getElementById("cw-sync-text");

  function clock(date) {
    function two(x) { return (x < 10 ? "0" : "") + x; }
    return two(date.getHours()) + ":" + two(date.getMinutes()) + ":" + two(date.getSeconds());
  }

  function show() {
    return pending().then(function (p) {
      var records = [].concat(
        p.inspections.map(function (r) { r.kind = "inspections"; return r; }),
        p.problems.map(function (r) { r.kind = "problems"; return r; }),
        p.photos.map(function (r) { r.kind = "photos"; return r; })
      );
      var own = records.filter(mine);
      var errors = own.filter(function (r) { return r.error; });
      var others = {};
      records.filter(function (r) { return !mine(r); }).forEach(function (r) {
        var who = r.maker_name || r.maker;
        others[who] = (others[who] || 0) + 1;
      });
      var state = { count: own.length, errors: errors.length, others: records.length - own.length, message: failure ? failure.message : "" };
      if (bar) {
        var online = navigator.onLine;
        var parts = [];
        if (progress && progress.total) parts.push(t("sending", { n: Math.max(progress.n, 1), total: progress.total }));
        else if (own.length) parts.push(t("pending", { count: own.length }));
        else if (state.others) parts.push(t("synced_mine"));
        else parts.push(t(online ? "synced" : "offline_empty"));
        var text = parts.join("");
        if (errors.length) text += t("refused", { count: errors.length });
        if (!progress && failure && own.length - errors.length > 0) {
          text += " · " + t("failed", { reason: failure.message });
          if (retryAt) text += t("next_try", { time: clock(retryAt) });
        }
        Object.keys(others).forEach(function (who) { text += " · " + t("others", { name: who, count: others[who] }); });
        if (notes.length) text += " · " + notes.join("；");
        var tone = errors.length || (failure && own.length) ? "alert-danger" : own.length || state.others ? "alert-warning" : online ? "alert-success" : "alert-secondary";
        bar.hidden = false;
        bar.className = bar.className.replace(/alert-(secondary|success|warning|danger)/, tone);
        bar.dataset.online = String(online);
        bar.dataset.pending = String(own.length);
        barText.textContent = text;
        var status = document.getElementById("cw-sync-status");
        if (status) {
          status.textContent = online ? t("online") : t("offline");
          status.className = "badge " + (online ? "text-bg-success" : "text-bg-secondary");
        }
        var login = document.getElementById("cw-sign-in");
        if (login) {
          login.hidden = !(failure && failure.expired);
          login.href = CONFIG.login + "?next=" + encodeURIComponent(location.pathname);
        }
        showRefused(errors);
      }
      document.querySelectorAll(".cw-site").forEach(function (card) {
        var waiting = p.inspections.some(function (r) { return mine(r) && r.plan === card.dataset.plan && r.site === card.dataset.site; });
        card.classList.toggle("cw-pending", waiting);
        var badge = card.querySelector(".cw-pending-badge");
        if (badge) badge.hidden = !waiting;
      });
      return state;
    });
  }

  // The records the server refused, each with its reason and what the inspector can do about it.
  function showRefused(errors) {
    var list = document.getElementById("cw-refused");
    if (!list) return;
    list.hidden = !errors.length;
    list.textContent = "";
    if (!errors.length) return;
    var title = document.createElement("div");
    title.className = "fw-semibold";
    title.textContent = t("refused_title");
    list.appendChild(title);
    errors.forEach(function (r) {
      var row = document.createElement("div");
      row.className = "cw-refused-row d-flex flex-wrap align-items-center gap-2 border-top pt-1 mt-1";
      row.dataset.clientId = r.client_id;
      var label = document.createElement("span");
      label.className = "flex-grow-1";
      label.textContent = t("kind_" + r.kind) + (r.kind === "photos" ? "「" + r.name + "」" : r.label ? "「" + r.label + "」" : "") + "：" + r.error;
      row.appendChild(label);
      if (r.kind === "photos") {
        var input = document.createElement("input");
        input.type = "file";
        input.accept = "image/*";
        input.hidden = true;
        input.addEventListener("change", function () { if (input.files[0]) replacePhoto(r, input.files[0]); });
        var replace = document.createElement("button");
        replace.type = "button";
        replace.className = "btn btn-sm btn-outline-primary";
        replace.textContent = t("replace");
        replace.addEventListener("click", function () { input.click(); });
        row.appendChild(input);
        row.appendChild(replace);
      }
      var drop = document.createElement("button");
      drop.type = "button";
      drop.className = "btn btn-sm btn-outline-danger";
      drop.textContent = t("remove");
      drop.addEventListener("click", function () {
        if (!window.confirm(t("confirm_remove"))) return;
        removeWithDependants(r.kind, r.client_id).then(function () { return sync(); });
      });
      row.appendChild(drop);
      list.appendChild(row);
    });
  }

  function replacePhoto(old, file) {
    return checkPhoto(file).then(function (checked) {
      if (checked.error) { window.alert(checked.error); return; }
      return sha256(checked.blob).then(function (hash) {
        var fresh = {
          client_id: uuid(), inspection: old.inspection, problem: old.problem, blob: checked.blob, name: checked.name,
          taken_at: takenAt(file), latitude: old.latitude, longitude: old.longitude, sha256: hash,
          maker: old.maker, maker_name: old.maker_name,
        };
        return tx(["photos"], "readwrite", function (t) {
          t.objectStore("photos").delete(old.client_id);
          t.objectStore("photos").put(fresh);
        }).then(function () { return sync(); });
      });
    });
  }

  // After records went, the day's page shows what the server now knows (which sites are done).
  function refreshToday() {
    var list = document.getElementById("cw-today-list");
    if (!list) return;
    fetch(CONFIG.today, { credentials: "same-origin", headers: { Accept: "text/html" } }).then(function (response) {
      if (!response.ok || response.redirected) return;
      return response.text().then(function (html) {
        var fresh = new DOMParser().parseFromString(html, "text/html");
        var freshList = fresh.getElementById("cw-today-list");
        var summary = fresh.getElementById("cw-today-summary");
        if (freshList) list.innerHTML = freshList.innerHTML;
        var oldSummary = document.getElementById("cw-today-summary");
        if (summary && oldSummary) oldSummary.textContent = summary.textContent;
        show();
      });
    }).catch(function () { /* offline again: the list is refreshed after the next sync */ });
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
    var captured = {}; // checkpoint id -> [{file, name, at, coords}]
    var foundAt = {}; // checkpoint id -> when 不合格 was chosen: the problem's finding time
    locate();
    form.querySelectorAll(".cw-check").forEach(function (box) {
      var id = box.dataset.checkpoint;
      var input = box.querySelector('input[type="file"]');
      var previews = box.querySelector(".cw-previews");
      captured[id] = [];
      box.querySelectorAll('input[type="radio"]').forEach(function (radio) {
        radio.addEventListener("change", function () {
          if (radio.checked && radio.value === "fail" && !foundAt[id]) foundAt[id] = new Date().toISOString();
        });
      });
      if (!input) return;
      var refusals = document.createElement("div");
      refusals.className = "cw-photo-refused small text-danger mt-1";
      refusals.setAttribute("role", "alert");
      previews.parentNode.insertBefore(refusals, previews.nextSibling);
      input.addEventListener("change", function () {
        var files = Array.prototype.slice.call(input.files);
        input.value = ""; // the next photo fires "change" again
        refusals.textContent = "";
        locate();
        files.reduce(function (chain, file) {
          return chain.then(function () {
            return checkPhoto(file).then(function (checked) {
              if (checked.error) {
                var line = document.createElement("div");
                line.textContent = checked.error;
                refusals.appendChild(line);
                return;
              }
              captured[id].push({ file: checked.blob, name: checked.name, at: takenAt(file), coords: position });
              var img = document.createElement("img");
              img.alt = t("photo", { n: captured[id].length });
              img.src = URL.createObjectURL(file);
              previews.appendChild(img);
            });
          });
        }, Promise.resolve());
      });
    });

    // 其余合格: every checkpoint not yet answered passes; those answered keep their answer.
    var restPass = form.querySelector("#cw-rest-pass");
    if (restPass) {
      restPass.hidden = false;
      restPass.addEventListener("click", function () {
        form.querySelectorAll(".cw-check").forEach(function (box) {
          if (box.querySelector('input[type="radio"]:checked')) return;
          var pass = box.querySelector('input[type="radio"][value="pass"]');
          if (!pass) return;
          pass.checked = true;
          pass.dispatchEvent(new Event("change", { bubbles: true }));
        });
      });
    }

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
      var now = new Date().toISOString();
      var lat = position ? round6(position.latitude) : null;
      var lng = position ? round6(position.longitude) : null;
      var who = { maker: CONFIG.username, maker_name: CONFIG.full_name };
      var inspection = Object.assign({
        client_id: uuid(), plan: form.dataset.plan, site: form.dataset.site, label: form.dataset.siteName,
        started_at: startedAt, submitted_at: now, latitude: lat, longitude: lng,
        accuracy_m: position ? Math.round(position.accuracy) : null,
        note: (form.querySelector('textarea[name="note"]') || { value: "" }).value.trim(), results: [],
      }, who);
      var problems = [], photos = [];
      form.querySelectorAll(".cw-check").forEach(function (box) {
        var id = Number(box.dataset.checkpoint);
        var result = box.querySelector('input[type="radio"]:checked').value;
        var note = result === "fail" ? box.querySelector("textarea").value.trim() : "";
        inspection.results.push({ checkpoint: id, result: result, note: note });
        if (result !== "fail") return;
        var problem = Object.assign({
          client_id: uuid(), inspection: inspection.client_id, checkpoint: id, description: note, latitude: lat, longitude: lng,
          label: form.dataset.siteName, found_at: foundAt[id] || now,
        }, who);
        problems.push(problem);
        captured[id].forEach(function (shot) {
          photos.push(Object.assign({
            client_id: uuid(), inspection: inspection.client_id, problem: problem.client_id, blob: shot.file,
            name: shot.name, taken_at: shot.at,
            latitude: shot.coords ? round6(shot.coords.latitude) : lat, longitude: shot.coords ? round6(shot.coords.longitude) : lng,
          }, who));
        });
      });
      Promise.all(photos.map(function (p) { return sha256(p.blob).then(function (h) { p.sha256 = h; }); }))
        .then(function () { return keep({ inspection: inspection, problems: problems, photos: photos }); })
        .then(function () { return navigator.onLine ? sync() : show(); })
        .then(function (state) {
          var done = state && state.count === 0;
          sessionStorage.setItem("cw-flash", t(done ? "submitted" : "saved", { site: form.dataset.siteName }));
          // Sent: the next page offers the record's result (the problems it made); kept on the
          // phone only, there is no result yet.
          if (done && CONFIG.record) sessionStorage.setItem("cw-flash-record", CONFIG.record.replace(ZERO_ID, inspection.client_id));
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
    // The service worker's background sync: the network is back, send now.
    navigator.serviceWorker.addEventListener("message", function (event) {
      if (event.data && event.data.type === "sync") sync();
    });
  }
  // What is kept on the phone is the only copy: ask the browser not to evict it under pressure.
  if (navigator.storage && navigator.storage.persist) {
    navigator.storage.persisted().then(function (kept) { if (!kept) return navigator.storage.persist(); }).catch(function () {});
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
    var result = document.getElementById("cw-flash-result");
    var recordUrl = sessionStorage.getItem("cw-flash-record");
    if (result && recordUrl) {
      result.href = recordUrl;
      result.hidden = false;
    }
  }
  sessionStorage.removeItem("cw-flash-record");
  var form = document.getElementById("cw-checklist");
  if (form) setupChecklist(form);
  var button = document.getElementById("cw-sync-now");
  if (button) button.addEventListener("click", function () { attempt = 0; sync(true); });
  window.addEventListener("online", function () { attempt = 0; sync(); });
  window.addEventListener("offline", function () { show(); });
  sync();

  // For the phone's own diagnostics and for tests: the same functions the page uses.
  window.cwInspect = {
    sync: sync,
    pending: pending,
    show: show,
    sha256: sha256,
    checkPhoto: checkPhoto,
    retryAt: function () { return retryAt && retryAt.toISOString(); },
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
