// Keyboard navigation for the inbox, like a mail client: j/k move, Enter opens, e marks done.
(function () {
  "use strict";

  // Keys typed into a field or pressed on a link or button keep their own meaning there.
  var OWN_KEYS = ["A", "BUTTON", "INPUT", "SELECT", "TEXTAREA", "SUMMARY"];

  function rows() {
    return Array.prototype.slice.call(document.querySelectorAll("[data-entry]"));
  }

  function current() {
    return document.querySelector("[data-entry].selected");
  }

  function isInbox() {
    return document.getElementById("entry-list") !== null;
  }

  // The selection is remembered per inbox view, so Back from an item lands on the same row.
  function memoryKey() {
    return "civicdesk.inbox.selected:" + window.location.pathname + window.location.search;
  }

  function remember(row) {
    try {
      if (row) window.sessionStorage.setItem(memoryKey(), row.id);
      else window.sessionStorage.removeItem(memoryKey());
    } catch (error) {
      // Storage may be switched off; the keys still work, only Back forgets the row.
    }
  }

  function recalled() {
    try {
      return window.sessionStorage.getItem(memoryKey());
    } catch (error) {
      return null;
    }
  }

  function say(words) {
    var status = document.getElementById("keyboard-status");
    if (!status) return;
    // Emptied first so that saying the same words twice is announced twice.
    status.textContent = "";
    window.setTimeout(function () {
      status.textContent = words;
    }, 50);
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
    remember(row);
    say("");
  }

  function move(step) {
    var all = rows();
    if (!all.length) return;
    var index = all.indexOf(current());
    var next = index === -1 ? 0 : Math.min(Math.max(index + step, 0), all.length - 1);
    select(all[next]);
  }

  function hasOwnKeys(target) {
    if (!target || !target.tagName) return false;
    return OWN_KEYS.indexOf(target.tagName) !== -1 || target.isContentEditable;
  }

  function markDone(row) {
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
  }

  document.addEventListener("keydown", function (event) {
    if (event.altKey || event.ctrlKey || event.metaKey || hasOwnKeys(event.target)) return;
    var row = current();
    if (event.key === "j") {
      move(1);
    } else if (event.key === "k") {
      move(-1);
    } else if (event.key === "Enter" && row) {
      window.location.href = row.getAttribute("data-href");
    } else if (event.key === "e") {
      // In the list, e acts only on the row chosen; on an item's own page, on that item.
      if (isInbox() && !row) {
        say("Select an item first: press j or k.");
      } else {
        markDone(row);
      }
    } else {
      return;
    }
    event.preventDefault();
  });

  function restore() {
    if (current()) return;
    var id = recalled();
    var row = id && document.getElementById(id);
    if (row && row.hasAttribute("data-entry")) select(row);
  }

  restore();
  window.addEventListener("pageshow", restore);
  document.body.addEventListener("htmx:historyRestore", restore);

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
