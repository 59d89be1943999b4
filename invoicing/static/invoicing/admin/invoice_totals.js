// Live totals on the invoice form: a preview of what the server computes on save
// (invoicing/totals.py): line total = quantity × unit price, rounded to the currency;
// tax once per rate on the sum of that rate's lines. Amounts are kept in integer minor units.
(function () {
  'use strict';

  const LINE_FIELD = /^lines-(\d+)-(quantity|unit_price|tax_rate|DELETE)$/;

  function parse(value) {
    const text = String(value || '').trim().replace(',', '.');
    const number = Number(text);
    return text && Number.isFinite(number) ? number : null;
  }

  // Half up, like the server, after trimming binary float noise (1.005 × 100 is 100.49999…).
  function roundHalfUp(value) {
    return Math.round(Number(value.toPrecision(12)));
  }

  // The chosen currency, or the chosen website's default one (what the server will use).
  function currencyOf(form) {
    const select = form.querySelector('[name="currency"]');
    const site = form.querySelector('[name="site"]');
    const exponents = JSON.parse(select?.dataset.exponents || '{}');
    const siteCurrencies = JSON.parse(select?.dataset.siteCurrencies || '{}');
    const code = select?.value || siteCurrencies[site?.value] || '';
    return { code, exponent: code in exponents ? exponents[code] : 2 };
  }

  function lines(form) {
    const byIndex = new Map();
    for (const input of form.querySelectorAll('input[name^="lines-"]')) {
      const match = LINE_FIELD.exec(input.name);
      if (!match) continue;
      const line = byIndex.get(match[1]) || {};
      line[match[2]] = input;
      byIndex.set(match[1], line);
    }
    return [...byIndex.values()].filter(
      (line) => line.quantity && line.unit_price && !(line.DELETE && line.DELETE.value === '1'),
    );
  }

  // Writes only changes, so that the MutationObserver below does not wake itself up forever.
  function show(element, text) {
    if (element.textContent !== text) element.textContent = text;
  }

  function format(minor, currency) {
    const amount = (minor / 10 ** currency.exponent).toFixed(currency.exponent);
    return `${amount} ${currency.code}`.trim();
  }

  function lineOutput(line, label) {
    const field = line.tax_rate || line.unit_price;
    const container = field.closest('[data-inline-panel-child], [data-contentpath]') || field.parentElement;
    let output = container.querySelector(':scope > output[data-line-total]');
    if (!output) {
      output = document.createElement('output');
      output.dataset.lineTotal = '';
      output.className = 'invoice-line-total';
      output.setAttribute('aria-label', label);
      container.append(output);
    }
    return output;
  }

  function update(form, panel) {
    const currency = currencyOf(form);
    const scale = 10 ** currency.exponent;
    const baseByRate = new Map();
    for (const line of lines(form)) {
      const quantity = parse(line.quantity.value);
      const price = parse(line.unit_price.value);
      const rate = parse(line.tax_rate && line.tax_rate.value) || 0;
      const output = lineOutput(line, panel.dataset.lineLabel);
      if (quantity === null || price === null) {
        show(output, '');
        continue;
      }
      const minor = roundHalfUp(quantity * price * scale);
      show(output, `${panel.dataset.lineLabel}: ${format(minor, currency)}`);
      baseByRate.set(rate, (baseByRate.get(rate) || 0) + minor);
    }
    let subtotal = 0;
    let tax = 0;
    for (const [rate, base] of baseByRate) {
      subtotal += base;
      tax += roundHalfUp((base * rate) / 100);
    }
    show(panel.querySelector('[data-total="subtotal"]'), format(subtotal, currency));
    show(panel.querySelector('[data-total="tax"]'), format(tax, currency));
    show(panel.querySelector('[data-total="total"]'), format(subtotal + tax, currency));
  }

  function start() {
    const panel = document.querySelector('[data-invoice-totals]');
    const form = panel && panel.closest('form');
    if (!form) return;
    const refresh = () => update(form, panel);
    form.addEventListener('input', refresh);
    form.addEventListener('change', refresh);
    // Lines added or removed by the inline panel change the DOM without an input event.
    new MutationObserver(refresh).observe(form, {
      childList: true,
      subtree: true,
      attributes: true,
      attributeFilter: ['class', 'hidden'],
    });
    refresh();
  }

  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', start);
  } else {
    start();
  }
})();
