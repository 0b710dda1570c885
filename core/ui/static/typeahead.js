// Officina's type-ahead: pick a record of another entity by typing part of its title.
//
// Markup: a text input with data-typeahead="/app/<target>/lookup" and a hidden input that
// holds the chosen record's id, named by data-typeahead-value="<id of the hidden input>"
// (or else the first hidden input in the same parent element):
//
//   <input type="text" id="customer-text" data-typeahead="/app/customer/lookup"
//          data-typeahead-value="customer-id" autocomplete="off">
//   <input type="hidden" id="customer-id" name="customer" value="">
//
// The lookup answers [{"id": .., "ref": .., "title": ..}]. Keyboard: up/down move through
// the suggestions, Enter chooses, Escape closes; ARIA combobox with a listbox popup.
// Editing the text after a choice clears the id. Inputs added later (e.g. new lines of a
// child table) are attached automatically; window.OfficinaTypeahead.attach(input) does it
// by hand. Choosing fires "typeahead:select" on the text input ({detail: {id, ref, title}})
// and "change" on the hidden input.
"use strict";
(() => {
  const DELAY_MS = 200;
  const LIMIT = 10;
  let counter = 0;

  // The widget's styles live next to this script; load them once (CSP allows 'self').
  const script = document.currentScript;
  if (script && script.src && !document.querySelector("link[data-typeahead-css]")) {
    const link = document.createElement("link");
    link.rel = "stylesheet";
    link.href = script.src.replace(/typeahead\.js(\?.*)?$/, "typeahead.css");
    link.dataset.typeaheadCss = "";
    document.head.appendChild(link);
  }

  function attach(input) {
    if (input.dataset.typeaheadReady) return;
    input.dataset.typeaheadReady = "1";
    counter += 1;
    const url = input.dataset.typeahead;
    const hidden = (input.dataset.typeaheadValue &&
                    document.getElementById(input.dataset.typeaheadValue)) ||
                   (input.parentElement && input.parentElement.querySelector("input[type=hidden]"));
    const wrapper = input.parentElement;
    wrapper.classList.add("typeahead");
    const list = document.createElement("ul");
    list.id = `typeahead-list-${counter}`;
    list.className = "typeahead-list";
    list.setAttribute("role", "listbox");
    list.hidden = true;
    input.after(list);
    input.setAttribute("role", "combobox");
    input.setAttribute("aria-autocomplete", "list");
    input.setAttribute("aria-expanded", "false");
    input.setAttribute("aria-controls", list.id);
    input.setAttribute("autocomplete", "off");

    let items = [];
    let active = -1;
    let timer = null;
    let asked = 0;
    let chosenText = input.value;

    function close() {
      list.hidden = true;
      input.setAttribute("aria-expanded", "false");
      input.removeAttribute("aria-activedescendant");
      active = -1;
    }

    function highlight(index) {
      const options = list.querySelectorAll("[role=option]:not([aria-disabled])");
      if (!options.length) return;
      active = (index + options.length) % options.length;
      options.forEach((option, i) => option.setAttribute("aria-selected", String(i === active)));
      input.setAttribute("aria-activedescendant", options[active].id);
      options[active].scrollIntoView({block: "nearest"});
    }

    function choose(index) {
      const item = items[index];
      if (!item) return;
      input.value = item.title;
      chosenText = item.title;
      if (hidden) {
        hidden.value = String(item.id);
        hidden.dispatchEvent(new Event("change", {bubbles: true}));
      }
      input.dispatchEvent(new CustomEvent("typeahead:select", {bubbles: true, detail: item}));
      close();
    }

    function render(found) {
      items = found;
      list.replaceChildren();
      if (!found.length) {
        const empty = document.createElement("li");
        empty.setAttribute("role", "option");
        empty.setAttribute("aria-disabled", "true");
        empty.className = "typeahead-empty";
        empty.textContent = input.dataset.typeaheadEmpty || "—";
        list.appendChild(empty);
      }
      found.forEach((item, index) => {
        const option = document.createElement("li");
        option.id = `${list.id}-${index}`;
        option.setAttribute("role", "option");
        option.setAttribute("aria-selected", "false");
        const title = document.createElement("span");
        title.textContent = item.title;
        option.appendChild(title);
        if (item.ref && item.ref !== item.title) {
          const ref = document.createElement("span");
          ref.className = "typeahead-ref";
          ref.textContent = item.ref;
          option.appendChild(ref);
        }
        option.addEventListener("mousedown", (event) => {
          event.preventDefault();  // keep the focus in the input
          choose(index);
        });
        list.appendChild(option);
      });
      list.hidden = false;
      input.setAttribute("aria-expanded", "true");
      active = -1;
    }

    async function search() {
      const ticket = ++asked;
      const current = input.dataset.typeahead || url;  // live forms may narrow it (where.*)
      const address = `${current}${current.includes("?") ? "&" : "?"}q=${encodeURIComponent(input.value.trim())}&limit=${LIMIT}`;
      try {
        const response = await fetch(address, {credentials: "same-origin",
                                                headers: {Accept: "application/json"}});
        if (!response.ok || ticket !== asked) return;
        const found = await response.json();
        if (ticket === asked && document.activeElement === input) render(found);
      } catch (_error) {
        close();
      }
    }

    input.addEventListener("input", () => {
      if (hidden && hidden.value && input.value !== chosenText) {
        hidden.value = "";
        hidden.dispatchEvent(new Event("change", {bubbles: true}));
      }
      clearTimeout(timer);
      timer = setTimeout(search, DELAY_MS);
    });
    input.addEventListener("keydown", (event) => {
      if (event.key === "ArrowDown" || event.key === "ArrowUp") {
        event.preventDefault();
        if (list.hidden) {
          search();
          return;
        }
        highlight(active + (event.key === "ArrowDown" ? 1 : -1));
      } else if (event.key === "Enter") {
        if (!list.hidden && active >= 0) {
          event.preventDefault();
          choose(active);
        }
      } else if (event.key === "Escape") {
        if (!list.hidden) {
          event.preventDefault();
          close();
        }
      } else if (event.key === "Tab") {
        close();
      }
    });
    input.addEventListener("blur", () => setTimeout(close, 150));
  }

  function attachAll(root) {
    if (root.matches && root.matches("input[data-typeahead]")) attach(root);
    if (root.querySelectorAll) root.querySelectorAll("input[data-typeahead]").forEach(attach);
  }

  window.OfficinaTypeahead = {attach};
  document.addEventListener("DOMContentLoaded", () => {
    attachAll(document);
    new MutationObserver((changes) => {
      for (const change of changes) change.addedNodes.forEach(attachAll);
    }).observe(document.body, {childList: true, subtree: true});
  });
})();
