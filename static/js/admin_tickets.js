// The staff's ticket pages: macros into the reply box, and keyboard shortcuts.
// Progressive enhancement only: every action works without this file.
(function () {
  "use strict";

  var NOT_TYPED = ["checkbox", "radio", "button", "submit", "reset", "file", "hidden"];
  function typing(target) {
    if (!target || !target.closest) { return false; }
    if (target.closest("textarea, select, [contenteditable]:not([contenteditable=false])")) {
      return true;
    }
    return target.tagName === "INPUT" && NOT_TYPED.indexOf(target.type) === -1;
  }

  // --- macros: the chosen one's text goes into the box, for editing --------------------
  function setUpMacros() {
    var data = document.getElementById("macro-data");
    var select = document.getElementById("id_macro");
    var box = document.getElementById("id_reply");
    if (!data || !select || !box) { return; }
    var macros = {};
    JSON.parse(data.textContent).forEach(function (macro) { macros[String(macro.id)] = macro; });
    var effects = document.getElementById("macro-effects");
    var label = document.getElementById("macro-effects-label");
    var useButton = document.querySelector("button[name=use_macro]");
    if (useButton) { useButton.hidden = true; }  // the choice itself fills the box
    var lastText = "";
    select.addEventListener("change", function () {
      var macro = macros[select.value];
      if (!macro) {
        effects.textContent = "";
        return;
      }
      var typed = box.value;
      if (!typed.trim() || typed === lastText) {
        box.value = macro.text;
      } else {
        box.value = typed.replace(/\s+$/, "") + "\n\n" + macro.text;
      }
      lastText = box.value;
      effects.textContent = macro.effects.length
        ? label.textContent + " " + macro.effects.join("; ")
        : "";
      box.focus();
    });
  }

  // --- the help overlay ------------------------------------------------------------
  function setUpHelp() {
    var dialog = document.getElementById("shortcuts-help");
    if (!dialog) { return null; }
    var opener = null;
    function open() {
      if (dialog.open) { return; }
      opener = document.activeElement;
      dialog.showModal();
      var close = dialog.querySelector("[data-shortcuts-close]");
      if (close) { close.focus(); }
    }
    dialog.addEventListener("close", function () {
      if (opener && opener.focus) { opener.focus(); }
    });
    dialog.querySelectorAll("[data-shortcuts-close]").forEach(function (button) {
      button.addEventListener("click", function () { dialog.close(); });
    });
    document.querySelectorAll("[data-shortcuts-open]").forEach(function (button) {
      button.addEventListener("click", open);
    });
    return { open: open, dialog: dialog };
  }

  // --- shortcuts on the ticket page ---------------------------------------------------
  // Leaving the page (another ticket, or assigning, which reloads it) asks first when
  // the box holds text not sent yet.
  function mayLeave() {
    var box = document.getElementById("id_reply");
    var dialog = document.getElementById("shortcuts-help");
    if (!box || !box.value.trim()) { return true; }
    return window.confirm(dialog.getAttribute("data-unsent"));
  }
  function ticketShortcuts(key) {
    if (key === "j" || key === "n" || key === "k" || key === "p") {
      var which = key === "j" || key === "n" ? "next" : "previous";
      var link = document.querySelector("a[data-shortcut=" + which + "]");
      if (link && mayLeave()) { window.location.assign(link.href); }
      return true;
    }
    if (key === "r") {
      var box = document.getElementById("id_reply");
      if (box) { box.focus(); }
      return true;
    }
    if (key === "a") {
      var form = document.getElementById("assign-me-form");
      if (form && mayLeave()) { form.submit(); }
      return true;
    }
    return false;
  }

  // --- shortcuts on the list ----------------------------------------------------------
  var current = -1;
  function rows() {
    return Array.prototype.slice.call(document.querySelectorAll("#result_list tbody tr"));
  }
  function moveTo(index) {
    var all = rows();
    if (!all.length) { return; }
    current = Math.max(0, Math.min(all.length - 1, index));
    all.forEach(function (row, i) { row.classList.toggle("is-current", i === current); });
    var link = all[current].querySelector("th a, td a");
    if (link) { link.focus(); }
  }
  function currentRow() {
    var all = rows();
    var focused = document.activeElement && document.activeElement.closest
      ? document.activeElement.closest("#result_list tbody tr") : null;
    if (focused) { current = all.indexOf(focused); }
    return current >= 0 ? all[current] : null;
  }
  function listShortcuts(key) {
    if (key === "j" || key === "n") { currentRow(); moveTo(current + 1); return true; }
    if (key === "k" || key === "p") { currentRow(); moveTo(current < 0 ? 0 : current - 1); return true; }
    if (key === "x") {
      var row = currentRow();
      var box = row && row.querySelector("input.action-select");
      if (box) { box.click(); }
      return true;
    }
    if (key === "a") {
      var form = document.getElementById("changelist-form");
      var action = form && form.querySelector("select[name=action]");
      if (!action) { return true; }
      if (!form.querySelector("input.action-select:checked")) {
        var chosen = currentRow();
        var check = chosen && chosen.querySelector("input.action-select");
        if (!check) { return true; }
        check.click();
      }
      action.value = "bulk_assign_to_me";
      var go = form.querySelector("button[name=index]");
      if (go) { form.requestSubmit(go); } else { form.requestSubmit(); }
      return true;
    }
    return false;
  }

  document.addEventListener("DOMContentLoaded", function () {
    setUpMacros();
    var help = setUpHelp();
    if (!help) { return; }
    var onTicket = !!document.getElementById("reply-box");
    var onList = !!document.getElementById("result_list");
    document.addEventListener("keydown", function (event) {
      if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey) { return; }
      if (help.dialog.open || typing(event.target)) { return; }
      var key = event.key;
      var handled = false;
      if (key === "?") {
        help.open();
        handled = true;
      } else if (event.shiftKey) {
        return;
      } else if (onTicket) {
        handled = ticketShortcuts(key);
      } else if (onList) {
        handled = listShortcuts(key);
      }
      if (handled) { event.preventDefault(); }
    });
    document.body.dataset.shortcuts = "ready";  // the keys work from here on
  });
})();
