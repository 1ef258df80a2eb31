// Roster search: the filters box is open on wide screens (closed on phones to keep results near the top).
(function () {
  if (!window.matchMedia("(min-width: 761px)").matches) return;
  document.querySelectorAll("details[data-open-wide]").forEach(function (d) { d.open = true; });
})();
