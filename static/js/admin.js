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
        var status = (button.closest("[data-copy-scope]") || document).querySelector("[data-copy-status]");
        var what = button.getAttribute("data-copy-what") || "link";
        var copied = what.charAt(0).toUpperCase() + what.slice(1) + " copied.";
        var select = "Press Ctrl+C to copy the selected " + what + ".";
        var done = function (text) { if (status) status.textContent = text; };
        if (navigator.clipboard && navigator.clipboard.writeText) {
          navigator.clipboard.writeText(input.value).then(
            function () { done(copied); },
            function () { input.select(); done(select); }
          );
        } else {
          input.select();
          done(document.execCommand("copy") ? copied : select);
        }
      });
    });
  }

  // Prompt forms follow the provider and model at once, from the catalog in the page:
  // model suggestions, the temperature and token inputs' min/max/step, and a flag on any
  // value the chosen provider or model would refuse (the server still checks on save).
  function bindCatalog() {
    var data = document.getElementById("page-data");
    var provider = document.getElementById("provider");
    var model = document.getElementById("model");
    var temperature = document.getElementById("temperature");
    var tokens = document.getElementById("max_completion_tokens");
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

    // One live message per input, announced, and tied to it by aria-describedby.
    function setFlag(input, content) {
      if (!input) return;
      var id = input.id + "-live-check";
      var box = document.getElementById(id);
      if (!box) {
        box = document.createElement("div");
        box.id = id;
        box.className = "invalid-feedback live-check";
        box.setAttribute("aria-live", "polite");
        input.after(box);
        input.setAttribute("aria-describedby", ((input.getAttribute("aria-describedby") || "") + " " + id).trim());
      }
      box.replaceChildren.apply(box, content || []);
      input.classList.toggle("is-invalid", Boolean(content));
      if (content) input.setAttribute("aria-invalid", "true");
      else input.removeAttribute("aria-invalid");
    }

    function limits(input, min, max, step) {
      if (!input) return;
      input.min = min;
      input.max = max;
      input.step = step;
    }

    function modelChoices(p) {
      return Object.keys(p.models).map(function (name) {
        var button = document.createElement("button");
        button.type = "button";
        button.className = "btn btn-outline-secondary btn-sm mr-1 mb-1 model-choice";
        button.textContent = name;
        button.addEventListener("click", function () {
          model.value = name;
          changed({ target: model });
          model.focus();
        });
        return button;
      });
    }

    // The server's messages after a refused save stay until the person changes that field;
    // from then on the live check speaks for it.
    function serverMessages(input) {
      return input ? input.parentNode.querySelectorAll(".invalid-feedback:not(.live-check)") : [];
    }

    function update(initial) {
      var flag = initial === true ? function (input, content) {
        if (!serverMessages(input).length) setFlag(input, content);
      } : setFlag;
      var p = catalog[provider.value];
      list.replaceChildren();
      if (!p) return;
      Object.keys(p.models).forEach(function (name) {
        var option = document.createElement("option");
        option.value = name;
        list.appendChild(option);
      });
      var base = model.value.trim().replace(/^ft:([^:]+):.*$/, "$1").replace(/-\d{4}-\d{2}-\d{2}$/, "");
      var m = p.models[base];
      var t = p.temperature;
      var fixed = m && !m.temperature_adjustable;
      var largest = Math.max.apply(null, Object.keys(p.models).map(function (n) { return p.models[n].max_output_tokens; }));
      var maxTokens = m ? m.max_output_tokens : largest;
      hint("temperature", fixed
        ? base + " accepts only the default " + t.default + " (not sent)."
        : (p.name + " accepts " + t.min + "–" + t.max + " (default " + t.default + "). " + t.note).trim());
      hint("max_completion_tokens", m
        ? "1 to " + m.max_output_tokens.toLocaleString("en-US") + " output tokens for " + base + "."
        : "Choose a model of the catalog to see its output limit.");
      limits(temperature, fixed ? t.default : t.min, fixed ? t.default : t.max, "any");
      limits(tokens, 1, maxTokens, 1);

      flag(model, model.value.trim() && !m
        ? [document.createTextNode(model.value.trim() + " is not one of " + p.name + "'s models in the catalog. Choose one: ")]
            .concat(modelChoices(p))
        : null);
      var value = temperature && temperature.value.trim() !== "" ? Number(temperature.value) : null;
      flag(temperature, value === null ? null
        : isNaN(value) ? [document.createTextNode(temperature.value + " is not a number.")]
        : fixed && value !== t.default ? [document.createTextNode(base + " accepts only its default temperature " + t.default + ".")]
        : value < t.min || value > t.max
          ? [document.createTextNode(value + " is outside " + p.name + "'s range " + t.min + "–" + t.max + ".")]
          : null);
      var count = tokens && tokens.value.trim() !== "" ? Number(tokens.value) : null;
      flag(tokens, count === null ? null
        : !Number.isInteger(count) ? [document.createTextNode(tokens.value + " is not a whole number.")]
        : count < 1 ? [document.createTextNode("At least 1 output token.")]
        : count > maxTokens
          ? [document.createTextNode(count.toLocaleString("en-US") + " is above " + (m ? base : "every " + p.name + " model") +
              "'s maximum output of " + maxTokens.toLocaleString("en-US") + " tokens.")]
          : null);
    }

    function changed(event) {
      var stale = event.target === provider ? [model, temperature, tokens] : [event.target];
      stale.forEach(function (input) {
        serverMessages(input).forEach(function (message) { message.remove(); });
        if (input) input.classList.remove("is-invalid");
      });
      update(false);
    }

    provider.addEventListener("change", changed);
    [model, temperature, tokens].forEach(function (input) { if (input) input.addEventListener("input", changed); });
    update(true);
  }

  // Import page: a file or paste over the manifest limit is stopped before it is sent,
  // so the text stays in the box and the message says why.
  function bindSizeGuards() {
    document.querySelectorAll("form[data-size-guard]").forEach(function (form) {
      var status = form.querySelector("[data-size-status]");
      form.addEventListener("submit", function (event) {
        var over = [];
        form.querySelectorAll("[data-max-bytes]").forEach(function (field) {
          var max = Number(field.getAttribute("data-max-bytes"));
          var size = field.files
            ? Array.prototype.reduce.call(field.files, function (sum, file) { return sum + file.size; }, 0)
            : new Blob([field.value]).size;
          if (size > max) {
            over.push((field.files ? "The file" : "The pasted text") + " is " + size.toLocaleString("en-US") +
              " bytes; a manifest may be at most " + max.toLocaleString("en-US") + " bytes.");
          }
        });
        if (status) status.textContent = over.join(" ");
        if (over.length) event.preventDefault();
      });
    });
  }

  // Prompt forms: the Request panel follows the unsaved values. The form (with its CSRF token)
  // is POSTed to the panel's endpoint, which writes nothing; the newest answer wins.
  function bindRequestPreview() {
    var panel = document.querySelector("[data-request-preview-url]");
    var form = document.querySelector("form.admin-form");
    if (!panel || !form) return;
    var message = panel.querySelector("[data-request-message]");
    var errors = panel.querySelector("[data-request-errors]");
    var timer = null;
    var sequence = 0;

    function text(selector, value) { panel.querySelector(selector).textContent = value || ""; }

    function render(result) {
      var lines = [];
      if (result.errors) {
        Object.keys(result.errors).forEach(function (field) {
          result.errors[field].forEach(function (line) { lines.push(field + ": " + line); });
        });
      } else if (result.error) {
        lines.push(result.error);
      }
      errors.replaceChildren();
      lines.forEach(function (line) {
        var item = document.createElement("li");
        item.textContent = line;
        errors.appendChild(item);
      });
      errors.hidden = !lines.length;
      text("[data-request-provider]", result.provider || "the provider");
      text("[data-request-line]", result.url ? result.method + " " + result.url : "");
      text("[data-request-headers]", result.headers ? Object.keys(result.headers).map(function (name) {
        return name + ": " + result.headers[name];
      }).join("\n") : "");
      text("[data-request-body]", result.body ? JSON.stringify(result.body, null, 2) : "");
      panel.querySelector("#request-curl").value = result.curl || "";
      panel.removeAttribute("aria-busy");
    }

    function refresh() {
      var mine = ++sequence;
      var body = new FormData(form);
      body.append("message", message.value);
      panel.setAttribute("aria-busy", "true");
      fetch(panel.getAttribute("data-request-preview-url"), {
        method: "POST", body: body, credentials: "same-origin", headers: { Accept: "application/json" }
      }).then(function (response) {
        return response.json().catch(function () {
          return { error: "The preview could not be loaded (HTTP " + response.status + "). Reload the page and try again." };
        });
      }).then(function (result) {
        if (mine === sequence) render(result);
      }, function () {
        if (mine === sequence) render({ error: "The preview could not be loaded: the server did not answer." });
      });
    }

    function later() {
      clearTimeout(timer);
      timer = setTimeout(refresh, 250);
    }

    form.addEventListener("input", later);
    // jQuery hears native changes and also select2's (the plugin picker), which only jQuery sees
    if (window.jQuery) window.jQuery(form).on("change", later);
    else form.addEventListener("change", later);
    message.addEventListener("input", later);
    message.addEventListener("keydown", function (event) { if (event.key === "Enter") event.preventDefault(); });
    refresh();
  }

  function start() {
    rebindInlineHandlers();
    bindCopyButtons();
    bindCatalog();
    bindRequestPreview();
    bindSizeGuards();
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
