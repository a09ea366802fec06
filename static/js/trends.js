// The trend chart: found, closed and overdue at each period's end as lines (the earlier
// campaign's found as a dashed line when compared). The figures are in the table below it, so
// the page says everything without JavaScript; the chart only adds the picture.
(function () {
  var source = document.getElementById("trends-data");
  var el = document.getElementById("chart-trends");
  if (!source || !el || !window.echarts) return;
  var data = JSON.parse(source.textContent);
  var series = data.series.map(function (s) {
    return { name: s.name, type: "line", data: s.data, smooth: false, symbolSize: 6 };
  });
  if (data.earlier) {
    series.push({ name: data.earlier.name, type: "line", data: data.earlier.data, lineStyle: { type: "dashed" } });
  }
  var chart = echarts.init(el);
  chart.setOption({
    // Drawn on the canvas: an HTML tooltip would carry style= attributes the CSP refuses.
    tooltip: { trigger: "axis", renderMode: "richText" },
    legend: { top: 0 },
    grid: { left: 40, right: 16, top: 40, bottom: 30 },
    xAxis: { type: "category", data: data.labels },
    yAxis: { type: "value", minInterval: 1 },
    series: series,
  });
  window.addEventListener("resize", function () { chart.resize(); });
})();
