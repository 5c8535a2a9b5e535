/* The Copy button next to a new API token. The clipboard API works only on HTTPS (and
 * localhost); elsewhere the token is selected so that Ctrl+C / Cmd+C copies it. Without
 * JavaScript the button stays hidden and the token can be selected by hand. */
(() => {
  "use strict";

  function selectText(element) {
    const range = document.createRange();
    range.selectNodeContents(element);
    const selection = window.getSelection();
    selection.removeAllRanges();
    selection.addRange(range);
  }

  for (const button of document.querySelectorAll("[data-copy-target]")) {
    const target = document.getElementById(button.dataset.copyTarget);
    const status = button.closest("section").querySelector(".token-copy-status");
    if (!target) continue;
    button.hidden = false;
    button.addEventListener("click", async () => {
      try {
        await navigator.clipboard.writeText(target.textContent.trim());
        status.textContent = "Copied to the clipboard.";
      } catch (error) {
        selectText(target);
        status.textContent = "Selected: press Ctrl+C (or ⌘C) to copy.";
      }
    });
  }
})();
