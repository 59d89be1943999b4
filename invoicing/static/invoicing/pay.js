// The pay page's card payment. No inline script (the CSP forbids it): the page passes what this
// needs through data- attributes, and the server computes every amount.
//
// Step 1 posts the form (amount choice, credit first or not) and gets a PaymentIntent's client
// secret. Step 2 mounts a card field and confirms. Either way the browser then goes to the return
// URL, where the server reads the intent from Stripe: nothing the browser says is believed.
//
// Two adapters, chosen by the server (data-adapter):
// - "payment-element": Stripe.js from js.stripe.com, its Payment Element and confirmPayment.
// - "card-element": offline only, with localstripe's fake Stripe.js, which has neither. Its card
//   widget makes a token; our server attaches the card and confirms (Stripe's "finalise on the
//   server" flow) and counts a payment that succeeded; confirmCardPayment answers a 3-D Secure
//   check, then the return URL counts it. Production never serves this adapter.
(function () {
  "use strict";

  const form = document.getElementById("card-form");
  if (!form) {
    return;
  }
  const startButton = document.getElementById("card-start");
  const step = document.getElementById("card-step");
  const payButton = document.getElementById("card-pay");
  const amountText = document.getElementById("card-amount");
  const message = document.getElementById("card-message");
  const notice = document.getElementById("card-notice");

  function show(element, text) {
    element.textContent = text || "";
    element.hidden = !text;
  }

  async function post(url, body) {
    const response = await fetch(url, {
      method: "POST",
      body: body,
      credentials: "same-origin",
      headers: { Accept: "application/json" },
    });
    let data = {};
    try {
      data = await response.json();
    } catch (error) {
      // Not JSON: the rate limit's 429 page, or an error page.
      const text = response.status === 429 ? form.dataset.tooMany : form.dataset.genericError;
      data = { error: text || "Something went wrong; please try again." };
    }
    return { ok: response.ok, data: data };
  }

  function csrfToken() {
    return form.querySelector("input[name=csrfmiddlewaretoken]").value;
  }

  function returnTo(checkout, setupId) {
    const url = new URL(checkout.return_url);
    url.searchParams.set("payment_intent", checkout.intent_id);
    if (setupId) {
      url.searchParams.set("setup_intent", setupId);
    }
    window.location.assign(url.toString());
  }

  const adapters = {
    "payment-element": {
      mount(stripe, checkout) {
        this.elements = stripe.elements({ clientSecret: checkout.client_secret });
        this.elements.create("payment").mount("#card-element");
      },
      async confirm(stripe, checkout) {
        // On success Stripe.js navigates to return_url itself; it comes back only with an error.
        const result = await stripe.confirmPayment({
          elements: this.elements,
          confirmParams: { return_url: checkout.return_url },
        });
        return result.error ? result.error.message : "";
      },
    },
    "card-element": {
      mount(stripe) {
        this.card = stripe.elements().create("card");
        this.card.mount("#card-element");
      },
      async confirm(stripe, checkout) {
        if (!this.card.value) {
          return form.dataset.cardMissing || "Enter your card details.";
        }
        // "Charge my card automatically": the card is saved with a SetupIntent first; the server
        // keeps it only once the payment succeeded.
        let setupId = "";
        if (checkout.setup_client_secret) {
          const saved = await stripe.confirmCardSetup(checkout.setup_client_secret, {
            payment_method: { card: this.card },
          });
          if (saved.error) {
            return saved.error.message || String(saved.error);
          }
          setupId = saved.setupIntent.id;
        }
        const made = await stripe.createToken(this.card);
        if (made.error) {
          return made.error.message || String(made.error);
        }
        const body = new FormData();
        body.set("csrfmiddlewaretoken", csrfToken());
        body.set("intent_id", checkout.intent_id);
        body.set("card_id", made.token.card.id);
        body.set("setup_id", setupId);
        const confirmed = await post(checkout.confirm_url, body);
        if (!confirmed.ok) {
          return confirmed.data.error;
        }
        if (confirmed.data.redirect) {
          window.location.assign(confirmed.data.redirect);
          return "";
        }
        if (confirmed.data.status === "requires_action") {
          const checked = await stripe.confirmCardPayment(checkout.client_secret);
          if (checked.error) {
            return checked.error.message || String(checked.error);
          }
        }
        returnTo(checkout, setupId);
        return "";
      },
    },
  };

  if (typeof window.Stripe !== "function") {
    show(message, form.dataset.stripeMissing || "The card form could not be loaded; please reload the page.");
    return;
  }
  const adapter = adapters[form.dataset.adapter];
  let checkout = null;
  let stripe = null;

  form.addEventListener("submit", async function (event) {
    event.preventDefault();
    show(message, "");
    startButton.disabled = true;
    const started = await post(form.action, new FormData(form));
    if (started.data.redirect) {
      window.location.assign(started.data.redirect);
      return;
    }
    // Credit paid part of the balance and replaced the link: the page now lives at the new one.
    const moved = started.data.page_url && started.data.page_url !== window.location.pathname;
    if (!started.ok) {
      if (moved) {
        window.location.assign(started.data.page_url);
        return;
      }
      show(message, started.data.error);
      startButton.disabled = false;
      return;
    }
    if (moved) {
      window.history.replaceState(null, "", started.data.page_url);
    }
    show(notice, started.data.notice);
    checkout = started.data;
    stripe = window.Stripe(checkout.publishable_key);
    adapter.mount(stripe, checkout);
    form.querySelectorAll("fieldset, .use-credit input, .save-card input").forEach(function (field) {
      field.disabled = true;
    });
    startButton.hidden = true;
    show(amountText, checkout.amount);
    step.hidden = false;
  });
  startButton.disabled = false;

  payButton.addEventListener("click", async function () {
    show(message, "");
    payButton.disabled = true;
    const error = await adapter.confirm(stripe, checkout);
    if (error) {
      show(message, error);
      payButton.disabled = false;
    }
  });
})();
