// The app's only script: it runs under a CSP without 'unsafe-inline'.
(function () {
  "use strict";

  // Flask-Admin's templates use inline onclick handlers, which the CSP blocks:
  // re-attach the two kinds it uses (confirm before delete, run a bulk action) as listeners.
  function rebindInlineHandlers() {
    document.querySelectorAll("[onclick]").forEach(function (el) {
      var code = el.getAttribute("onclick");
      el.removeAttribute("onclick");
      var confirmMatch = code.match(/safeConfirm\('(.*)'\)/);
      var actionMatch = code.match(/modelActions\.execute\('([\w-]+)'\)/);
      el.addEventListener("click", function (event) {
        if (confirmMatch) {
          if (!window.confirm(confirmMatch[1])) event.preventDefault();
          return;
        }
        event.preventDefault();
        if (actionMatch && window.modelActions) window.modelActions.execute(actionMatch[1]);
      });
    });
  }

  // Details pages: copy the record's absolute locator URL.
  function bindCopyButtons() {
    document.querySelectorAll("[data-copy]").forEach(function (button) {
      button.addEventListener("click", function () {
        var input = document.querySelector(button.getAttribute("data-copy"));
        var status = document.querySelector("[data-copy-status]");
        var done = function (text) { if (status) status.textContent = text; };
        if (navigator.clipboard && navigator.clipboard.writeText) {
          navigator.clipboard.writeText(input.value).then(
            function () { done("Link copied."); },
            function () { input.select(); done("Press Ctrl+C to copy the selected link."); }
          );
        } else {
          input.select();
          done(document.execCommand("copy") ? "Link copied." : "Press Ctrl+C to copy the selected link.");
        }
      });
    });
  }

  // Prompt forms: model suggestions and limits follow the chosen provider and model.
  function bindCatalog() {
    var data = document.getElementById("page-data");
    var provider = document.getElementById("provider");
    var model = document.getElementById("model");
    if (!data || !provider || !model) return;
    var catalog = JSON.parse(data.textContent).catalog;
    if (!catalog) return;
    var list = document.createElement("datalist");
    list.id = "catalog-models";
    model.after(list);

    function hint(field, text) {
      var span = document.querySelector('[data-hint="' + field + '"]');
      if (span) span.textContent = text;
    }

    function update() {
      var p = catalog[provider.value];
      list.replaceChildren();
      if (!p) return;
      Object.keys(p.models).forEach(function (name) {
        var option = document.createElement("option");
        option.value = name;
        list.appendChild(option);
      });
      var base = model.value.replace(/^ft:([^:]+):.*$/, "$1").replace(/-\d{4}-\d{2}-\d{2}$/, "");
      var m = p.models[base];
      var t = p.temperature;
      hint("temperature", m && !m.temperature_adjustable
        ? base + " accepts only the default " + t.default + "."
        : p.name + " accepts " + t.min + "–" + t.max + " (default " + t.default + ").");
      hint("max_completion_tokens", m
        ? "1 to " + m.max_output_tokens.toLocaleString("en-US") + " output tokens for " + base + "."
        : "Choose a model of the catalog to see its output limit.");
    }

    provider.addEventListener("change", update);
    model.addEventListener("input", update);
    update();
  }

  function start() {
    rebindInlineHandlers();
    bindCopyButtons();
    bindCatalog();
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
