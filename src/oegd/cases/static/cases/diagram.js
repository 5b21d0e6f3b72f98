/*
 * Process diagrams with bpmn-js (loaded before this file: bpmn-viewer or bpmn-modeler, both as window.BpmnJS).
 *
 * Viewer: <figure data-oegd-diagram="ID"> with a JSON data block <script id="ID" type="application/json">
 * {"xml": "...", "active": [element ids], "done": [element ids]}; active elements get the marker class
 * "oegd-active", passed ones "oegd-done".
 *
 * Modeler: <div data-oegd-modeler="TEXTAREA-ID"> inside the version form. The textarea holds the XML (and is
 * what the form submits, so the page works without JavaScript); on submit the modeler's diagram is written
 * into it with saveXML. Editing the textarea by hand redraws the modeler.
 */
(function () {
  "use strict";

  function showError(figure, error) {
    figure.dataset.state = "error";
    var message = figure.querySelector(".oegd-diagram__error");
    if (message) {
      message.hidden = false;
    }
    if (window.console && error) {
      window.console.warn("bpmn-js:", error.message || error);
    }
  }

  function hideError(figure) {
    var message = figure.querySelector(".oegd-diagram__error");
    if (message) {
      message.hidden = true;
    }
  }

  function mark(viewer, ids, marker) {
    var canvas = viewer.get("canvas");
    var registry = viewer.get("elementRegistry");
    (ids || []).forEach(function (id) {
      if (registry.get(id)) {
        canvas.addMarker(id, marker);
      }
    });
  }

  function showDiagram(figure) {
    var source = document.getElementById(figure.dataset.oegdDiagram);
    if (!source || figure.dataset.state) {
      return;
    }
    var data = JSON.parse(source.textContent);
    figure.hidden = false;
    figure.dataset.state = "loading";
    var viewer = new window.BpmnJS({ container: figure.querySelector(".oegd-diagram__canvas") });
    figure.oegdViewer = viewer;
    viewer
      .importXML(data.xml)
      .then(function () {
        viewer.get("canvas").zoom("fit-viewport", "auto");
        mark(viewer, data.done, "oegd-done");
        mark(viewer, data.active, "oegd-active");
        figure.dataset.state = "ready";
      })
      .catch(function (error) {
        showError(figure, error);
      });
  }

  function startModeler(figure) {
    var textarea = document.getElementById(figure.dataset.oegdModeler);
    var form = figure.closest("form");
    if (!textarea || !form || figure.dataset.state) {
      return;
    }
    figure.hidden = false;
    figure.dataset.state = "loading";
    var modeler = new window.BpmnJS({ container: figure.querySelector(".oegd-diagram__canvas") });
    var changed = false;
    var xmlDetails = form.querySelector("details[data-oegd-xml]");
    figure.oegdModeler = modeler;
    if (xmlDetails && !xmlDetails.querySelector(".kern-error")) {
      xmlDetails.open = false; // the modeler is the editor now; the XML stays one click away
    }

    function load(xml) {
      return modeler
        .importXML(xml)
        .then(function () {
          modeler.get("canvas").zoom("fit-viewport", "auto");
          changed = false;
          hideError(figure);
          figure.dataset.state = "ready";
        })
        .catch(function (error) {
          showError(figure, error);
          if (xmlDetails) {
            xmlDetails.open = true;
          }
        });
    }

    modeler.on("commandStack.changed", function () {
      changed = true;
    });
    textarea.addEventListener("change", function () {
      load(textarea.value);
    });
    form.addEventListener("submit", function (event) {
      if (!changed) {
        return;
      }
      event.preventDefault();
      modeler
        .saveXML({ format: true })
        .then(function (result) {
          textarea.value = result.xml;
          form.submit(); // no second submit event; the form has a single submit button
        })
        .catch(function (error) {
          showError(figure, error);
        });
    });
    load(textarea.value);
  }

  function start() {
    if (typeof window.BpmnJS !== "function") {
      return; // the library did not load: the text and the form still work
    }
    document.querySelectorAll("[data-oegd-diagram]").forEach(showDiagram);
    document.querySelectorAll("[data-oegd-modeler]").forEach(startModeler);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
