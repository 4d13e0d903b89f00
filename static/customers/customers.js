// customers pages: forms marked data-confirm="…" ask before they post (removing an identity has no undo).
document.addEventListener("submit", function (event) {
  var message = event.target.getAttribute("data-confirm");
  if (message && !window.confirm(message)) {
    event.preventDefault();
  }
}, true);
