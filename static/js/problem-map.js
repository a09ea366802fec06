// The problem map: area boundaries (always), tiles (only if a tile server is configured),
// problem markers coloured by status and clustered.
(function () {
  var el = document.getElementById("problem-map");
  if (!el || !window.L) return;
  var config = JSON.parse(document.getElementById("map-config").textContent);
  var map = L.map(el, { preferCanvas: true, maxZoom: 19, minZoom: 8 }).setView(config.center, 12);
  if (config.tiles) {
    L.tileLayer(config.tiles, { attribution: config.attribution, maxZoom: 19 }).addTo(map);
  }
  var colours = { recorded: "#6c757d", assigned: "#0d6efd", submitted: "#0dcaf0", returned: "#fd7e14", closed: "#198754", cancelled: "#adb5bd" };
  fetch(el.dataset.areas, { credentials: "same-origin" }).then(function (r) { return r.json(); }).then(function (areas) {
    var layer = L.geoJSON(areas, {
      renderer: L.svg(),
      style: function (f) {
        return f.properties.kind === "subdistrict"
          ? { color: "#b3261e", weight: 2, fill: false }
          : { color: "#999", weight: 1, dashArray: "3", fillOpacity: 0.03 };
      },
      onEachFeature: function (f, l) { l.bindTooltip(f.properties.name); },
    }).addTo(map);
    if (layer.getBounds().isValid()) map.fitBounds(layer.getBounds());
  });
  fetch(el.dataset.points, { credentials: "same-origin" }).then(function (r) { return r.json(); }).then(function (data) {
    var cluster = L.markerClusterGroup({ chunkedLoading: true });
    data.features.forEach(function (f) {
      var c = f.geometry.coordinates;
      var marker = L.circleMarker([c[1], c[0]], { radius: 7, color: "#fff", weight: 1, fillColor: colours[f.properties.status], fillOpacity: 0.9 });
      var link = document.createElement("a");
      link.href = f.properties.url;
      link.textContent = f.properties.number + " " + f.properties.site + "（" + f.properties.status_label + "）";
      marker.bindPopup(link);
      cluster.addLayer(marker);
    });
    map.addLayer(cluster);
    var note = document.getElementById("map-note");
    note.textContent = "共显示 " + data.features.length + " 个问题" + (data.truncated ? "（仅显示前 " + config.limit + " 个，请缩小筛选范围）" : "");
  });
})();
