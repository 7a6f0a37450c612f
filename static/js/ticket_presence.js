// The staff ticket page's collision notices: who else is viewing or replying, and
// whether someone changed the ticket since this page was shown. Progressive
// enhancement only: without this file the page works, without the notices.
(function () {
  "use strict";

  var TYPING_FIELDS = "textarea[name=reply], textarea[name=note], [data-presence-typing]";

  function csrfToken() {
    var input = document.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  function seenToken() {
    var input = document.querySelector("input[name=seen]");
    return input ? input.value : "";
  }

  function render(box, answer) {
    box.textContent = "";
    (answer.others || []).forEach(function (other) {
      var line = document.createElement("p");
      line.className = "presence-" + other.state;
      line.textContent = other.text;
      box.appendChild(line);
    });
    if (answer.changed) {
      var changed = document.createElement("p");
      changed.className = "presence-changed";
      changed.textContent = answer.changed_text;
      box.appendChild(changed);
    }
    box.hidden = !box.firstChild;
  }

  function start(box) {
    var interval = parseInt(box.dataset.interval, 10) || 12000;
    var typedAt = 0;
    var busy = false;

    function beat() {
      if (busy) { return; }
      busy = true;
      var body = new URLSearchParams();
      body.set("state", Date.now() - typedAt < interval ? "typing" : "viewing");
      body.set("seen", seenToken());
      fetch(box.dataset.url, {
        method: "POST",
        credentials: "same-origin",
        headers: { "X-CSRFToken": csrfToken(), "Accept": "application/json" },
        body: body
      }).then(function (response) {
        return response.ok ? response.json() : null;
      }).then(function (answer) {
        if (answer) { render(box, answer); }
      }).catch(function () {
        // A missed beat is harmless: the next one tries again.
      }).then(function () { busy = false; });
    }

    document.addEventListener("input", function (event) {
      if (!event.target.matches || !event.target.matches(TYPING_FIELDS)) { return; }
      var wasTyping = Date.now() - typedAt < interval;
      typedAt = Date.now();
      if (!wasTyping) { beat(); }  // tell the others at once, not at the next beat
    });
    beat();
    window.setInterval(beat, interval);
  }

  document.addEventListener("DOMContentLoaded", function () {
    var box = document.getElementById("ticket-presence");
    if (box && window.fetch && window.URLSearchParams) { start(box); }
  });
})();
