/* Every staff page: keep the Urgent banner current while the page is open, and on the
   triage dashboard its counts, from admin:live (helpdesk.admin.HelpdeskAdminSite.live).
   Without this script the banner is as the page was drawn, and the dashboard offers its
   own reload. */
(function () {
  "use strict";

  function redrawCounts(counts) {
    Object.keys(counts).forEach(function (name) {
      var tile = document.querySelector(".triage-counts .triage-" + name);
      var count = tile && tile.querySelector(".count");
      if (!count) { return; }
      count.textContent = String(counts[name]);
      tile.classList.toggle("nonzero", counts[name] > 0);
    });
  }

  function poll(slot, withCounts) {
    var url = slot.dataset.liveUrl + (withCounts ? "?counts=1" : "");
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (data) {
        if (!data) { return; }
        // Only a change is drawn again: the banner is an alert, read out when it appears.
        if (slot.dataset.shown !== data.banner) {
          slot.innerHTML = data.banner;
          slot.dataset.shown = data.banner;
        }
        if (data.counts) { redrawCounts(data.counts); }
      })
      .catch(function () { /* offline or restarting: the next poll tries again */ });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var slot = document.getElementById("staff-live-slot");
    if (!slot || !slot.dataset.liveUrl) { return; }
    slot.dataset.shown = slot.innerHTML.trim();
    var withCounts = !!document.querySelector(".triage-counts");
    if (withCounts) {
      var live = document.querySelector(".dashboard-live");
      var reload = document.querySelector(".dashboard-refresh");
      if (live) { live.hidden = false; }
      // The reload offer goes (the counts are live now), unless the reader turned it on.
      if (reload && !reload.querySelector("a[href='?refresh=off']")) { reload.hidden = true; }
    }
    var every = parseInt(slot.dataset.interval, 10) || 30000;
    window.setInterval(function () {
      if (!document.hidden) { poll(slot, withCounts); }
    }, every);
    document.body.dataset.live = "ready";
  });
})();
