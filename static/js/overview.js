// Charts on the overview page; the numbers themselves are in the page as links, so the page
// works without JavaScript and the charts only add a picture.
(function () {
  var source = document.getElementById("overview-data");
  if (!source || !window.echarts) return;
  var data = JSON.parse(source.textContent);
  function pie(id, series) {
    var el = document.getElementById(id);
    if (!el) return;
    echarts.init(el).setOption({
      // Drawn on the canvas: the HTML tooltip would carry style= attributes, which the page's
      // Content-Security-Policy refuses.
      tooltip: { trigger: "item", renderMode: "richText" },
      series: [{ type: "pie", radius: ["35%", "65%"], data: series, label: { formatter: "{b} {c}" } }],
    });
  }
  pie("chart-status", data.status.filter(function (d) { return d.value > 0; }));
  pie("chart-types", data.types);
})();
