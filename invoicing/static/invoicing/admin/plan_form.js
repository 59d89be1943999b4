// The "Set payment plan" form: the sum of the custom amounts, as they are typed, against the total.
// Only a guide: the server checks the sum exactly, in Decimal.
(function () {
  "use strict";

  const form = document.querySelector("[data-plan-form]");
  if (!form) {
    return;
  }
  const output = form.querySelector("[data-plan-sum]");
  const places = Number(form.dataset.exponent || 2);
  const scale = Math.pow(10, places);
  // Minor units, as integers: no float drift in the sum.
  const toMinor = (text) => {
    const value = String(text || "").trim().replace(",", ".");
    if (!/^\d+(\.\d*)?$/.test(value)) {
      return null;
    }
    return Math.round(Number(value) * scale);
  };
  const total = toMinor(form.dataset.total);
  const template = output.textContent;

  function update() {
    let sum = 0;
    form.querySelectorAll("input[name$='-amount']").forEach(function (input) {
      const minor = toMinor(input.value);
      if (minor !== null) {
        sum += minor;
      }
    });
    const difference = (total - sum) / scale;
    output.textContent =
      template +
      " " +
      (sum / scale).toFixed(places) +
      (difference === 0 ? " ✓" : " (" + (difference > 0 ? "−" : "+") + Math.abs(difference).toFixed(places) + ")");
  }

  form.addEventListener("input", update);
  update();
})();
