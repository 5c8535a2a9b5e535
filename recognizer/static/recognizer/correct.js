/* Corrections: "Right", or which digit (or number) it really was, for a result. The
 * forms in _correction.html work without JavaScript (a post and a redirect); this sends
 * the same answer to the JSON API and updates the block in place, so the page keeps its
 * state (the drawing, the other upload results). draw.js calls DigitsCorrection.mount()
 * for the results it renders from the API. A block with data-mode="number" answers
 * with true_number (a string of digits), any other with true_digit. No build step. */
(() => {
  "use strict";

  const isNumber = (block) => block.dataset.mode === "number";

  // The same wording as _correction.html: change both together.
  function statusText(answer, trueAnswer, number) {
    // "it is a 7", "it is an 8", "it is 2026" (a_digit in recognizer_tags.py)
    const said = (value) => (number ? value : `${value === "8" ? "an" : "a"} ${value}`);
    if (trueAnswer === null) return "Is this right?";
    if (trueAnswer === answer) return `✓ Confirmed: it is ${said(answer)}.`;
    return `Corrected: it was ${said(trueAnswer)}.`;
  }

  /* The predicted and the true answer as strings ("7", "2026"); the true one is null
   * until the user said. */
  function readState(block) {
    const { digit, trueDigit, number, trueNumber } = block.dataset;
    if (isNumber(block)) return { answer: number, trueAnswer: trueNumber || null };
    return { answer: digit, trueAnswer: trueDigit === undefined ? null : trueDigit };
  }

  function writeTrueAnswer(block, trueAnswer) {
    if (isNumber(block)) block.dataset.trueNumber = trueAnswer;
    else block.dataset.trueDigit = trueAnswer;
  }

  function render(block) {
    const { answer, trueAnswer } = readState(block);
    const corrected = trueAnswer !== null && trueAnswer !== answer;
    const status = block.querySelector(".correction-status");
    status.textContent = statusText(answer, trueAnswer, isNumber(block));
    status.classList.remove("is-error");
    block.classList.toggle("is-confirmed", trueAnswer === answer);
    block.classList.toggle("is-corrected", corrected);
    block.querySelector(".correction-right").setAttribute("aria-pressed", String(trueAnswer === answer));
    for (const choice of block.querySelectorAll(".digit-choice")) {
      choice.setAttribute("aria-pressed", String(corrected && choice.value === trueAnswer));
    }
    const field = block.querySelector("select, .correction-number-input");
    if (field) field.value = corrected ? trueAnswer : "";
  }

  function showError(block, message) {
    const status = block.querySelector(".correction-status");
    status.textContent = message;
    status.classList.add("is-error");
  }

  async function send(block, value) {
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
          body: JSON.stringify(isNumber(block) ? { true_number: value } : { true_digit: Number(value) }),
        });
      } catch (error) {
        throw new Error("Could not reach the server. Check your connection and try again.");
      }
      const answer = await response.json().catch(() => null);
      if (response.status === 401) throw new Error("Your session has ended. Reload the page and log in again.");
      if (!response.ok || !answer) throw new Error((answer && answer.error) || `Not saved (HTTP ${response.status}).`);
      writeTrueAnswer(block, String(isNumber(block) ? answer.true_number : answer.true_digit));
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
    const field = event.target.querySelector("select, .correction-number-input");
    const value = submitter && submitter.value ? submitter.value : field && field.value.trim();
    if (value) send(block, value);
  });

  // In the compact form, choosing a digit is the answer; the Save button is for no-JS.
  document.addEventListener("change", (event) => {
    const block = event.target.matches(".correction select") && ownBlock(event.target);
    if (block && event.target.value !== "") send(block, event.target.value);
  });

  function enhance(block) {
    block.classList.add("is-enhanced");
    render(block);
  }

  document.querySelectorAll(".correction[data-api-url]").forEach(enhance);

  window.DigitsCorrection = {
    /* Put a fresh correction block for an API result (it has correction_url, and digit
     * or, with mode "number", number) into container, from the page's
     * <template id="correction-template[-compact|-number]">. */
    mount(container, result, { compact = false } = {}) {
      const number = result.mode === "number";
      const name = number ? "correction-template-number" : compact ? "correction-template-compact" : "correction-template";
      const template = document.getElementById(name);
      if (!template || !container) return;
      const block = template.content.firstElementChild.cloneNode(true);
      block.dataset.apiUrl = result.correction_url;
      const answer = String(number ? result.number : result.digit);
      block.dataset[number ? "number" : "digit"] = answer;
      const trueAnswer = number ? result.true_number : result.true_digit;
      if (trueAnswer !== undefined && trueAnswer !== null && trueAnswer !== "") writeTrueAnswer(block, String(trueAnswer));
      block.querySelector(".correction-right").value = answer;
      enhance(block);
      container.replaceChildren(block);
    },
  };
})();
