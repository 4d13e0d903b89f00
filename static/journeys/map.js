// Journey map page: the print button, and start/end dates shown only for a custom period.
(function () {
  "use strict";
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
