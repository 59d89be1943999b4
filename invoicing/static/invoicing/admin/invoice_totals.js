// Live totals on the invoice form: a preview of what the server computes on save
// (invoicing/core/totals.py through services/invoice_totals.py), in integer minor units:
// - a line's amount is quantity × unit price, rounded to the currency;
// - its rate is the chosen catalogue rate's, else the typed one; none when the client's tax
//   treatment charges no tax (exempt, reverse charge);
// - the website's rounding rule: tax once per rate on the sum of that rate's lines ("per_total"),
//   or on each line ("per_line");
// - a discount (a percentage rounded per unit, or a fixed amount shared by largest remainder)
//   comes off each unit before its tax;
// - prices include tax (the tax is the part of the price that is tax) or not (tax is added).
// The tax selects show only the chosen website's rates, and new lines start with its default one.
(function () {
  'use strict';

  const LINE_FIELD = /^lines-(\d+)-(id|quantity|unit_price|tax_rate|tax|DELETE)$/;

  function parse(value) {
    const text = String(value || '').trim().replace(',', '.');
    const number = Number(text);
    return text && Number.isFinite(number) ? number : null;
  }

  // Half away from zero, like the server's ROUND_HALF_UP, after trimming binary float noise
  // (1.005 × 100 is 100.49999…).
  function roundHalfUp(value) {
    const trimmed = Number(value.toPrecision(12));
    return Math.sign(trimmed) * Math.round(Math.abs(trimmed));
  }

  function json(element, name, fallback) {
    try {
      return JSON.parse(element?.dataset[name] || '') ?? fallback;
    } catch (error) {
      return fallback;
    }
  }

  // The chosen currency, or the chosen website's default one (what the server will use), and the
  // website's terms.
  function termsOf(form) {
    const select = form.querySelector('[name="currency"]');
    const site = form.querySelector('[name="site"]')?.value || '';
    const client = form.querySelector('[name="client"]')?.value || '';
    const exponents = json(select, 'exponents', {});
    const siteCurrencies = json(select, 'siteCurrencies', {});
    const code = select?.value || siteCurrencies[site] || '';
    const untaxed = json(select, 'untaxedClients', []).map(String);
    return {
      site,
      currency: { code, exponent: code in exponents ? exponents[code] : 2 },
      rounding: json(select, 'siteRounding', {})[site] || 'per_total',
      taxed: !untaxed.includes(String(client)),
      inclusive: Boolean(form.querySelector('[name="prices_include_tax"]')?.checked),
      discount: json(select, 'discount', {}),
    };
  }

  function lines(form) {
    const byIndex = new Map();
    for (const input of form.querySelectorAll('input[name^="lines-"], select[name^="lines-"]')) {
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

  // Only the website's rates can be chosen; a new line starts with its default rate. A chosen
  // rate fills the typed one (read-only then), which is what the server saves.
  function syncTaxChoice(line, site) {
    const select = line.tax;
    if (!select) return;
    let defaultOption = null;
    for (const option of select.options) {
      if (!option.value) continue;
      const hidden = option.dataset.site !== site;
      if (option.hidden !== hidden) option.hidden = hidden;
      if (hidden && option.selected) option.selected = false;
      if (!hidden && 'default' in option.dataset) defaultOption = option;
    }
    const isNew = !line.id || !line.id.value;
    if (!select.value && isNew && defaultOption && !select.dataset.touched) {
      defaultOption.selected = true;
    }
    const chosen = select.selectedOptions[0];
    if (line.tax_rate) {
      const fromCatalogue = Boolean(chosen && chosen.value);
      if (fromCatalogue && line.tax_rate.value !== chosen.dataset.rate) line.tax_rate.value = chosen.dataset.rate;
      if (line.tax_rate.readOnly !== fromCatalogue) line.tax_rate.readOnly = fromCatalogue;
    }
  }

  function rateOf(line) {
    const chosen = line.tax?.selectedOptions[0];
    if (chosen && chosen.value) return parse(chosen.dataset.rate) || 0;
    return parse(line.tax_rate && line.tax_rate.value) || 0;
  }

  // Writes only changes, so that the MutationObserver below does not wake itself up forever.
  function show(element, text) {
    if (element && element.textContent !== text) element.textContent = text;
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

  // core.totals.share_discount, in minor units.
  function shareDiscount(amounts, discount, scale) {
    if (discount.percent !== undefined) {
      const percent = Math.min(Math.max(parse(discount.percent) || 0, 0), 100);
      return amounts.map((amount) => roundHalfUp((amount * percent) / 100));
    }
    if (discount.amount === undefined) return amounts.map(() => 0);
    const whole = amounts.reduce((sum, amount) => sum + amount, 0);
    const wanted = Math.min(Math.max(roundHalfUp((parse(discount.amount) || 0) * scale), 0), Math.max(whole, 0));
    if (!wanted) return amounts.map(() => 0);
    const exact = amounts.map((amount) => (amount * wanted) / whole);
    const parts = exact.map((share) => Math.floor(Number(share.toPrecision(12))));
    let left = wanted - parts.reduce((sum, part) => sum + part, 0);
    const order = amounts
      .map((amount, index) => index)
      .sort((a, b) => exact[b] - parts[b] - (exact[a] - parts[a]) || amounts[b] - amounts[a] || a - b);
    for (const index of order) {
      if (left <= 0) break;
      parts[index] += 1;
      left -= 1;
    }
    return parts;
  }

  function compute(units, terms, scale) {
    if (terms.rounding !== 'per_line') {
      const byRate = new Map();
      for (const unit of units) byRate.set(unit.rate, (byRate.get(unit.rate) || 0) + unit.amount);
      units = [...byRate.entries()].sort((a, b) => a[0] - b[0]).map(([rate, amount]) => ({ rate, amount }));
    }
    const offs = shareDiscount(
      units.map((unit) => unit.amount),
      terms.discount,
      scale,
    );
    let subtotal = 0;
    let tax = 0;
    units.forEach((unit, index) => {
      const taxed = unit.amount - offs[index];
      const unitTax = terms.inclusive
        ? roundHalfUp((taxed * unit.rate) / (100 + unit.rate))
        : roundHalfUp((taxed * unit.rate) / 100);
      tax += unitTax;
      subtotal += terms.inclusive ? taxed - unitTax : taxed;
    });
    return {
      linesTotal: units.reduce((sum, unit) => sum + unit.amount, 0),
      discount: offs.reduce((sum, off) => sum + off, 0),
      subtotal,
      tax,
      total: subtotal + tax,
    };
  }

  function update(form, panel) {
    const terms = termsOf(form);
    const { currency } = terms;
    const scale = 10 ** currency.exponent;
    const units = [];
    for (const line of lines(form)) {
      syncTaxChoice(line, terms.site);
      const quantity = parse(line.quantity.value);
      const price = parse(line.unit_price.value);
      const output = lineOutput(line, panel.dataset.lineLabel);
      if (quantity === null || price === null) {
        show(output, '');
        continue;
      }
      const minor = roundHalfUp(quantity * price * scale);
      show(output, `${panel.dataset.lineLabel}: ${format(minor, currency)}`);
      units.push({ rate: terms.taxed ? rateOf(line) : 0, amount: minor });
    }
    const totals = compute(units, terms, scale);
    const discountRow = panel.querySelector('[data-total-row="discount"]');
    if (discountRow && discountRow.hidden !== !totals.discount) discountRow.hidden = !totals.discount;
    show(panel.querySelector('[data-total="discount"]'), format(-totals.discount, currency));
    show(panel.querySelector('[data-total="subtotal"]'), format(totals.subtotal, currency));
    show(panel.querySelector('[data-total="tax"]'), format(totals.tax, currency));
    show(panel.querySelector('[data-total="total"]'), format(totals.total, currency));
    const totalLabel = panel.querySelector('[data-total-label="total"]');
    show(totalLabel, terms.inclusive ? panel.dataset.inclusiveLabel : panel.dataset.totalLabel);
  }

  function start() {
    const panel = document.querySelector('[data-invoice-totals]');
    const form = panel && panel.closest('form');
    if (!form) return;
    const refresh = () => update(form, panel);
    form.addEventListener('input', refresh);
    form.addEventListener('change', (event) => {
      // A rate the user set to "typed" stays so: no default is chosen for them again.
      if (LINE_FIELD.exec(event.target.name || '')?.[2] === 'tax') event.target.dataset.touched = '1';
      refresh();
    });
    // Lines added or removed by the inline panel change the DOM without an input event.
    new MutationObserver(refresh).observe(form, {
      childList: true,
      subtree: true,
      attributes: true,
      attributeFilter: ['class', 'hidden'],
    });
    refresh();
  }

  // The computation alone, for the tests that hold it to the server's (tests/unit/test_tax_totals.py).
  if (typeof module !== 'undefined' && module.exports) module.exports = { compute, shareDiscount, roundHalfUp };
  if (typeof document === 'undefined') return;

  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', start);
  } else {
    start();
  }
})();
