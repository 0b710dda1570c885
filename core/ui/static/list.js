// List pages: select rows, confirm bulk deletes, keep the filter URL clean.
// Progressive enhancement only: without it the page still filters, sorts and deletes
// (a confirmation page replaces the dialog).
"use strict";
document.addEventListener("DOMContentLoaded", () => {
  const bulk = document.getElementById("bulk");
  if (bulk) {
    const all = bulk.querySelector("[data-select-all]");
    const boxes = () => Array.from(bulk.querySelectorAll("input[type=checkbox][name=id]"));
    const needing = Array.from(bulk.querySelectorAll("[data-needs-selection]"));
    const refresh = () => {
      const checked = boxes().filter((box) => box.checked).length;
      if (all) {
        all.checked = checked > 0 && checked === boxes().length;
        all.indeterminate = checked > 0 && checked < boxes().length;
      }
      for (const button of needing) button.disabled = checked === 0;
    };
    if (all) {
      all.addEventListener("change", () => {
        for (const box of boxes()) box.checked = all.checked;
        refresh();
      });
    }
    bulk.addEventListener("change", (event) => {
      if (event.target.name === "id") refresh();
    });
    const confirmed = bulk.querySelector("[data-confirmed]");
    for (const button of bulk.querySelectorAll("button[type=submit]")) {
      button.addEventListener("click", (event) => {
        if (confirmed) confirmed.value = "";
        if (!button.dataset.confirm) return;
        if (window.confirm(button.dataset.confirm)) {
          if (confirmed) confirmed.value = "1";
        } else {
          event.preventDefault();
        }
      });
    }
    refresh();
  }

  // Leave empty fields out of the URL, so a filtered list's address stays readable.
  const filters = document.getElementById("list-filters");
  if (filters) {
    filters.addEventListener("submit", () => {
      for (const input of filters.querySelectorAll("input, select")) {
        if (!input.value && input.type !== "checkbox") input.disabled = true;
        if (input.type === "radio" && !input.value) input.disabled = true;
      }
    });
    window.addEventListener("pageshow", () => {
      for (const input of filters.querySelectorAll("input:disabled, select:disabled")) {
        input.disabled = false;
      }
    });
  }
});
