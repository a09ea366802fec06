// The problem map: area boundaries (always), tiles (only if a tile server is configured),
// problem markers coloured by status and clustered.
(function () {
  var el = document.getElementById("problem-map");
  if (!el || !window.L) return;
  var config = JSON.parse(document.getElementById("map-config").textContent);
  // The sentences come translated from the server, with %(name)s placeholders as in gettext.
  var text = config.text;
  function fill(template, values) {
    return template.replace(/%\((\w+)\)s/g, function (_, name) { return values[name]; });
  }
  // Points are stored in WGS-84; on GCJ-02 tiles (config.coordinates) they are shifted to match.
  function shift(lat, lng) {
    return window.cwGeo ? cwGeo.forDisplay(lat, lng, config.coordinates) : [lat, lng];
  }
  function toLatLng(c) {
    var p = shift(c[1], c[0]);
    return L.latLng(p[0], p[1]);
  }
  var map = L.map(el, { preferCanvas: true, maxZoom: 19, minZoom: 8 }).setView(shift(config.center[0], config.center[1]), 12);
  // Plain text: Leaflet's default prefix carries a flag icon that has no place on a government map.
  map.attributionControl.setPrefix("Leaflet");
  if (config.tiles) {
    L.tileLayer(config.tiles, { attribution: config.attribution, maxZoom: 19 }).addTo(map);
  }
  var colours = { recorded: "#6c757d", assigned: "#0d6efd", submitted: "#0dcaf0", returned: "#fd7e14", closed: "#198754", cancelled: "#adb5bd", merged: "#adb5bd" };
  fetch(el.dataset.areas, { credentials: "same-origin" }).then(function (r) { return r.json(); }).then(function (areas) {
    var layer = L.geoJSON(areas, {
      renderer: L.svg(),
      coordsToLatLng: toLatLng,
      style: function (f) {
        return f.properties.kind === "subdistrict"
          ? { color: "#b3261e", weight: 2, fill: false }
          : { color: "#999", weight: 1, dashArray: "3", fillOpacity: 0.03 };
      },
      // A string given to Leaflet is HTML: the name (typed in /admin/) goes in as text, so that
      // markup in it is shown, never run.
      onEachFeature: function (f, l) {
        var name = document.createElement("span");
        name.textContent = f.properties.name;
        // A sub-district's name stays on the map at its centre (the map works without tiles, so
        // nothing else names the areas); a community's shows when pointed at.
        if (f.properties.kind === "subdistrict") {
          l.bindTooltip(name, { permanent: true, direction: "center", className: "cw-area-label" });
        } else {
          l.bindTooltip(name);
        }
      },
    }).addTo(map);
    if (layer.getBounds().isValid()) map.fitBounds(layer.getBounds());
    // Placed once the map has its final view: opened before, the names sat off centre.
    layer.eachLayer(function (l) {
      if (l.feature.properties.kind === "subdistrict" && l.getCenter) l.openTooltip(l.getCenter());
    });
  });
  fetch(el.dataset.points, { credentials: "same-origin" }).then(function (r) { return r.json(); }).then(function (data) {
    // A cluster's colour says its worst: red if a problem in it is overdue, orange if one is
    // still open, green when all are closed (or cancelled).
    var OPEN = { recorded: true, assigned: true, submitted: true, returned: true };
    function clusterIcon(group) {
      var kind = "done";
      group.getAllChildMarkers().forEach(function (m) {
        if (m.options.overdue) kind = "overdue";
        else if (OPEN[m.options.status] && kind !== "overdue") kind = "open";
      });
      var count = document.createElement("span");
      count.textContent = group.getChildCount();
      var inner = document.createElement("div");
      inner.appendChild(count);
      return L.divIcon({ html: inner, className: "marker-cluster cw-cluster cw-cluster-" + kind, iconSize: L.point(40, 40) });
    }
    var cluster = L.markerClusterGroup({ chunkedLoading: true, iconCreateFunction: clusterIcon });
    data.features.forEach(function (f) {
      var c = f.geometry.coordinates;
      var marker = L.circleMarker(toLatLng(c), {
        radius: 7, color: "#fff", weight: 1, fillColor: colours[f.properties.status], fillOpacity: 0.9,
        status: f.properties.status, overdue: f.properties.overdue,
      });
      var link = document.createElement("a");
      link.href = f.properties.url;
      link.textContent = fill(text.popup, { number: f.properties.number, site: f.properties.site, status: f.properties.status_label });
      marker.bindPopup(link);
      cluster.addLayer(marker);
    });
    map.addLayer(cluster);
    // Rebound hotspots: a red ring around the site, above the clusters, never clustered.
    (data.hotspots || []).forEach(function (f) {
      var ring = L.circleMarker(toLatLng(f.geometry.coordinates), {
        radius: 16, color: "#b3261e", weight: 3, dashArray: "4 3", fill: true, fillOpacity: 0.08, className: "cw-hotspot",
      });
      var label = document.createElement("span");
      label.textContent = fill(text.hotspot, { site: f.properties.site, problems: f.properties.problems, rebounds: f.properties.rebounds });
      ring.bindPopup(label);
      ring.addTo(map);
    });
    var note = document.getElementById("map-note");
    note.textContent = fill(text.shown, { count: data.features.length }) + (data.truncated ? fill(text.truncated, { limit: config.limit }) : "");
  });
})();
