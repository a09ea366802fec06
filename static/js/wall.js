// The wall screen: figures, ranking, trend and the sub-districts' map drawn from the page's data,
// then refreshed every minute from data.json in place (no reload, no flicker). Sentences come
// translated from the server (wall-text) with %(name)s placeholders as in gettext.
(function () {
  var body = document.body;
  var text = JSON.parse(document.getElementById("wall-text").textContent);
  var config = JSON.parse(document.getElementById("map-config").textContent);
  var data = JSON.parse(document.getElementById("wall-data").textContent);
  function fill(template, values) {
    return template.replace(/%\((\w+)\)s/g, function (_, name) { return values[name]; }).replace("%%", "%");
  }

  // The district's time, whatever the display computer's zone is set to.
  var clockFormat = new Intl.DateTimeFormat("zh-CN", {
    timeZone: config.time_zone, year: "numeric", month: "2-digit", day: "2-digit",
    hour: "2-digit", minute: "2-digit", hour12: false,
  });
  function clock() {
    document.getElementById("wall-clock").textContent = clockFormat.format(new Date());
  }

  function figures(d) {
    document.querySelectorAll("[data-figure]").forEach(function (el) {
      var value = d.figures[el.dataset.figure];
      el.textContent = value === null || value === undefined ? "—" : value + (el.dataset.unit || "");
    });
    document.getElementById("wall-as-of").textContent = d.as_of;
  }

  function ranking(d) {
    ["subdistrict", "department"].forEach(function (kind) {
      ["best", "worst"].forEach(function (end) {
        var list = document.getElementById("rank-" + kind + "-" + end);
        var rows = d.ranking[kind][end];
        list.replaceChildren();
        list.classList.toggle("cw-wall-empty", !rows.length);
        if (!rows.length) {
          var empty = document.createElement("li");
          empty.textContent = text.none;
          list.appendChild(empty);
        }
        rows.forEach(function (r) {
          var li = document.createElement("li");
          li.textContent = r.unit;
          var figure = document.createElement("span");
          figure.textContent = fill(text.rate, { rate: r.rate, overdue: r.overdue });
          li.appendChild(figure);
          list.appendChild(li);
        });
      });
    });
  }

  var trend = window.echarts ? echarts.init(document.getElementById("wall-trend")) : null;
  function drawTrend(d) {
    if (!trend) return;
    var axis = { color: "#9fb3cc", fontSize: 18 };
    trend.setOption({
      textStyle: { fontSize: 18 },
      legend: { top: 0, textStyle: { color: "#e8eef7", fontSize: 20 } },
      grid: { left: 60, right: 20, top: 44, bottom: 36 },
      xAxis: { type: "category", data: d.trend.labels, axisLabel: axis },
      yAxis: { type: "value", minInterval: 1, axisLabel: axis, splitLine: { lineStyle: { color: "#24405f" } } },
      series: [
        { name: text.found, type: "line", data: d.trend.found, lineStyle: { width: 4 }, symbolSize: 8 },
        { name: text.closed, type: "line", data: d.trend.closed, lineStyle: { width: 4 }, symbolSize: 8 },
        { name: text.overdue, type: "line", data: d.trend.overdue, lineStyle: { width: 4 }, symbolSize: 8, color: "#ff6b6b" },
      ],
    });
  }

  // The map: sub-district boundaries filled by how many of their problems are overdue, each
  // named with its figures. It works without tiles (control rooms are often offline).
  var areaLayer = null;
  var map = null;
  function shift(lat, lng) {
    return window.cwGeo ? cwGeo.forDisplay(lat, lng, config.coordinates) : [lat, lng];
  }
  function colour(overdue, worst) {
    if (!overdue) return "#1f7a4d";
    var share = worst ? overdue / worst : 0;
    return share > 0.66 ? "#c0392b" : share > 0.33 ? "#e67e22" : "#d4ac0d";
  }
  // Without boundaries (none drawn in /admin/ yet) the box lists the sub-districts instead.
  var areaList = null;
  function listAreas(d) {
    areaList.replaceChildren();
    d.areas.forEach(function (a) {
      var li = document.createElement("li");
      li.textContent = a.name;
      var figures = document.createElement("span");
      figures.textContent = fill(text.area, a);
      if (a.overdue) figures.className = "cw-wall-late";
      li.appendChild(figures);
      areaList.appendChild(li);
    });
  }
  function drawAreas(d) {
    if (areaList) listAreas(d);
    if (!areaLayer) return;
    var byName = {};
    var worst = 0;
    d.areas.forEach(function (a) { byName[a.name] = a; worst = Math.max(worst, a.overdue); });
    areaLayer.eachLayer(function (l) {
      var figures = byName[l.feature.properties.name] || { in_hand: 0, overdue: 0 };
      l.setStyle({ fillColor: colour(figures.overdue, worst) });
      var label = document.createElement("div");
      var name = document.createElement("div");
      name.textContent = l.feature.properties.name;
      var line = document.createElement("div");
      line.textContent = fill(text.area, figures);
      label.appendChild(name);
      label.appendChild(line);
      l.setTooltipContent(label);
    });
  }
  if (window.L) {
    map = L.map("wall-map", { zoomControl: false, attributionControl: false, preferCanvas: true, maxZoom: 18, zoomSnap: 0.25 })
      .setView(shift(config.center[0], config.center[1]), 12);
    if (config.tiles) L.tileLayer(config.tiles, { maxZoom: 19, opacity: 0.5 }).addTo(map);
    fetch(body.dataset.areas, { credentials: "same-origin" }).then(function (r) { return r.json(); }).then(function (areas) {
      areas.features = areas.features.filter(function (f) { return f.properties.kind === "subdistrict"; });
      if (!areas.features.length) {
        map.remove();
        map = null;
        var box = document.getElementById("wall-map");
        areaList = document.createElement("ol");
        areaList.className = "cw-wall-area-list";
        box.replaceChildren(areaList);
        listAreas(data);
        return;
      }
      areaLayer = L.geoJSON(areas, {
        renderer: L.svg(),
        coordsToLatLng: function (c) { var p = shift(c[1], c[0]); return L.latLng(p[0], p[1]); },
        style: { color: "#9fd0ff", weight: 2, fillOpacity: 0.55, fillColor: "#1f7a4d" },
        onEachFeature: function (f, l) {
          l.bindTooltip("", { permanent: true, direction: "center", className: "cw-wall-area-label" });
        },
      }).addTo(map);
      // The grid sized the map's box after Leaflet measured it: measure again before fitting.
      map.invalidateSize();
      if (areaLayer.getBounds().isValid()) map.fitBounds(areaLayer.getBounds(), { padding: [10, 10] });
      drawAreas(data);
      areaLayer.eachLayer(function (l) { if (l.getCenter) l.openTooltip(l.getCenter()); });
    });
  }

  function draw(d) {
    figures(d);
    ranking(d);
    drawTrend(d);
    drawAreas(d);
  }
  clock();
  draw(data);
  setInterval(clock, 15000);
  function refresh() {
    fetch(body.dataset.source, { credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (fresh) { if (fresh) { data = fresh; draw(fresh); } })
      .catch(function () { /* the next minute tries again; the screen keeps what it shows */ });
  }
  setInterval(refresh, 60000);
  // Asked for at once by whoever needs it (the operator's keyboard, a test).
  body.addEventListener("cw-wall-refresh", refresh);
  document.addEventListener("keydown", function (e) { if (e.key === "r" || e.key === "F5") { e.preventDefault(); refresh(); } });
  window.addEventListener("resize", function () { if (trend) trend.resize(); if (map) map.invalidateSize(); });
})();
