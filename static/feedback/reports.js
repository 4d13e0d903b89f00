/* Report charts: each <canvas data-chart="ID"> is drawn from the JSON in <script id="ID">
   (labels, values or datasets, drill-down links); clicking a point opens the rows behind it. */
(function () {
  "use strict";
  var palette = ["#0d6efd", "#dc3545", "#198754", "#fd7e14", "#6f42c1", "#20c997", "#6c757d", "#d63384"];

  var reduceMotion = window.matchMedia && window.matchMedia("(prefers-reduced-motion: reduce)").matches;
  // Dates and numbers in the page's language (<html lang>, the user's language), by the browser's Intl.
  var locale = document.documentElement.lang || undefined;
  var numbers = new Intl.NumberFormat(locale);
  var days = new Intl.DateTimeFormat(locale, { day: "numeric", month: "short", year: "numeric", timeZone: "UTC" });

  function dateLabel(iso) {
    // "2026-03-02" (a period's first day) -> "2 Mar 2026", "2 de mar. de 2026", "2 mar 2026"...
    var parts = String(iso).split("-");
    if (parts.length !== 3) { return iso; }
    return days.format(new Date(Date.UTC(+parts[0], +parts[1] - 1, +parts[2])));
  }

  function sampleNote(data, index) {
    // The tooltip names each point's sample and warns when it is small (data.small_sample, e.g. 30); the
    // words come translated from the page (data.sample_label, data.small_note).
    if (!data.n || data.n[index] === undefined || data.n[index] === null) { return ""; }
    var n = data.n[index];
    var note = "n = " + numbers.format(n) + " " + (data.sample_label || "");
    if (data.small_sample && n > 0 && n < data.small_sample && data.small_note) {
      note += " (" + data.small_note + ")";
    }
    return note;
  }

  function draw(canvas) {
    var source = document.getElementById(canvas.dataset.chart);
    if (!source || typeof Chart === "undefined") { return; }
    var data = JSON.parse(source.textContent);
    var type = data.type === "line" ? "line" : "bar";
    var small = function (i) { return data.n && data.small_sample && data.n[i] > 0 && data.n[i] < data.small_sample; };
    var datasets = data.datasets
      ? data.datasets.map(function (d, i) {
          var colour = palette[i % palette.length];
          // A line per dataset (health by persona…): coloured, straight, broken where a period has no figure.
          return type === "line"
            ? { label: d.label, data: d.values, borderColor: colour, backgroundColor: colour,
                tension: data.tension || 0, spanGaps: !!data.span_gaps }
            : { label: d.label, data: d.values, backgroundColor: colour };
        })
      : [{
          label: data.label, data: data.values, borderColor: palette[0], backgroundColor: palette[0],
          // Straight segments, broken where a period has no sample (null): no curve through values no
          // period had, no line drawn across an empty week.
          tension: data.tension || 0,
          spanGaps: !!data.span_gaps,
          // Points resting on a small sample are hollow triangles (the tiles' warning sign).
          pointBackgroundColor: (data.values || []).map(function (_v, i) { return small(i) ? "#fff" : palette[0]; }),
          pointStyle: (data.values || []).map(function (_v, i) { return small(i) ? "triangle" : "circle"; }),
          pointRadius: (data.values || []).map(function (_v, i) { return small(i) ? 5 : 3; })
        }];
    var y = { beginAtZero: data.min === 0 };
    if (data.min !== undefined && data.min !== null) { y.min = data.min; }
    if (data.max !== undefined && data.max !== null) { y.max = data.max; }
    var labels = data.label_dates ? (data.labels || []).map(dateLabel) : data.labels;
    var options = {
        locale: locale,  // Chart.js formats the axis' and tooltips' numbers with Intl in this locale
        responsive: true,
        maintainAspectRatio: false,
        plugins: {
          legend: { display: !!data.datasets },
          tooltip: { callbacks: { afterLabel: function (item) {
            var d = data.datasets && data.datasets[item.datasetIndex];
            return sampleNote(d && d.n ? { n: d.n, sample_label: data.sample_label } : data, item.dataIndex);
          } } }
        },
        scales: data.type === "stacked" ? { x: { stacked: true }, y: { stacked: true, beginAtZero: true } } : { y: y },
        onClick: function (event, elements) {
          if (!elements.length) { return; }
          // A dataset's own links (one per point) or the chart's (one per label).
          var d = data.datasets && data.datasets[elements[0].datasetIndex];
          var links = d && d.links ? d.links : data.links;
          if (links && links[elements[0].index]) {
            window.location.href = links[elements[0].index];
          }
        },
        onHover: function (event, elements) {
          var linked = data.links || (data.datasets && data.datasets.some(function (d) { return d.links; }));
          event.native.target.style.cursor = linked && elements.length ? "pointer" : "default";
        }
    };
    if (reduceMotion) { options.animation = false; }
    new Chart(canvas, { type: type, data: { labels: labels, datasets: datasets }, options: options });
  }

  function offerDimensions() {
    // The breakdown page offers only the dimensions that mean something for the chosen metric.
    var metric = document.getElementById("id_metric");
    var dimension = document.getElementById("id_dimension");
    var source = document.getElementById("dimensions-by-metric");
    if (!metric || !dimension || !source) { return; }
    var byMetric = JSON.parse(source.textContent);
    metric.addEventListener("change", function () {
      var allowed = byMetric[metric.value] || [];
      var current = dimension.value;
      dimension.innerHTML = "";
      allowed.forEach(function (pair) {  // [value, label]
        var option = document.createElement("option");
        option.value = pair[0];
        option.textContent = pair[1];
        option.selected = pair[0] === current;
        dimension.appendChild(option);
      });
    });
  }

  document.querySelectorAll("canvas[data-chart]").forEach(draw);
  document.querySelectorAll('[data-bs-toggle="tooltip"]').forEach(function (el) {
    if (window.bootstrap) { new window.bootstrap.Tooltip(el); }
  });
  offerDimensions();
})();
