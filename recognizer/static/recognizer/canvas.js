/* The drawing pad: a canvas for mouse, finger and pen (Pointer Events) with undo, clear
 * and a PNG export. Used by draw.js for the Digit canvas (square) and the Number canvas
 * (wide); the page's CSS sets the shape, the pad follows it. No build step. */
(() => {
  "use strict";

  const EXPORT_HEIGHT = 280; // the PNG sent to the server: small, and the same on every screen
  const STROKE_RATIO = 1 / 14; // brush width as a share of the canvas height

  /* Points are in canvas *heights*: y from 0 to 1, x from 0 to width/height. A digit is
   * as tall as the pad whatever its shape, so the brush and the export are the same for
   * both canvases, and a drawing keeps its shape when the pad is resized. Each drawing
   * (one per mode) is a list of strokes, each a list of points. */
  function create(canvas, { onChange = () => {} } = {}) {
    const context = canvas.getContext("2d");
    const drawings = new Map();
    let strokes = [];
    let activeStroke = null;
    let activePointerId = null;
    let redrawPending = false;

    function fit() {
      // Backing store in device pixels: sharp lines on high-DPI screens.
      const ratio = window.devicePixelRatio || 1;
      const width = Math.max(1, Math.round(canvas.clientWidth * ratio));
      const height = Math.max(1, Math.round(canvas.clientHeight * ratio));
      if (canvas.width !== width || canvas.height !== height) {
        canvas.width = width;
        canvas.height = height;
      }
      paint(context, width, height);
    }

    function paint(target, width, height) {
      target.setTransform(1, 0, 0, 1, 0, 0);
      target.fillStyle = "#fff"; // an opaque white page: the PNG is black ink on white
      target.fillRect(0, 0, width, height);
      target.strokeStyle = "#000";
      target.fillStyle = "#000";
      target.lineWidth = height * STROKE_RATIO;
      target.lineCap = "round";
      target.lineJoin = "round";
      for (const stroke of strokes) drawStroke(target, stroke, height);
    }

    function drawStroke(target, points, unit) {
      const [x0, y0] = points[0];
      if (points.length === 1) {
        target.beginPath();
        target.arc(x0 * unit, y0 * unit, target.lineWidth / 2, 0, Math.PI * 2);
        target.fill();
        return;
      }
      target.beginPath();
      target.moveTo(x0 * unit, y0 * unit);
      // Quadratic curves through the midpoints smooth the corners between samples.
      for (let i = 1; i < points.length - 1; i += 1) {
        const [x, y] = points[i];
        const [nextX, nextY] = points[i + 1];
        target.quadraticCurveTo(x * unit, y * unit, ((x + nextX) / 2) * unit, ((y + nextY) / 2) * unit);
      }
      const [lastX, lastY] = points[points.length - 1];
      target.lineTo(lastX * unit, lastY * unit);
      target.stroke();
    }

    function scheduleRedraw() {
      if (redrawPending) return;
      redrawPending = true;
      requestAnimationFrame(() => {
        redrawPending = false;
        paint(context, canvas.width, canvas.height);
      });
    }

    function canvasPoint(event) {
      const rect = canvas.getBoundingClientRect();
      const unit = canvas.clientHeight;
      const x = (event.clientX - rect.left - canvas.clientLeft) / unit;
      const y = (event.clientY - rect.top - canvas.clientTop) / unit;
      return [Math.min(canvas.clientWidth / unit, Math.max(0, x)), Math.min(1, Math.max(0, y))];
    }

    function changed() {
      scheduleRedraw();
      onChange(strokes.length > 0);
    }

    canvas.addEventListener("pointerdown", (event) => {
      if (activeStroke !== null || (event.pointerType === "mouse" && event.button !== 0)) return;
      event.preventDefault();
      canvas.focus({ preventScroll: true }); // so Enter and Escape apply to this drawing
      canvas.setPointerCapture(event.pointerId);
      activePointerId = event.pointerId;
      activeStroke = [canvasPoint(event)];
      strokes.push(activeStroke);
      changed();
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

    new ResizeObserver(fit).observe(canvas);
    window.addEventListener("resize", fit); // zoom changes the device pixel ratio

    return {
      get isEmpty() {
        return strokes.length === 0;
      },

      /* Switch to the drawing called ``name`` (one per mode), keeping the others. */
      use(name) {
        if (activeStroke !== null) return;
        if (!drawings.has(name)) drawings.set(name, []);
        strokes = drawings.get(name);
        fit();
        onChange(strokes.length > 0);
      },

      undo() {
        if (activeStroke !== null) return;
        strokes.pop();
        changed();
      },

      clear() {
        strokes.length = 0;
        activeStroke = null;
        activePointerId = null;
        changed();
      },

      /* The drawing as a PNG blob, EXPORT_HEIGHT high and as wide as the pad's shape. */
      exportPng() {
        const exportCanvas = document.createElement("canvas");
        exportCanvas.height = EXPORT_HEIGHT;
        exportCanvas.width = Math.round((EXPORT_HEIGHT * canvas.clientWidth) / Math.max(1, canvas.clientHeight));
        paint(exportCanvas.getContext("2d"), exportCanvas.width, exportCanvas.height);
        return new Promise((resolve, reject) => {
          exportCanvas.toBlob((blob) => (blob ? resolve(blob) : reject(new Error("toBlob failed"))), "image/png");
        });
      },
    };
  }

  window.DigitsCanvas = { create };
})();
