/* The staff admin under a strict Content-Security-Policy: unfold's templates run on
   Alpine's CSP build (static/vendor/alpinejs-csp-*), which evaluates no strings as
   code and may not call globals. The components unfold's templates name are
   registered here, each a fresh function around unfold's own (static/unfold/js/app.js). */
document.addEventListener("alpine:init", function () {
  ["theme", "searchForm", "searchDropdown", "searchCommand"].forEach(function (name) {
    if (typeof window[name] === "function") {
      window.Alpine.data(name, function () {
        return window[name].apply(this, arguments);
      });
    }
  });

  // The page's own state (skeleton.html's <body>): the active tab, the sidebar.
  window.Alpine.data("adminPage", function (defaultTab) {
    var stored = localStorage.getItem("sidebarDesktopOpen");
    return {
      activeTab: defaultTab || "",
      sidebarMobileOpen: false,
      sidebarDesktopOpen: stored === null ? true : stored === "1",
      // unfold's admin/change_form.html posts to "window.location.pathname + search"
      // (plus the tab): the CSP build may not read the real window, so here is its copy.
      window: {location: {pathname: window.location.pathname, search: window.location.search}},
      init: function () {
        if (defaultTab) {
          this.activeTab = window.getCurrentTab() || defaultTab;
        }
        this.$watch("sidebarDesktopOpen", function (value) {
          localStorage.setItem("sidebarDesktopOpen", value ? "1" : "0");
        });
      },
      toggleSidebarDesktop: function () {
        this.sidebarDesktopOpen = !this.sidebarDesktopOpen;
      },
    };
  });
});

/* unfold's icons are ligatures of Material Symbols: a screen reader would read their
   names ("confirmation_number Tickets"). Where the link or button around one has words
   or a title of its own, the icon is hidden from assistive technology. */
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll(".material-symbols-outlined").forEach(function (icon) {
    var host = icon.closest("a, button, label, summary, li, th, h1, h2, h3") || icon.parentElement;
    if (!host) {
      return;
    }
    var words = host.textContent.replace(icon.textContent, "").trim();
    if (words || host.getAttribute("title") || host.getAttribute("aria-label")) {
      icon.setAttribute("aria-hidden", "true");
    }
  });
});
