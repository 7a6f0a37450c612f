// Progressive enhancement only: every page works without this file.
(function () {
  "use strict";
  document.documentElement.classList.add("js");
  function syncTicketForm(form) {
    var type = form.querySelector("input[name=type]:checked");
    var prio = form.querySelector("input[name=priority]:checked");
    var incident = !!type && type.value === "incident";
    form.classList.toggle("is-incident", incident);
    form.classList.toggle("is-urgent", incident && !!prio && prio.value === "1");
  }
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll(".ticket-form").forEach(function (form) {
      syncTicketForm(form);
      form.addEventListener("change", function () { syncTicketForm(form); });
    });
    // The language switch applies on change; the button stays for no-script use.
    var lang = document.getElementById("lang");
    if (lang) {
      lang.addEventListener("change", function () { lang.form.submit(); });
    }
  });
})();
