// Record forms: keyboard-operable tabs, child lines (add, remove, reorder) and image previews.
// Progressive enhancement: without this script the tabs are stacked sections and the line
// buttons submit the form, which comes back with the change.
"use strict";
(() => {
  function setupTabs(form) {
    const tablist = form.querySelector("[role=tablist]");
    if (!tablist) return;
    const tabs = Array.from(tablist.querySelectorAll("[role=tab]"));
    const panels = tabs.map((tab) => document.getElementById(tab.getAttribute("aria-controls")));
    panels.forEach((panel, i) => {
      panel.setAttribute("role", "tabpanel");
      panel.setAttribute("aria-labelledby", tabs[i].id);
      panel.tabIndex = 0;
      const heading = panel.querySelector(".tab-heading");
      if (heading) heading.classList.add("visually-hidden");
    });
    function select(index, focus) {
      tabs.forEach((tab, i) => {
        const chosen = i === index;
        tab.setAttribute("aria-selected", String(chosen));
        tab.tabIndex = chosen ? 0 : -1;
        panels[i].hidden = !chosen;
      });
      if (focus) tabs[index].focus();
    }
    tabs.forEach((tab, i) => {
      tab.addEventListener("click", () => select(i, false));
      tab.addEventListener("keydown", (event) => {
        const last = tabs.length - 1;
        const moves = {ArrowRight: i === last ? 0 : i + 1, ArrowLeft: i === 0 ? last : i - 1,
                       Home: 0, End: last};
        if (event.key in moves) {
          event.preventDefault();
          select(moves[event.key], true);
        }
      });
    });
    tablist.hidden = false;
    const withErrors = tabs.findIndex((tab) => tab.hasAttribute("data-has-errors"));
    select(withErrors >= 0 ? withErrors : 0, false);
    // A field inside a hidden tab that the browser wants to report as invalid: show its tab.
    form.addEventListener("invalid", (event) => {
      const panel = event.target.closest("[role=tabpanel]");
      if (panel && panel.hidden) select(panels.indexOf(panel), false);
    }, true);
    // Links of the error summary open the tab of their field.
    for (const link of document.querySelectorAll("#form-summary a[href^='#']")) {
      link.addEventListener("click", () => {
        const target = document.getElementById(link.getAttribute("href").slice(1));
        const panel = target && target.closest("[role=tabpanel]");
        if (panel && panel.hidden) select(panels.indexOf(panel), false);
      });
    }
  }

  // Line inputs are named "<table>.<n>.<field>" and their ids "f-<table>-<n>-<field>":
  // after rows move, number them again so the server reads them in their new order.
  function renumber(container) {
    const table = container.dataset.lines;
    const rows = container.querySelectorAll("[data-lines-body] > tr[data-line]");
    const names = new RegExp(`^${table}\\.(\\d+|__index__)\\.`);
    const ids = new RegExp(`^f-${table}-(\\d+|__index__)-`);
    rows.forEach((row, index) => {
      const number = row.querySelector(".line-number");
      if (number && number.firstChild && number.firstChild.nodeType === Node.TEXT_NODE) {
        number.firstChild.textContent = String(index + 1);
      }
      for (const element of row.querySelectorAll("*")) {
        if (element.name) element.name = element.name.replace(names, `${table}.${index}.`);
        for (const attribute of ["id", "for", "aria-describedby", "data-typeahead-value",
                                 "aria-controls"]) {
          const value = element.getAttribute(attribute);
          if (value) {
            element.setAttribute(attribute, value.split(" ")
              .map((part) => part.replace(ids, `f-${table}-${index}-`)).join(" "));
          }
        }
        if (element.matches("button[name=_action]")) {
          element.value = element.value.replace(/:(\d+|__index__)$/, `:${index}`);
        }
      }
    });
  }

  function setupLines(container) {
    const body = container.querySelector("[data-lines-body]");
    const template = container.querySelector("template[data-line-template]");
    if (!body || !template) return;
    container.addEventListener("click", (event) => {
      const button = event.target.closest("button[name=_action]");
      if (!button || !container.contains(button)) return;
      const row = button.closest("tr[data-line]");
      if (button.hasAttribute("data-line-add")) {
        event.preventDefault();
        const fresh = template.content.firstElementChild.cloneNode(true);
        body.appendChild(fresh);
        renumber(container);
        const first = fresh.querySelector("input:not([type=hidden]), select, textarea");
        if (first) first.focus();
      } else if (row && button.hasAttribute("data-line-remove")) {
        event.preventDefault();
        const next = row.nextElementSibling || row.previousElementSibling;
        row.remove();
        renumber(container);
        const focus = next && next.querySelector("[data-line-remove]");
        (focus || container.querySelector("[data-line-add]")).focus();
      } else if (row && button.hasAttribute("data-line-up")) {
        event.preventDefault();
        if (row.previousElementSibling) row.previousElementSibling.before(row);
        renumber(container);
        row.querySelector("[data-line-up]").focus();
      } else if (row && button.hasAttribute("data-line-down")) {
        event.preventDefault();
        if (row.nextElementSibling) row.nextElementSibling.after(row);
        renumber(container);
        row.querySelector("[data-line-down]").focus();
      }
    });
  }

  function setupPreviews(root) {
    for (const wrapper of root.querySelectorAll("[data-file-field]")) {
      const input = wrapper.querySelector("input[type=file]");
      const preview = wrapper.querySelector("img[data-preview]");
      if (!input || !preview) continue;
      input.addEventListener("change", () => {
        const file = input.files && input.files[0];
        if (!file || !file.type.startsWith("image/")) {
          preview.hidden = true;
          return;
        }
        const reader = new FileReader();  // a data: URL, which the page's CSP allows
        reader.addEventListener("load", () => {
          preview.src = reader.result;
          preview.hidden = false;
        });
        reader.readAsDataURL(file);
      });
    }
  }

  document.addEventListener("DOMContentLoaded", () => {
    for (const form of document.querySelectorAll("form[data-record-form]")) {
      setupTabs(form);
      form.querySelectorAll("[data-lines]").forEach(setupLines);
      setupPreviews(form);
    }
    const summary = document.getElementById("form-summary");
    if (summary) summary.focus();
  });
})();
