/* Journey analytics: each <canvas data-sankey="ID"> draws the stage-to-stage flow in <script id="ID">
   ({nodes: [{id, label}], links: [{from, to, journeys}]}) as a Sankey chart (Chart.js with
   chartjs-chart-sankey, vendored). Runs on page load and on every fragment htmx swaps in (the map page's
   panel). The flow is also written out as a table beside the chart, for screen readers and print. The
   tooltips name the stages or touchpoints (never the nodes' ids) and count journeys with the browser's Intl
   in the page's language (<html lang>). */
(function () {
  "use strict";
  var palette = ["#0d6efd", "#6f42c1", "#198754", "#fd7e14", "#20c997", "#d63384", "#0dcaf0", "#6c757d"];
  var locale = document.documentElement.lang || undefined;
  var numbers = new Intl.NumberFormat(locale);

  function draw(canvas) {
    if (canvas.dataset.drawn || typeof Chart === "undefined") { return; }
    var source = document.getElementById(canvas.dataset.sankey);
    if (!source) { return; }
    var flow = JSON.parse(source.textContent);
    var labels = {}, colors = {};
    flow.nodes.forEach(function (node, i) {
      labels[node.id] = node.label;
      colors[node.id] = node.id === "dropped" ? "#adb5bd" : palette[i % palette.length];
    });
    var reduceMotion = window.matchMedia && window.matchMedia("(prefers-reduced-motion: reduce)").matches;
    canvas.dataset.drawn = "1";
    new Chart(canvas, {
      type: "sankey",
      data: {
        datasets: [{
          data: flow.links.map(function (l) { return { from: l.from, to: l.to, flow: l.journeys }; }),
          labels: labels,
          colorFrom: function (c) { return colors[c.dataset.data[c.dataIndex].from]; },
          colorTo: function (c) { return colors[c.dataset.data[c.dataIndex].to]; },
          colorMode: "gradient",
          size: "max"
        }]
      },
      options: {
        responsive: true,
        maintainAspectRatio: false,
        animation: reduceMotion ? false : undefined,
        locale: locale,
        plugins: {
          tooltip: {
            callbacks: {
              label: function (item) {
                var link = item.parsed._custom;
                return labels[link.from.key] + " → " + labels[link.to.key] + ": " + numbers.format(link.flow);
              }
            }
          }
        }
      }
    });
  }

  function drawAll(root) {
    (root || document).querySelectorAll("canvas[data-sankey]").forEach(draw);
  }

  if (window.htmx) { window.htmx.onLoad(drawAll); }
  document.addEventListener("DOMContentLoaded", function () { drawAll(document); });
})();
