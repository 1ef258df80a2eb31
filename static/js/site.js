// Postal code → prefecture / city / town (offline Japan Post data served by /mypage/postal/<code>/).
(function () {
  // Number fields take what people type — "332-0012", "048-123-4567", full-width digits — and the server
  // normalises it; the model's digit count as maxlength would silently cut the typed hyphens off.
  document.querySelectorAll("input[name$=postal_code], input[name$=phone], input[name$=corporate_number], " +
                            "input[name$=employment_insurance_number]").forEach(function (input) {
    if (input.maxLength > 0) input.maxLength = input.maxLength + 6;
    if (!input.inputMode) input.inputMode = /phone$/.test(input.name) ? "tel" : "numeric";
  });
  document.querySelectorAll("[data-postal-form]").forEach(function (form) {
    var postal = form.querySelector("[name$=postal_code]");
    if (!postal) return;
    var status = document.createElement("p");
    status.className = "help"; status.setAttribute("aria-live", "polite");
    postal.insertAdjacentElement("afterend", status);
    function lookup() {
      var code = postal.value.replace(/[^0-9０-９]/g, "").replace(/[０-９]/g, function (c) {
        return String.fromCharCode(c.charCodeAt(0) - 0xFEE0); });
      if (code.length !== 7) return;
      fetch("/mypage/postal/" + code + "/", {credentials: "same-origin"}).then(function (r) {
        if (!r.ok) { status.textContent = postal.dataset.notFound || "該当する住所が見つかりません。"; return null; }
        return r.json();
      }).then(function (d) {
        if (!d) return;
        var pref = form.querySelector("[name$=prefecture]"), city = form.querySelector("[name$=city]"),
            line = form.querySelector("[name$=address_line]");
        if (pref) pref.value = d.prefecture;
        if (city) city.value = d.city;
        if (line && !line.value) line.value = d.town;
        status.textContent = d.prefecture_name + d.city + d.town;
      }).catch(function () {});
    }
    postal.addEventListener("change", lookup);
    postal.addEventListener("blur", lookup);
  });
  // A form sent back with errors: move the focus (and a screen reader) to the summary at the top, whose links
  // lead to each field.
  // (After load: a #fragment in the URL — e.g. from the skip link — would otherwise take the focus back.)
  var summary = document.querySelector(".error-summary");
  if (summary && !document.querySelector("[autofocus]")) {
    summary.focus();
    window.addEventListener("load", function () { setTimeout(function () { summary.focus(); }, 0); });
  }
  // Work done in the background (PDFs rendered by a task) shows "作成中" instead of a page that hangs; the page
  // reloads itself every few seconds while something is pending, for two minutes at most.
  var pending = document.querySelector("[data-refresh]");
  var refreshKey = "jaim-refresh:" + location.pathname;
  try {
    if (pending) {
      var tries = +(sessionStorage.getItem(refreshKey) || 0);
      document.querySelectorAll("[data-refresh-help]").forEach(function (el) { el.hidden = false; });
      if (tries < 24) {
        setTimeout(function () {
          sessionStorage.setItem(refreshKey, String(tries + 1));
          location.reload();
        }, (+pending.dataset.refresh || 5) * 1000);
      }
    } else {
      sessionStorage.removeItem(refreshKey);
    }
  } catch (e) { /* storage disabled: no automatic reload, the page still says 作成中 */ }
  // Forms that must not be sent twice (double-clicked submit).
  document.querySelectorAll("form[data-once]").forEach(function (f) {
    f.addEventListener("submit", function () {
      f.querySelectorAll("button[type=submit]").forEach(function (b) { b.disabled = true; });
    });
  });
})();
