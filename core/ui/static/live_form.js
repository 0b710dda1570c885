// Live forms: as fields change, the form is sent to /app/<entity>/preview (a dry run that
// saves nothing); the context panel is replaced with what the rules would give, and fields
// the form left empty take the values their links fetch (a machine's customer, site, item).
// Link suggestions can be narrowed by other fields: data-typeahead-where on a link's text
// input names, per field of the target, the id of the input whose value it must equal.
// Without this script the form's Preview button does the same in one round trip.
"use strict";
(() => {
  const DELAY_MS = 350;

  function setup(form) {
    const url = form.dataset.preview;
    const panel = document.getElementById("context-panel");
    if (!url || !panel) return;
    const button = document.getElementById("preview-button");
    if (button) button.hidden = true;
    let timer = null;
    let asked = 0;

    function fill(name, found) {
      const hidden = form.querySelector(`input[type=hidden][name="${CSS.escape(name)}"]`);
      if (hidden && !hidden.value) {
        hidden.value = found.value;
        const text = hidden.parentElement && hidden.parentElement.querySelector("input[type=text]");
        if (text && !text.value) text.value = found.title || found.text || "";
        return;
      }
      const input = form.elements.namedItem(name);
      if (input && "value" in input && !input.value) input.value = found.text;
    }

    async function refresh() {
      const mine = ++asked;
      const body = new FormData(form);
      body.delete("_action");
      const response = await fetch(url, {method: "POST", body, credentials: "same-origin",
                                         headers: {"X-Requested-With": "fetch"}});
      if (mine !== asked || !response.ok) return;
      const answer = await response.json();
      for (const [name, found] of Object.entries(answer.fetched || {})) fill(name, found);
      const body_ = panel.querySelector("[data-context-panel-body]");
      if (body_) body_.outerHTML = answer.panel;
      panel.dataset.refreshed = String(mine);
    }

    function later() {
      window.clearTimeout(timer);
      timer = window.setTimeout(refresh, DELAY_MS);
    }
    form.addEventListener("change", later);
    // as the problem is typed: similar records and FAQ follow the words
    form.addEventListener("input", (event) => {
      if (event.target.matches("textarea, input[type=text]:not([data-typeahead])")) later();
    });
    refresh();
  }

  // Suggestions of a link narrowed by other fields of the form.
  function narrow() {
    for (const input of document.querySelectorAll("input[data-typeahead-where]")) {
      const where = JSON.parse(input.dataset.typeaheadWhere);
      const base = input.dataset.typeahead.split("?")[0];
      const update = () => {
        const params = new URLSearchParams();
        for (const [field, id] of Object.entries(where)) {
          const source = document.getElementById(id);
          if (source && source.value) params.set(`where.${field}`, source.value);
        }
        const query = params.toString();
        input.dataset.typeahead = query ? `${base}?${query}` : base;
      };
      for (const id of Object.values(where)) {
        const source = document.getElementById(id);
        if (source) source.addEventListener("change", update);
      }
      input.addEventListener("focus", update);
      update();
    }
  }

  // Depends-on rules: a field shown, or marked required, while another has some values.
  function depends(form) {
    const current = (name) => {
      const input = form.elements.namedItem(name);
      if (!input) return undefined;
      if (input.type === "checkbox") return input.checked;
      return input.value;
    };
    const watched = Array.from(form.querySelectorAll("[data-visible-when], [data-required-when]"));
    if (!watched.length) return;
    const apply = () => {
      for (const box of watched) {
        for (const [attribute, act] of [["visibleWhen", (on) => { box.hidden = !on; }],
                                        ["requiredWhen", (on) => {
                                          box.classList.toggle("required-now", on);
                                          for (const input of box.querySelectorAll("input, select, textarea")) {
                                            input.setAttribute("aria-required", String(on));
                                          }
                                        }]]) {
          if (!box.dataset[attribute]) continue;
          const [name, ...values] = JSON.parse(box.dataset[attribute]);
          const value = current(name);
          act(values.some((v) => v === value || String(v) === String(value)));
        }
      }
    };
    form.addEventListener("change", apply);
    apply();
  }

  document.addEventListener("DOMContentLoaded", () => {
    narrow();
    for (const form of document.querySelectorAll("form[data-record-form]")) depends(form);
    for (const form of document.querySelectorAll("form[data-preview]")) setup(form);
  });
})();
