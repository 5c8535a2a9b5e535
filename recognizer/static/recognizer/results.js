/* Rendering what the API answered: a digit's ten probability bars, and a number's digits
 * with their boxes drawn over the image. The same markup as the server's templates
 * (_bars.html, _digit_boxes.html, _number_digits.html): change both together. */
(() => {
  "use strict";

  function formatPercent(probability) {
    return `${(probability * 100).toFixed(1)}%`; // as the server's |percent filter
  }

  function element(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function renderBars(list, probabilities, digit) {
    list.replaceChildren(
      ...probabilities.map((probability, index) => {
        const row = element("li", index === digit ? "bar-row is-top" : "bar-row");
        const track = element("span", "bar-track");
        track.setAttribute("aria-hidden", "true");
        const fill = element("span", "bar-fill");
        fill.style.width = `${Math.min(100, Math.max(0, probability * 100)).toFixed(2)}%`;
        track.append(fill);
        row.append(element("span", "bar-digit", String(index)), track, element("span", "bar-value", formatPercent(probability)));
        return row;
      }),
    );
  }

  /* Each digit's box over the image, labelled with the digit. Boxes are fractions of
   * the image ([left, top, width, height]), so they fit it at any displayed size. */
  function renderBoxes(list, digits) {
    list.replaceChildren(
      ...digits.map(({ digit, box }) => {
        const item = element("li", "digit-box");
        ["--left", "--top", "--width", "--height"].forEach((name, index) => item.style.setProperty(name, String(box[index])));
        item.append(element("span", "digit-box-label", String(digit)));
        return item;
      }),
    );
  }

  /* Each digit with its confidence, left to right; hidden for a one-digit number, whose
   * answer and confidence say it all already. */
  function renderDigits(list, digits) {
    list.hidden = digits.length < 2;
    list.replaceChildren(
      ...digits.map(({ digit, confidence }) => {
        const item = element("li", "number-digit");
        item.append(element("span", "number-digit-value", String(digit)), element("span", "number-digit-confidence", formatPercent(confidence)));
        return item;
      }),
    );
  }

  window.DigitsResults = { element, formatPercent, renderBars, renderBoxes, renderDigits };
})();
