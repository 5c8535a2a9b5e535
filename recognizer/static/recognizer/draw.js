/* The draw page: the Digit / Number switch, the recognize call to the JSON API, the
 * result, and uploads by file picker or drag and drop. The canvas itself is canvas.js,
 * the result markup results.js and the correction control correct.js. No build step. */
(() => {
  "use strict";

  const drawPage = document.getElementById("draw-page");
  const workspace = document.getElementById("workspace");
  if (!drawPage || !workspace) return;

  const { element, formatPercent, renderBars, renderBoxes, renderDigits } = window.DigitsResults;
  const API_URL = workspace.dataset.apiUrl;
  const CSRF_TOKEN = document.querySelector('meta[name="csrf-token"]').content;
  const MAX_FILES = 20;
  const BROWSER_IMAGE_TYPES = ["image/png", "image/jpeg", "image/gif", "image/webp", "image/bmp"];
  const MODES = ["digit", "number"];
  // The last mode used is a cookie, not localStorage, so that the server already renders
  // the page in that mode: no square canvas flashing before it turns wide.
  const MODE_COOKIE = "digits_mode";
  // What the canvas is called and what a blank one asks for, by mode.
  const CANVAS_LABELS = {
    digit: "Drawing area. Draw a digit with a mouse, finger or pen.",
    number: "Wide drawing area. Draw a number, its digits side by side, with a mouse, finger or pen.",
  };
  const BLANK_MESSAGES = { digit: "Draw a digit first", number: "Draw a number first" };

  const byId = (id) => document.getElementById(id);
  const canvas = byId("digit-canvas");
  const frame = byId("canvas-frame");
  const undoButton = byId("undo");
  const clearButton = byId("clear");
  const recognizeButton = byId("recognize");
  const drawStatus = byId("draw-status");
  const resultEmpty = byId("result-empty");
  const resultError = byId("result-error");
  const resultBodies = { digit: byId("result-body"), number: byId("number-result-body") };
  const modeInputs = Array.from(document.querySelectorAll('input[name="draw-mode"]'));

  let mode = drawPage.dataset.mode === "number" ? "number" : "digit";
  let recognizing = false;
  const shown = { digit: false, number: false }; // whether each mode's result body has a result
  let numberImageUrl = null; // the object URL of the drawing the number result shows

  const pad = window.DigitsCanvas.create(canvas, {
    onChange(hasInk) {
      frame.classList.toggle("has-ink", hasInk);
      undoButton.disabled = !hasInk;
      if (hasInk) setStatus("");
    },
  });

  function setStatus(message) {
    drawStatus.textContent = message;
  }

  // --- Digit or Number -------------------------------------------------------------------

  function rememberMode(value) {
    const secure = window.location.protocol === "https:" ? "; Secure" : "";
    document.cookie = `${MODE_COOKIE}=${value}; Path=/; Max-Age=31536000; SameSite=Lax${secure}`;
  }

  function setMode(next, { remember = true } = {}) {
    mode = MODES.includes(next) ? next : "digit";
    drawPage.dataset.mode = mode; // CSS: the canvas shape and which texts show
    modeInputs.forEach((input) => {
      input.checked = input.value === mode;
    });
    canvas.setAttribute("aria-label", CANVAS_LABELS[mode]);
    pad.use(mode); // each mode keeps its own drawing
    setStatus("");
    resultError.hidden = true;
    Object.entries(resultBodies).forEach(([name, body]) => {
      body.hidden = name !== mode || !shown[name];
    });
    resultEmpty.hidden = shown[mode];
    if (!remember) return;
    rememberMode(mode);
    // The address says the mode, so a reload or a shared link opens the same one.
    const url = new URL(window.location.href);
    if (mode === "number") url.searchParams.set("mode", "number");
    else url.searchParams.delete("mode");
    window.history.replaceState(window.history.state, "", url);
  }

  modeInputs.forEach((input) => input.addEventListener("change", () => input.checked && setMode(input.value)));

  // --- Recognizing -----------------------------------------------------------------------

  async function postImage(blob, filename, source) {
    const body = new FormData();
    body.append("image", blob, filename);
    body.append("source", source);
    body.append("mode", mode);
    let response;
    try {
      response = await fetch(API_URL, {
        method: "POST",
        body,
        credentials: "same-origin",
        headers: { "X-CSRFToken": CSRF_TOKEN, Accept: "application/json" },
      });
    } catch (error) {
      throw new Error("Could not reach the server. Check your connection and try again.");
    }
    const answer = await response.json().catch(() => null);
    if (response.status === 201 && answer) {
      addRecent(answer);
      return answer;
    }
    if (response.status === 401) throw new Error("Your session has ended. Reload the page and log in again.");
    throw new Error((answer && answer.error) || `Recognition failed (HTTP ${response.status}).`);
  }

  /* The Recent strip, as the server renders it (draw.html), newest first. */
  function addRecent(result) {
    const list = byId("recent-list");
    const link = element("a", "recent-item");
    link.href = result.url;
    const thumbnail = element("img");
    thumbnail.src = result.thumbnail_url;
    thumbnail.alt = "";
    const spoken = `Recognized as ${result.answer}, ${formatPercent(result.confidence)} confident`;
    link.append(thumbnail, element("span", "recent-digit", result.answer), element("span", "visually-hidden", spoken));
    const item = element("li");
    item.append(link);
    list.prepend(item);
    while (list.children.length > Number(list.dataset.limit)) list.lastElementChild.remove();
    byId("recent").hidden = false;
  }

  async function recognize() {
    if (pad.isEmpty) {
      setStatus(BLANK_MESSAGES[mode]);
      canvas.focus();
      return;
    }
    if (recognizing) return;
    recognizing = true;
    recognizeButton.disabled = true;
    recognizeButton.textContent = "Recognizing…";
    try {
      const drawing = await pad.exportPng();
      const result = await postImage(drawing, "drawing.png", "canvas");
      if (result.mode === "number") showNumberResult(result, drawing);
      else showDigitResult(result);
    } catch (error) {
      showError(error.message);
    } finally {
      recognizing = false;
      recognizeButton.disabled = false;
      recognizeButton.textContent = "Recognize";
    }
  }

  function showBody(name) {
    shown[name] = true;
    resultEmpty.hidden = true;
    resultError.hidden = true;
    resultBodies[name].hidden = false;
  }

  function showDigitResult(result) {
    showBody("digit");
    byId("prediction").textContent = String(result.digit);
    byId("confidence").textContent = formatPercent(result.confidence);
    byId("model-input").src = result.model_input;
    byId("result-link").href = result.url;
    renderBars(byId("bars"), result.probabilities, result.digit);
    byId("several-digits-hint").hidden = !result.several_digits;
    window.DigitsCorrection?.mount(byId("result-correction"), result);
  }

  function showNumberResult(result, drawing) {
    showBody("number");
    // The boxes are drawn over exactly the image that was sent.
    if (numberImageUrl) URL.revokeObjectURL(numberImageUrl);
    numberImageUrl = URL.createObjectURL(drawing);
    byId("number-image").src = numberImageUrl;
    byId("number-prediction").textContent = result.number;
    byId("number-confidence").textContent = formatPercent(result.confidence);
    byId("number-model-input").src = result.model_input;
    byId("number-result-link").href = result.url;
    renderBoxes(byId("number-boxes"), result.digits);
    renderDigits(byId("number-digits"), result.digits);
    window.DigitsCorrection?.mount(byId("number-correction"), result);
  }

  function showError(message) {
    resultEmpty.hidden = true;
    resultError.textContent = message;
    resultError.hidden = false;
  }

  // After a mouse or touch click, give the keyboard back to the canvas, so Enter
  // recognizes rather than pressing Undo again. Keyboard users keep their focus.
  const refocusCanvas = (event) => {
    if (event.detail > 0) canvas.focus({ preventScroll: true });
  };
  function clearDrawing() {
    pad.clear();
    setStatus("");
  }
  undoButton.addEventListener("click", (event) => {
    pad.undo();
    refocusCanvas(event);
  });
  clearButton.addEventListener("click", (event) => {
    clearDrawing();
    refocusCanvas(event);
  });
  recognizeButton.addEventListener("click", recognize);

  document.addEventListener("keydown", (event) => {
    if (event.defaultPrevented || event.isComposing) return;
    const target = event.target;
    // Keys typed into controls belong to them (Enter on a button presses that button).
    const inControl = target !== canvas && target.closest("input, textarea, select, button, a, [contenteditable]");
    if (inControl) return;
    if (event.key === "Enter" && !event.repeat) {
      event.preventDefault();
      recognize();
    } else if (event.key === "Escape") {
      event.preventDefault();
      clearDrawing();
    } else if ((event.ctrlKey || event.metaKey) && event.key.toLowerCase() === "z") {
      event.preventDefault();
      pad.undo();
    }
  });

  // --- Uploads: the file picker and drag and drop (in the page's mode) -------------------

  const uploadForm = byId("upload-form");
  const fileInput = uploadForm.querySelector('input[type="file"]');
  const uploadResults = byId("upload-results");
  const cardTemplate = byId("result-item-template");
  const dropOverlay = byId("drop-overlay");
  uploadForm.classList.add("is-enhanced"); // CSS: the label becomes the button, the page's switch the mode

  function uploadCard(file) {
    const card = cardTemplate.content.firstElementChild.cloneNode(true);
    const slot = (name) => card.querySelector(`[data-slot="${name}"]`);
    slot("name").textContent = file.name || "image";
    slot("name").title = file.name || "";
    const thumbnail = slot("thumbnail");
    // Show the file at once where the browser can; others get the server's thumbnail
    // once recognized. A file that is not really an image shows no broken icon.
    thumbnail.hidden = true;
    thumbnail.addEventListener("load", () => {
      thumbnail.hidden = false;
      if (thumbnail.src.startsWith("blob:")) URL.revokeObjectURL(thumbnail.src);
    });
    thumbnail.addEventListener("error", () => {
      thumbnail.hidden = true;
    });
    if (BROWSER_IMAGE_TYPES.includes(file.type)) thumbnail.src = URL.createObjectURL(file);
    return { card, slot };
  }

  function fillCard(slot, result) {
    slot("pending").hidden = true;
    slot("result").hidden = false;
    slot("confidence").textContent = formatPercent(result.confidence);
    slot("model-input").src = result.model_input;
    slot("link").href = result.url;
    if (slot("thumbnail").hidden) slot("thumbnail").src = result.thumbnail_url;
    if (result.mode === "number") {
      slot("digit").textContent = result.number;
      slot("digit").classList.add("number-medium");
      slot("model-input").hidden = true; // the digits below say it better in a narrow card
      renderBoxes(slot("boxes"), result.digits);
      renderDigits(slot("digits"), result.digits);
      slot("bars").hidden = true;
    } else {
      slot("digit").textContent = String(result.digit);
      renderBars(slot("bars"), result.probabilities, result.digit);
      slot("digits").hidden = true;
      slot("several-digits").hidden = !result.several_digits;
    }
    window.DigitsCorrection?.mount(slot("correction"), result, { compact: true });
  }

  async function uploadFiles(fileList) {
    const files = Array.from(fileList);
    if (files.length === 0) return;
    const accepted = files.slice(0, MAX_FILES);
    const cards = [...accepted, ...files.slice(MAX_FILES)].map(uploadCard);
    uploadResults.prepend(...cards.map(({ card }) => card));
    cards.slice(MAX_FILES).forEach(({ card, slot }) => showCardError(card, slot, `At most ${MAX_FILES} images at a time.`));
    // One at a time: results arrive in order and the server is not flooded.
    for (let i = 0; i < accepted.length; i += 1) {
      const { card, slot } = cards[i];
      try {
        fillCard(slot, await postImage(accepted[i], accepted[i].name || "upload", "upload"));
      } catch (error) {
        showCardError(card, slot, error.message);
      }
    }
  }

  function showCardError(card, slot, message) {
    card.classList.add("is-error");
    slot("pending").hidden = true;
    slot("error").textContent = message;
    slot("error").hidden = false;
  }

  uploadForm.addEventListener("submit", (event) => {
    event.preventDefault();
    uploadFiles(fileInput.files);
    uploadForm.reset();
  });
  fileInput.addEventListener("change", () => {
    uploadFiles(fileInput.files);
    uploadForm.reset();
  });

  // Files may be dropped anywhere on the page. dragenter/dragleave fire for every child
  // element, so a counter tells when the pointer has really left the window.
  let dragDepth = 0;
  const carriesFiles = (event) => Array.from(event.dataTransfer?.types || []).includes("Files");
  document.addEventListener("dragenter", (event) => {
    if (!carriesFiles(event)) return;
    event.preventDefault();
    dragDepth += 1;
    dropOverlay.hidden = false;
    uploadForm.classList.add("is-over");
  });
  document.addEventListener("dragover", (event) => {
    if (!carriesFiles(event)) return;
    event.preventDefault();
    event.dataTransfer.dropEffect = "copy";
  });
  document.addEventListener("dragleave", (event) => {
    if (!carriesFiles(event)) return;
    dragDepth = Math.max(0, dragDepth - 1);
    if (dragDepth === 0) {
      dropOverlay.hidden = true;
      uploadForm.classList.remove("is-over");
    }
  });
  document.addEventListener("drop", (event) => {
    if (!carriesFiles(event)) return;
    event.preventDefault();
    dragDepth = 0;
    dropOverlay.hidden = true;
    uploadForm.classList.remove("is-over");
    uploadFiles(event.dataTransfer.files);
    uploadResults.scrollIntoView({ behavior: "smooth", block: "nearest" });
  });

  // --- Start: the mode the server rendered (the address's, else the last one used) -------

  const asked = new URLSearchParams(window.location.search).get("mode");
  setMode(mode, { remember: MODES.includes(asked) });
})();
