// The QR code opens this page with the access code in the fragment (#code=...), which never
// reaches the server. Put it into the field and remove it from the address bar.
(function () {
  var match = /(?:^#|&)code=([0-9A-Za-z-]{20,40})/.exec(window.location.hash);
  if (!match) { return; }
  var field = document.querySelector('input[name="code"]');
  if (field && !field.value) { field.value = match[1]; }
  if (window.history && window.history.replaceState) {
    window.history.replaceState(null, "", window.location.pathname + window.location.search);
  }
  var pin = document.querySelector('input[name="pin"]');
  if (pin) { pin.focus(); }
})();
