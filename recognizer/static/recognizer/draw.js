/* The draw page: a canvas for mouse, finger and pen (Pointer Events), the recognize
 * call to the JSON API, and uploads by file picker or drag and drop. No build step. */
(() => {
  "use strict";

  const workspace = document.getElementById("workspace");
  if (!workspace) return;

  const API_URL = workspace.dataset.apiUrl;
  const CSRF_TOKEN = document.querySelector('meta[name="csrf-token"]').content;
  const EXPORT_SIDE = 280; // the PNG sent to the server: small, and the same on every screen
  const STROKE_RATIO = 1 / 14; // brush width as a share of the canvas side
  const MAX_FILES = 20;
  const BROWSER_IMAGE_TYPES = ["image/png", "image/jpeg", "image/gif", "image/webp", "image/bmp"];

  const canvas = document.getElementById("digit-canvas");
  const frame = document.getElementById("canvas-frame");
  const context = canvas.getContext("2d");
  const undoButton = document.getElementById("undo");
  const clearButton = document.getElementById("clear");
  const recognizeButton = document.getElementById("recognize");
  const drawStatus = document.getElementById("draw-status");
  const resultEmpty = document.getElementById("result-empty");
  const resultError = document.getElementById("result-error");
  const resultBody = document.getElementById("result-body");

  // Strokes are lists of points in 0..1 canvas units, so they can be redrawn at any
  // size: after a resize, for undo, and into the fixed-size export canvas.
  let strokes = [];
  let activeStroke = null;
  let activePointerId = null;
  let redrawPending = false;
  let recognizing = false;

  // --- Drawing -------------------------------------------------------------------

  function fitCanvasToScreen() {
    // Backing store in device pixels: sharp lines on high-DPI screens.
    const side = Math.max(1, Math.round(canvas.clientWidth * (window.devicePixelRatio || 1)));
    if (canvas.width !== side || canvas.height !== side) {
      canvas.width = side;
      canvas.height = side;
    }
    paint(context, side);
  }

  function paint(target, side) {
    target.setTransform(1, 0, 0, 1, 0, 0);
    target.fillStyle = "#fff"; // an opaque white page: the PNG is black ink on white
    target.fillRect(0, 0, side, side);
    target.strokeStyle = "#000";
    target.fillStyle = "#000";
    target.lineWidth = side * STROKE_RATIO;
    target.lineCap = "round";
    target.lineJoin = "round";
    for (const stroke of strokes) drawStroke(target, stroke, side);
  }

  function drawStroke(target, points, side) {
    const [x0, y0] = points[0];
    if (points.length === 1) {
      target.beginPath();
      target.arc(x0 * side, y0 * side, target.lineWidth / 2, 0, Math.PI * 2);
      target.fill();
      return;
    }
    target.beginPath();
    target.moveTo(x0 * side, y0 * side);
    // Quadratic curves through the midpoints smooth the corners between samples.
    for (let i = 1; i < points.length - 1; i += 1) {
      const [x, y] = points[i];
      const [nextX, nextY] = points[i + 1];
      target.quadraticCurveTo(x * side, y * side, ((x + nextX) / 2) * side, ((y + nextY) / 2) * side);
    }
    const [lastX, lastY] = points[points.length - 1];
    target.lineTo(lastX * side, lastY * side);
    target.stroke();
  }

  function scheduleRedraw() {
    if (redrawPending) return;
    redrawPending = true;
    requestAnimationFrame(() => {
      redrawPending = false;
      paint(context, canvas.width);
    });
  }

  function canvasPoint(event) {
    const rect = canvas.getBoundingClientRect();
    const x = (event.clientX - rect.left - canvas.clientLeft) / canvas.clientWidth;
    const y = (event.clientY - rect.top - canvas.clientTop) / canvas.clientHeight;
    return [Math.min(1, Math.max(0, x)), Math.min(1, Math.max(0, y))];
  }

  function drawingChanged() {
    const hasInk = strokes.length > 0;
    frame.classList.toggle("has-ink", hasInk);
    undoButton.disabled = !hasInk;
    if (hasInk) setStatus("");
    scheduleRedraw();
  }

  canvas.addEventListener("pointerdown", (event) => {
    if (activeStroke !== null || (event.pointerType === "mouse" && event.button !== 0)) return;
    event.preventDefault();
    canvas.focus({ preventScroll: true }); // so Enter and Escape apply to this drawing
    canvas.setPointerCapture(event.pointerId);
    activePointerId = event.pointerId;
    activeStroke = [canvasPoint(event)];
    strokes.push(activeStroke);
    drawingChanged();
  });

  canvas.addEventListener("pointermove", (event) => {
    if (event.pointerId !== activePointerId) return;
    event.preventDefault();
    // Coalesced events carry every sample since the last frame: smoother fast strokes.
    const samples = (event.getCoalescedEvents && event.getCoalescedEvents()) || [];
    for (const sample of samples.length ? samples : [event]) {
      const point = canvasPoint(sample);
      const last = activeStroke[activeStroke.length - 1];
      if (Math.hypot(point[0] - last[0], point[1] - last[1]) > 0.002) activeStroke.push(point);
    }
    scheduleRedraw();
  });

  function endStroke(event) {
    if (event.pointerId !== activePointerId) return;
    activeStroke = null;
    activePointerId = null;
    scheduleRedraw();
  }
  canvas.addEventListener("pointerup", endStroke);
  canvas.addEventListener("pointercancel", endStroke);
  canvas.addEventListener("contextmenu", (event) => event.preventDefault());

  function undo() {
    if (activeStroke !== null) return;
    strokes.pop();
    drawingChanged();
  }

  function clearDrawing() {
    strokes = [];
    activeStroke = null;
    activePointerId = null;
    setStatus("");
    drawingChanged();
  }

  function setStatus(message) {
    drawStatus.textContent = message;
  }

  // --- Recognizing -----------------------------------------------------------------

  function exportPng() {
    const exportCanvas = document.createElement("canvas");
    exportCanvas.width = EXPORT_SIDE;
    exportCanvas.height = EXPORT_SIDE;
    paint(exportCanvas.getContext("2d"), EXPORT_SIDE);
    return new Promise((resolve, reject) => {
      exportCanvas.toBlob((blob) => (blob ? resolve(blob) : reject(new Error("toBlob failed"))), "image/png");
    });
  }

  async function postImage(blob, filename, source) {
    const body = new FormData();
    body.append("image", blob, filename);
    body.append("source", source);
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
    if (response.status === 201 && answer) return answer;
    if (response.status === 401) throw new Error("Your session has ended. Reload the page and log in again.");
    throw new Error((answer && answer.error) || `Recognition failed (HTTP ${response.status}).`);
  }

  async function recognize() {
    if (strokes.length === 0) {
      setStatus("Draw a digit first");
      canvas.focus();
      return;
    }
    if (recognizing) return;
    recognizing = true;
    recognizeButton.disabled = true;
    recognizeButton.textContent = "Recognizing…";
    try {
      showResult(await postImage(await exportPng(), "drawing.png", "canvas"));
    } catch (error) {
      showError(error.message);
    } finally {
      recognizing = false;
      recognizeButton.disabled = false;
      recognizeButton.textContent = "Recognize";
    }
  }

  function formatPercent(probability) {
    return `${(probability * 100).toFixed(1)}%`; // as the server's |percent filter
  }

  function renderBars(list, probabilities, digit) {
    list.replaceChildren(
      ...probabilities.map((probability, index) => {
        const row = document.createElement("li");
        row.className = index === digit ? "bar-row is-top" : "bar-row";
        const label = document.createElement("span");
        label.className = "bar-digit";
        label.textContent = String(index);
        const track = document.createElement("span");
        track.className = "bar-track";
        track.setAttribute("aria-hidden", "true");
        const fill = document.createElement("span");
        fill.className = "bar-fill";
        fill.style.width = `${Math.min(100, Math.max(0, probability * 100)).toFixed(2)}%`;
        track.append(fill);
        const value = document.createElement("span");
        value.className = "bar-value";
        value.textContent = formatPercent(probability);
        row.append(label, track, value);
        return row;
      }),
    );
  }

  function showResult(result) {
    resultEmpty.hidden = true;
    resultError.hidden = true;
    resultBody.hidden = false;
    document.getElementById("prediction").textContent = String(result.digit);
    document.getElementById("confidence").textContent = formatPercent(result.confidence);
    document.getElementById("model-input").src = result.model_input;
    document.getElementById("result-link").href = result.url;
    renderBars(document.getElementById("bars"), result.probabilities, result.digit);
    window.DigitsCorrection?.mount(document.getElementById("result-correction"), result);
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
  undoButton.addEventListener("click", (event) => {
    undo();
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
      undo();
    }
  });

  // --- Uploads: the file picker and drag and drop ---------------------------------------

  const uploadForm = document.getElementById("upload-form");
  const fileInput = uploadForm.querySelector('input[type="file"]');
  const uploadResults = document.getElementById("upload-results");
  const cardTemplate = document.getElementById("result-item-template");
  const dropOverlay = document.getElementById("drop-overlay");
  uploadForm.classList.add("is-enhanced"); // CSS: the label becomes the button

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
        const result = await postImage(accepted[i], accepted[i].name || "upload", "upload");
        slot("pending").hidden = true;
        slot("result").hidden = false;
        slot("digit").textContent = String(result.digit);
        slot("confidence").textContent = formatPercent(result.confidence);
        slot("model-input").src = result.model_input;
        slot("link").href = result.url;
        if (slot("thumbnail").hidden) slot("thumbnail").src = result.thumbnail_url;
        renderBars(slot("bars"), result.probabilities, result.digit);
        window.DigitsCorrection?.mount(slot("correction"), result, { compact: true });
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

  // --- Start ----------------------------------------------------------------------------

  new ResizeObserver(fitCanvasToScreen).observe(canvas);
  window.addEventListener("resize", fitCanvasToScreen); // zoom changes the device pixel ratio
  fitCanvasToScreen();
  drawingChanged();
})();
