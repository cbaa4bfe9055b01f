// Keyboard navigation for the inbox, like a mail client: j/k move, Enter opens, e marks done.
(function () {
  "use strict";

  function rows() {
    return Array.prototype.slice.call(document.querySelectorAll("[data-entry]"));
  }

  function current() {
    return document.querySelector("[data-entry].selected");
  }

  function select(row) {
    var previous = current();
    if (previous) {
      previous.classList.remove("selected");
      previous.removeAttribute("aria-current");
    }
    if (!row) return;
    row.classList.add("selected");
    row.setAttribute("aria-current", "true");
    row.focus({ preventScroll: true });
    row.scrollIntoView({ block: "nearest" });
  }

  function move(step) {
    var all = rows();
    if (!all.length) return;
    var index = all.indexOf(current());
    var next = index === -1 ? 0 : Math.min(Math.max(index + step, 0), all.length - 1);
    select(all[next]);
  }

  function typing(target) {
    var tag = target && target.tagName;
    return tag === "INPUT" || tag === "SELECT" || tag === "TEXTAREA" || (target && target.isContentEditable);
  }

  document.addEventListener("keydown", function (event) {
    if (event.altKey || event.ctrlKey || event.metaKey || typing(event.target)) return;
    var row = current();
    if (event.key === "j") {
      move(1);
    } else if (event.key === "k") {
      move(-1);
    } else if (event.key === "Enter" && row) {
      window.location.href = row.getAttribute("data-href");
    } else if (event.key === "e") {
      var button = (row || document).querySelector("[data-done]");
      if (!button) return;
      var id = row && row.id;
      button.click();
      if (id) {
        // After htmx swaps the row in, keep the selection on it so j moves on from here.
        document.body.addEventListener("htmx:afterSwap", function reselect() {
          document.body.removeEventListener("htmx:afterSwap", reselect);
          select(document.getElementById(id));
        });
      }
    } else {
      return;
    }
    event.preventDefault();
  });

  // The list refreshes itself every 30 seconds; keep the selected row selected across it.
  var remembered = null;
  document.body.addEventListener("htmx:beforeSwap", function () {
    var row = current();
    remembered = row ? row.id : null;
  });
  document.body.addEventListener("htmx:afterSettle", function () {
    if (remembered && !current()) select(document.getElementById(remembered));
  });

  document.addEventListener("click", function (event) {
    var row = event.target.closest && event.target.closest("[data-entry]");
    if (row) select(row);
  });
})();
