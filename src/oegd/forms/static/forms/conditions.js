/* Show and hide questionnaire items with enableWhen while the person answers (progressive enhancement).
 *
 * The server renders every item of a page; items that do not apply carry the `hidden` attribute and
 * their inputs are disabled, so they are not posted. This script re-evaluates the conditions of
 * `[data-enable-when]` elements on every change, using the answers on the page; for questions on
 * other pages it uses the server's verdict (`met`). Without it, the server decides on the next post.
 * Semantics follow validation.py: a hidden question counts as unanswered, "!=" means "answered and
 * no answer equals", an item is hidden when any enclosing item is.
 */
(function () {
  "use strict";

  var CONTROLS = "input, select, textarea, button";

  function controlsOf(linkId) {
    return Array.prototype.filter.call(document.querySelectorAll("[data-link-id]"), function (element) {
      return element.getAttribute("data-link-id") === linkId;
    });
  }

  function number(text) {
    var cleaned = String(text).replace(/\s/g, "").replace(",", ".");
    return /^[+-]?(\d+(\.\d*)?|\.\d+)$/.test(cleaned) ? parseFloat(cleaned) : null;
  }

  function normalised(type, text) {
    if (type === "time" && /^\d{2}:\d{2}$/.test(text)) return text + ":00";
    if (type === "dateTime" && /T\d{2}:\d{2}$/.test(text)) return text + ":00";
    return text;
  }

  /* The answers given on the page: {option: index} for choices, else numbers, booleans or strings. */
  function answersOf(controls) {
    var answers = [];
    controls.forEach(function (control) {
      if (control.disabled) return;
      var type = control.getAttribute("data-type");
      var raw;
      if (control.type === "radio" || control.type === "checkbox") {
        if (!control.checked || control.hasAttribute("data-other-choice")) return;
        raw = control.value;
      } else if (control.type === "file") {
        if ((control.files && control.files.length) || Number(control.getAttribute("data-existing")) > 0) {
          answers.push({ file: true });
        }
        return;
      } else {
        raw = control.value.trim();
        if (control.tagName === "SELECT" && control.selectedOptions.length &&
            control.selectedOptions[0].hasAttribute("data-other-choice")) return;
        if (!raw) return;
      }
      if (control.hasAttribute("data-other-text")) {
        answers.push({ text: raw });
      } else if (type === "boolean") {
        answers.push(raw === "true");
      } else if (type === "choice" || type === "open-choice") {
        // Radios, boxes and lists post the option's index; a choice without options is typed text.
        var listed = control.type === "radio" || control.type === "checkbox" || control.tagName === "SELECT";
        answers.push(listed ? { option: parseInt(raw, 10) } : { text: raw });
      } else if (type === "integer" || type === "decimal" || type === "quantity") {
        var value = number(raw);
        if (value !== null) answers.push(value);
      } else {
        answers.push(normalised(type, raw));
      }
    });
    return answers;
  }

  function ordered(left, operator, right) {
    switch (operator) {
      case "=": return left === right;
      case "!=": return left !== right;
      case ">": return left > right;
      case "<": return left < right;
      case ">=": return left >= right;
      case "<=": return left <= right;
    }
    return false;
  }

  /* Whether one answer meets "answer <operator> condition.answer" ("=" for "!="). */
  function meets(answer, operator, condition) {
    if (answer !== null && typeof answer === "object") {
      if ("option" in answer) return (condition.options || []).indexOf(answer.option) !== -1;
      if ("text" in answer) {
        return condition.kind === "String" && ordered(answer.text, operator, condition.answer);
      }
      return false;
    }
    if (typeof answer === "boolean" || typeof condition.answer === "boolean") {
      return operator === "=" && answer === condition.answer;
    }
    if (typeof answer === "number") {
      return typeof condition.answer === "number" && ordered(answer, operator, condition.answer);
    }
    var expected = String(condition.answer);
    var dated = condition.kind === "Date" || condition.kind === "DateTime";
    if (dated && (answer.length > 10) !== (expected.length > 10)) {
      // A date against a date and time: compare the days, as the server does.
      return ordered(answer.slice(0, 10), operator, expected.slice(0, 10));
    }
    return ordered(answer, operator, expected);
  }

  function conditionMet(condition) {
    var controls = controlsOf(condition.question);
    if (!controls.length) return Boolean(condition.met);
    var answers = answersOf(controls);
    if (condition.operator === "exists") return (answers.length > 0) === condition.answer;
    if (!answers.length) return false;
    if (condition.operator === "!=") {
      return !answers.some(function (answer) { return meets(answer, "=", condition); });
    }
    return answers.some(function (answer) { return meets(answer, condition.operator, condition); });
  }

  function applies(element) {
    var spec;
    try {
      spec = JSON.parse(element.getAttribute("data-enable-when"));
    } catch (error) {
      return !element.hidden;
    }
    var results = spec.conditions.map(conditionMet);
    return spec.behavior === "any" ? results.some(Boolean) : results.every(Boolean);
  }

  function syncDisabled() {
    document.querySelectorAll("[data-enable-when]").forEach(function (item) {
      item.querySelectorAll(CONTROLS).forEach(function (control) {
        control.disabled = Boolean(control.closest("[data-enable-when][hidden]"));
      });
    });
  }

  function update() {
    var items = Array.prototype.slice.call(document.querySelectorAll("[data-enable-when]"));
    // Conditions can depend on items that just appeared or vanished: repeat until nothing changes.
    for (var pass = 0; pass <= items.length; pass++) {
      var changed = false;
      items.forEach(function (item) {
        var outer = item.parentElement && item.parentElement.closest("[data-enable-when][hidden]");
        var show = !outer && applies(item);
        if (item.hidden === show) {
          item.hidden = !show;
          changed = true;
        }
      });
      syncDisabled();
      if (!changed) break;
    }
  }

  if (!document.querySelector("[data-enable-when]")) return;
  document.addEventListener("change", update);
  document.addEventListener("input", update);
  update();
})();
