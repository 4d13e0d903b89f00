/* The journey map change page: each stage can be folded to its header (with a count of its
   touchpoints), and a toolbar folds or unfolds them all, so a long map stays easy to reorder
   and to find a stage in. Folding only hides: every field is still submitted with the form.
   A stage with an error is never folded. A position typed by hand orders the rows as it says. */
(function () {
  "use strict";
  // The admin's page loads Django's JavaScript catalogue (admin:jsi18n), ours included (djangojs).
  var gettext = window.gettext || function (text) { return text; };
  var ngettext = window.ngettext || function (one, many, n) { return n === 1 ? one : many; };
  var interpolate = window.interpolate || function (text, values) { return text.replace("%s", values[0]); };

  function stages() {
    return document.querySelectorAll(".djn-group-root > fieldset > .djn-items > .djn-item.djn-inline-form");
  }

  function hasErrors(stage) {
    return stage.querySelector(".errorlist, .errors") !== null;
  }

  function touchpointCount(stage) {
    var rows = stage.querySelectorAll("tbody.djn-item.djn-inline-form:not(.djn-empty-form)");
    var count = 0;
    rows.forEach(function (row) {
      var del = row.querySelector("input[name$='-DELETE']");
      if (!row.id.endsWith("-empty") && !(del && del.checked)) count += 1;
    });
    return count;
  }

  function setFolded(stage, folded) {
    if (folded && hasErrors(stage)) folded = false;
    stage.classList.toggle("stage-folded", folded);
    var button = stage.querySelector(":scope > h3 > .stage-toggle");
    if (!button) return;
    button.setAttribute("aria-expanded", folded ? "false" : "true");
    button.textContent = folded ? button.dataset.unfold : button.dataset.fold;
    var summary = stage.querySelector(":scope > h3 > .stage-summary");
    var n = touchpointCount(stage);
    summary.textContent = folded ? " · " + interpolate(ngettext("%s touchpoint", "%s touchpoints", n), [n]) : "";
  }

  function equip(stage) {
    if (stage.id.endsWith("-empty") || stage.querySelector(":scope > h3 > .stage-toggle")) return;
    var header = stage.querySelector(":scope > h3");
    if (!header) return;
    var summary = document.createElement("span");
    summary.className = "stage-summary";
    var label = header.querySelector(".inline_label");
    if (label) label.textContent = label.textContent.trim(); // its trailing newline would show as a space
    (label || header.firstChild).after(summary);
    var button = document.createElement("button");
    button.type = "button";
    button.className = "stage-toggle";
    button.dataset.fold = gettext("Fold");
    button.dataset.unfold = gettext("Unfold");
    button.setAttribute("aria-expanded", "true");
    button.textContent = button.dataset.fold;
    button.addEventListener("click", function (event) {
      event.preventDefault();
      setFolded(stage, !stage.classList.contains("stage-folded"));
    });
    summary.after(button);
  }

  function toolbar(group) {
    if (group.querySelector(".stage-toolbar")) return;
    var bar = document.createElement("div");
    bar.className = "stage-toolbar";
    [[gettext("Fold all stages"), true], [gettext("Unfold all"), false]].forEach(function (pair) {
      var button = document.createElement("button");
      button.type = "button";
      button.className = "button";
      button.textContent = pair[0];
      button.addEventListener("click", function () {
        stages().forEach(function (stage) { setFolded(stage, pair[1]); });
      });
      bar.appendChild(button);
    });
    var heading = group.querySelector(":scope > fieldset > h2");
    if (heading) heading.after(bar); else group.prepend(bar);
  }

  // nested-admin numbers the rows in their on-screen order when the form is sent, so a position typed
  // by hand would be lost. Just before that (capture phase), each list of rows is put in the order of
  // the positions they hold — typed or dragged — ties kept in row order; the server renumbers 0…n−1.
  function typedPosition(item) {
    var input = document.getElementById("id_" + item.id + "-position");
    var value = input ? parseInt(input.value, 10) : NaN;
    return isNaN(value) ? null : value;
  }

  function orderByTypedPositions(form) {
    form.querySelectorAll(".djn-items").forEach(function (list) {
      var items = Array.prototype.filter.call(list.children, function (child) {
        return child.classList.contains("djn-item") && child.id && !child.id.endsWith("-empty") &&
          !child.classList.contains("djn-empty-form");
      });
      var keyed = items.map(function (item, index) {
        var position = typedPosition(item);
        return { item: item, index: index, position: position === null ? index : position };
      });
      var sorted = keyed.slice().sort(function (a, b) { return a.position - b.position || a.index - b.index; });
      if (sorted.every(function (entry, i) { return entry.item === items[i]; })) return;
      var anchor = document.createTextNode("");
      list.insertBefore(anchor, items[0]);
      sorted.forEach(function (entry) { list.insertBefore(entry.item, anchor); });
      anchor.remove();
    });
  }

  // Touchpoint rows as wrapping cards: each cell carries its column's header as a label (taken from the
  // table's own, translated headers), so description and targets wrap onto a second line inside the
  // stage instead of running past the window; without this script the table scrolls in its box.
  function labelTouchpointCells(group) {
    group.querySelectorAll(".djn-group-nested .tabular").forEach(function (box) {
      var table = box.querySelector("table");
      if (!table) return;
      // Header cells and row cells line up one to one (the headers' classes are slugs of the labels,
      // not the field names), so a cell takes the text of the header in its column.
      var labels = Array.prototype.map.call(table.querySelectorAll("thead tr:first-child > th"), function (th) {
        return th.firstChild ? th.firstChild.textContent.trim() : "";
      });
      table.querySelectorAll("tbody tr.form-row").forEach(function (row) {
        Array.prototype.forEach.call(row.children, function (td, index) {
          if (!td.dataset.label && labels[index] && !td.classList.contains("original")) td.dataset.label = labels[index];
        });
      });
      box.classList.add("tp-cards");
    });
  }

  function init() {
    var group = document.querySelector(".djn-group-root");
    if (!group) return;
    var form = group.closest("form");
    if (form) {
      document.addEventListener("submit", function (event) {
        if (event.target === form) orderByTypedPositions(form);
      }, true);
    }
    toolbar(group);
    stages().forEach(equip);
    labelTouchpointCells(group);
    // Stages and touchpoints added with "Add another …" get their button and labels too.
    new MutationObserver(function () {
      stages().forEach(equip);
      labelTouchpointCells(group);
    }).observe(group, { childList: true, subtree: true });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
