/* Corrections: "Right", or which digit it really was, for a result. The forms in
 * _correction.html work without JavaScript (a post and a redirect); this sends the same
 * answer to the JSON API and updates the block in place, so the page keeps its state
 * (the drawing, the other upload results). draw.js calls DigitsCorrection.mount() for
 * the results it renders from the API. No build step. */
(() => {
  "use strict";

  // The same wording as _correction.html: change both together.
  function statusText(digit, trueDigit) {
    if (trueDigit === null) return "Is this right?";
    if (trueDigit === digit) return `✓ Confirmed: it is a ${digit}.`;
    return `Corrected: it was a ${trueDigit}.`;
  }

  function readState(block) {
    const trueDigit = block.dataset.trueDigit;
    return { digit: Number(block.dataset.digit), trueDigit: trueDigit === undefined ? null : Number(trueDigit) };
  }

  function render(block) {
    const { digit, trueDigit } = readState(block);
    const corrected = trueDigit !== null && trueDigit !== digit;
    const status = block.querySelector(".correction-status");
    status.textContent = statusText(digit, trueDigit);
    status.classList.remove("is-error");
    block.classList.toggle("is-confirmed", trueDigit === digit);
    block.classList.toggle("is-corrected", corrected);
    block.querySelector(".correction-right").setAttribute("aria-pressed", String(trueDigit === digit));
    for (const choice of block.querySelectorAll(".digit-choice")) {
      choice.setAttribute("aria-pressed", String(corrected && Number(choice.value) === trueDigit));
    }
    const select = block.querySelector("select");
    if (select) select.value = corrected ? String(trueDigit) : "";
  }

  function showError(block, message) {
    const status = block.querySelector(".correction-status");
    status.textContent = message;
    status.classList.add("is-error");
  }

  async function send(block, trueDigit) {
    if (block.getAttribute("aria-busy") === "true") return; // one answer at a time
    block.setAttribute("aria-busy", "true");
    const token = block.querySelector('input[name="csrfmiddlewaretoken"]').value;
    try {
      let response;
      try {
        response = await fetch(block.dataset.apiUrl, {
          method: "POST",
          credentials: "same-origin",
          headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRFToken": token },
          body: JSON.stringify({ true_digit: trueDigit }),
        });
      } catch (error) {
        throw new Error("Could not reach the server. Check your connection and try again.");
      }
      const answer = await response.json().catch(() => null);
      if (response.status === 401) throw new Error("Your session has ended. Reload the page and log in again.");
      if (!response.ok || !answer) throw new Error((answer && answer.error) || `Not saved (HTTP ${response.status}).`);
      block.dataset.trueDigit = String(answer.true_digit);
      render(block);
    } catch (error) {
      render(block); // the pressed buttons go back to what is stored
      showError(block, error.message);
    } finally {
      block.removeAttribute("aria-busy");
    }
  }

  function ownBlock(element) {
    const block = element.closest(".correction");
    return block && block.dataset.apiUrl ? block : null;
  }

  document.addEventListener("submit", (event) => {
    const block = ownBlock(event.target);
    if (!block) return;
    event.preventDefault();
    const submitter = event.submitter;
    const select = event.target.querySelector("select");
    const value = submitter && submitter.name === "true_digit" ? submitter.value : select && select.value;
    if (value) send(block, Number(value));
  });

  // In the compact form, choosing a digit is the answer; the Save button is for no-JS.
  document.addEventListener("change", (event) => {
    const block = event.target.matches(".correction select") && ownBlock(event.target);
    if (block && event.target.value !== "") send(block, Number(event.target.value));
  });

  function enhance(block) {
    block.classList.add("is-enhanced");
    render(block);
  }

  document.querySelectorAll(".correction[data-api-url]").forEach(enhance);

  window.DigitsCorrection = {
    /* Put a fresh correction block for an API result (it has correction_url and digit)
     * into container, from the page's <template id="correction-template[-compact]">. */
    mount(container, result, { compact = false } = {}) {
      const template = document.getElementById(compact ? "correction-template-compact" : "correction-template");
      if (!template || !container) return;
      const block = template.content.firstElementChild.cloneNode(true);
      block.dataset.apiUrl = result.correction_url;
      block.dataset.digit = String(result.digit);
      if (result.true_digit !== undefined && result.true_digit !== null) block.dataset.trueDigit = String(result.true_digit);
      block.querySelector(".correction-right").value = String(result.digit);
      enhance(block);
      container.replaceChildren(block);
    },
  };
})();
