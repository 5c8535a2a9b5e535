"""Canvas PNGs of pendigits drawings, made by a real browser canvas when there is one.

The app receives what ``canvas.toBlob`` encodes, and how a PNG was compressed changes
how long it takes to decode (Chromium's canvas PNGs decode about twice as fast as
Pillow's default ones), so the benchmarks draw with Chromium's own canvas: white page,
black round strokes 20 px wide, as ``draw.js`` does. Without Chromium they fall back to
Pillow's drawing and say so.
"""

from __future__ import annotations

import base64
import io
from pathlib import Path

from ml.pendigits import BRUSH, CANVAS, PenDigit, canvas_strokes, render

CHROMIUM = Path("/usr/bin/chromium")
DRAW = """([strokes_list, size, brush]) => strokes_list.map(strokes => {
  const canvas = document.createElement('canvas');
  canvas.width = size; canvas.height = size;
  const pen = canvas.getContext('2d');
  pen.fillStyle = '#fff'; pen.fillRect(0, 0, size, size);
  pen.strokeStyle = '#000'; pen.fillStyle = '#000';
  pen.lineWidth = brush; pen.lineCap = 'round'; pen.lineJoin = 'round';
  for (const stroke of strokes) {
    pen.beginPath();
    stroke.forEach(([x, y], i) => (i ? pen.lineTo(x, y) : pen.moveTo(x, y)));
    if (stroke.length === 1) pen.arc(stroke[0][0], stroke[0][1], brush / 2, 0, 2 * Math.PI);
    stroke.length === 1 ? pen.fill() : pen.stroke();
  }
  return canvas.toDataURL('image/png');
})"""


def canvas_pngs(digits: list[PenDigit], mode: str) -> tuple[list[bytes], str]:
    """(PNG bytes for each digit, "chromium" or "pillow": which canvas drew them)."""
    if CHROMIUM.exists():
        return _chromium(digits, mode), "chromium"
    return [_pillow_png(digit, mode) for digit in digits], "pillow"


def _pillow_png(digit: PenDigit, mode: str) -> bytes:
    buffer = io.BytesIO()
    render(digit, mode).convert("RGBA").save(buffer, "PNG")
    return buffer.getvalue()


def _chromium(digits: list[PenDigit], mode: str) -> list[bytes]:
    from playwright.sync_api import sync_playwright

    strokes = [[stroke.tolist() for stroke in canvas_strokes(digit, mode)] for digit in digits]
    args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=args)
        try:
            page = browser.new_page()
            urls = []
            for start in range(0, len(strokes), 500):  # keep each message small
                urls += page.evaluate(DRAW, [strokes[start : start + 500], CANVAS, BRUSH])
        finally:
            browser.close()
    return [base64.b64decode(url.split(",", 1)[1]) for url in urls]
