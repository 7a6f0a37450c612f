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

// Find before you file, and the improper-words warning: live versions of what the
// "Check for similar tickets" button and the server's check do without this script.
(function () {
  "use strict";

  function debounce(fn, ms) {
    var timer = null;
    return function () {
      clearTimeout(timer);
      timer = setTimeout(fn, ms);
    };
  }

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) { node.className = className; }
    if (text) { node.textContent = text; }
    return node;
  }

  // Similar open tickets under the subject, as the customer types it.
  function renderSimilar(box, tickets) {
    box.textContent = "";
    if (!tickets.length) { return; }
    box.appendChild(el("h2", "", box.dataset.heading));
    box.appendChild(el("p", "help", box.dataset.help));
    var list = el("ul", "similar-list");
    tickets.forEach(function (ticket) {
      var item = el("li");
      var number = el("a", "similar-ticket", ticket.number);
      number.href = ticket.url;
      var comment = el("a", "similar-comment", box.dataset.comment);
      comment.href = ticket.url + "#comment";
      item.append(number, " ", el("span", "similar-subject", ticket.subject), " ",
        el("span", "badge status-" + ticket.status, ticket.status_label), " ", comment);
      list.appendChild(item);
    });
    box.appendChild(list);
  }

  function watchSimilar(form) {
    var box = document.getElementById("similar-tickets");
    var subject = form.querySelector("input[name=subject]");
    if (!box || !subject || !window.fetch) { return; }
    var controller = null;
    var last = null;
    var update = debounce(function () {
      var text = subject.value.trim();
      if (text === last) { return; }
      last = text;
      if (controller) { controller.abort(); }
      if (text.length < 3) { renderSimilar(box, []); return; }
      controller = window.AbortController ? new AbortController() : null;
      fetch(box.dataset.url + "?q=" + encodeURIComponent(text), {
        credentials: "same-origin",
        headers: { "Accept": "application/json" },
        signal: controller ? controller.signal : undefined
      }).then(function (response) {
        return response.ok ? response.json() : { tickets: [] };
      }).then(function (data) {
        renderSimilar(box, data.tickets || []);
      }).catch(function () { /* offline or aborted: the button still works */ });
    }, 300);
    subject.addEventListener("input", update);
  }

  // The improper-words warning, before the customer presses send.
  function watchWords(form) {
    var url = form.dataset.checkUrl;
    var warning = form.querySelector("[data-improper-warning]");
    var fields = form.querySelectorAll("[data-check-words]");
    var token = form.querySelector("input[name=csrfmiddlewaretoken]");
    if (!url || !warning || !fields.length || !token || !window.fetch) { return; }
    var words = warning.querySelector(".improper-words");
    var check = debounce(function () {
      var body = new FormData();
      body.append("csrfmiddlewaretoken", token.value);
      body.append("text", Array.prototype.map.call(fields, function (f) { return f.value; }).join("\n"));
      fetch(url, { method: "POST", body: body, credentials: "same-origin" })
        .then(function (response) { return response.ok ? response.json() : null; })
        .then(function (data) {
          if (!data) { return; }
          words.textContent = data.words.join(", ");
          warning.hidden = data.words.length === 0;
        }).catch(function () { /* the server checks again on sending */ });
    }, 600);
    fields.forEach(function (field) { field.addEventListener("input", check); });
  }

  // A passkey was added (django-otp-webauthn's script fires the event): on to the
  // recovery codes when the server made some, else the page shows the new passkey.
  document.addEventListener("otp_webauthn.register_complete", function (event) {
    var response = (event.detail && event.detail.response) || {};
    var next = document.getElementById("passkey-next");
    if (response.next) {
      window.location.href = response.next + (next && next.value ? "?next=" + encodeURIComponent(next.value) : "");
    } else if (next && next.value) {
      window.location.href = next.value;
    } else {
      window.location.reload();
    }
  });

  // A write form sends once: its buttons are disabled while the request runs (after the
  // browser has read the pressed button's name, so the server still sees it). The
  // one-time submit token guards the server side anyway; going back re-enables them.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form || (form.method || "").toLowerCase() !== "post") { return; }
    window.setTimeout(function () {
      if (event.defaultPrevented) { return; }  // another script keeps the page
      form.querySelectorAll("button[type=submit], input[type=submit]").forEach(function (b) {
        b.disabled = true;
      });
      form.setAttribute("aria-busy", "true");
    }, 0);
  });
  window.addEventListener("pageshow", function () {
    document.querySelectorAll("form[aria-busy]").forEach(function (form) {
      form.removeAttribute("aria-busy");
      form.querySelectorAll("button[type=submit], input[type=submit]").forEach(function (b) {
        b.disabled = false;
      });
    });
  });

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll(".ticket-form").forEach(watchSimilar);
    document.querySelectorAll("form[data-check-url]").forEach(watchWords);
  });
})();
