/* Trend charts of the supervision dashboard (ECharts), redrawn after each htmx refresh. */
(function () {
  "use strict";
  var charts = {};

  function draw(id, option) {
    var el = document.getElementById(id);
    if (!el || typeof echarts === "undefined") return;
    if (charts[id]) charts[id].dispose();
    charts[id] = echarts.init(el);
    charts[id].setOption(option);
  }

  function render() {
    var data = document.getElementById("dash-trend");
    var labels = document.getElementById("dash-labels");
    if (!data || !labels) return;
    var rows = JSON.parse(data.textContent);
    var days = rows.map(function (r) { return r.day.slice(5); });
    var base = {
      tooltip: { trigger: "axis" },
      legend: { top: 0 },
      grid: { left: 40, right: 16, top: 32, bottom: 24 },
      xAxis: { type: "category", data: days },
      animation: false
    };
    var series = function (key, name, type) {
      return { name: name, type: type || "line", data: rows.map(function (r) { return r[key]; }), smooth: true };
    };
    draw("chart-flows", Object.assign({}, base, {
      yAxis: { type: "value", minInterval: 1 },
      series: [
        series("received", labels.dataset.received, "bar"),
        series("accepted", labels.dataset.accepted),
        series("closed", labels.dataset.closed)
      ]
    }));
    draw("chart-rates", Object.assign({}, base, {
      yAxis: { type: "value", min: 0, max: 100, axisLabel: { formatter: "{value}%" } },
      series: [series("on_time_rate", labels.dataset.onTime), series("early_rate", labels.dataset.early)]
    }));
  }

  document.addEventListener("DOMContentLoaded", render);
  document.addEventListener("htmx:afterSwap", render);
  window.addEventListener("resize", function () {
    Object.keys(charts).forEach(function (id) { charts[id].resize(); });
  });
})();
