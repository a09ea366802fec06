// The citizen report's map (public/report.html): a tap places the marker and fills the two
// hidden fields in WGS-84. It works without tiles (an intranet or a phone offline from the tile
// server): the tap still gives a position; tiles are drawn only when the server is configured.
(function () {
  var el = document.getElementById("report-map");
  if (!el || !window.L) return;
  var config = JSON.parse(document.getElementById("report-map-config").textContent);
  var latInput = document.getElementById("id_latitude");
  var lngInput = document.getElementById("id_longitude");
  var note = document.getElementById("report-map-note");
  function fill(template, values) {
    return template.replace(/%\((\w+)\)s/g, function (_, name) { return values[name]; });
  }
  // Stored in WGS-84; GCJ-02 tiles (config.coordinates) draw it shifted, and a tap on them is
  // turned back before it is stored.
  function shown(lat, lng) {
    return window.cwGeo ? cwGeo.forDisplay(lat, lng, config.coordinates) : [lat, lng];
  }
  function stored(lat, lng) {
    return config.coordinates === "gcj02" && window.cwGeo ? cwGeo.gcj02ToWgs84(lat, lng) : [lat, lng];
  }
  var map = L.map(el, { maxZoom: 19, minZoom: 8 }).setView(shown(config.center[0], config.center[1]), 14);
  map.attributionControl.setPrefix("Leaflet");
  if (config.tiles) {
    L.tileLayer(config.tiles, { attribution: config.attribution, maxZoom: 19 }).addTo(map);
  } else {
    el.classList.add("cw-map-blank");
  }
  // The sub-districts' boundaries, named at their centre: without tiles, what a person finds
  // their street by. Names go in as text, never as HTML.
  if (config.areas && config.areas.features.length) {
    var layer = L.geoJSON(config.areas, {
      coordsToLatLng: function (c) { var p = shown(c[1], c[0]); return L.latLng(p[0], p[1]); },
      style: { color: "#b3261e", weight: 2, fill: false },
      interactive: false,
      onEachFeature: function (f, l) {
        var name = document.createElement("span");
        name.textContent = f.properties.name;
        l.bindTooltip(name, { permanent: true, direction: "center", className: "cw-area-label" });
      },
    }).addTo(map);
    if (layer.getBounds().isValid()) map.fitBounds(layer.getBounds(), { padding: [16, 16] });
  }
  var marker = null;
  function place(lat, lng) {
    var p = shown(lat, lng);
    if (marker) {
      marker.setLatLng(p);
    } else {
      marker = L.circleMarker(p, { radius: 9, color: "#b3261e", weight: 3, fillOpacity: 0.6 }).addTo(map);
    }
    latInput.value = lat.toFixed(6);
    lngInput.value = lng.toFixed(6);
    note.textContent = fill(config.text.picked, { lat: lat.toFixed(5), lng: lng.toFixed(5) });
  }
  map.on("click", function (event) {
    var p = stored(event.latlng.lat, event.latlng.lng);
    place(p[0], p[1]);
  });
  // A form drawn again after a refusal keeps the point tapped before.
  if (latInput.value && lngInput.value) {
    place(parseFloat(latInput.value), parseFloat(lngInput.value));
    map.setView(shown(parseFloat(latInput.value), parseFloat(lngInput.value)), 16);
  }
})();
