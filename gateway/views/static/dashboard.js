// 协调会简报: draw the charts from the page's specs (plotly.js is served by the gateway) and
// open the list behind a bar on click. No inline scripts: the page's CSP forbids them.
(function () {
  "use strict";

  function drawCharts() {
    var holder = document.getElementById("chart-specs");
    if (!holder || typeof window.Plotly === "undefined") return;
    var specs = JSON.parse(holder.textContent || "{}");
    Object.keys(specs).forEach(function (id) {
      var el = document.getElementById(id);
      if (!el) return;
      var spec = specs[id];
      window.Plotly.newPlot(el, spec.data, spec.layout,
        { responsive: true, displayModeBar: false }).then(function () {
        el.setAttribute("data-rendered", "1");
      });
      el.on("plotly_click", function (event) {
        var point = event && event.points && event.points[0];
        var href = point && point.customdata;
        if (typeof href === "string" && href.indexOf("/dashboard/list?") === 0) {
          window.location.assign(href);
        }
      });
    });
  }

  function resizeCharts() {
    if (typeof window.Plotly === "undefined") return;
    document.querySelectorAll(".chart[data-rendered]").forEach(function (el) {
      window.Plotly.Plots.resize(el);
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    drawCharts();
    document.querySelectorAll("[data-action=print]").forEach(function (button) {
      button.addEventListener("click", function () { window.print(); });
    });
    window.addEventListener("beforeprint", resizeCharts);
    var community = document.getElementById("community");
    if (community && community.form) {  // a new community: show it at once, same period
      community.addEventListener("change", function () { community.form.submit(); });
    }
  });
})();
