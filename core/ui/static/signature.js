// Signature pads: draw with a mouse, a pen or a finger (pointer events) on a canvas; the
// drawing is kept as a PNG data URL in a hidden input and stored with the record as an image.
"use strict";
(() => {
  function setup(pad) {
    const canvas = pad.querySelector("canvas");
    const value = pad.querySelector("input[data-signature-value]");
    const clear = pad.querySelector("[data-signature-clear]");
    if (!canvas || !value) return;
    const context = canvas.getContext("2d");
    context.lineWidth = 2.5;
    context.lineCap = "round";
    context.lineJoin = "round";
    context.strokeStyle = "#111";
    let drawing = false;
    let drawn = false;
    let last = null;

    function point(event) {
      const box = canvas.getBoundingClientRect();
      return {x: (event.clientX - box.left) * (canvas.width / box.width),
              y: (event.clientY - box.top) * (canvas.height / box.height)};
    }
    function save() {
      if (drawn) value.value = canvas.toDataURL("image/png");
    }
    canvas.style.touchAction = "none";  // no scrolling while signing on a touch screen
    canvas.addEventListener("pointerdown", (event) => {
      drawing = true;
      last = point(event);
      canvas.setPointerCapture(event.pointerId);
      context.beginPath();
      context.arc(last.x, last.y, context.lineWidth / 2, 0, Math.PI * 2);
      context.fillStyle = context.strokeStyle;
      context.fill();
      drawn = true;
      event.preventDefault();
    });
    canvas.addEventListener("pointermove", (event) => {
      if (!drawing) return;
      const events = event.getCoalescedEvents ? event.getCoalescedEvents() : [event];
      for (const each of events.length ? events : [event]) {
        const next = point(each);
        context.beginPath();
        context.moveTo(last.x, last.y);
        context.lineTo(next.x, next.y);
        context.stroke();
        last = next;
      }
      event.preventDefault();
    });
    for (const type of ["pointerup", "pointercancel", "pointerleave"]) {
      canvas.addEventListener(type, () => {
        if (!drawing) return;
        drawing = false;
        save();
        if (clear) clear.hidden = false;
      });
    }
    if (clear) {
      clear.addEventListener("click", () => {
        context.clearRect(0, 0, canvas.width, canvas.height);
        drawn = false;
        value.value = "";
        clear.hidden = true;
      });
    }
    // A drawing kept from a form shown again after an error.
    if (value.value.startsWith("data:image/png;base64,")) {
      const image = new Image();
      image.addEventListener("load", () => {
        context.drawImage(image, 0, 0);
        drawn = true;
        if (clear) clear.hidden = false;
      });
      image.src = value.value;
    }
  }
  document.addEventListener("DOMContentLoaded", () => {
    document.querySelectorAll("[data-signature]").forEach(setup);
  });
})();
