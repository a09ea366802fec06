// Charts on the overview page; the numbers themselves are in the page as links, so the page
// works without JavaScript and the charts only add a picture.
(function () {
  document.querySelectorAll(".progress-bar[data-width]").forEach(function (bar) {
    bar.style.width = bar.dataset.width + "%";
  });
  var source = document.getElementById("overview-data");
  if (!source || !window.echarts) return;
  var data = JSON.parse(source.textContent);
  function pie(id, series) {
    var el = document.getElementById(id);
    if (!el) return;
    echarts.init(el).setOption({
      tooltip: { trigger: "item" },
      series: [{ type: "pie", radius: ["35%", "65%"], data: series, label: { formatter: "{b} {c}" } }],
    });
  }
  pie("chart-status", data.status.filter(function (d) { return d.value > 0; }));
  pie("chart-types", data.types);
})();
