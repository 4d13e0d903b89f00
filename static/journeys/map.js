// Journey map page: the grid's width, the print button, and start/end dates shown only for a custom period.
(function () {
  "use strict";
  // The grid is at least a label column and 13rem per stage wide (scrolling sideways on a phone); set
  // here rather than in a style attribute, which the page's Content Security Policy would refuse.
  document.querySelectorAll(".journey-grid[data-columns]").forEach(function (grid) {
    grid.style.minWidth = "calc(9rem + " + Number(grid.dataset.columns) + " * 13rem)";
  });
  document.querySelectorAll("[data-action='print']").forEach(function (button) {
    button.addEventListener("click", function () { window.print(); });
  });
  var period = document.getElementById("id_period");
  if (!period) { return; }
  function toggle() {
    document.querySelectorAll(".period-custom").forEach(function (el) {
      el.classList.toggle("d-none", period.value !== "custom");
    });
  }
  period.addEventListener("change", toggle);
  toggle();
})();
