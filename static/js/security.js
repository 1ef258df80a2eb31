// Two-step verification pages: the print button on the recovery codes page (no inline handlers: CSP).
(function () {
  document.querySelectorAll("[data-print]").forEach(function (b) {
    b.addEventListener("click", function () { window.print(); });
  });
})();
